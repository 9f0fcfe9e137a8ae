"""Kernels that only decide where an array's memory comes from: a recycled buffer for a large result, or
a gradient taken over as a leaf's ``.grad`` without a copy when nothing else holds it.

Each has a plain twin in reference.py (a fresh array, or a copy, every time) that gives the same values;
tests hold the two together. They need no numba, cost less than a call to the chooser, and change no
value, so kernels/__init__.py hands these out whatever the backend (why they pay: scratch.py).
"""

from __future__ import annotations

import sys

import numpy as np

from . import scratch


def add(a, b):
    """Same contract as reference.add: a large C-contiguous float sum goes into a pooled array (a
    training step's activations then reuse last step's pages instead of faulting in fresh ones);
    anything else, numpy's own allocation (cheaper for small arrays; other dtypes and layouts keep
    numpy's rules)."""
    # the size test first: it is the cheapest and rejects most arrays (a per-op loop on small arrays paid
    # 0.35 us an Add for the other tests)
    if a.nbytes >= scratch.MIN_BYTES and a.shape == b.shape and a.dtype == b.dtype and _c_floats(a, b):
        return np.add(a, b, out=scratch.empty(a.shape, a.dtype))
    return a + b


def accumulate(a, b):
    """Same contract as reference.accumulate, into a pooled array when large: a residual block's input
    gets two activation-sized gradients every step."""
    if a.nbytes < scratch.MIN_BYTES or a.dtype.kind != "f":
        return a + b  # small: numpy's own allocation is cheaper than asking the pool
    return np.add(a, b, out=scratch.empty(a.shape, a.dtype))


def _c_floats(a, b):
    return a.dtype.kind == "f" and a.flags.c_contiguous and b.flags.c_contiguous


# --- a leaf's gradient, adopted --------------------------------------------------------------------


def adopt_grad(entry, like):
    """Same contract as reference.adopt_grad, without the copy when nothing but entry refers to the
    gradient or to its memory and it has ``like``'s layout (a copy of an MLP's weight gradients took
    20 us a step). An array that another node, hook or leaf also holds (Add hands one array to both its
    inputs), or that the scratch pool holds, is copied. (Binding entry[1] to a name here would add a
    reference: read it through entry only.)"""
    if _held_by_entry_alone(entry) and _layout_of(entry[1]) == _layout_of(like):
        return entry[1]
    return np.array(entry[1], dtype=like.dtype, copy=True)


def _layout_of(array):
    return array.shape, array.dtype, array.flags.c_contiguous, array.flags.writeable


def _reference_counts(entry):
    """(references to entry[1], references to its base or None), as seen from _held_by_entry_alone."""
    base = entry[1].base
    return sys.getrefcount(entry[1]), None if base is None else sys.getrefcount(base)


# the counts of an array that only entry holds, and of a view that only entry holds of a base that only the
# view holds (measured: the interpreter's own temporary references differ between Python versions)
_ALONE = _reference_counts([None, np.empty(2)])
_VIEW_ALONE = _reference_counts([None, np.empty(2).reshape(2, 1)])


def _held_by_entry_alone(entry):
    """True when nothing but entry refers to entry[1] or to its memory (a view's base, held by the view
    alone, of the view's own size and owning its data): scratch-pool arrays (the pool holds them),
    arrays also saved, hooked, pending or given to another leaf all have further references."""
    counts = _reference_counts(entry)
    base = entry[1].base
    if base is None:
        return counts[0] <= _ALONE[0]
    return (
        type(base) is np.ndarray and base.base is None and base.flags.owndata and base.size == entry[1].size
        and counts[0] <= _VIEW_ALONE[0] and counts[1] <= _VIEW_ALONE[1]
    )
