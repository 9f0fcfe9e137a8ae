"""torch.cuda's queries, answered honestly for a CPU-only library: no CUDA device, ever.

The queries scripts make to choose a device return what a CPU-only torch returns; the calls that need
a GPU raise torch's own error. Seeding the CUDA generator is accepted and does nothing, as in torch
without a GPU (so `torch.cuda.manual_seed_all(seed)` in a seeding helper runs unchanged).
"""

from __future__ import annotations

from .device import check_device


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def current_device() -> int:
    check_device("cuda")  # raises: there is no current CUDA device
    return 0


def get_device_name(device=None) -> str:
    check_device("cuda")
    return ""


def synchronize(device=None) -> None:
    check_device("cuda")


def empty_cache() -> None:
    """Nothing is cached on a GPU here."""


def manual_seed(seed: int) -> None:
    """Seeds nothing: there is no CUDA generator (torch without a GPU accepts the call too)."""


def manual_seed_all(seed: int) -> None:
    """Seeds nothing: there is no CUDA generator (torch without a GPU accepts the call too)."""
