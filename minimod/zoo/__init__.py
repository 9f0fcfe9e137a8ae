"""The zoo: built-in example models, each with a fresh-model builder and an example input."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import minimod as mm
from minimod.errors import UserError
from minimod.nn import Module

from .megengine import BaseNet, ConvNet, NestedNet, SimpleModel
from .mlp import mlp
from .nnabla import ConvBn, ResUnit
from .pytorch_note import BigNet, DynamicNet, MyLinear, Net, RunningMean
from .resnet import BasicBlock, ResNet, resnet18
from .transformer import MultiHeadSelfAttention, TransformerBlock

DEFAULT = "convnet"

# short labels for the seed documents in ../shared/seeds (README.md there describes each one)
SEEDS = {
    "000": "seed 000 (MegEngine)",
    "001": "seed 001 (MegEngine)",
    "003": "seed 003 (PyTorch note)",
    "004": "seed 004 (nnabla)",
}


@dataclass(frozen=True)
class ZooEntry:
    """One built-in model: ``build()`` makes a fresh Module, ``example_input()`` something to feed it.

    ``example_input()`` returns a Tensor, or a tuple of forward's positional arguments
    (``dynamic_net`` takes ``(x, "relu")``); ``example_args()`` always gives the tuple.
    """

    name: str
    description: str
    source: str
    build: Callable[[], Module]
    example_input: Callable[[], Any]

    def example_args(self) -> tuple:
        example = self.example_input()
        return example if isinstance(example, tuple) else (example,)


def _example(*shape: int, seed: int = 0) -> mm.Tensor:
    """A fixed standard-normal float32 input: the same numbers every time, whatever mm.manual_seed says."""
    return mm.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


_ENTRIES = [
    ZooEntry("simple_model", "x * weight + bias, two hand-made Parameters", SEEDS["000"],
             SimpleModel, lambda: _example(2, 4)),
    ZooEntry("nested_net", "BaseNet (Linear 4->3) nested in NestedNet, ReLU, Linear 3->2", SEEDS["000"],
             NestedNet, lambda: _example(2, 4)),
    ZooEntry("convnet", "LeNet-style CNN for 1x28x28 images: 2 conv+pool, 2 Linear", SEEDS["001"],
             ConvNet, lambda: _example(1, 1, 28, 28)),
    ZooEntry("my_linear", "hand-written affine layer: input @ weight + bias (4->3)", SEEDS["003"],
             lambda: MyLinear(4, 3), lambda: _example(4)),
    ZooEntry("net", "two MyLinear (4->3->1) with a ReLU between", SEEDS["003"],
             Net, lambda: _example(4)),
    ZooEntry("big_net", "MyLinear(5, 4) feeding a Net: modules nested 3 deep", SEEDS["003"],
             BigNet, lambda: _example(5)),
    ZooEntry("dynamic_net", "ModuleList of 3 MyLinear, activation picked from a ModuleDict",
             SEEDS["003"], lambda: DynamicNet(3), lambda: (_example(4), "relu")),
    ZooEntry("running_mean", "running mean kept in a buffer; a non-persistent buffer", SEEDS["003"],
             lambda: RunningMean(4), lambda: _example(4)),
    ZooEntry("conv_bn", "Conv2d 3x3 (no bias) -> BatchNorm2d -> ReLU", SEEDS["004"],
             lambda: ConvBn(3, 16, kernel=3, act=mm.nn.ReLU()), lambda: _example(1, 3, 32, 32)),
    ZooEntry("res_unit", "bottleneck residual unit: 1x1, 3x3, 1x1 ConvBn + 1x1 skip",
             SEEDS["004"], lambda: ResUnit(3, 64), lambda: _example(1, 3, 32, 32)),
    ZooEntry("mlp", "multilayer perceptron 784-256-128-10 with ReLU", "minimod",
             mlp, lambda: _example(1, 1, 28, 28)),
    ZooEntry("resnet18", "ResNet-18 for 32x32 images, torchvision's names",
             "torchvision (CIFAR stem)", resnet18,
             lambda: _example(1, 3, 32, 32)),
    ZooEntry("transformer_block", "pre-norm transformer block: 4-head attention, GELU MLP",
             "minimod", TransformerBlock, lambda: _example(1, 8, 32)),
]

ZOO: OrderedDict[str, ZooEntry] = OrderedDict((entry.name, entry) for entry in _ENTRIES)


class UnknownModelError(UserError, KeyError):
    """A zoo name that is not in the zoo (a KeyError, and a UserError for the command line)."""

    def __str__(self) -> str:
        return str(self.args[0])  # KeyError would show the message in quotes


def get(name: str) -> ZooEntry:
    """The zoo entry called name; an unknown name raises UnknownModelError listing the names there are."""
    try:
        return ZOO[name]
    except KeyError:
        raise UnknownModelError(
            f"no model named {name!r} in the zoo; choose one of: {', '.join(ZOO)} (see `minimod zoo`)"
        ) from None


def names() -> list[str]:
    return list(ZOO)


__all__ = [
    "ZOO", "DEFAULT", "ZooEntry", "UnknownModelError", "get", "names",
    "SimpleModel", "BaseNet", "NestedNet", "ConvNet", "MyLinear", "Net", "BigNet", "DynamicNet",
    "RunningMean", "ConvBn", "ResUnit", "mlp", "ResNet", "BasicBlock", "resnet18",
    "MultiHeadSelfAttention", "TransformerBlock",
]
