"""The summary numbers the trace records for every array, from minimod's statistics kernel.

events.py's records hold plain numbers; they come from here, on minimod's side of the seam, because the
quick way to get them is one of minimod's kernels: one numba pass over the values where numpy takes six
(isfinite, mean, std's three, min, max). Arrays of torch models are summarised the same way.
"""

from __future__ import annotations

import math

import numpy as np

from minimod import kernels

# Below this many values the numpy twin costs tens of microseconds: not worth loading numba for (the first
# paint's parameter tables). Once numba is loaded (a model has run), every array takes the numba kernel.
KERNEL_MIN_SIZE = 65536


# Up to this many values, plain Python is quickest: numpy's six passes cost ~65 us whatever the size, and a
# 2,000-layer model of Linear(4, 4) recorded 6,000 such arrays a forward (0.4 s); numba's kernel ~3 us
# once loaded, which a model of small layers may never need.
FEW_VALUES = 32


def finite_summary(array: np.ndarray) -> tuple[int, int, int, float, float, float, float]:
    """(count, nan, inf, mean, std, min, max) of `array`'s finite values (see kernels.reference); a
    bool, integer or float array, as kernels.tensor_stats takes."""
    if array.size <= FEW_VALUES:
        return _summary_of_few(array)
    if kernels.loaded_jit() is not None:
        # (the kernel as minimod hands it out: numba's, or in a fresh install the twin while numba
        # compiles this array's signature in the background, see minimod/kernels/warm.py)
        return kernels.tensor_stats(array)
    if array.size < KERNEL_MIN_SIZE:
        return kernels.reference.tensor_stats(array)
    return kernels.tensor_stats(array)  # loads numba: worth it from here on


def _summary_of_few(array: np.ndarray) -> tuple[int, int, int, float, float, float, float]:
    """finite_summary of a small bool, integer or float array, in Python floats (float64, as the kernels
    sum; math.fsum rounds once, so the last digit may differ from theirs)."""
    values = array.ravel().tolist()
    finite = [float(value) for value in values if value - value == 0]  # nan - nan and inf - inf are nan
    nan_count = sum(1 for value in values if value != value)
    inf_count = len(values) - len(finite) - nan_count
    if not finite:
        return 0, nan_count, inf_count, math.nan, math.nan, math.nan, math.nan
    count = len(finite)
    mean = math.fsum(finite) / count
    std = math.sqrt(math.fsum([(value - mean) ** 2 for value in finite]) / count)
    return count, nan_count, inf_count, mean, std, min(finite), max(finite)
