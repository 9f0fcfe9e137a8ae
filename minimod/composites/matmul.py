"""torch.matmul, recorded node for node as torch 2.13's at::matmul records it.

matmul is no single op in torch: by the ranks of its operands it is a dot product, a matrix-vector or
a matrix product, or, from three dims on, a matrix product with the batch dims folded into rows (mm),
or broadcast and flattened into one batch (bmm), with views around. A student who reads a grad_fn
graph sees those nodes (x @ W with a batch of sequences: UnsafeViewBackward0 -> MmBackward0 ->
ViewBackward0), so minimod records the same ones, in the same order. The op observers (the flow
view) still see one `MatMul` op.
"""

from __future__ import annotations

import math

import numpy as np

from .. import hooks
from ..functions.elementwise import Clone
from ..functions.matmul import Bmm, Dot, Mm, Mv
from ..functions.shape import Expand, Squeeze, T, Transpose, UnsafeView, Unsqueeze
from .shape import reshape


class MatMul:
    """What op observers are told ran: one matmul, whichever nodes it recorded (see `matmul`)."""


def matmul(t1, t2):
    """t1 @ t2 by numpy's (and torch's) rules; see the module's docstring for the nodes it records."""
    check_shapes(t1.shape, t2.shape)
    if not hooks._op_observers:
        return _matmul(t1, t2)
    with hooks.one_op():
        out = _matmul(t1, t2)
    return hooks._notify(MatMul, (t1, t2), out)


def _matmul(t1, t2):
    """at::_matmul_impl's branches, in its order."""
    d1, d2 = t1.ndim, t2.ndim
    if d1 == 1 and d2 == 1:
        return Dot.apply(t1, t2)
    if d1 == 2 and d2 == 1:
        return Mv.apply(t1, t2)
    if d1 == 1 and d2 == 2:
        row = Unsqueeze.apply(t1, shape=(1, *t1.shape))
        return Squeeze.apply(Mm.apply(row, t2, of_weight=False), shape=(t2.shape[1],),
                             node_name="SqueezeBackward4")
    if d1 == 2 and d2 == 2:
        return Mm.apply(t1, t2, of_weight=False)
    if _should_fold(t1, t2):
        return _folded(t1, t2)
    return _batched(t1, t2)


def _should_fold(t1, t2) -> bool:
    """at::matmul's should_fold, strides and all: torch picks folding (one mm, MmBackward0) or a batch
    (bmm, BmmBackward0) by this test, so minimod must ask the same question to draw the same nodes.
    Fold: multiply the larger operand's rows by the (at most 2-D) smaller one with one mm or mv, when
    the small one needs a gradient (so its gradient is one product, not a batch of them) or the larger
    one folds into rows without a copy (its strides say whether it does)."""
    larger_first = t1.ndim >= t2.ndim
    big = t1._data if larger_first else np.swapaxes(t2._data, -1, -2)
    small = t2 if larger_first else t1
    if not (big.ndim >= 3 and small.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if t1.ndim == 2:
        return False  # folding would need the product transposed back, a copy
    if big.size == 0:
        return True
    shape, strides = big.shape, big.strides
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(big.ndim - 2))


def _mT(t):
    return Transpose.apply(t, dims=(*range(t.ndim - 2), t.ndim - 1, t.ndim - 2))


def _folded(t1, t2):
    transpose = t2.ndim > t1.ndim  # then compute (t2ᵀ @ t1ᵀ)ᵀ
    big = _mT(t2) if transpose else t1
    small = t2 if not transpose else (T.apply(t1, dims=(1, 0)) if t1.ndim == 2 else t1)
    out_shape = big.shape[:-1]
    rows = reshape(big, (math.prod(out_shape), big.shape[-1]))
    if small.ndim == 2:
        out = UnsafeView.apply(Mm.apply(rows, small, of_weight=False), shape=(*out_shape, small.shape[1]))
        return Clone.apply(_mT(out)) if transpose else out
    return UnsafeView.apply(Mv.apply(rows, small), shape=out_shape)


def _batched(t1, t2):
    n = t1.shape[-2] if t1.ndim > 1 else 1
    m1 = t1.shape[-1]
    m2 = t2.shape[-2] if t2.ndim > 1 else t2.shape[0]
    p = t2.shape[-1] if t2.ndim > 1 else 1
    batch = np.broadcast_shapes(t1.shape[: max(t1.ndim - 2, 0)], t2.shape[: max(t2.ndim - 2, 0)])
    count = math.prod(batch)
    left = reshape(Expand.apply(t1, shape=(*batch, n, m1)), (count, n, m1))
    vector_right = t2.ndim == 1
    if vector_right:
        columns = reshape(Expand.apply(t2, shape=(*batch, m2)), (count, m2))
        right = Unsqueeze.apply(columns, shape=(count, m2, 1))
    else:
        right = reshape(Expand.apply(t2, shape=(*batch, m2, p)), (count, m2, p))
    out_shape = (*batch, *((n,) if t1.ndim > 1 else ()), *((p,) if t2.ndim > 1 else ()))
    out = Bmm.apply(left, right)
    if vector_right:
        out = Squeeze.apply(out, shape=out.shape[:-1], node_name="SqueezeBackward1")
    return UnsafeView.apply(out, shape=out_shape)


def check_shapes(a: tuple, b: tuple) -> None:
    """torch's errors, before any node is recorded."""
    if not a or not b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and "
                           f"{len(b)}D")
    inner_a, inner_b = a[-1], b[-2] if len(b) > 1 else b[0]
    if inner_a != inner_b:
        if len(a) >= 2 and len(b) == 2:  # torch's wording for a matrix product (batch dims folded)
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({math.prod(a[:-1])}x{inner_a} and "
                f"{b[0]}x{b[1]}) (matmul of {a} and {b})"
            )
        raise RuntimeError(f"matmul: shapes {a} and {b} cannot be multiplied ({inner_a} != {inner_b})")
    batch_a, batch_b = a[: max(len(a) - 2, 0)], b[: max(len(b) - 2, 0)]
    ndim = max(len(batch_a), len(batch_b))
    padded_a, padded_b = (1,) * (ndim - len(batch_a)) + batch_a, (1,) * (ndim - len(batch_b)) + batch_b
    for dim in reversed(range(ndim)):
        if padded_a[dim] != padded_b[dim] and 1 not in (padded_a[dim], padded_b[dim]):
            raise RuntimeError(
                f"matmul: The size of tensor a ({padded_a[dim]}) must match the size of tensor b "
                f"({padded_b[dim]}) at non-singleton dimension {dim} (shapes {a} and {b})"
            )
