"""Interventions: a forward hook that returns a new output, through the session, for minimod and torch."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
from inspector.interventions import Intervention, InterventionError, parse_intervention
from inspector.session import Session
from inspector.targets import resolve


@pytest.mark.parametrize("typed, kind, value", [
    ("zero", "zero", 0.0), ("0", "zero", 0.0), ("x0", "zero", 0.0), ("0.5", "scale", 0.5),
    ("scale 2", "scale", 2.0), ("*-1", "scale", -1.0), ("\u00d73", "scale", 3.0), ("=1", "constant", 1.0),
    ("constant -2.5", "constant", -2.5), ("const 0", "constant", 0.0),
])
def test_what_the_user_types(typed, kind, value):
    assert parse_intervention(typed) == Intervention(kind, value)


@pytest.mark.parametrize("typed", ["", "half", "constant", "nan", "=inf", "scale"])
def test_what_is_not_an_intervention_says_what_is(typed):
    with pytest.raises(InterventionError, match="zero|finite"):
        parse_intervention(typed)


def test_badges_and_the_pytorch_code_shown():
    assert [Intervention(*args).badge for args in (("zero",), ("scale", 0.5), ("constant", 1.0))] == [
        "\u00d70", "\u00d70.5", "=1"]
    assert Intervention("zero").hook_code() == "lambda m, i, o: o * 0"
    assert Intervention("constant", 2.0).hook_code() == "lambda m, i, o: o * 0 + 2"


def _outputs(session: Session) -> np.ndarray:
    session.forward()
    return np.array(session.adapter.array(session.last_output))


def _session(framework: str) -> Session:
    if framework == "torch":
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
        return Session(model, torch.randn(5, 4), "seq")
    mm.manual_seed(0)
    model = mm.nn.Sequential(mm.nn.Linear(4, 6), mm.nn.ReLU(), mm.nn.Linear(6, 3))
    return Session(model, mm.randn(5, 4), "seq")


@pytest.mark.parametrize("framework", ["minimod", "torch"])
def test_an_intervention_replaces_the_output_downstream_and_is_undone(framework):
    session = _session(framework)
    plain = _outputs(session)
    bias = np.array(session.adapter.array(session.model[2].bias))
    session.intervene("0", parse_intervention("0"))
    # the first Linear's output is zeroed, so ReLU gives zeros and the last Linear gives its bias alone
    np.testing.assert_allclose(_outputs(session), np.broadcast_to(bias, plain.shape), rtol=1e-6)
    events = session.events_matching(phase="forward")[-4:]  # of the last forward: 0, 1, 2, the root
    assert [(event.module, event.intervention) for event in events] == [
        ("0", "\u00d70"), ("1", ""), ("2", ""), ("", "")]
    assert events[0].outputs[0].std > 0  # what forward computed, before the hook replaced it
    assert events[1].inputs[0].std == 0 and events[1].inputs[0].max == 0  # what the next module got
    session.intervene("2", parse_intervention("=1"))  # a second module, a constant
    np.testing.assert_array_equal(_outputs(session), np.ones_like(plain))
    session.intervene("2", parse_intervention("scale 2"))  # a module holds one intervention
    np.testing.assert_allclose(_outputs(session), 2 * np.broadcast_to(bias, plain.shape), rtol=1e-6)
    assert session.interventions.badges() == {"0": "\u00d70", "2": "\u00d72"}
    assert session.undo_intervention("0") == Intervention("zero")
    np.testing.assert_allclose(_outputs(session), 2 * plain, rtol=1e-5)
    assert session.undo_interventions() == 1
    np.testing.assert_array_equal(_outputs(session), plain)
    assert not session.events_matching(phase="forward")[-1].intervention
    assert len(session.model[0]._forward_hooks) == 0 and len(session.model[2]._forward_hooks) == 0


@pytest.mark.parametrize("framework", ["minimod", "torch"])
def test_a_zeroed_output_keeps_the_graph_so_gradients_upstream_are_zero(framework):
    session = _session(framework)
    session.intervene("1", parse_intervention("zero"))
    session.backward()
    first = session.model[0]
    assert np.all(np.array(session.adapter.array(first.weight.grad)) == 0)  # o * 0: zeros flow back
    assert np.any(np.array(session.adapter.array(session.model[2].bias.grad)) != 0)


class _Pair(mm.nn.Module):
    """Returns nested tuples, as an LSTM does: (output, (hidden, cell))."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = mm.nn.Linear(3, 4)

    def forward(self, x):
        y = self.fc(x)
        return y, (y * 2, y.sum())


def test_a_tuple_output_has_each_tensor_replaced():
    session = Session(_Pair(), mm.randn(2, 3), "pair")
    session.intervene("", parse_intervention("=2"))
    session.forward()
    output, (hidden, total) = session.last_output
    for tensor in (output, hidden, total):
        assert np.all(tensor.numpy() == 2)
    assert tuple(hidden.shape) == (2, 4) and tuple(total.shape) == ()


def test_interventions_on_the_zoo_convnet_change_its_output():
    target = resolve("convnet")
    session = Session(target.model, target.example_input, target.name)
    plain = _outputs(session)
    session.intervene("conv2", parse_intervention("x0.5"))
    assert not np.allclose(_outputs(session), plain)
    session.undo_interventions()
    np.testing.assert_array_equal(_outputs(session), plain)
