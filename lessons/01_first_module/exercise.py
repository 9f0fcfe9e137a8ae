"""Lesson 1 exercise: write Modules of your own. Check it with: minimod lessons --check 1"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


class Scale(nn.Module):
    """y = x * weight + bias for `num_features` features, like SimpleModel.

    weight starts as mm.ones(num_features) and bias as mm.zeros(num_features); both are Parameters.
    """

    def __init__(self, num_features):
        super().__init__()
        raise NotImplementedError(
            "lesson 1, step 1: create the Parameters self.weight (ones) and self.bias (zeros)"
        )

    def forward(self, x):
        raise NotImplementedError("lesson 1, step 3: return x * self.weight + self.bias")


class MyLinear(nn.Module):
    """output = input @ weight + bias, with weight of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        raise NotImplementedError(
            "lesson 1, step 5: create Parameters weight (mm.randn(in_features, out_features)) "
            "and bias (mm.randn(out_features))"
        )

    def forward(self, input):
        raise NotImplementedError("lesson 1, step 5: return (input @ self.weight) + self.bias")


def count_parameters(model):
    """The number of learnable numbers in `model`: the sum of p.numel() over its parameters."""
    raise NotImplementedError("lesson 1, step 5: add up p.numel() for p in model.parameters()")
