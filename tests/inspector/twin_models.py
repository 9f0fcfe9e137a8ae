"""The same architectures written once against the API minimod shares with PyTorch, built with either
library: `build(name, lib)` with `lib` the minimod or the torch module. The bridge's tests open each one
in both libraries and expect the same tree, state_dict keys, trace events and diagram nodes."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np


def convnet(lib: ModuleType):
    """The seeds' ConvNet (PyTorch's modules note)."""
    nn, F = lib.nn, lib.nn.functional

    class ConvNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.pool2 = nn.MaxPool2d(2)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = self.pool1(F.relu(self.conv1(x)))
            x = self.pool2(F.relu(self.conv2(x)))
            x = x.flatten(1)
            x = F.relu(self.fc1(x))
            return self.fc2(x)

    return ConvNet(), (2, 1, 28, 28)


def resnet(lib: ModuleType):
    """A small ResNet in torchvision's style: BatchNorm, ReLU(inplace=True), `out += identity`, a
    downsampling shortcut, and identical blocks in a Sequential (which fold in the diagrams)."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                                nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self, classes: int = 10) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 8))
            self.layer2 = nn.Sequential(BasicBlock(8, 16, stride=2), BasicBlock(16, 16))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16, classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer2(self.layer1(x))
            x = self.avgpool(x)
            x = lib.flatten(x, 1)
            return self.fc(x)

    return ResNet(), (2, 3, 16, 16)


def transformer_block(lib: ModuleType):
    """A pre-norm transformer block with causal self-attention, as nanoGPT writes it."""
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, dim: int, heads: int, context: int) -> None:
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)
            self.drop = nn.Dropout(0.1)
            self.register_buffer("mask", lib.tril(lib.ones(context, context)).view(1, 1, context, context))

        def forward(self, x):
            batch, length, dim = x.shape
            q, k, v = self.qkv(x).split(dim, dim=2)
            q = q.view(batch, length, self.heads, dim // self.heads).transpose(1, 2)
            k = k.view(batch, length, self.heads, dim // self.heads).transpose(1, 2)
            v = v.view(batch, length, self.heads, dim // self.heads).transpose(1, 2)
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            scores = scores.masked_fill(self.mask[:, :, :length, :length] == 0, float("-inf"))
            weights = self.drop(F.softmax(scores, dim=-1))
            y = (weights @ v).transpose(1, 2).reshape(batch, length, dim)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self, dim: int = 16, heads: int = 2, context: int = 8) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(dim)
            self.attn = CausalSelfAttention(dim, heads, context)
            self.ln_2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim),
                                     nn.Dropout(0.1))

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    return Block(), (2, 8, 16)


def tied_language_model(lib: ModuleType):
    """An embedding whose weight the output layer shares (weight tying), and a non-persistent buffer."""
    nn = lib.nn

    class TiedLM(nn.Module):
        def __init__(self, vocab: int = 12, dim: int = 6) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.hidden = nn.Linear(dim, dim)
            self.decoder = nn.Linear(dim, vocab, bias=False)
            self.decoder.weight = self.embed.weight  # tied: one Parameter, two names
            self.register_buffer("scale", lib.ones(dim) * 0.5, persistent=False)

        def forward(self, tokens):
            h = lib.tanh(self.hidden(self.embed(tokens))) * self.scale
            return self.decoder(h).mean(dim=1)

    return TiedLM(), None


TWINS = {
    "convnet": convnet,
    "resnet": resnet,
    "transformer_block": transformer_block,
    "tied": tied_language_model,
}


def build(name: str, lib: ModuleType, seed: int = 0):
    """(model, example input) of twin `name` in `lib`; the input's values are the same in both libraries,
    and so are the weights, copied from the minimod build seeded with `seed`."""
    lib.manual_seed(seed)
    model, shape = TWINS[name](lib)
    generator = np.random.default_rng(seed)
    if shape is None:  # token ids
        values = generator.integers(0, 12, size=(3, 5)).astype(np.int64)
    else:
        values = generator.standard_normal(shape).astype(np.float32)
    return model, lib.from_numpy(values)
