"""A multilayer perceptron for 28x28 images: 784 -> 256 -> 128 -> 10 with ReLU in between."""

from __future__ import annotations

from minimod import nn


def mlp(in_features: int = 784, hidden: tuple[int, ...] = (256, 128), num_classes: int = 10) -> nn.Sequential:
    """Flatten, then Linear/ReLU pairs, then a final Linear giving one score per class.

    Not from a seed: the plain fully connected baseline to compare with ConvNet. Built as an
    nn.Sequential, so the children are named 0, 1, 2, ... in order.
    """
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)
