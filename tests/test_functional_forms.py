"""torch's function forms (mm.exp(x), mm.sum(x, 1), mm.max(x, dim=0), mm.allclose, ...) against torch,
and the torch dtype rules of the Tensor methods behind them (exp of an int tensor is float32, ...)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import minimod as mm
from tests.gradcheck import compare_with_torch

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4))
POSITIVE = RNG.uniform(0.5, 2.0, size=(3, 4))


def _torch():
    return pytest.importorskip("torch")


# (id, call(lib, *tensors), input arrays): each call is written once and runs with lib=mm and lib=torch
DIFFERENTIABLE = [
    ("abs", lambda lib, a: lib.abs(a), [X]),
    ("exp", lambda lib, a: lib.exp(a), [X]),
    ("log", lambda lib, a: lib.log(a), [POSITIVE]),
    ("sqrt", lambda lib, a: lib.sqrt(a), [POSITIVE]),
    ("tanh", lambda lib, a: lib.tanh(a), [X]),
    ("sigmoid", lambda lib, a: lib.sigmoid(a), [X]),
    ("relu", lambda lib, a: lib.relu(a), [X]),
    ("clamp", lambda lib, a: lib.clamp(a, -0.5, 0.5), [X]),
    ("clamp_min_keyword", lambda lib, a: lib.clamp(a, min=0.1), [X]),
    ("clip", lambda lib, a: lib.clip(a, max=0.2), [X]),
    ("matmul", lambda lib, a, b: lib.matmul(a, b), [X, X.T]),
    ("tensor_matmul", lambda lib, a, b: a.matmul(b), [X, X.T]),
    ("neg", lambda lib, a: lib.neg(a), [X]),
    ("pow", lambda lib, a: lib.pow(a, 3), [X]),
    ("sum", lambda lib, a: lib.sum(a), [X]),
    ("sum_dim", lambda lib, a: lib.sum(a, 1), [X]),
    ("sum_dims_keepdim", lambda lib, a: lib.sum(a, dim=(0, 1), keepdim=True), [X]),
    ("sum_dtype", lambda lib, a: lib.sum(a, 0, dtype=lib.float64), [X]),
    ("mean", lambda lib, a: lib.mean(a), [X]),
    ("mean_dim_keepdim", lambda lib, a: lib.mean(a, 0, True), [X]),
    ("var", lambda lib, a: lib.var(a, 1), [X]),
    ("std_unbiased_false", lambda lib, a: lib.std(a, 0, unbiased=False), [X]),
    ("max", lambda lib, a: lib.max(a), [X]),
    ("max_dim", lambda lib, a: lib.max(a, 1).values, [X]),
    ("max_dim_keepdim", lambda lib, a: lib.max(a, dim=0, keepdim=True)[0], [X]),
    ("reshape", lambda lib, a: lib.reshape(a, (4, 3)), [X]),
    ("flatten", lambda lib, a: lib.flatten(a.reshape(3, 2, 2), 1), [X]),
    ("transpose", lambda lib, a: lib.transpose(a, 0, 1), [X]),
    ("permute", lambda lib, a: lib.permute(a, (1, 0)), [X]),
    ("unsqueeze_squeeze", lambda lib, a: lib.squeeze(lib.unsqueeze(a, 1), 1), [X]),
    ("t", lambda lib, a: lib.t(a), [X]),
    ("tensor_t", lambda lib, a: a.t(), [X]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name, call, arrays", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_function_forms_match_torch(name, call, arrays, dtype):
    torch = _torch()
    compare_with_torch(functools.partial(call, mm), functools.partial(call, torch), *arrays, dtype=dtype)


def test_function_forms_are_the_tensor_methods():
    x = mm.tensor(X, requires_grad=True)
    for name in ("abs", "exp", "tanh", "sigmoid", "relu", "neg"):
        assert getattr(mm, name)(x).grad_fn.name() == getattr(x, name)().grad_fn.name()
    assert mm.sum(x, 1).grad_fn.name() == "SumBackward1" and mm.mean(x).grad_fn.name() == "MeanBackward0"
    assert mm.max(x, 0).values.grad_fn.name() == "MaxBackward0" and mm.max(x).grad_fn.name() == "MaxBackward1"
    np.testing.assert_array_equal(mm.argmax(x, 1).numpy(), x.argmax(1).numpy())
    assert mm.numel(x) == 12 and mm.is_tensor(x) and not mm.is_tensor(X)


def test_max_forms_like_torch():
    torch = _torch()
    for lib in (mm, torch):
        t = lib.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 4.0]])
        full = lib.max(t)
        along = lib.max(t, 1)
        kept = lib.max(t, dim=0, keepdim=True)
        assert full.ndim == 0 and full.item() == 5.0
        values, indices = along
        assert values.tolist() == [5.0, 4.0] and indices.tolist() == [1, 0]
        assert along.values.tolist() == values.tolist() and along.indices.dtype == lib.int64
        assert kept.values.shape == (1, 3) and kept.indices.tolist() == [[1, 0, 1]]
        assert repr(along).split("(")[0].endswith("return_types.max")
        with pytest.raises(TypeError):
            lib.max(t, 1.0)
    with pytest.raises(TypeError, match=r"mm\.where\(a >= b, a, b\)"):
        mm.max(mm.ones(2), mm.zeros(2))


LOGICAL = [
    ("float", [[1.0, 0.0, 2.0], [3.0, -1.0, 0.5]]),
    ("int", [[1, 0, 2], [3, 4, 5]]),
    ("bool", [[True, False], [True, True]]),
    ("nan_counts_as_true", [[float("nan"), 1.0]]),
]


@pytest.mark.parametrize("name, data", LOGICAL, ids=[c[0] for c in LOGICAL])
def test_all_and_any_match_torch(name, data):
    torch = _torch()
    calls = [
        lambda lib, t: lib.all(t),
        lambda lib, t: lib.any(t),
        lambda lib, t: t.all(),
        lambda lib, t: t.any(),
        lambda lib, t: t.all(dim=1),
        lambda lib, t: t.any(0),
        lambda lib, t: lib.all(t, 1, keepdim=True),
        lambda lib, t: lib.any(t, dim=-1, keepdim=True),
        lambda lib, t: t.all(dim=(0, 1)),
        lambda lib, t: t.any(dim=(1,), keepdim=True),
    ]
    for call in calls:
        ours, theirs = call(mm, mm.tensor(data)), call(torch, torch.tensor(data))
        assert ours.dtype == np.bool_ and theirs.dtype == torch.bool
        assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


def test_all_any_keep_uint8_and_check_dims_like_torch():
    torch = _torch()
    data = np.array([[1, 0], [2, 3]], dtype=np.uint8)
    for t in (mm.tensor(data), torch.tensor(data)):
        assert str(t.all().dtype).endswith("uint8") and t.any(1).tolist() == [1, 1]
        with pytest.raises(IndexError, match="Dimension out of range"):
            t.all(dim=2)
    assert not mm.tensor(3.0).all(keepdim=True).shape and mm.zeros(0).all().item() is True


def test_seed_idioms_torch_abs_and_torch_all():
    """The seeds write `loss = torch.abs(output)` and `assert torch.all(m.mean == loaded.mean)`."""
    output = mm.tensor([-1.5, 2.0], requires_grad=True)
    loss = mm.abs(output)
    loss.backward(mm.ones(2))
    assert output.grad.tolist() == [-1.0, 1.0]
    mean, loaded = mm.zeros(4), mm.zeros(4)
    assert mm.all(mean == loaded)
    loaded[1] = 1.0
    assert not mm.all(mean == loaded) and mm.any(mean != loaded)


CLOSE = [
    ("equal", lambda lib: lib.tensor([1.0, 2.0]), lambda lib: lib.tensor([1.0, 2.0])),
    ("within_rtol", lambda lib: lib.tensor([1.0, 1e5]), lambda lib: lib.tensor([1.0, 1e5 + 0.5])),
    ("outside_atol", lambda lib: lib.tensor([0.0]), lambda lib: lib.tensor([1e-7])),
    ("broadcast", lambda lib: lib.ones(2, 3), lambda lib: lib.ones(3)),
    ("inf", lambda lib: lib.tensor([float("inf")]), lambda lib: lib.tensor([float("inf")])),
    ("nan", lambda lib: lib.tensor([float("nan")]), lambda lib: lib.tensor([float("nan")])),
    ("int", lambda lib: lib.tensor([1, 2]), lambda lib: lib.tensor([1, 2])),
]


@pytest.mark.parametrize("name, make_a, make_b", CLOSE, ids=[c[0] for c in CLOSE])
def test_allclose_and_equal_match_torch(name, make_a, make_b):
    torch = _torch()
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 1e-6}):
        ours = mm.allclose(make_a(mm), make_b(mm), **kwargs)
        assert type(ours) is bool and ours == torch.allclose(make_a(torch), make_b(torch), **kwargs)
    assert mm.equal(make_a(mm), make_b(mm)) == torch.equal(make_a(torch), make_b(torch))


def test_equal_ignores_dtype_but_not_shape_like_torch():
    torch = _torch()
    for lib in (mm, torch):
        assert lib.equal(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))
        assert not lib.equal(lib.ones(2), lib.ones(2, 1))
        assert not lib.equal(lib.tensor([1, 2]), lib.tensor([1, 2, 3]))


@pytest.mark.parametrize(
    "call, kind",
    [
        (lambda lib: lib.allclose(lib.ones(2), lib.ones(2, dtype=lib.float64)), RuntimeError),
        (lambda lib: lib.allclose(lib.ones(2), lib.ones(2, dtype=lib.int64)), RuntimeError),
        (lambda lib: lib.allclose(lib.ones(2), lib.ones(3)), RuntimeError),
        (lambda lib: lib.allclose(lib.ones(2), [1.0, 1.0]), TypeError),
        (lambda lib: lib.equal(lib.ones(2), [1.0, 1.0]), TypeError),
    ],
)
def test_allclose_and_equal_errors_match_torch(call, kind):
    torch = _torch()
    with pytest.raises(kind) as theirs:
        call(torch)
    with pytest.raises(kind) as ours:
        call(mm)
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


# --- dtypes as torch gives them ---------------------------------------------------------------

DTYPES = [
    "lib.exp(lib.tensor([0, 1]))",
    "lib.tensor([1, 2]).log()",
    "lib.sqrt(lib.tensor([1, 4]))",
    "lib.tensor([0, 1]).tanh()",
    "lib.sigmoid(lib.tensor([0, 1]))",
    "lib.tensor([True, False]).exp()",
    "lib.tensor([-1, 3]).clamp(0.5, 2)",
    "lib.tensor([-1, 3]).clamp(0, 2)",
    "lib.clamp(lib.tensor([-1, 3]), min=0.5)",
    "lib.tensor([1, 2]) ** 0.5",
    "lib.tensor([1, 2]) ** 2",
    "lib.tensor([1, 2]).pow(2.0)",
    "lib.abs(lib.tensor([-1, 2]))",
    "lib.relu(lib.tensor([-1, 2]))",
    "lib.sum(lib.tensor([True, True]))",
    "lib.sum(lib.tensor([1, 2], dtype=lib.int32))",
    "lib.sum(lib.tensor([1, 2]), dtype=lib.float64)",
    "lib.mean(lib.tensor([1, 2]), dtype=lib.float32)",
    "lib.tensor([1.5, -2.0]).long()",
    "lib.tensor([1.5, -2.0]).int()",
    "lib.tensor([1.5, 0.0]).bool()",
    "lib.ones(2, 3).t().contiguous()",
]


@pytest.mark.parametrize("expression", DTYPES)
def test_result_dtypes_and_values_match_torch(expression):
    torch = _torch()
    ours, theirs = eval(expression, {"lib": mm}), eval(expression, {"lib": torch})
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), expression
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "expression, kind, message",
    [
        ("lib.tensor([1, 2]) ** -1", RuntimeError, "Integers to negative integer powers are not allowed."),
        ("-lib.tensor([True])", RuntimeError, "Negation, the `-` operator, on a bool tensor"),
        ("lib.tensor([True]).relu()", RuntimeError, "Boolean inputs not supported for relu"),
        ("lib.relu_(lib.tensor([True]))", RuntimeError, "Boolean inputs not supported for relu"),
        ("lib.ones(2, 2, 2).t()", RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ],
)
def test_errors_match_torch(expression, kind, message):
    torch = _torch()
    for lib in (torch, mm):
        with pytest.raises(kind) as info:
            eval(expression, {"lib": lib})
        assert message in str(info.value), lib.__name__


def test_t_and_contiguous_share_or_copy_like_torch():
    x = mm.ones(3)
    assert x.t() is not x and x.t().numpy() is not None and np.shares_memory(x.t().numpy(), x.numpy())
    y = mm.ones(2, 3)
    assert y.contiguous() is y
    z = y.t().contiguous()
    assert z.numpy().flags.c_contiguous and not np.shares_memory(z.numpy(), y.numpy())
