"""Sequential, ModuleList and ModuleDict: torch's indexing, editing and mapping behaviour."""

from __future__ import annotations

from collections import OrderedDict

import pytest

import minimod as mm
from minimod import nn


def _names(module):
    return list(module._modules)


# --- Sequential --------------------------------------------------------------------------------


def test_sequential_positional_and_ordered_dict():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert _names(seq) == ["0", "1", "2"]
    assert seq(mm.randn(5, 3)).shape == (5, 2)
    named = nn.Sequential(OrderedDict([("conv1", nn.Linear(3, 3)), ("relu1", nn.ReLU())]))
    assert _names(named) == ["conv1", "relu1"]
    assert named.conv1 is named[0]
    assert [n for n, _ in named.named_parameters()] == ["conv1.weight", "conv1.bias"]


def test_sequential_indexing_slicing_and_len():
    layers = [nn.ReLU(), nn.Tanh(), nn.Sigmoid()]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3
    assert seq[0] is layers[0] and seq[-1] is layers[2] and seq[-3] is layers[0]
    part = seq[1:]
    assert type(part) is nn.Sequential and list(part) == layers[1:]
    assert _names(part) == ["1", "2"]  # slicing keeps the names, as torch does
    assert list(seq[::-1]) == layers[::-1]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        seq[-4]
    assert list(iter(seq)) == layers


def test_sequential_editing():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    tanh = seq[1]
    del seq[0]
    assert _names(seq) == ["0", "1"] and seq[0] is tanh  # renumbered
    assert seq.append(nn.GELU()) is seq
    seq.insert(0, nn.ReLU())
    seq.insert(-1, nn.LeakyReLU())
    assert [type(m).__name__ for m in seq] == ["ReLU", "Tanh", "Sigmoid", "LeakyReLU", "GELU"]
    with pytest.raises(IndexError, match="Index out of range: 10"):
        seq.insert(10, nn.ReLU())
    seq.extend(nn.Sequential(nn.Tanh(), nn.Tanh()))
    assert len(seq) == 7
    del seq[2:5]
    assert [type(m).__name__ for m in seq] == ["ReLU", "Tanh", "Tanh", "Tanh"]
    replacement = nn.Sigmoid()
    seq[-1] = replacement
    assert seq[3] is replacement
    assert isinstance(seq.pop(0), nn.ReLU) and len(seq) == 3
    doubled = seq + nn.Sequential(nn.ReLU())
    assert len(doubled) == 4 and len(seq) == 3
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        seq + [nn.ReLU()]
    assert len(seq * 2) == 6
    seq += nn.Sequential(nn.ReLU())
    assert len(seq) == 4


def test_sequential_matches_torch_structure():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.ReLU())
    theirs = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh(), torch.nn.Sigmoid(), torch.nn.ReLU())
    for edit in (lambda s: s.__delitem__(1), lambda s: s.insert(-2, type(s[0])()), lambda s: s.__delitem__(
            slice(0, None, 2))):
        edit(ours)
        edit(theirs)
        assert _names(ours) == list(theirs._modules)
        assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]


# --- ModuleList --------------------------------------------------------------------------------


def test_module_list_api():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and _names(layers) == ["0", "1", "2"]
    first = layers[0]
    assert layers[-3] is first
    assert type(layers[1:]) is nn.ModuleList and len(layers[1:]) == 2
    with pytest.raises(IndexError, match="index 3 is out of range"):
        layers[3]
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh(), nn.Sigmoid()])
    layers.insert(1, nn.GELU())
    assert [type(m).__name__ for m in layers] == [
        "Linear", "GELU", "Linear", "Linear", "ReLU", "Tanh", "Sigmoid",
    ]
    layers += [nn.ReLU()]
    assert len(layers) == 8
    del layers[0]
    assert _names(layers) == [str(i) for i in range(7)]
    assert isinstance(layers.pop(-1), nn.ReLU)
    combined = layers + nn.ModuleList([nn.ReLU()])
    assert type(combined) is nn.ModuleList and len(combined) == len(layers) + 1
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        layers.extend(3)
    assert [n for n, _ in nn.ModuleList([nn.Linear(2, 3)]).named_parameters()] == ["0.weight", "0.bias"]


def test_module_list_registers_children_for_parameters_and_mode():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(2))

    stack = Stack()
    assert [n for n, _ in stack.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
    ]
    stack.eval()
    assert not stack.layers[1].training


# --- ModuleDict --------------------------------------------------------------------------------


def test_module_dict_mapping_api():
    acts = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
    assert list(acts) == ["relu", "lrelu"] and len(acts) == 2
    assert "relu" in acts and "tanh" not in acts
    assert isinstance(acts["relu"], nn.ReLU)
    with pytest.raises(KeyError):
        acts["tanh"]
    acts["tanh"] = nn.Tanh()
    assert list(acts.keys()) == ["relu", "lrelu", "tanh"]
    assert [type(v).__name__ for v in acts.values()] == ["ReLU", "LeakyReLU", "Tanh"]
    assert [k for k, _ in acts.items()] == ["relu", "lrelu", "tanh"]
    acts.update([("sig", nn.Sigmoid()), ("relu", nn.GELU())])
    assert list(acts) == ["relu", "lrelu", "tanh", "sig"] and isinstance(acts["relu"], nn.GELU)
    acts.update(nn.ModuleDict({"id": nn.Identity()}))
    assert isinstance(acts.pop("lrelu"), nn.LeakyReLU) and "lrelu" not in acts
    del acts["tanh"]
    assert list(acts) == ["relu", "sig", "id"]
    acts.clear()
    assert len(acts) == 0
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable of key/value"):
        acts.update(3)
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; 2 is required"):
        acts.update([("a", nn.ReLU(), 1)])
    with pytest.raises(KeyError, match="got: a.b"):
        acts["a.b"] = nn.ReLU()


def test_module_dict_in_a_model():
    class DynamicNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.activations = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
            self.final = nn.Linear(4, 1)

        def forward(self, x, act):
            return self.final(self.activations[act](x))

    net = DynamicNet()
    assert net(mm.randn(4), "lrelu").shape == (1,)
    assert [n for n, _ in net.named_modules()] == ["", "activations", "activations.relu",
                                                   "activations.lrelu", "final"]
