"""Small helpers the layers share: torch's _pair, and the device/dtype arguments of a constructor."""

from __future__ import annotations

import numpy as np

from ...creation import _check_device, empty
from ...tensor import Tensor


def _pair(value) -> tuple:
    """2 -> (2, 2); (3, 1) stays (3, 1): how Conv2d and friends read a size argument."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value, value)


def _empty(shape: tuple, device=None, dtype=None) -> Tensor:
    """An uninitialised tensor for a parameter; reset_parameters fills it."""
    _check_device(device)
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"a layer's parameters need a floating dtype (got {np.dtype(dtype)})")
    return empty(*shape, dtype=dtype)
