"""A small pool of large arrays for the fast kernels: an array is handed out again once nothing refers to it.

Why: a training step allocates the same large arrays (im2col patches, padded inputs, outputs and their
gradients) every step. glibc returns big freed blocks to the kernel, so each new array of a step costs
one page fault per 4 KiB page; for the small ResNet that was ~6,000 faults a step, more time than its
convolutions. Recycling the arrays keeps their pages mapped.

An array is free when only the pool refers to it: every view of a pooled array (reshape, slice,
transpose, a Tensor's storage) holds a reference to it through ``.base``, so an array still in use,
however it is seen, is never handed out twice. Small arrays come straight from numpy (malloc keeps
those cheaply), and the pool holds at most a few arrays per shape and a bounded number of bytes.
"""

from __future__ import annotations

import sys
import threading
from math import prod

import numpy as np

MIN_BYTES = 128 * 1024  # malloc serves smaller arrays from its free lists without faulting
PER_SHAPE = 16  # a residual stage holds ~12 live activations of one shape (conv, BN, ReLU outputs)
MAX_BYTES = 256 * 1024 * 1024

_pool: dict[tuple, list[np.ndarray]] = {}
_pooled_bytes = 0
_lock = threading.Lock()


def _references(arrays: list, index: int) -> int:
    return sys.getrefcount(arrays[index])


# how many references a pooled array has when nothing outside the pool holds it (measured, because
# the interpreter's own temporary references differ between Python versions)
_FREE = _references([np.empty(1)], 0)


def empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, recycled from the pool when one of this shape is free."""
    dtype = np.dtype(dtype)
    nbytes = prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    shape = tuple(int(s) for s in shape)
    global _pooled_bytes
    key = (shape, dtype.str)
    with _lock:  # the check and the hand-out must not interleave between threads
        arrays = _pool.setdefault(key, [])
        for index in range(len(arrays)):
            if _references(arrays, index) <= _FREE:
                return arrays[index]
        array = np.empty(shape, dtype)
        if len(arrays) < PER_SHAPE and _pooled_bytes + nbytes <= MAX_BYTES:
            arrays.append(array)
            _pooled_bytes += nbytes
        return array


def zeros(shape: tuple[int, ...], dtype) -> np.ndarray:
    """Like np.zeros, from the pool."""
    array = empty(shape, dtype)
    array.fill(0)
    return array


def clear() -> None:
    """Forget every pooled array (arrays still in use stay valid; they are simply no longer recycled)."""
    global _pooled_bytes
    with _lock:
        _pool.clear()
        _pooled_bytes = 0
