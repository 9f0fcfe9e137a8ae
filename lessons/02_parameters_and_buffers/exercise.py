"""Lesson 2 exercise: buffers, persistent and not. Check it with: minimod lessons --check 2"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


class RunningMean(nn.Module):
    """Keeps a running mean of its inputs in the buffer `mean`, and counts calls in the buffer `calls`.

    - `mean`: a persistent buffer, mm.zeros(num_features) at the start (it is in the state dict);
    - `calls`: a NON-persistent buffer, mm.tensor(0) at the start, one more after every forward call;
    - forward(x): mean = momentum * mean + (1 - momentum) * x; add 1 to calls; return the new mean.
    """

    def __init__(self, num_features, momentum=0.9):
        super().__init__()
        self.momentum = momentum
        raise NotImplementedError(
            "lesson 2, step 3: register the buffer 'mean' (zeros) and, in step 5, "
            "the non-persistent buffer 'calls' (mm.tensor(0), persistent=False)"
        )

    def forward(self, x):
        raise NotImplementedError("lesson 2, step 3: update self.mean and self.calls, return self.mean")


def split_state(module):
    """Return (parameter_names, buffer_names): two lists of names, as named_parameters() and
    named_buffers() give them."""
    raise NotImplementedError("lesson 2, step 1: use module.named_parameters() and module.named_buffers()")
