"""Lesson 7 exercise: watch and change a model with hooks. Check it with: minimod lessons --check 7"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def record_shapes(model, x):
    """Run model(x) with a forward hook on every module (model.named_modules()) and return
    [(name, tuple(output.shape)), ...] in the order the hooks fired. Remove every hook afterwards,
    even if model(x) raises."""
    raise NotImplementedError("lesson 7, step 2: register_forward_hook on each module, keep the handles")


def clamp_output(module, low, high):
    """Register a forward hook on `module` that replaces its output by output.clamp(low, high);
    return the handle (so the caller can remove it)."""
    raise NotImplementedError("lesson 7, step 3: a forward hook that returns the new output")


def grad_output_shapes(model, x):
    """Run model(x).sum().backward() with a full backward hook on every nn.Linear in the model and
    return {name: tuple(grad_output[0].shape)}. Remove the hooks afterwards."""
    raise NotImplementedError("lesson 7, step 4: register_full_backward_hook on each nn.Linear")


_ = nn  # imported for you (isinstance(module, nn.Linear)); remove this line once you use it
