"""Lesson 2 reference solution: RunningMean with a persistent and a non-persistent buffer; split_state."""

import minimod as mm
from minimod import nn


class RunningMean(nn.Module):
    """Keeps a running mean of its inputs in the buffer `mean`, and counts calls in the buffer `calls`."""

    def __init__(self, num_features, momentum=0.9):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", mm.zeros(num_features))
        self.register_buffer("calls", mm.tensor(0), persistent=False)

    def forward(self, x):
        self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
        self.calls = self.calls + 1
        return self.mean


def split_state(module):
    """Return (parameter_names, buffer_names)."""
    return [name for name, _ in module.named_parameters()], [name for name, _ in module.named_buffers()]
