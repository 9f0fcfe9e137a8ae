"""The training history: what each optimizer step records (checked against numpy on values recorded by the
model's own hooks), the merging that bounds its memory, the overview's flags, and `minimod train`."""

from __future__ import annotations

import gc
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimod as mm
from inspector.session import Session
from inspector.training_history import (
    BINS,
    NEAR_ZERO,
    StepSeries,
    TrainingHistory,
    bin_range,
    diagnose,
)
from inspector.training_pictures import heatmap_text, overview, overview_text, resample
from minimod import cli, nn


def small_mlp() -> nn.Module:
    mm.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def dead_relu_model() -> nn.Module:
    """The first layer's outputs are all negative, so the ReLU after it outputs zeros only."""
    mm.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    with mm.no_grad():
        model[0].weight.mul_(0.01)
        model[0].bias.fill_(-5.0)
    return model


def vanishing_model(depth: int = 10) -> nn.Module:
    """Sigmoids with small weights: each layer shrinks the gradient flowing back by 4 or more."""
    mm.manual_seed(0)
    layers = []
    for _ in range(depth):
        linear = nn.Linear(8, 8)
        with mm.no_grad():
            linear.weight.mul_(0.5)
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(8, 3))


def watched(model: nn.Module, path: str) -> tuple[list[np.ndarray], list[float]]:
    """The model's own hooks on module `path`: a copy of each output, and each grad_output's L2 norm."""
    outputs: list[np.ndarray] = []
    grad_norms: list[float] = []
    module = model.get_submodule(path)
    module.register_forward_hook(lambda m, args, output: outputs.append(output.numpy().copy()))
    module.register_full_backward_hook(
        lambda m, grad_input, grad_output: grad_norms.append(float(np.linalg.norm(grad_output[0].numpy()))))
    return outputs, grad_norms


def test_the_curve_is_the_losses_training_returned() -> None:
    session = Session(small_mlp(), mm.randn(5, 6))
    results = session.train(12)
    steps, losses = session.history.losses()
    assert steps.tolist() == list(range(1, 13))
    assert losses.tolist() == [result.loss for result in results]  # exactly: one step per column


def test_forward_and_backward_alone_record_no_step() -> None:
    session = Session(small_mlp(), mm.randn(5, 6))
    session.forward()
    session.backward()
    assert session.history.steps_taken() == 0
    assert session.history.module_paths() == []


