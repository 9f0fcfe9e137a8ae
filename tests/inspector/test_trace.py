"""Tests for inspector.events (TensorStats) and inspector.trace (Recorder, trace_forward[_backward])."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimod as mm
import minimod.nn.functional as F
from inspector.events import OpEvent, TensorStats, TraceEvent, format_shape, tensor_stats
from inspector.trace import Recorder, preserved_state, trace_forward, trace_forward_backward
from minimod import nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        self.fc(x)
        raise RuntimeError("boom")


def _hook_counts(model):
    return [
        (len(m._forward_pre_hooks), len(m._forward_hooks), len(m._backward_hooks)) for m in model.modules()
    ]


def _global_hook_counts():
    from minimod.nn import module

    return (len(module._global_forward_pre_hooks), len(module._global_forward_hooks),
            len(module._global_backward_hooks), len(mm.autograd._op_observers))


def test_tensor_stats_counts_nan_and_inf_and_ignores_them_in_the_numbers():
    stats = tensor_stats(mm.tensor([1.0, float("nan"), float("inf"), -float("inf"), 3.0]))
    assert stats == TensorStats((5,), "float32", 2.0, 1.0, 1.0, 3.0, 1, 2)


def test_tensor_stats_of_ints_empty_and_non_tensors():
    assert tensor_stats(mm.tensor([1, 2, 3])).mean == 2.0
    empty = tensor_stats(mm.zeros(0, 3))
    assert empty.shape == (0, 3) and math.isnan(empty.mean) and empty.nan == 0
    assert tensor_stats("relu") is None and tensor_stats(None) is None
    all_nan = tensor_stats(np.full(3, np.nan, dtype=np.float32))
    assert all_nan.nan == 3 and math.isnan(all_nan.std)


def test_tensor_stats_matches_numpy():
    array = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    stats = tensor_stats(mm.tensor(array))
    assert stats.mean == pytest.approx(float(array.mean()), rel=1e-5)
    assert stats.std == pytest.approx(float(array.std()), rel=1e-5)
    assert (stats.min, stats.max) == (float(array.min()), float(array.max()))
    assert "float32" in stats.short() and format_shape((1, 3)) == "(1, 3)"


@settings(deadline=None, max_examples=200)
@given(
    st.lists(st.one_of(st.floats(width=32), st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf])),
             min_size=0, max_size=40),
    st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.uint8, np.bool_]),
)
def test_the_summary_of_a_few_values_is_the_kernels(values, dtype):
    """Small arrays are summed in Python (quicker than numpy's passes): the same counts, minimum and
    maximum as the twin kernel, and its mean and std up to rounding, for every dtype the trace meets."""
    from inspector.adapters.statistics import FEW_VALUES, finite_summary
    from minimod.kernels import reference

    if np.dtype(dtype).kind != "f":  # integers and bools: the finite values, as integers
        values = [abs(int(value)) % 200 for value in values if math.isfinite(value)]
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.array(values, dtype=dtype).reshape(-1)
    got, want = finite_summary(array), reference.tensor_stats(array)
    assert array.size > FEW_VALUES or got[:3] == want[:3] and got[5:] == pytest.approx(want[5:], nan_ok=True)
    for ours, theirs in zip(got[3:5], want[3:5]):
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12 * max(1.0, abs(theirs)), nan_ok=True)


def test_recorder_records_pre_and_forward_events_in_call_order():
    model = Tiny()
    seen = []
    with Recorder(model, on_event=seen.append) as recorder:
        model(mm.randn(2, 4))
    phases = [(event.phase, event.module) for event in recorder.events]
    assert phases == [
        ("forward_pre", ""), ("forward_pre", "fc1"), ("forward", "fc1"),
        ("forward_pre", "fc2"), ("forward", "fc2"), ("forward", ""),
    ]
    assert seen == recorder.events
    root = recorder.events[-1]
    assert isinstance(root, TraceEvent) and root.kind == "Tiny" and root.training
    assert root.inputs[0].shape == (2, 4) and root.outputs[0].shape == (2, 2)
    assert root.elapsed_ms >= recorder.events[2].elapsed_ms >= 0.0
    assert [e.index for e in recorder.events] == sorted(e.index for e in recorder.events)


def test_recorder_removes_every_hook_on_exit_even_when_forward_raises():
    model = Broken()
    before, global_before = _hook_counts(model), _global_hook_counts()
    with pytest.raises(RuntimeError, match="boom"), Recorder(model, record_ops=True) as recorder:
        assert _global_hook_counts() == (1, 1, 1, 1)  # global hooks, one handle each
        model(mm.randn(1, 4))
    assert _hook_counts(model) == before and _global_hook_counts() == global_before == (0, 0, 0, 0)
    assert [(e.phase, e.module) for e in recorder.events] == [
        ("forward_pre", ""), ("forward_pre", "fc"), ("forward", "fc")]
    # and a later recording starts clean
    with Recorder(Tiny()) as recorder:
        pass
    assert recorder.events == []


def test_recorder_records_ops_with_the_running_module_and_links_tensors():
    model = Tiny()
    # without backward hooks: those wrap module inputs and outputs in new tensors, as in torch
    with Recorder(model, record_ops=True, backward=False) as recorder:
        model(mm.randn(2, 4))
    relus = [op for op in recorder.ops if op.name == "relu"]
    assert len(relus) == 1 and isinstance(relus[0], OpEvent)
    assert relus[0].module == "" and relus[0].stack == ("",)
    assert relus[0].input_shapes == ((2, 3),) and relus[0].output_shapes == ((2, 3),)
    fc1_out = next(e for e in recorder.events if e.phase == "forward" and e.module == "fc1").output_ids[0]
    fc2_in = next(e for e in recorder.events if e.phase == "forward_pre" and e.module == "fc2").input_ids[0]
    assert relus[0].input_ids == (fc1_out,) and relus[0].output_ids == (fc2_in,)
    inner = [op for op in recorder.ops if op.stack[-1:] == ("fc1",)]
    assert inner, "the ops inside Linear's forward are recorded with fc1 on the stack"
    assert "fc1.weight" in recorder.tensor_names.values()


def test_trace_forward_backward_records_backward_and_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    running_mean = model[1].running_mean.numpy().copy()
    trace = trace_forward_backward(model, mm.randn(5, 4))
    backward = trace.backward_events()
    assert {event.module for event in backward} == {"", "0", "1"}
    assert backward[0].outputs[0].shape == (5, 3)  # grad_output of the last module to run
    assert trace.loss is not None and trace.output.shape == (5, 3)
    assert np.array_equal(model[1].running_mean.numpy(), running_mean)
    assert model[0].weight.grad is None
    assert _hook_counts(model) == [(0, 0, 0)] * 3


def test_trace_forward_with_a_tuple_of_arguments_and_a_loss_fn():
    class Two(nn.Module):
        def forward(self, a, b):
            return a * b

    trace = trace_forward(Two(), (mm.randn(2), mm.randn(2)))
    pre, post = trace.root_call()
    assert [s.shape for s in pre.inputs] == [(2,), (2,)] and post.outputs[0].shape == (2,)
    model = Tiny()
    trace = trace_forward_backward(model, mm.randn(1, 4), loss_fn=lambda out: (out * out).mean())
    assert trace.loss.shape == () and trace.backward_events()


def test_preserved_state_restores_grads():
    model = Tiny()
    model(mm.randn(1, 4)).sum().backward()
    grad = model.fc1.weight.grad
    with preserved_state(model):
        model.zero_grad()
    assert model.fc1.weight.grad is grad


def test_recorder_ignores_modules_outside_the_model():
    model, other = Tiny(), nn.Linear(2, 2)
    with Recorder(model) as recorder:
        other(mm.randn(1, 2))
        model(mm.randn(1, 4))
        nn.ReLU()(mm.randn(1))  # not part of the model: not recorded
    assert {event.module for event in recorder.events} == {"", "fc1", "fc2"}
    assert _global_hook_counts() == (0, 0, 0, 0)


def test_statistics_of_small_tensors_do_not_load_numba():
    # the first paint computes every parameter's statistics: numba loads only for large activations
    code = (
        "import sys, numpy as np\n"
        "from inspector.events import tensor_stats\n"
        "stats = tensor_stats(np.arange(1000, dtype=np.float32))\n"
        "assert stats.mean == 499.5 and stats.max == 999.0\n"
        "print('numba' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
