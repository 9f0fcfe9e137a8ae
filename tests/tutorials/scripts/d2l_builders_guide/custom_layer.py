# d2l.ai, Builders' Guide, 6.5 Custom Layers (d2l-en, chapter_builders-guide/custom-layer.md),
# its PyTorch cells one after another; the value a notebook cell displays is printed.

from d2l import torch as d2l
import torch
from torch import nn
from torch.nn import functional as F


# Layers without parameters
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


layer = CenteredLayer()
print(layer(d2l.tensor([1.0, 2, 3, 4, 5])))

net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())

Y = net(d2l.rand(4, 8))
print(Y.mean())


# Layers with parameters
class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


linear = MyLinear(5, 3)
print(linear.weight)

print(linear(torch.rand(2, 5)))

net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.rand(2, 64)))
