"""The benchmark models and train steps, written once against the shared API (minimod or torch).

Each ``make_*`` takes the library module (``minimod`` or ``torch``) and returns a zero-argument
callable that runs one step; all randomness comes from numpy, so every library sees the same data.
"""

from __future__ import annotations

import numpy as np

DATA_SEED = 0


def _data(lib, shape, classes):
    rng = np.random.default_rng(DATA_SEED)
    x = lib.tensor(rng.normal(size=shape).astype(np.float32))
    y = lib.tensor(rng.integers(0, classes, size=shape[0]).astype(np.int64))
    return x, y


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def convnet(lib):
    """The seeds' ConvNet (MegEngine's tutorial): conv-pool-conv-pool-fc-fc, ReLU after each."""
    nn, F = lib.nn, lib.nn.functional

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, 5)
            self.pool1 = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(10, 20, 5)
            self.pool2 = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = self.pool1(F.relu(self.conv1(x)))
            x = self.pool2(F.relu(self.conv2(x)))
            x = x.flatten(1)
            return F.relu(self.fc2(F.relu(self.fc1(x))))

    return ConvNet()


def small_resnet(lib):
    """conv3x3 3→16 + BN + ReLU, two residual blocks (conv-BN-ReLU-conv-BN + skip), pool, Linear."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(out)) + x)

    class SmallResNet(nn.Module):
        def __init__(self):
            super().__init__()
            conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
            self.stem = nn.Sequential(conv, nn.BatchNorm2d(16), nn.ReLU())
            self.blocks = nn.Sequential(Block(16), Block(16))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            return self.fc(self.pool(self.blocks(self.stem(x))).flatten(1))

    return SmallResNet()


def _train_step(lib, model, x, y):
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    F = lib.nn.functional

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def make_mlp_step(lib):
    lib.manual_seed(0)
    x, y = _data(lib, (64, 784), 10)
    return _train_step(lib, mlp(lib), x, y)


def make_tiny_mlp_step(lib):
    """The MLP's train step on a model too small for its arithmetic to count (4-4-4-3, batch 2): what
    each library adds around the arithmetic (the graph, dispatching to kernels, the optimizer's loop)."""
    lib.manual_seed(0)
    nn = lib.nn
    x, y = _data(lib, (2, 4), 3)
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
    return _train_step(lib, model, x, y)


def make_convnet_step(lib):
    lib.manual_seed(0)
    x, y = _data(lib, (32, 1, 28, 28), 10)
    return _train_step(lib, convnet(lib), x, y)


def make_resnet_step(lib):
    lib.manual_seed(0)
    x, y = _data(lib, (16, 3, 32, 32), 10)
    return _train_step(lib, small_resnet(lib), x, y)


OPS_PER_CALL = 100


def make_op_overhead(lib):
    """a = a * w + b on shape (4,), backward every 100 ops; one call = 100 iterations (200 ops)."""
    w = lib.tensor(np.full(4, 0.999, np.float32), requires_grad=True)
    b = lib.tensor(np.full(4, 0.001, np.float32), requires_grad=True)
    start = np.ones(4, np.float32)

    def step():
        a = lib.tensor(start)
        for _ in range(OPS_PER_CALL):
            a = a * w + b
        a.sum().backward()

    return step


def _hooked(lib, hooked):
    """The ConvNet's forward (batch 32, no grad); hooked: a pre-hook and a forward hook on every module.

    The pre-hook records the input shapes. The forward hook records the output's shape and statistics,
    each library the way its user would: minimod's calls the inspector's own `tensor_stats` (NaN/inf
    counts, mean, std, min, max over the finite values: what `minimod inspect` records per module);
    torch's calls `output.mean().item()` and `output.std().item()` (torch's ops; its std is the
    sample one, ddof=1). The numpy reference records numpy's mean and std of each layer. So minimod's
    hook does somewhat more work than the others'.
    """
    lib.manual_seed(0)
    model = convnet(lib)
    x, _ = _data(lib, (32, 1, 28, 28), 10)
    records = []
    if hooked:
        def pre_hook(module, args):
            records.append(tuple(tuple(a.shape) for a in args))

        if lib.__name__ == "minimod":
            from inspector.events import tensor_stats

            def forward_hook(module, args, output):
                records.append((tuple(output.shape), tensor_stats(output)))
        else:
            def forward_hook(module, args, output):
                records.append((tuple(output.shape), output.mean().item(), output.std().item()))

        for module in model.modules():
            module.register_forward_pre_hook(pre_hook)
            module.register_forward_hook(forward_hook)

    def step():
        records.clear()
        with lib.no_grad():
            return model(x)

    return step


HOOKED_MODULES = 7  # the ConvNet and its six layers: model.modules(), each hooked by _hooked


def make_forward_plain(lib):
    return _hooked(lib, hooked=False)


def make_forward_hooked(lib):
    return _hooked(lib, hooked=True)


FRESH_PROCESS_CODE = """
import {lib} as lib
from benchmarks.models import make_convnet_step
make_convnet_step(lib)()
"""
