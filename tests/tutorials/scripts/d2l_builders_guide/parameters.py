# d2l.ai, Builders' Guide, 6.2 Parameter Management (d2l-en, chapter_builders-guide/parameters.md),
# its PyTorch cells one after another; the value a notebook cell displays is printed.

import torch
from torch import nn

net = nn.Sequential(nn.LazyLinear(8),
                    nn.ReLU(),
                    nn.LazyLinear(1))

X = torch.rand(size=(2, 4))
print(net(X).shape)

# Parameter access
print(net[2].state_dict())

# Targeted parameters
print(type(net[2].bias), net[2].bias.data)
print(net[2].weight.grad == None)  # noqa: E711 - the book's comparison

# All parameters at once
print([(name, param.shape) for name, param in net.named_parameters()])

# Tied parameters: give the shared layer a name so its parameters can be referred to
shared = nn.LazyLinear(8)
net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(),
                    shared, nn.ReLU(),
                    shared, nn.ReLU(),
                    nn.LazyLinear(1))

net(X)
# Check whether the parameters are the same
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0, 0] = 100
# They are the same object, not just equal values
print(net[2].weight.data[0] == net[4].weight.data[0])