def test_counts_and_statistics_match_numpy_on_the_recorded_activations() -> None:
    model = small_mlp()
    outputs, grad_norms = watched(model, "1")
    session = Session(model, mm.randn(5, 6))
    session.train(6)
    histogram = session.history.activations("1")
    assert histogram.counts.shape == (6, BINS)
    assert bin_range(outputs[0]) == (histogram.edges[0], histogram.edges[-1])
    for column, values in enumerate(outputs):
        expected, _ = np.histogram(values, bins=BINS, range=(histogram.edges[0], histogram.edges[-1]))
        assert histogram.counts[column].tolist() == expected.tolist()
        assert histogram.above[column] == np.count_nonzero(values > histogram.edges[-1])
    stats = session.history.module_stats("1")
    stacked = np.stack(outputs)
    np.testing.assert_allclose(stats["mean"], stacked.mean(axis=(1, 2)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(stats["std"], stacked.std(axis=(1, 2)), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(stats["near_zero"], (np.abs(stacked) <= NEAR_ZERO).mean(axis=(1, 2)))
    np.testing.assert_allclose(stats["grad_norm"], grad_norms, rtol=1e-5)


def test_weight_histograms_are_of_the_values_after_each_update() -> None:
    model = small_mlp()
    after: list[np.ndarray] = []
    session = Session(model, mm.randn(5, 6))
    for _ in range(4):
        session.step()
        after.append(model[2].weight.numpy().copy())
    histogram = session.history.weight_histogram("2.weight")
    for column, values in enumerate(after):
        expected, _ = np.histogram(values, bins=BINS, range=(histogram.edges[0], histogram.edges[-1]))
        assert histogram.counts[column].tolist() == expected.tolist()
    assert session.history.weight_names() == [name for name, _ in model.named_parameters()]


def test_snapshot_load_and_mode_changes_are_marked_at_their_step(tmp_path) -> None:
    session = Session(small_mlp(), mm.randn(5, 6))
    session.train(3)
    session.save_snapshot(tmp_path / "a.npz")
    session.train(2)
    session.toggle_training("")
    session.step()
    session.load_snapshot(tmp_path / "a.npz")
    assert session.history.marks_list() == [(3, "snapshot"), (5, "eval model"), (6, "load")]


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=200), st.sampled_from([2, 4, 8, 16]))
@settings(max_examples=60, deadline=None)
def test_merged_columns_keep_every_step_and_its_sum(values: list[float], capacity: int) -> None:
    series = StepSeries({"value": ()}, capacity)
    for step, value in enumerate(values, start=1):
        series.add(step, {"value": value})
    length = series.length
    assert length <= capacity
    assert series.count[:length].sum() == len(values)
    assert series.first[0] == 1 and series.last[length - 1] == len(values)
    assert (series.first[1:length] == series.last[:length - 1] + 1).all()  # consecutive, no gap
    assert series.total("value").sum() == pytest.approx(sum(values), abs=1e-6)
    assert (series.count[:length - 1] == series.stride).all()  # every column full but the newest


def test_merging_halves_the_resolution_when_full() -> None:
    series = StepSeries({"value": ()}, 4)
    for step in range(1, 6):
        series.add(step, {"value": float(step)})
    # steps 1-4 filled the four columns; step 5 merged them into (1,2), (3,4) and opened a third
    assert series.steps().tolist() == [2, 4, 5]
    assert series.mean("value").tolist() == [1.5, 3.5, 5.0]
    assert series.stride == 2


def _run(history: TrainingHistory, model: nn.Module, steps: int, first: int = 1) -> None:
    optimizer = mm.optim.SGD(model.parameters(), lr=0.01)
    example = mm.randn(4, 6)
    with warnings.catch_warnings():  # the first layer's full backward hook warns (its input needs no grad)
        warnings.simplefilter("ignore")
        for step in range(first, first + steps):
            model.zero_grad()
            with history.recording(model):
                loss = model(example).pow(2).mean()
                loss.backward()
            optimizer.step()
            history.add_step(step, float(loss.item()), model)


def _held(root: object) -> int:
    """Bytes of every object reachable from `root` (an array's data counted once, with its header)."""
    seen: set[int] = set()
    pending = [root]
    total = 0
    while pending:
        value = pending.pop()
        if id(value) in seen or isinstance(value, type):
            continue
        seen.add(id(value))
        total += value.nbytes if isinstance(value, np.ndarray) and value.base is None else 0
        total += sys.getsizeof(value)
        pending.extend(gc.get_referents(value))
    return total


@pytest.mark.slow
def test_memory_of_a_long_run_is_bounded() -> None:
    """After 10,000 steps the history holds what it held after 1,000: merged columns, no growth.
    (tracemalloc of such a run, for the record: see the issue 24 note; tracing each of 10,000 steps' hooks
    takes minutes, so the test weighs what the history keeps alive.)"""
    mm.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU())  # small: 10,000 steps take seconds
    history = TrainingHistory(capacity=64)
    _run(history, model, 1000)
    gc.collect()
    after_thousand, nbytes = _held(history), history.nbytes
    _run(history, model, 9000, first=1001)
    gc.collect()
    assert history.nbytes == nbytes
    assert _held(history) <= after_thousand + 1024  # a few ints may grow a digit; nothing per step
    steps, losses = history.losses()
    assert steps[-1] == 10_000 and len(steps) <= 64
    assert history.activations("1").per_step.sum() == 10_000
    assert history.weight_histogram("0.weight").per_step.sum() == 10_000


def test_memory_is_traced_flat_once_full() -> None:
    """tracemalloc over steps after the columns are full: what stays allocated does not grow with steps."""
    model = small_mlp()
    history = TrainingHistory(capacity=4)
    _run(history, model, 20)
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        _run(history, model, 60, first=21)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 16 * 1024


def test_overview_flags_a_dead_relu_layer() -> None:
    session = Session(dead_relu_model(), mm.randn(5, 6))
    session.train(3)
    findings = diagnose(session.history)
    assert ("1", "dead") in {(finding.module, finding.problem) for finding in findings}
    data = overview(session.history, "std", 40)
    row = data.modules.index("1")
    assert data.dead[row].all() and data.zeros[row] == 1.0
    assert "1 ReLU" in overview_text(session.history, "std", 100).plain


