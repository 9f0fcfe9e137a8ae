"""torch.backends.mps: Apple's Metal GPUs. Not available in minimod."""

from __future__ import annotations


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
