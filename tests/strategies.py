"""Hypothesis strategies shared by the core tests: arrays, shapes and nested state-dict-like values."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimod as mm

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
SAVEABLE_DTYPES = FLOAT_DTYPES + [np.int8, np.int32, np.int64, np.uint8, np.bool_, np.complex64]


def shapes(max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side)


def float_arrays(dtype=np.float64, shape=None, elements=None) -> st.SearchStrategy:
    """Finite float arrays of the given dtype (any small shape unless one is given)."""
    elements = elements or st.floats(-10, 10, allow_nan=False, width=np.finfo(dtype).bits)
    return hnp.arrays(dtype, shape if shape is not None else shapes(), elements=elements)


def saveable_arrays() -> st.SearchStrategy:
    """Arrays of every dtype mm.save accepts, with nan/inf allowed in floats."""
    return st.sampled_from(SAVEABLE_DTYPES).flatmap(lambda dtype: hnp.arrays(dtype, shapes()))


def tensors() -> st.SearchStrategy:
    arrays = st.sampled_from(FLOAT_DTYPES).flatmap(lambda dtype: hnp.arrays(dtype, shapes()))
    return st.tuples(arrays, st.booleans()).map(lambda pair: mm.tensor(pair[0], requires_grad=pair[1]))


_keys = st.one_of(st.text(max_size=8), st.integers(-5, 100))
_plain = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    saveable_arrays(),
    tensors(),
)


def saveable_values(max_leaves: int = 12) -> st.SearchStrategy:
    """Nested dicts / OrderedDicts / lists / tuples of what mm.save can write (like optimizer state)."""
    return st.recursive(
        _plain,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(_keys, children, max_size=4),
            st.dictionaries(_keys, children, max_size=4).map(OrderedDict),
        ),
        max_leaves=max_leaves,
    )
