"""Tensor.add/sub/mul/div (alpha, rounding_mode) and torch.add/sub/mul/div/matmul with out=, against torch."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
from tests.gradcheck import check_gradients, compare_with_torch

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4))
B = RNG.uniform(0.5, 2.0, size=(3, 4)) * RNG.choice([-1, 1], size=(3, 4))

def _library(tensor):
    """minimod for a minimod tensor, torch for a torch one: the function forms, tested on both."""
    return mm if isinstance(tensor, mm.Tensor) else __import__("torch")


METHODS = [
    ("add", lambda a, b: a.add(b)),
    ("add_alpha", lambda a, b: a.add(b, alpha=2.5)),
    ("sub_alpha", lambda a, b: a.sub(b, alpha=-0.5)),
    ("mul", lambda a, b: a.mul(b)),
    ("div", lambda a, b: a.div(b)),
    ("true_divide", lambda a, b: a.true_divide(b)),
    ("function_add", lambda a, b: _library(a).add(a, b, alpha=3)),
    ("function_div", lambda a, b: _library(a).div(a, b)),
]


@pytest.mark.parametrize("name,fn", METHODS, ids=[name for name, _ in METHODS])
def test_values_and_gradients(name, fn):
    check_gradients(fn, A, B)
    for dtype in (np.float32, np.float64):
        compare_with_torch(fn, fn, A.astype(dtype), B.astype(dtype), dtype=dtype)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes(mode):
    a, b = np.array([-7.0, 7.0, -6.5, 5.0]), np.array([2.0, -2.0, 2.0, 2.0])
    expected = np.trunc(a / b) if mode == "trunc" else np.floor(a / b)
    assert mm.tensor(a).div(mm.tensor(b), rounding_mode=mode).tolist() == expected.tolist()
    assert mm.tensor([-7, 7]).div(2, rounding_mode=mode).tolist() == ([-3, 3] if mode == "trunc" else [-4, 3])
    x = mm.tensor(a, requires_grad=True)
    x.div(2.0, rounding_mode=mode).sum().backward()
    assert x.grad.tolist() == [0.0] * 4  # piecewise constant
    torch = pytest.importorskip("torch")
    assert torch.tensor([-7, 7]).div(2, rounding_mode=mode).tolist() == mm.tensor([-7, 7]).div(
        2, rounding_mode=mode).tolist()
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, 'trunc', or"):
        mm.ones(1).div(1, rounding_mode="round")


def test_method_forms_of_numbers_take_the_tensors_dtype():
    x = mm.tensor([1.0, 2.0])
    assert x.add(1).dtype == mm.float32 and x.mul(2).tolist() == [2.0, 4.0]
    assert mm.mul(2, x).tolist() == [2.0, 4.0]
    assert mm.tensor([1, 2]).div(2).dtype == mm.float32  # integers divided give floats, as torch's


def test_out_writes_into_the_given_tensor():
    tensor = mm.ones(4, 4)
    tensor[:, 1] = 0
    y3 = mm.rand_like(tensor)
    assert mm.matmul(tensor, tensor.T, out=y3) is y3
    assert np.array_equal(y3.numpy(), (tensor @ tensor.T).numpy())
    z3 = mm.rand_like(tensor)
    assert mm.mul(tensor, tensor, out=z3) is z3 and z3.tolist() == (tensor * tensor).tolist()
    double = mm.empty(4, 4, dtype=mm.float64)
    assert mm.add(tensor, 1, out=double).dtype == mm.float64  # cast into out's dtype


def test_out_mistakes_raise_torchs_errors():
    with pytest.raises(RuntimeError, match=r"mul\(\): functions with out=\.\.\. arguments don't support "
                                           "automatic differentiation"):
        mm.mul(mm.ones(2, requires_grad=True), 2, out=mm.empty(2))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        mm.mul(mm.ones(2), mm.ones(2), out=mm.empty(2, dtype=mm.long))
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        out = mm.empty(3)
        mm.add(mm.ones(2), 1, out=out)
    assert out.tolist() == [2.0, 2.0]
    with mm.no_grad():  # no graph to record: allowed
        assert mm.add(mm.ones(2, requires_grad=True), 1, out=mm.empty(2)).tolist() == [2.0, 2.0]
