"""Lesson 1 checks: Scale and MyLinear register their Parameters and compute forward; count_parameters."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


@check("Scale registers weight and bias as Parameters",
       tip="A tensor becomes a parameter only when it is wrapped in nn.Parameter and assigned to self "
       "after super().__init__() (step 1).",
       hint="__init__ starts with super().__init__(); then self.weight = nn.Parameter(mm.ones(num_features)) "
       "and self.bias = nn.Parameter(mm.zeros(num_features)), in that order.")
def scale_parameters(student):
    model = student.Scale(3)
    names = [name for name, _ in model.named_parameters()]
    if not names and isinstance(getattr(model, "weight", None), mm.Tensor):
        raise AssertionError("self.weight is a plain tensor, so it is not registered: "
                             "wrap it in nn.Parameter(...)")
    assert names == ["weight", "bias"], f"named_parameters() gives {names}, expected ['weight', 'bias']"
    assert isinstance(model.weight, nn.Parameter), "self.weight is not an nn.Parameter"
    assert model.weight.shape == (3,), f"Scale(3).weight has shape {model.weight.shape}, expected (3,)"
    np.testing.assert_allclose(model.weight.numpy(), np.ones(3), err_msg="weight should start as ones")
    np.testing.assert_allclose(model.bias.numpy(), np.zeros(3), err_msg="bias should start as zeros")


@check("Scale computes x * weight + bias",
       tip="forward combines the input with the two parameters element by element, as SimpleModel does in "
       "step 1.",
       hint="forward returns x * self.weight + self.bias; call the model, model(x), to test it.")
def scale_forward(student):
    model = student.Scale(4)
    with mm.no_grad():
        model.weight.copy_(mm.tensor([1.0, 2.0, 3.0, 4.0]))
        model.bias.copy_(mm.tensor([0.0, 0.0, 1.0, 1.0]))
    out = model(mm.tensor([1.0, 1.0, 1.0, 1.0]))
    assert isinstance(out, mm.Tensor), f"forward returned {type(out).__name__}, expected a Tensor"
    np.testing.assert_allclose(out.numpy(), [1, 2, 4, 5], err_msg="Scale(4) with SimpleModel's numbers")


@check("MyLinear has weight (in, out) and bias (out,)",
       tip="Look at the shapes of step 5's MyLinear: the weight has one row per input and one column per "
       "output.",
       hint="self.weight = nn.Parameter(mm.randn(in_features, out_features)); bias mm.randn(out_features).")
def mylinear_shapes(student):
    model = student.MyLinear(4, 3)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {"weight": (4, 3), "bias": (3,)}, f"MyLinear(4, 3) parameters: {shapes}"


@check("MyLinear computes input @ weight + bias",
       tip="Use the matrix product @ with the weight, then add the bias, all with minimod tensors (step 5).",
       hint="return (input @ self.weight) + self.bias; @ is matrix multiplication.")
def mylinear_forward(student):
    mm.manual_seed(1)
    model = student.MyLinear(4, 3)
    x = mm.randn(2, 4)
    expected = x.numpy() @ model.weight.numpy() + model.bias.numpy()
    out = model(x)
    assert tuple(out.shape) == (2, 3), f"a batch of 2 inputs gave shape {tuple(out.shape)}, expected (2, 3)"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert out.grad_fn is not None, "the output has no grad_fn: compute it with minimod ops, not numpy"


@check("count_parameters adds up p.numel()",
       tip="parameters() yields whole tensors; count the numbers inside each one (numel) and add them up.",
       hint="sum(p.numel() for p in model.parameters())")
def counting(student):
    cases = [(nn.Linear(4, 3), 15), (nn.Linear(320, 50), 16050), (nn.ReLU(), 0)]
    for model, expected in cases:
        got = student.count_parameters(model)
        assert got == expected, f"count_parameters({model!r}) returned {got}, expected {expected}"
