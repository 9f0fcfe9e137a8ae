"""Module reprs: torch's layout, extra_repr, None children, and ModuleList's folding of identical runs."""

from __future__ import annotations

import pytest

import minimod as mm
from minimod import nn


def _convnet(lib):
    """The seeds' ConvNet, built with either library."""

    class ConvNet(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 10, 5)
            self.pool1 = lib.nn.MaxPool2d(2, 2)
            self.conv2 = lib.nn.Conv2d(10, 20, 5)
            self.pool2 = lib.nn.MaxPool2d(2, 2)
            self.fc1 = lib.nn.Linear(320, 50)
            self.fc2 = lib.nn.Linear(50, 10)

    return ConvNet()


def _nested(lib):
    class BaseNet(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = lib.nn.Linear(4, 3)

    class NestedNet(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.base_net = BaseNet()
            self.relu = lib.nn.ReLU()
            self.linear = lib.nn.Linear(3, 2)

    net = NestedNet()
    net.basenet = lib.nn.Linear(5, 3)  # the seed's "change the structure" step
    return net


def _containers(lib):
    return lib.nn.Sequential(
        lib.nn.ModuleList([lib.nn.Linear(4, 4) for _ in range(3)] + [lib.nn.ReLU()]
                          + [lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())] * 2 + [lib.nn.Tanh()]),
        lib.nn.ModuleDict({"act": lib.nn.ReLU(), "empty": lib.nn.Sequential()}),
        lib.nn.ModuleList(),
        lib.nn.Sequential(*[lib.nn.Linear(4, 4) for _ in range(3)]),  # Sequential does not fold
    )


def _layers(lib):
    return lib.nn.Sequential(
        lib.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), lib.nn.BatchNorm2d(8), lib.nn.Dropout(0.2),
        lib.nn.Flatten(), lib.nn.Linear(8, 2, bias=False), lib.nn.LogSoftmax(dim=1), lib.nn.Identity(),
    )


@pytest.mark.parametrize("build", [_convnet, _nested, _containers, _layers])
def test_repr_equals_torchs(build):
    torch = pytest.importorskip("torch")
    assert repr(build(mm)) == repr(build(torch))


def test_convnet_repr_is_torchs_layout():
    # the seed (MegEngine) prints Conv2d/MaxPool2d with fewer fields; minimod follows PyTorch 2.13
    assert repr(_convnet(mm)) == (
        "ConvNet(\n"
        "  (conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (pool1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (conv2): Conv2d(10, 20, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (pool2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (fc1): Linear(in_features=320, out_features=50, bias=True)\n"
        "  (fc2): Linear(in_features=50, out_features=10, bias=True)\n"
        ")"
    )


def test_nested_repr_after_changing_the_structure():
    assert repr(_nested(mm)) == (
        "NestedNet(\n"
        "  (base_net): BaseNet(\n"
        "    (linear): Linear(in_features=4, out_features=3, bias=True)\n"
        "  )\n"
        "  (relu): ReLU()\n"
        "  (linear): Linear(in_features=3, out_features=2, bias=True)\n"
        "  (basenet): Linear(in_features=5, out_features=3, bias=True)\n"
        ")"
    )


def test_module_list_folds_identical_neighbours():
    layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)] + [nn.ReLU()]
                           + [nn.Sequential(nn.Linear(2, 2), nn.ReLU())] * 2)
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)\n"
        "  (3): ReLU()\n"
        "  (4-5): 2 x Sequential(\n"
        "    (0): Linear(in_features=2, out_features=2, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 3), nn.Linear(4, 4)])).count(" x ") == 0


def test_extra_repr_single_and_multi_line_and_none_children():
    class One(nn.Module):
        def extra_repr(self):
            return "size=3"

    class Many(nn.Module):
        def __init__(self):
            super().__init__()
            self.child = One()
            self.register_module("missing", None)

        def extra_repr(self):
            return "first=1\nsecond=2"

    assert repr(One()) == "One(size=3)"
    assert repr(Many()) == (
        "Many(\n  first=1\n  second=2\n  (child): One(size=3)\n  (missing): None\n)"
    )
    assert repr(nn.Module()) == "Module()"


def test_parameter_repr():
    torch = pytest.importorskip("torch")
    ours = nn.Parameter(mm.zeros(2, 3))
    theirs = torch.nn.Parameter(torch.zeros(2, 3))
    assert repr(ours) == repr(theirs)
    assert repr(ours).startswith("Parameter containing:\ntensor(")
    assert repr(nn.Parameter(mm.zeros(2), requires_grad=False)) == repr(
        torch.nn.Parameter(torch.zeros(2), requires_grad=False))
