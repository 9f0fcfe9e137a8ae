"""Lesson 10 exercise: use nn.Module's insides. Check it with: minimod lessons --check 10"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def home_of(module, name):
    """Where module's attribute `name` lives: "_parameters", "_buffers", "_modules", "__dict__",
    or None if the module has no such attribute."""
    raise NotImplementedError("lesson 10, step 1: look in module._parameters, _buffers, _modules, __dict__")


def hook_count(model):
    """The number of forward pre-hooks, forward hooks, backward pre-hooks and backward hooks registered
    on all the modules of `model` (model.modules()) together."""
    raise NotImplementedError("lesson 10, step 3: add up the lengths of each module's hook dictionaries")


class Scale(nn.Module):
    """y = x * weight + bias; weight starts as ones, bias as zeros. Loads old checkpoints too, whose
    keys were `w` and `b` (renamed in _load_from_state_dict before the normal loading)."""

    def __init__(self, num_features):
        super().__init__()
        self.weight = nn.Parameter(mm.ones(num_features))
        self.bias = nn.Parameter(mm.zeros(num_features))

    def forward(self, x):
        return x * self.weight + self.bias

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        raise NotImplementedError("lesson 10, step 4: rename prefix + 'w' / prefix + 'b', then call super()")
