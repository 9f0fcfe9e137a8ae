"""torch.accelerator: the device-neutral question "is there a GPU-like device?"; here, never.

PyTorch's current tutorials choose their device with
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``.
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator device, or None when there is none (always None here)."""
    return None


def device_count() -> int:
    return 0
