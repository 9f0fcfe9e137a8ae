"""The MegEngine seeds' models: SimpleModel, BaseNet/NestedNet (seed 000) and ConvNet (seed 001)."""

from __future__ import annotations

import minimod as mm
import minimod.nn.functional as F
from minimod import nn


class SimpleModel(nn.Module):
    """y = x * weight + bias, with hand-written Parameters and no built-in layers.

    From seed 000 (MegEngine, "Module base class concept and interface introduction"). MegEngine
    writes ``Parameter([1, 2, 3, 4])``, which makes int32 parameters; minimod uses float32 values so
    the model can be differentiated (only floating tensors can require gradients).
    """

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(mm.tensor([1.0, 2.0, 3.0, 4.0]))
        self.bias = nn.Parameter(mm.tensor([0.0, 0.0, 1.0, 1.0]))

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        return x * self.weight + self.bias


class BaseNet(nn.Module):
    """One Linear(4, 3): the inner block of NestedNet.

    From seed 000. The seed's ``forward`` returns ``self.net(x)``, an attribute that does not exist;
    the layer is called ``self.linear``, so that is what forward uses here.
    """

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        return self.linear(x)


class NestedNet(nn.Module):
    """BaseNet, then ReLU, then Linear(3, 2): a module tree two levels deep.

    From seed 000. The seed's ``forward`` forgets to ``return x``; here it returns the output.
    """

    def __init__(self) -> None:
        super().__init__()
        self.base_net = BaseNet()
        self.relu = nn.ReLU()
        self.linear = nn.Linear(3, 2)

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        x = self.base_net(x)
        x = self.relu(x)
        x = self.linear(x)
        return x


class ConvNet(nn.Module):
    """A LeNet-style classifier for 1x28x28 images: two conv + max-pool stages, then two Linear layers.

    From seed 001 (MegEngine, "Defining a model structure with Module"), layer for layer. The seed
    also applies ReLU after fc2, so the ten outputs are never negative.
    """

    def __init__(self) -> None:
        # this is the place where you instantiate all your modules;
        # you can later access them using the same names you've given them here
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    # forward defines the network structure: (N, 1, 28, 28) -> (N, 10)
    def forward(self, input: mm.Tensor) -> mm.Tensor:
        x = self.pool1(F.relu(self.conv1(input)))  # (N, 10, 12, 12)
        x = self.pool2(F.relu(self.conv2(x)))  # (N, 20, 4, 4)
        x = F.flatten(x, 1)  # (N, 320)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return x
