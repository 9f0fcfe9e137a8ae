"""One table drives every differentiable op's checks: forward vs numpy, gradients vs central
differences (float64), and forward + gradients vs torch (float32 and float64, the contract's tolerances).

To add an op, append an ``Op`` row: ``fn(lib, *tensors)`` is written once against the shared API and
runs with ``lib=minimod`` and ``lib=torch``; ``reference(*arrays)`` is the numpy specification.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimod as mm
from tests.gradcheck import check_gradients, compare_with_torch


@dataclass(frozen=True)
class Op:
    name: str
    reference: object          # numpy function of the input arrays
    fn: object                 # fn(lib, *tensors) with lib = minimod or torch
    shapes: tuple              # one shape per input
    domain: str = "real"       # "real", "positive" or "nonzero": where inputs are drawn from
    extra: dict = field(default_factory=dict)


def _max_reference(a, axis):
    return a.max(axis=axis)


IDX = np.array([0, 2, 0, 1])  # repeated 0: its gradient must accumulate

OPS = [
    # arithmetic, with broadcasting
    Op("add", lambda a, b: a + b, lambda lib, a, b: a + b, ((3, 4), (3, 4))),
    Op("add_broadcast_row", lambda a, b: a + b, lambda lib, a, b: a + b, ((3, 4), (4,))),
    Op("add_broadcast_both", lambda a, b: a + b, lambda lib, a, b: a + b, ((2, 1, 4), (3, 1))),
    Op("add_scalar", lambda a: a + 2.5, lambda lib, a: a + 2.5, ((3,),)),
    Op("radd_scalar", lambda a: 2.5 + a, lambda lib, a: 2.5 + a, ((3,),)),
    Op("sub", lambda a, b: a - b, lambda lib, a, b: a - b, ((2, 3), (2, 1))),
    Op("rsub_scalar", lambda a: 1.5 - a, lambda lib, a: 1.5 - a, ((2, 3),)),
    Op("mul", lambda a, b: a * b, lambda lib, a, b: a * b, ((2, 3), (2, 3))),
    Op("mul_broadcast", lambda a, b: a * b, lambda lib, a, b: a * b, ((4, 1, 3), (2, 1))),
    Op("mul_scalar", lambda a: a * 3.0, lambda lib, a: a * 3.0, ((2, 2),)),
    Op("div", lambda a, b: a / b, lambda lib, a, b: a / b, ((2, 3), (3,)), "positive"),
    Op("rdiv_scalar", lambda a: 2.0 / a, lambda lib, a: 2.0 / a, ((4,),), "positive"),
    Op("pow_scalar", lambda a: a**3, lambda lib, a: a**3, ((2, 3),)),
    Op("pow_fraction", lambda a: a**0.5, lambda lib, a: a**0.5, ((5,),), "positive"),
    Op("pow_tensor", lambda a, b: a**b, lambda lib, a, b: a**b, ((2, 3), (3,)), "positive"),
    Op("rpow_scalar", lambda a: 2.0**a, lambda lib, a: 2.0**a, ((4,),)),
    Op("neg", lambda a: -a, lambda lib, a: -a, ((2, 3),)),
    # matmul in every rank combination
    Op("matmul_2d", lambda a, b: a @ b, lambda lib, a, b: a @ b, ((3, 4), (4, 2))),
    Op("matmul_1d_2d", lambda a, b: a @ b, lambda lib, a, b: a @ b, ((4,), (4, 2))),
    Op("matmul_2d_1d", lambda a, b: a @ b, lambda lib, a, b: a @ b, ((3, 4), (4,))),
    Op("matmul_dot", lambda a, b: a @ b, lambda lib, a, b: a @ b, ((4,), (4,))),
    Op("matmul_batched", lambda a, b: a @ b, lambda lib, a, b: a @ b, ((2, 3, 4), (4, 2))),
    Op("matmul_batch_broadcast", lambda a, b: a @ b, lambda lib, a, b: a @ b, ((2, 1, 2, 3), (3, 3, 2))),
    # reductions
    Op("sum", lambda a: a.sum(), lambda lib, a: a.sum(), ((3, 4),)),
    Op("sum_dim", lambda a: a.sum(1), lambda lib, a: a.sum(dim=1), ((3, 4),)),
    Op("sum_dim_keepdim", lambda a: a.sum(0, keepdims=True), lambda lib, a: a.sum(0, keepdim=True),
       ((3, 4),)),
    Op("sum_dims", lambda a: a.sum((0, 2)), lambda lib, a: a.sum(dim=(0, 2)), ((2, 3, 4),)),
    Op("sum_negative_dim", lambda a: a.sum(-1), lambda lib, a: a.sum(-1), ((2, 3),)),
    Op("mean", lambda a: a.mean(), lambda lib, a: a.mean(), ((3, 4),)),
    Op("mean_dim", lambda a: a.mean(0), lambda lib, a: a.mean(0), ((3, 4),)),
    Op("mean_keepdim", lambda a: a.mean(-1, keepdims=True), lambda lib, a: a.mean(-1, keepdim=True),
       ((3, 4),)),
    Op("var", lambda a: a.var(ddof=1), lambda lib, a: a.var(), ((3, 4),)),
    Op("var_dim", lambda a: a.var(1, ddof=1), lambda lib, a: a.var(1), ((3, 4),)),
    Op("var_keepdim", lambda a: a.var(0, ddof=1, keepdims=True), lambda lib, a: a.var(0, keepdim=True),
       ((3, 4),)),
    Op("max", lambda a: a.max(), lambda lib, a: a.max(), ((3, 4),)),
    Op("max_dim_values", lambda a: a.max(1), lambda lib, a: a.max(dim=1).values, ((3, 4),)),
    Op("max_dim_keepdim", lambda a: a.max(0, keepdims=True), lambda lib, a: a.max(0, keepdim=True)[0],
       ((3, 4),)),
    Op("min", lambda a: a.min(), lambda lib, a: a.min(), ((3, 4),)),
    Op("min_dim_values", lambda a: a.min(1), lambda lib, a: a.min(dim=1).values, ((3, 4),)),
    Op("min_dim_keepdim", lambda a: a.min(0, keepdims=True), lambda lib, a: lib.min(a, 0, keepdim=True)[0],
       ((3, 4),)),
    # shape
    Op("reshape", lambda a: a.reshape(4, 3), lambda lib, a: a.reshape(4, 3), ((3, 4),)),
    Op("reshape_infer", lambda a: a.reshape(-1, 2), lambda lib, a: a.reshape(-1, 2), ((3, 4),)),
    Op("view", lambda a: a.reshape(12), lambda lib, a: a.view(12), ((3, 4),)),
    Op("flatten", lambda a: a.reshape(2, 12), lambda lib, a: a.flatten(1), ((2, 3, 4),)),
    Op("flatten_range", lambda a: a.reshape(6, 4), lambda lib, a: a.flatten(0, 1), ((2, 3, 4),)),
    Op("transpose", lambda a: a.swapaxes(0, 2), lambda lib, a: a.transpose(0, 2), ((2, 3, 4),)),
    Op("permute", lambda a: a.transpose(1, 2, 0), lambda lib, a: a.permute(1, 2, 0), ((2, 3, 4),)),
    Op("T", lambda a: a.T, lambda lib, a: a.T, ((3, 4),)),
    Op("unsqueeze", lambda a: a[:, None], lambda lib, a: a.unsqueeze(1), ((3, 4),)),
    Op("unsqueeze_negative", lambda a: a[..., None], lambda lib, a: a.unsqueeze(-1), ((3, 4),)),
    Op("squeeze", lambda a: a.squeeze(), lambda lib, a: a.squeeze(), ((3, 1, 4, 1),)),
    Op("squeeze_dim", lambda a: a.squeeze(1), lambda lib, a: a.squeeze(1), ((3, 1, 4, 1),)),
    Op("expand", lambda a: np.broadcast_to(a, (2, 3, 4)), lambda lib, a: a.expand(2, 3, 4), ((3, 1),)),
    Op("expand_minus_one", lambda a: np.broadcast_to(a, (3, 4)), lambda lib, a: a.expand(-1, 4), ((3, 1),)),
    Op("getitem_int", lambda a: a[1], lambda lib, a: a[1], ((3, 4),)),
    Op("getitem_slice", lambda a: a[:, 1:3], lambda lib, a: a[:, 1:3], ((3, 4),)),
    Op("getitem_step", lambda a: a[::2, -1], lambda lib, a: a[::2, -1], ((5, 4),)),
    Op("getitem_none_ellipsis", lambda a: a[None, ..., 0], lambda lib, a: a[None, ..., 0], ((2, 3),)),
    Op("getitem_int_array", lambda a: a[IDX], lambda lib, a: a[lib.tensor(IDX)], ((3, 4),)),
    Op("getitem_list", lambda a: a[[2, 2, 0]], lambda lib, a: a[[2, 2, 0]], ((3, 4),)),
    Op("getitem_two_arrays", lambda a: a[IDX, [0, 1, 0, 3]],
       lambda lib, a: a[lib.tensor(IDX), lib.tensor([0, 1, 0, 3])], ((3, 4),)),
    Op("getitem_array_and_slice", lambda a: a[1:, IDX], lambda lib, a: a[1:, lib.tensor(IDX)], ((3, 4),)),
    Op("getitem_bool_mask", lambda a: a[a > 0], lambda lib, a: a[a > 0], ((3, 4),)),
    # elementwise math
    Op("exp", np.exp, lambda lib, a: a.exp(), ((2, 3),)),
    Op("log", np.log, lambda lib, a: a.log(), ((2, 3),), "positive"),
    Op("sqrt", np.sqrt, lambda lib, a: a.sqrt(), ((2, 3),), "positive"),
    Op("abs", np.abs, lambda lib, a: a.abs(), ((2, 3),), "nonzero"),
    Op("tanh", np.tanh, lambda lib, a: a.tanh(), ((2, 3),)),
    Op("sigmoid", lambda a: 1 / (1 + np.exp(-a)), lambda lib, a: a.sigmoid(), ((2, 3),)),
    Op("sigmoid_large", lambda a: 1 / (1 + np.exp(-a * 40)), lambda lib, a: (a * 40).sigmoid(), ((2, 3),)),
    Op("relu", lambda a: np.maximum(a, 0), lambda lib, a: a.relu(), ((2, 3),), "nonzero"),
    Op("clamp", lambda a: np.clip(a, -0.3, 0.4), lambda lib, a: a.clamp(-0.3, 0.4), ((3, 4),)),
    Op("clamp_min", lambda a: np.maximum(a, 0.1), lambda lib, a: a.clamp(min=0.1), ((3, 4),)),
    Op("clamp_max", lambda a: np.minimum(a, 0.1), lambda lib, a: a.clamp(max=0.1), ((3, 4),)),
    # joining and choosing
    Op("cat", lambda a, b: np.concatenate([a, b], 1), lambda lib, a, b: lib.cat([a, b], dim=1),
       ((2, 3), (2, 2))),
    Op("cat_three", lambda a, b, c: np.concatenate([a, b, c]), lambda lib, a, b, c: lib.cat([a, b, c]),
       ((1, 3), (2, 3), (1, 3))),
    Op("stack", lambda a, b: np.stack([a, b], 1), lambda lib, a, b: lib.stack([a, b], dim=1),
       ((2, 3), (2, 3))),
    Op("stack_last", lambda a, b: np.stack([a, b], -1), lambda lib, a, b: lib.stack([a, b], dim=-1),
       ((2, 3), (2, 3))),
    Op("where", lambda a, b: np.where(a > 0, a, b), lambda lib, a, b: lib.where(a > 0, a, b),
       ((3, 4), (3, 4))),
    Op("where_broadcast", lambda a, b: np.where(a > 0, a, b), lambda lib, a, b: lib.where(a > 0, a, b),
       ((3, 4), (4,))),
    Op("sin", np.sin, lambda lib, a: a.sin(), ((2, 3),)),
    Op("cos", np.cos, lambda lib, a: lib.cos(a), ((2, 3),)),
    Op("square", np.square, lambda lib, a: a.square(), ((2, 3),)),
    # masks and scans (an attention mask: masked_fill of the upper triangle)
    Op("masked_fill", lambda a: np.where(np.triu(np.ones((4, 4), bool), 1), -3.0, a),
       lambda lib, a: a.masked_fill(lib.ones(4, 4).triu(1) > 0, -3.0), ((2, 4, 4),)),
    Op("tril", np.tril, lambda lib, a: a.tril(), ((2, 3, 4),)),
    Op("triu_diagonal", lambda a: np.triu(a, 1), lambda lib, a: lib.triu(a, 1), ((4, 3),)),
    Op("tril_below", lambda a: np.tril(a, -1), lambda lib, a: a.tril(-1), ((3, 3),)),
    Op("cumsum", lambda a: np.cumsum(a, 1), lambda lib, a: a.cumsum(1), ((3, 4),)),
    Op("cumsum_last", lambda a: np.cumsum(a, -1), lambda lib, a: lib.cumsum(a, dim=-1), ((2, 2, 3),)),
    Op("softmax_method", lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True),
       lambda lib, a: a.softmax(1), ((2, 4),)),
    Op("log_softmax_method", lambda a: a - np.log(np.exp(a).sum(0, keepdims=True)),
       lambda lib, a: a.log_softmax(0), ((3, 2),)),
    Op("mT", lambda a: np.swapaxes(a, -1, -2), lambda lib, a: a.mT, ((2, 3, 4),)),
    Op("expand_as", lambda a: np.broadcast_to(a, (2, 3, 4)), lambda lib, a: a.expand_as(lib.ones(2, 3, 4)),
       ((3, 1),)),
    Op("view_as", lambda a: a.reshape(4, 3), lambda lib, a: a.view_as(lib.ones(4, 3)), ((3, 4),)),
    Op("reshape_as", lambda a: a.T.reshape(12), lambda lib, a: a.t().reshape_as(lib.ones(12)), ((3, 4),)),
    Op("reciprocal", np.reciprocal, lambda lib, a: a.reciprocal(), ((2, 3),), "nonzero"),
    Op("rsqrt", lambda a: 1 / np.sqrt(a), lambda lib, a: a.rsqrt(), ((2, 3),), "positive"),
    Op("log1p", np.log1p, lambda lib, a: a.log1p(), ((2, 3),), "positive"),
    Op("expm1", np.expm1, lambda lib, a: a.expm1(), ((2, 3),)),
    Op("sign_floor_ceil_round", lambda a: np.sign(a) + np.floor(a) + np.ceil(a) + np.round(a) + a,
       lambda lib, a: a.sign() + a.floor() + a.ceil() + a.round() + a, ((2, 3),)),
    Op("clamp_min_max", lambda a: np.minimum(np.maximum(a, -0.3), 0.4),
       lambda lib, a: a.clamp_min(-0.3).clamp_max(0.4), ((3, 4),)),
    Op("norm", lambda a: np.sqrt((a * a).sum()), lambda lib, a: a.norm(), ((3, 4),)),
    Op("norm_dim_keepdim", lambda a: np.sqrt((a * a).sum(1, keepdims=True)),
       lambda lib, a: a.norm(dim=1, keepdim=True), ((3, 4),)),
    Op("norm_p1_dim", lambda a: np.abs(a).sum(0), lambda lib, a: a.norm(p=1, dim=0), ((3, 4),), "nonzero"),
    Op("flip", lambda a: np.flip(a, (0, 2)), lambda lib, a: a.flip(0, 2), ((2, 3, 4),)),
    Op("roll", lambda a: np.roll(a, 2, 1), lambda lib, a: a.roll(2, 1), ((3, 4),)),
    Op("roll_flat", lambda a: np.roll(a, -3), lambda lib, a: a.roll(-3), ((3, 4),)),
    Op("repeat", lambda a: np.tile(a, (2, 1, 3)), lambda lib, a: a.repeat(2, 1, 3), ((2, 3),)),
    Op("chunk", lambda a: np.concatenate([a[3:], 2 * a[:3]]),
       lambda lib, a: lib.cat([a.chunk(2)[1], 2 * a.chunk(2)[0]]), ((5, 2),)),
    Op("split_sizes", lambda a: a[:, 1:] * 3, lambda lib, a: a.split([1, 3], dim=1)[1] * 3, ((2, 4),)),
    Op("unbind", lambda a: a[:, 0] * a[:, 2], lambda lib, a: a.unbind(1)[0] * a.unbind(1)[2], ((3, 4),)),
    Op("gather", lambda a: np.take_along_axis(a, np.array([[0, 0], [2, 1], [3, 3]]), 1),
       lambda lib, a: a.gather(1, lib.tensor([[0, 0], [2, 1], [3, 3]])), ((3, 4),)),
    Op("prod", np.prod, lambda lib, a: a.prod(), ((2, 3),), "nonzero"),
    Op("prod_dim", lambda a: a.prod(1), lambda lib, a: lib.prod(a, 1), ((3, 4),), "nonzero"),
    Op("prod_keepdim", lambda a: a.prod(0, keepdims=True), lambda lib, a: a.prod(0, keepdim=True), ((3, 2),)),
    Op("amax", lambda a: a.max(axis=(0, 2)), lambda lib, a: a.amax((0, 2)), ((2, 3, 4),)),
    Op("amin_keepdim", lambda a: a.min(1, keepdims=True), lambda lib, a: lib.amin(a, 1, keepdim=True),
       ((3, 4),)),
    Op("sort", lambda a: np.sort(a, 1), lambda lib, a: a.sort(1).values, ((3, 4),)),
    Op("sort_descending", lambda a: -np.sort(-a, 0), lambda lib, a: lib.sort(a, 0, descending=True)[0],
       ((3, 4),)),
    Op("topk", lambda a: -np.sort(-a, 1)[:, :2], lambda lib, a: a.topk(2).values, ((3, 4),)),
    Op("topk_smallest", lambda a: np.sort(a, 0)[:1], lambda lib, a: lib.topk(a, 1, 0, largest=False)[0],
       ((3, 4),)),
    Op("narrow", lambda a: a[:, 1:3], lambda lib, a: a.narrow(1, 1, 2), ((3, 4),)),
    Op("dot", np.dot, lambda lib, a, b: a.dot(b), ((4,), (4,))),
    Op("mv", lambda a, b: a @ b, lambda lib, a, b: lib.mv(a, b), ((3, 4), (4,))),
    Op("mm", lambda a, b: a @ b, lambda lib, a, b: a.mm(b), ((3, 4), (4, 2))),
    Op("bmm", lambda a, b: a @ b, lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (2, 4, 2))),
    Op("outer", np.outer, lambda lib, a, b: a.outer(b), ((3,), (4,))),
    # compositions: gradients flow through several nodes and a shared input
    Op("composite_mlp", lambda x, w, b: np.tanh(x @ w.T + b).sum(1),
       lambda lib, x, w, b: (x @ w.T + b).tanh().sum(1), ((4, 3), (2, 3), (2,))),
    Op("composite_shared", lambda a: a * a + np.exp(a) * a, lambda lib, a: a * a + a.exp() * a, ((3,),)),
    Op("composite_softmax", lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True),
       lambda lib, a: a.exp() / a.exp().sum(1, keepdim=True), ((2, 4),)),
]

IDS = [op.name for op in OPS]


def make_inputs(op: Op, seed: int = 0) -> list[np.ndarray]:
    """float64 inputs from the op's domain, away from kinks (0 for abs/relu) and poles."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in op.shapes:
        if op.domain == "positive":
            arrays.append(rng.uniform(0.5, 2.0, size=shape))
        elif op.domain == "nonzero":
            arrays.append(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape))
        else:
            arrays.append(rng.normal(size=shape))
    return arrays


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_matches_numpy(op):
    arrays = make_inputs(op)
    for dtype in (np.float32, np.float64):
        cast = [a.astype(dtype) for a in arrays]
        out = op.fn(mm, *[mm.tensor(a) for a in cast])
        expected = np.asarray(op.reference(*cast))
        assert out.shape == expected.shape
        assert out.dtype == dtype, f"{op.name}: {dtype.__name__} inputs gave {out.dtype}"
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_gradients_match_central_differences(op):
    check_gradients(functools.partial(op.fn, mm), *make_inputs(op), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_matches_torch(op, dtype):
    torch = pytest.importorskip("torch")
    compare_with_torch(functools.partial(op.fn, mm), functools.partial(op.fn, torch), *make_inputs(op),
                       dtype=dtype)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float16_keeps_dtype(op):
    arrays = [a.astype(np.float16) for a in make_inputs(op)]
    inputs = [mm.tensor(a, requires_grad=True) for a in arrays]
    out = op.fn(mm, *inputs)
    assert out.dtype == np.float16
    expected = np.asarray(op.reference(*[a.astype(np.float32) for a in arrays]))
    np.testing.assert_allclose(out.numpy().astype(np.float32), expected, rtol=1e-2, atol=1e-2)
    out.sum().backward()
    for tensor in inputs:
        assert tensor.grad is not None and tensor.grad.dtype == np.float16


def test_table_covers_the_contract_ops():
    """Every differentiable op the contract lists has at least one row."""
    names = " ".join(IDS)
    for op in ["add", "sub", "mul", "div", "pow", "matmul", "neg", "sum", "mean", "var", "max", "reshape",
               "view", "flatten", "transpose", "permute", "T", "unsqueeze", "squeeze", "expand", "getitem",
               "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "clamp", "cat", "stack", "where"]:
        assert op in names, f"no row for {op}"


@settings(max_examples=25)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       kind=st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcast_gradients_reduce_to_each_operand(shapes, kind):
    """Any pair of broadcastable shapes: grads have the operands' shapes and equal the numpy formula."""
    rng = np.random.default_rng(0)
    a_array, b_array = (rng.uniform(0.5, 2.0, size=s) for s in shapes.input_shapes)
    a, b = mm.tensor(a_array, requires_grad=True), mm.tensor(b_array, requires_grad=True)
    out = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[kind]
    assert out.shape == shapes.result_shape
    out.sum().backward()
    ones = np.ones(shapes.result_shape)
    local_a = {"add": ones, "sub": ones, "mul": ones * b_array, "div": ones / b_array}[kind]
    local_b = {"add": ones, "sub": -ones, "mul": ones * a_array, "div": -ones * a_array / b_array**2}[kind]
    for tensor, local in ((a, local_a), (b, local_b)):
        extra = local.ndim - tensor.ndim
        expected = local.sum(axis=tuple(range(extra))) if extra else local
        axes = tuple(i for i, n in enumerate(tensor.shape) if n == 1 and expected.shape[i] != 1)
        expected = expected.sum(axis=axes, keepdims=True) if axes else expected
        assert tensor.grad.shape == tensor.shape
        np.testing.assert_allclose(tensor.grad.numpy(), expected.reshape(tensor.shape), rtol=1e-12)