def test_overview_flags_vanishing_gradients_in_early_layers_only() -> None:
    session = Session(vanishing_model(), mm.randn(5, 8))
    session.train(3)
    flagged = {finding.module for finding in diagnose(session.history) if finding.problem == "vanishing"}
    assert "0" in flagged  # the first Linear
    assert "20" not in flagged  # the last one gets the output's gradient directly
    assert not [finding for finding in diagnose(session.history) if finding.problem == "dead"]
    assert "vanishing" in overview_text(session.history, "grad", 120).plain


def test_a_healthy_model_is_not_flagged() -> None:
    session = Session(small_mlp(), mm.randn(8, 6))
    session.train(5)
    assert diagnose(session.history) == []


def test_resample_spreads_columns_over_steps() -> None:
    steps = np.array([2, 4, 6, 8])
    values = np.array([1.0, 3.0, 5.0, 7.0])
    assert resample(steps, values, np.full(4, 2.0), 8, 2).tolist() == [2.0, 6.0]
    wide = resample(steps, values, np.full(4, 2.0), 8, 8)
    assert np.isnan(wide[0]) and wide[1] == 1.0


def test_heatmap_text_names_its_range_and_steps() -> None:
    session = Session(small_mlp(), mm.randn(5, 6))
    session.train(4)
    text = heatmap_text(session.history.activations("0"), "Outputs of 0", 80, 12).plain
    assert text.startswith("Outputs of 0")
    assert "step 1" in text and "bins fixed at the first step" in text


def test_train_command_writes_an_svg(tmp_path, capsys) -> None:
    output = tmp_path / "training.svg"
    assert cli.main(["train", "mlp", "--steps", "3", "-o", str(output)]) == 0
    svg = output.read_text()
    assert "Loss" in svg and "over" in svg and svg.lstrip().startswith("<svg")
    assert capsys.readouterr().out.strip() == str(output)


def test_train_command_writes_a_png(tmp_path) -> None:
    pytest.importorskip("cairosvg")
    output = tmp_path / "training.png"
    assert cli.main(["train", "mlp", "--steps", "2", "--view", "loss", "-o", str(output)]) == 0
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("arguments", "message"), [
    (["-o", "x.txt"], "unknown picture format '.txt'; use x.svg or x.png"),
    (["-o", "{tmp}/x.svg", "--module", "nope"], "has no module 'nope'"),
    (["-o", "{tmp}/x.svg", "--parameter", "nope"], "has no parameter 'nope'"),
    (["-o", "{tmp}/missing/x.svg"], "does not exist; create it or choose another path"),
])
def test_train_command_mistakes_are_one_line(tmp_path, capsys, arguments, message) -> None:
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    assert cli.main(["train", "mlp", "--steps", "1", *arguments]) == 1
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error
    assert not list(tmp_path.glob("*.svg"))


def test_torch_models_record_through_the_same_hooks() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    outputs: list[np.ndarray] = []
    grad_norms: list[float] = []
    model[1].register_forward_hook(lambda m, args, output: outputs.append(output.detach().numpy().copy()))
    model[1].register_full_backward_hook(
        lambda m, grad_input, grad_output: grad_norms.append(float(grad_output[0].norm())))
    session = Session(model, torch.randn(5, 6))
    results = session.train(4)
    assert session.history.losses()[1].tolist() == [result.loss for result in results]
    histogram = session.history.activations("1")
    for column, values in enumerate(outputs):
        expected, _ = np.histogram(values, bins=BINS, range=(histogram.edges[0], histogram.edges[-1]))
        assert histogram.counts[column].tolist() == expected.tolist()
    np.testing.assert_allclose(session.history.module_stats("1")["grad_norm"], grad_norms, rtol=1e-5)
    assert session.history.weight_names() == [name for name, _ in model.named_parameters()]
    with torch.no_grad():
        model[0].bias.fill_(-50.0)
    session.train(2)
    assert ("1", "dead") in {(finding.module, finding.problem) for finding in diagnose(session.history)}
