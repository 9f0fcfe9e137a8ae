"""F.binary_cross_entropy(_with_logits), nn.BCELoss and nn.BCEWithLogitsLoss: values, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
import minimod.nn.functional as F
from minimod import nn
from tests.gradcheck import check_gradients, compare_with_torch

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(scale=2.0, size=(4, 3))
PROBS = 1 / (1 + np.exp(-LOGITS))
TARGETS = RNG.uniform(size=(4, 3))
WEIGHT = RNG.uniform(0.5, 2.0, size=(3,))


def _lib(tensor):
    return F if isinstance(tensor, mm.Tensor) else __import__("torch").nn.functional


def _weight(tensor, values):
    return mm.tensor(values.astype(tensor.dtype)) if isinstance(tensor, mm.Tensor) else \
        __import__("torch").tensor(values.astype(np.dtype(str(tensor.dtype).split(".")[1])))


CASES = [
    ("bce", PROBS, lambda x, y: _lib(x).binary_cross_entropy(x, y)),
    ("bce_sum_weight", PROBS,
     lambda x, y: _lib(x).binary_cross_entropy(x, y, _weight(x, WEIGHT), reduction="sum")),
    ("bce_none", PROBS, lambda x, y: _lib(x).binary_cross_entropy(x, y, reduction="none")),
    ("logits", LOGITS, lambda x, y: _lib(x).binary_cross_entropy_with_logits(x, y)),
    ("logits_pos_weight", LOGITS,
     lambda x, y: _lib(x).binary_cross_entropy_with_logits(x, y, pos_weight=_weight(x, WEIGHT))),
    ("logits_both_none", LOGITS, lambda x, y: _lib(x).binary_cross_entropy_with_logits(
        x, y, weight=_weight(x, WEIGHT), pos_weight=_weight(x, WEIGHT[::-1].copy()), reduction="none")),
]


@pytest.mark.parametrize("name,inputs,fn", CASES, ids=[name for name, _, _ in CASES])
def test_gradients_by_central_differences(name, inputs, fn):
    check_gradients(fn, inputs, TARGETS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,inputs,fn", CASES, ids=[name for name, _, _ in CASES])
def test_against_torch(name, inputs, fn, dtype):
    compare_with_torch(fn, fn, inputs.astype(dtype), TARGETS.astype(dtype), dtype=dtype)


def test_logits_never_overflow_and_probabilities_0_or_1_stay_finite():
    loss = F.binary_cross_entropy_with_logits(mm.tensor([1000.0, -1000.0]), mm.tensor([0.0, 1.0]),
                                              reduction="none")
    assert loss.tolist() == [1000.0, 1000.0]
    # torch clamps each log at -100
    assert F.binary_cross_entropy(mm.tensor([0.0, 1.0]), mm.tensor([1.0, 0.0])).item() == 100.0


def test_graph_node_names_are_torchs():
    x = mm.tensor(LOGITS, requires_grad=True)
    assert F.binary_cross_entropy_with_logits(x, mm.tensor(TARGETS)).grad_fn.name() == \
        "BinaryCrossEntropyWithLogitsBackward0"
    assert F.binary_cross_entropy(x.sigmoid(), mm.tensor(TARGETS)).grad_fn.name() == \
        "BinaryCrossEntropyBackward0"


MISTAKES = [
    (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1.5])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5, 0.5]), lib.tensor([1.0])),
     ValueError, "Using a target size .* that is different to the input size"),
    (lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.ones(2), lib.tensor([1.0])),
     ValueError, "must be the same as input size"),
    (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1])), RuntimeError,
     "Found dtype Long but expected Float"),
    (lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.tensor([0.5]), lib.tensor([1])),
     RuntimeError, "result type Float can't be cast to the desired output type Long"),
    (lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5]), lib.ones(1), reduction="bad"),
     ValueError, "bad is not a valid value for reduction"),
    (lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        lib.tensor([0.5]), lib.tensor([1.0]), pos_weight=lib.ones(1, requires_grad=True)), RuntimeError,
     "is not differentiable with respect to argument 'pos_weight'"),
]


@pytest.mark.parametrize("call,error,message", MISTAKES)
def test_mistakes_raise_torchs_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(mm)
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=message):
        call(torch)


def test_loss_modules():
    x, y = mm.tensor(LOGITS, requires_grad=True), mm.tensor(TARGETS)
    loss = nn.BCEWithLogitsLoss(pos_weight=mm.tensor(WEIGHT))(x, y)
    direct = F.binary_cross_entropy_with_logits(x, y, pos_weight=mm.tensor(WEIGHT))
    assert loss.item() == pytest.approx(direct.item())
    probs = mm.tensor(PROBS)
    assert nn.BCELoss(reduction="sum")(probs, y).item() == pytest.approx(
        F.binary_cross_entropy(probs, y, reduction="sum").item())
    module = nn.BCEWithLogitsLoss(weight=mm.ones(3), pos_weight=mm.ones(3))
    assert repr(module) == "BCEWithLogitsLoss()" and list(module.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCELoss(weight=mm.ones(3)).state_dict()) == ["weight"]
    assert repr(nn.BCELoss()) == "BCELoss()"
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(WEIGHT, dtype=torch.float32))(
        torch.tensor(LOGITS, dtype=torch.float32), torch.tensor(TARGETS, dtype=torch.float32))
    assert loss.item() == pytest.approx(theirs.item(), rel=1e-5)
