"""Lesson 10 reference solution: home_of, hook_count and a Scale that loads its old key names."""

import minimod as mm
from minimod import nn


def home_of(module, name):
    """Where module's attribute `name` lives, or None."""
    for home in ("_parameters", "_buffers", "_modules"):
        if name in getattr(module, home):
            return home
    return "__dict__" if name in module.__dict__ else None


def hook_count(model):
    """All the forward (pre-) and backward (pre-) hooks registered on the modules of `model`."""
    return sum(len(module._forward_pre_hooks) + len(module._forward_hooks) + len(module._backward_pre_hooks)
               + len(module._backward_hooks) for module in model.modules())


class Scale(nn.Module):
    """y = x * weight + bias, loading old checkpoints whose keys were w and b."""

    OLD_NAMES = {"w": "weight", "b": "bias"}

    def __init__(self, num_features):
        super().__init__()
        self.weight = nn.Parameter(mm.ones(num_features))
        self.bias = nn.Parameter(mm.zeros(num_features))

    def forward(self, x):
        return x * self.weight + self.bias

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        for old, new in self.OLD_NAMES.items():
            if prefix + old in state_dict:
                state_dict[prefix + new] = state_dict.pop(prefix + old)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
