"""Lesson 7 checks: record_shapes (order, cleanup), clamp_output (handle), grad_output_shapes."""

import warnings

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


def _net():
    mm.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 2), nn.Tanh()))


def _hook_count(model):
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               for m in model.modules())


@check("record_shapes lists (name, shape) in the order the hooks fired",
       tip="One forward hook per module, each remembering its own module name at the time it is made (step "
       "2).",
       hint="one register_forward_hook per module in named_modules(); bind the name with a default argument "
       "(def record(module, args, output, name=name)), or every hook sees the last name.")
def shapes(student):
    got = [(name, tuple(shape)) for name, shape in student.record_shapes(_net(), mm.randn(5, 4))]
    expected = [("0", (5, 3)), ("1", (5, 3)), ("2.0", (5, 2)), ("2.1", (5, 2)), ("2", (5, 2)), ("", (5, 2))]
    assert got == expected, f"record_shapes gave {got}\nexpected {expected}"


@check("record_shapes removes its hooks",
       tip="Keep every handle and remove them all in a finally block, so they go even when forward fails.",
       hint="keep every handle that register_forward_hook returns and call handle.remove() "
       "in a finally block.")
def cleanup(student):
    model = _net()
    student.record_shapes(model, mm.randn(2, 4))
    assert _hook_count(model) == 0, f"{_hook_count(model)} hooks are still registered after record_shapes"

    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 4)

        def forward(self, x):
            self.linear(x)
            raise RuntimeError("boom")

    broken = Broken()
    try:
        student.record_shapes(broken, mm.randn(1, 4))
    except RuntimeError:
        pass
    assert _hook_count(broken) == 0, "when model(x) raises, the hooks must still be removed (use try/finally)"


@check("clamp_output clamps through a hook and returns a handle",
       tip="A forward hook that returns a tensor replaces the output; return the handle the registration "
       "gave you.",
       hint="return module.register_forward_hook(lambda module, args, output: output.clamp(low, high))")
def clamping(student):
    layer = nn.Linear(4, 4)
    x = mm.randn(8, 4) * 10
    raw = layer(x).numpy()
    handle = student.clamp_output(layer, -0.5, 0.5)
    assert hasattr(handle, "remove"), f"clamp_output returned {handle!r}, expected the hook's handle"
    out = layer(x)
    assert not isinstance(out, tuple), (
        "with your hook the layer returns a tuple: what a forward hook returns replaces the module's output, "
        "so return output.clamp(low, high) itself, not a tuple")
    np.testing.assert_allclose(layer(x).numpy(), np.clip(raw, -0.5, 0.5), rtol=1e-6,
                               err_msg="the output is not clamped to [-0.5, 0.5]")
    handle.remove()
    np.testing.assert_allclose(layer(x).numpy(), raw, rtol=1e-6,
                               err_msg="after handle.remove() the output is clamped still")


@check("grad_output_shapes records every Linear's grad_output",
       tip="Register a full backward hook on each Linear, run backward once, then remove the hooks.",
       hint="register_full_backward_hook(hook) with hook(module, grad_input, grad_output, name=name) "
       "(name=name as in record_shapes); only for isinstance(module, nn.Linear); then remove the handles.")
def backward(student):
    model = _net()
    with warnings.catch_warnings():  # the first layer's input needs no grad: PyTorch's warning says so
        warnings.simplefilter("ignore")
        shapes = student.grad_output_shapes(model, mm.randn(6, 4))
    got = {name: tuple(shape) for name, shape in shapes.items()}
    expected = {"0": (6, 3), "2.0": (6, 2)}
    assert got == expected, f"grad_output_shapes gave {got}, expected {expected}"
    assert _hook_count(model) == 0, "the backward hooks are still registered; remove them"
    assert model[0].weight.grad is not None, "call model(x).sum().backward() so the hooks fire"
