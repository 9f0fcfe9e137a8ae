"""kernels/recycling.py against its plain twins in kernels/reference.py: the same values, and memory that
comes from the pool, or is adopted, only where that is safe."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minimod import kernels
from minimod.kernels import recycling as K
from minimod.kernels import reference as R
from minimod.kernels import scratch

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)
DTYPES = st.sampled_from([np.float16, np.float32, np.float64, np.int64])
LARGE = (256, 1024)  # 1 MiB of float32: past scratch.MIN_BYTES


@st.composite
def pairs(draw):
    shape, dtype = draw(SHAPES), draw(DTYPES)
    elements = st.integers(-100, 100) if dtype == np.int64 else st.floats(-1e3, 1e3, width=16)
    a = draw(hnp.arrays(dtype, shape, elements=elements))
    b = draw(hnp.arrays(dtype, draw(st.sampled_from([shape, shape[1:]])), elements=elements))
    return a, b


@settings(deadline=None, max_examples=60)
@given(pairs())
def test_add_matches_its_twin(pair):
    a, b = pair
    got, want = K.add(a, b), R.add(a, b)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@settings(deadline=None, max_examples=60)
@given(pairs())
def test_accumulate_matches_its_twin(pair):
    a, _ = pair
    b = a[::-1].copy() if a.ndim else a.copy()
    got, want = K.accumulate(a, b), R.accumulate(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kernel", [K.add, K.accumulate])
def test_large_float_sums_use_the_pool_and_match_the_twin(kernel):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(LARGE, dtype=np.float32), rng.standard_normal(LARGE, dtype=np.float32)
    got = kernel(a, b)
    assert any(got is pooled for pooled in scratch._pool.get((LARGE, got.dtype.str), []))
    np.testing.assert_array_equal(got, a + b)
    small = kernel(a[:2, :2].copy(), b[:2, :2].copy())
    assert small.base is None and not any(small is p for arrays in scratch._pool.values() for p in arrays)


def test_add_of_strided_or_mixed_operands_keeps_numpys_rules():
    a = np.ones(LARGE, np.float32)
    assert K.add(a, np.ones(LARGE, np.float64)).dtype == R.add(a, np.ones(LARGE, np.float64)).dtype
    strided = np.ones((LARGE[1], LARGE[0]), np.float32).T
    np.testing.assert_array_equal(K.add(a, strided), R.add(a, strided))


def test_adopt_grad_takes_an_array_nobody_else_holds_and_its_twin_copies():
    like = np.zeros((3, 4), np.float32)
    entry = [None, np.arange(12, dtype=np.float32).reshape(3, 4) * 2]
    twin = R.adopt_grad(entry, like)
    assert twin is not entry[1] and not np.shares_memory(twin, entry[1])
    alone = K.adopt_grad(entry, like)
    assert alone is entry[1]
    np.testing.assert_array_equal(alone, twin)


def test_adopt_grad_copies_an_array_held_elsewhere():
    like = np.zeros((3, 4), np.float32)
    gradient = np.ones((3, 4), np.float32)
    entry = [None, gradient]  # `gradient` is a second reference
    adopted = K.adopt_grad(entry, like)
    assert adopted is not gradient and not np.shares_memory(adopted, gradient)
    np.testing.assert_array_equal(adopted, R.adopt_grad(entry, like))


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.ones((4, 3), np.float32).T,  # another layout than the leaf's
        lambda: np.ones((3, 4), np.float64),  # another dtype
        lambda: np.ones((6, 4), np.float32)[:3],  # a view of a larger array
        lambda: np.broadcast_to(np.ones(4, np.float32), (3, 4)),  # read-only
    ],
    ids=["transposed", "float64", "part-of-a-base", "read-only"],
)
def test_adopt_grad_copies_what_the_leaf_could_not_own(make):
    like = np.zeros((3, 4), np.float32)
    entry = [None, make()]
    adopted = K.adopt_grad(entry, like)
    assert adopted.dtype == like.dtype and adopted.flags.writeable and adopted.flags.owndata
    assert not np.shares_memory(adopted, entry[1])
    np.testing.assert_array_equal(adopted, R.adopt_grad(entry, like))


def test_the_package_hands_out_the_recycling_kernels_whatever_the_backend(monkeypatch):
    monkeypatch.setenv("MINIMOD_DISABLE_JIT", "1")
    assert kernels.add is K.add and kernels.accumulate is K.accumulate and kernels.adopt_grad is K.adopt_grad


def test_add_of_a_large_array_and_a_strided_or_other_dtype_operand_is_numpys_sum():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(LARGE, dtype=np.float32)
    for b in (rng.standard_normal(LARGE[::-1], dtype=np.float32).T, a.astype(np.float64), a[:1]):
        got = K.add(a, b)
        pooled = any(got is p for ps in scratch._pool.values() for p in ps)
        assert got.dtype == R.add(a, b).dtype and not pooled
        np.testing.assert_array_equal(got, R.add(a, b))
    ints = rng.integers(-5, 5, LARGE)
    np.testing.assert_array_equal(K.add(ints, ints), R.add(ints, ints))
