"""The models of PyTorch's "Modules" note (seed 003): MyLinear, Net, BigNet, DynamicNet, RunningMean."""

from __future__ import annotations

import minimod as mm
import minimod.nn.functional as F
from minimod import nn


class MyLinear(nn.Module):
    """A hand-written affine map y = x @ weight + bias (note: weight is (in, out), unlike nn.Linear).

    From seed 003 (PyTorch's "Modules" note, "A Simple Custom Module").
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(mm.randn(in_features, out_features))
        self.bias = nn.Parameter(mm.randn(out_features))

    def forward(self, input: mm.Tensor) -> mm.Tensor:
        return (input @ self.weight) + self.bias


class Net(nn.Module):
    """MyLinear(4, 3), ReLU, MyLinear(3, 1): two children, l0 and l1.

    From seed 003 ("Modules as Building Blocks").
    """

    def __init__(self) -> None:
        super().__init__()
        self.l0 = MyLinear(4, 3)
        self.l1 = MyLinear(3, 1)

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        x = self.l0(x)
        x = F.relu(x)
        x = self.l1(x)
        return x


class BigNet(nn.Module):
    """MyLinear(5, 4) followed by a whole Net: named_modules walks all the way down.

    From seed 003 ("Modules as Building Blocks").
    """

    def __init__(self) -> None:
        super().__init__()
        self.l1 = MyLinear(5, 4)
        self.net = Net()

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        return self.net(self.l1(x))


class DynamicNet(nn.Module):
    """num_layers MyLinear(4, 4) in a ModuleList; the activation is picked by name from a ModuleDict.

    From seed 003. Call it as ``dynamic_net(x, "relu")`` or ``dynamic_net(x, "lrelu")``.
    """

    def __init__(self, num_layers: int) -> None:
        super().__init__()
        self.linears = nn.ModuleList([MyLinear(4, 4) for _ in range(num_layers)])
        self.activations = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
        self.final = MyLinear(4, 1)

    def forward(self, x: mm.Tensor, act: str) -> mm.Tensor:
        for linear in self.linears:
            x = linear(x)
            x = self.activations[act](x)
        x = self.final(x)
        return x


class RunningMean(nn.Module):
    """Keeps mean = momentum · mean + (1 - momentum) · x in a buffer: state, but not learned.

    From seed 003 ("Module State"). ``mean`` is a persistent buffer, so it is in state_dict();
    ``unserialized_thing`` is the note's example of a buffer registered with persistent=False: it is
    in buffers() but left out of state_dict().
    """

    def __init__(self, num_features: int, momentum: float = 0.9) -> None:
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", mm.zeros(num_features))
        self.register_buffer("unserialized_thing", mm.randn(5), persistent=False)

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        # assigning a Tensor to a buffer's name replaces the buffer
        self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
        return self.mean
