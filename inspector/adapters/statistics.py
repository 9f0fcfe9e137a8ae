"""The summary numbers the trace records for every array, from minimod's statistics kernel.

events.py's records hold plain numbers; they come from here, on minimod's side of the seam, because the
quick way to get them is one of minimod's kernels: one numba pass over the values where numpy takes six
(isfinite, mean, std's three, min, max). Arrays of torch models are summarised the same way.
"""

from __future__ import annotations

import numpy as np

from minimod import kernels

# Below this many values the numpy twin costs tens of microseconds: not worth loading numba for (the first
# paint's parameter tables). Once numba is loaded (a model has run), every array takes the numba kernel.
KERNEL_MIN_SIZE = 65536


def finite_summary(array: np.ndarray) -> tuple[int, int, int, float, float, float, float]:
    """(count, nan, inf, mean, std, min, max) of `array`'s finite values (see kernels.reference)."""
    if kernels.loaded_jit() is not None:
        # (the kernel as minimod hands it out: numba's, or in a fresh install the twin while numba
        # compiles this array's signature in the background, see minimod/kernels/warm.py)
        return kernels.tensor_stats(array)
    if array.size < KERNEL_MIN_SIZE:
        return kernels.reference.tensor_stats(array)
    return kernels.tensor_stats(array)  # loads numba: worth it from here on
