"""The scratch pool of large arrays (minimod/kernels/scratch.py): reuse only when nothing refers to it."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from minimod.kernels import scratch

BIG = (512, 256)  # 512 KiB of float32: pooled


@pytest.fixture(autouse=True)
def _fresh_pool():
    scratch.clear()
    yield
    scratch.clear()


def test_a_dropped_array_is_reused():
    a = scratch.empty(BIG, np.float32)
    address = a.ctypes.data
    del a
    assert scratch.empty(BIG, np.float32).ctypes.data == address


@pytest.mark.parametrize(
    "keep",
    [lambda a: a, lambda a: a[1:], lambda a: a.reshape(-1), lambda a: a.T, lambda a: np.asarray(a)[::2]],
    ids=["itself", "slice", "reshape", "transpose", "strided"],
)
def test_an_array_still_seen_through_any_view_is_not_handed_out_again(keep):
    a = scratch.empty(BIG, np.float32)
    view = keep(a)
    address = a.ctypes.data
    del a
    b = scratch.empty(BIG, np.float32)
    assert b.ctypes.data != address
    b[...] = 1  # writing the new array leaves the old one alone
    view[...] = 2
    assert (b == 1).all()


def test_small_arrays_and_other_shapes_are_not_shared():
    small = scratch.empty((4, 4), np.float32)
    assert small.shape == (4, 4)
    a = scratch.empty(BIG, np.float32)
    address = a.ctypes.data
    del a
    assert scratch.empty(BIG, np.float64).ctypes.data != address
    assert scratch.empty((256, 512), np.float32).ctypes.data != address


def test_zeros_clears_a_recycled_array():
    a = scratch.empty(BIG, np.float32)
    a.fill(7)
    del a
    assert not scratch.zeros(BIG, np.float32).any()


def test_the_pool_holds_a_bounded_number_per_shape():
    held = [scratch.empty(BIG, np.float32) for _ in range(scratch.PER_SHAPE + 3)]
    assert len({a.ctypes.data for a in held}) == len(held)  # all distinct while held
    assert len(scratch._pool[(BIG, np.dtype(np.float32).str)]) == scratch.PER_SHAPE


def test_threads_never_share_an_array():
    live, clashes, lock = set(), [], threading.Lock()

    def work():
        for _ in range(100):
            a = scratch.empty(BIG, np.float32)
            with lock:  # no other live array may have this memory
                if a.ctypes.data in live:
                    clashes.append(a.ctypes.data)
                live.add(a.ctypes.data)
            time.sleep(0)  # let the other threads run while this one holds the array
            with lock:
                live.discard(a.ctypes.data)
            del a

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clashes == []


def test_relu_add_and_gradient_sums_recycle_only_what_nobody_holds():
    """ReLU, Add and the backward pass's gradient sums take pooled arrays: results a caller still holds keep
    their values while later steps reuse the rest (a residual block: its input gets two gradients)."""
    import minimod as mm

    rng = np.random.default_rng(0)
    x = mm.tensor(rng.standard_normal(BIG).astype(np.float32), requires_grad=True)
    held = []
    for step in range(4):
        h = (x * (step + 1)).relu()
        out = h + x
        out.sum().backward()
        held.append((h, out, x.grad.numpy().copy(), h.detach().numpy().copy(), out.detach().numpy().copy()))
        x.grad = None
    data = x.detach().numpy()
    for step, (h, out, grad, h_then, out_then) in enumerate(held):
        np.testing.assert_array_equal(h.detach().numpy(), h_then)
        np.testing.assert_array_equal(out.detach().numpy(), out_then)
        np.testing.assert_array_equal(h_then, np.maximum(data * (step + 1), 0))
        np.testing.assert_array_equal(grad, (data > 0) * np.float32(step + 1) + 1)
