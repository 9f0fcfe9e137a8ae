"""nn.LazyLinear and UninitializedParameter: parameters made on the first call, as in torch."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import minimod as mm
from minimod import nn, optim
from minimod.nn.parameter import UninitializedParameter


def test_before_the_first_call():
    layer = nn.LazyLinear(10)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=10, bias=True)"
    assert repr(nn.LazyLinear(3, bias=False)) == "LazyLinear(in_features=0, out_features=3, bias=False)"
    assert repr(layer.weight) == "<UninitializedParameter>"
    assert isinstance(layer.weight, UninitializedParameter)
    assert isinstance(layer, nn.Linear) and layer.has_uninitialized_params()
    assert layer.weight.dtype == mm.float32 and layer.weight.requires_grad and layer.weight.grad is None
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        _ = layer.weight.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        layer.weight + 1
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"] and state["weight"] is layer.weight


def test_the_first_call_sizes_initializes_and_becomes_a_linear():
    mm.manual_seed(0)
    layer = nn.LazyLinear(3)
    weight = layer.weight
    out = layer(mm.ones(2, 4))
    assert out.shape == (2, 3) and out.grad_fn.name() == "AddmmBackward0"
    assert type(layer) is nn.Linear and repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"
    assert layer.weight is weight and type(weight) is nn.Parameter and weight.shape == (3, 4)
    assert np.abs(weight.numpy()).max() <= 0.5  # Linear's U(-1/√4, 1/√4)
    assert not layer._forward_pre_hooks and not layer._load_state_dict_pre_hooks


def test_an_optimizer_made_before_the_first_call_trains_the_parameters():
    layer = nn.LazyLinear(1)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    before = None
    for _ in range(3):
        loss = (layer(mm.ones(4, 2)) - 1).pow(2).mean()
        before = before if before is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < before


def test_loading_a_state_dict_gives_the_saved_shapes():
    """d2l's File I/O: a fresh lazy model loads parameters saved from a trained one."""
    trained = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    x = mm.rand(3, 5)
    y = trained(x)
    clone = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    clone.load_state_dict(trained.state_dict())
    assert type(clone[0]) is nn.LazyLinear and clone[0].weight.shape == (4, 5)
    assert np.array_equal(clone(x).numpy(), y.numpy()) and type(clone[0]) is nn.Linear
    assert clone[0].in_features == 5


def test_dtype_changes_and_copies_before_the_first_call():
    layer = nn.LazyLinear(2).double()
    assert layer.weight.dtype == mm.float64 and layer(mm.ones(1, 3, dtype=mm.float64)).dtype == mm.float64
    twin = copy.deepcopy(nn.Sequential(nn.LazyLinear(2)))
    assert twin(mm.ones(1, 6)).shape == (1, 2) and type(twin[0]) is nn.Linear
    assert nn.LazyLinear(2).weight.data.shape == (0,)  # torch's .data: an empty tensor of the dtype


def test_against_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(ours) == repr(theirs) and repr(ours.weight) == repr(theirs.weight)
    ours(mm.ones(2, 7))
    theirs(torch.ones(2, 7))
    assert repr(ours) == repr(theirs) and type(ours).__name__ == type(theirs).__name__ == "Linear"
    with pytest.raises(IndexError):
        nn.LazyLinear(3)(mm.tensor(1.0))
    with pytest.raises(IndexError):
        torch.nn.LazyLinear(3)(torch.tensor(1.0))
