"""Lesson 1 reference solution: Scale, MyLinear and count_parameters."""

import minimod as mm
from minimod import nn


class Scale(nn.Module):
    """y = x * weight + bias for `num_features` features, like SimpleModel."""

    def __init__(self, num_features):
        super().__init__()
        self.weight = nn.Parameter(mm.ones(num_features))
        self.bias = nn.Parameter(mm.zeros(num_features))

    def forward(self, x):
        return x * self.weight + self.bias


class MyLinear(nn.Module):
    """output = input @ weight + bias, with weight of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(mm.randn(in_features, out_features))
        self.bias = nn.Parameter(mm.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


def count_parameters(model):
    """The number of learnable numbers in `model`: the sum of p.numel() over its parameters."""
    return sum(p.numel() for p in model.parameters())
