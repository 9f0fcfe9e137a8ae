"""The inspector's Session on its own: runs, trace events, train/eval, snapshots, diffs and loads."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minimod as mm
from inspector.session import Session, describe_error
from inspector.session_state import diff_states
from inspector.tensor_summary import (
    ModelTensors,
    buffer_rows,
    format_mean,
    parameter_rows,
    shared_parameter_names,
    subtree_counts,
)
from minimod import nn
from minimod.zoo import get


class BnDropNet(nn.Module):
    """Linear -> BatchNorm1d -> Dropout -> Linear: outputs depend on the mode, BN has buffers."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.bn = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(6, 3)
        self.register_buffer("scratch", mm.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.drop(self.bn(self.fc1(x))))


class Tied(nn.Module):
    """Two Linear layers sharing one weight Parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        raise RuntimeError("boom in forward")


def convnet_session() -> Session:
    mm.manual_seed(0)
    entry = get("convnet")
    return Session(entry.build(), entry.example_input(), "convnet")


def bn_session() -> Session:
    mm.manual_seed(0)
    return Session(BnDropNet(), mm.randn(8, 4), "bn")


def test_forward_records_pre_and_forward_events_for_every_module() -> None:
    session = convnet_session()
    result = session.forward()
    paths = [path for path, _ in session.model.named_modules()]
    assert result.output_shape == (1, 10)
    assert result.events == 2 * len(paths) == len(session.events)
    assert [event.index for event in session.events] == list(range(len(session.events)))
    assert {event.module for event in session.events if event.phase == "forward_pre"} == set(paths)
    first = session.events[0]
    assert (first.phase, first.module, first.kind) == ("forward_pre", "", "ConvNet")
    conv = next(e for e in session.events if e.phase == "forward" and e.module == "conv1")
    assert conv.outputs[0].shape == (1, 10, 24, 24)


def test_backward_uses_cross_entropy_for_class_scores_and_fills_grads() -> None:
    session = convnet_session()
    result = session.backward()
    assert result.loss is not None and np.isfinite(result.loss)
    assert session.loss_name() == "cross-entropy on random classes"
    assert all(parameter.grad is not None for parameter in session.model.parameters())
    phases = {event.phase for event in session.events}
    assert phases == {"forward_pre", "forward", "backward"}
    assert [event.index for event in session.events] == list(range(len(session.events)))
    # the first conv's input needs no grad, so full backward hooks warn there; the hooks are the inspector's,
    # not the model's, so the student is not told that their model warned
    assert session.warnings == []


class WarnsItself(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        warnings.warn("my model's own warning", UserWarning, stacklevel=2)
        return self.fc(x)


def test_the_models_own_warnings_and_its_own_backward_hooks_warnings_still_reach_the_user() -> None:
    mm.manual_seed(0)
    session = Session(WarnsItself(), mm.randn(4, 3), "warns")
    session.backward()
    assert session.warnings == ["UserWarning: my model's own warning"]
    model = WarnsItself()
    model.fc.register_full_backward_hook(lambda module, grad_input, grad_output: None)
    session = Session(model, mm.randn(4, 3), "hooked")
    session.backward()
    assert any("Full backward hook is firing" in text for text in session.warnings)


def test_backward_on_a_non_class_output_uses_mse_against_zeros() -> None:
    mm.manual_seed(0)
    session = Session(nn.Linear(3, 1), mm.randn(5, 3), "lin")
    result = session.backward()
    output = session.model(session.example_input).numpy()
    assert result.loss == pytest.approx(float(np.mean(output ** 2)), rel=1e-5)
    assert session.loss_name() == "MSE against zeros"


def test_steps_change_parameters_and_training_lowers_the_loss() -> None:
    session = convnet_session()
    before = session.model.fc2.weight.numpy().copy()
    results = session.train(15)
    assert session.steps == 15 and len(session.losses) == 15
    assert not np.array_equal(before, session.model.fc2.weight.numpy())
    assert results[-1].loss < results[0].loss
    with pytest.raises(ValueError, match="at least 1"):
        session.train(0)


def test_train_stops_when_cancelled() -> None:
    session = convnet_session()
    done = session.train(10, cancelled=lambda: session.steps >= 3)
    assert len(done) == 3


def test_events_matching_filters_by_module_and_phase() -> None:
    session = convnet_session()
    session.backward()
    conv = session.events_matching(module="conv")
    assert conv and all("conv" in event.module for event in conv)
    backward = session.events_matching(phase="backward")
    assert backward and all(event.phase == "backward" for event in backward)
    assert session.events_matching("fc2", "forward")[0].kind == "Linear"


def test_toggle_training_flips_a_subtree_only() -> None:
    session = bn_session()
    assert session.toggle_training("bn") is False
    assert not session.model.bn.training and session.model.training and session.model.drop.training
    assert session.toggle_training("") is False  # the root is in train mode: everything goes to eval
    assert not any(module.training for module in session.model.modules())


def test_compare_modes_finds_dropout_batchnorm_and_changed_buffers_without_touching_the_model() -> None:
    session = bn_session()
    session.model.eval()
    running_mean = session.model.bn.running_mean.numpy().copy()
    comparison = session.compare_modes()
    differing = {path for path, _, _ in comparison.differing}
    assert {"bn", "drop", "fc2", ""} <= differing
    assert comparison.own == ("bn", "drop")  # the causes; fc2 and the root only see a changed input
    mm.manual_seed(0)
    entry = get("resnet18")
    own = Session(entry.build(), entry.example_input(), "resnet18").compare_modes().own
    # Only the BatchNorms: a ReLU called twice in a block is judged on its first call, not its last output
    assert "bn1" in own and "layer1.0.relu" not in own
    assert {type(entry.build().get_submodule(path)).__name__ for path in own} == {"BatchNorm2d"}
    assert "fc1" in comparison.same
    changed = {key for key, _ in comparison.changed_buffers}
    assert changed == {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}
    assert "scratch" in comparison.unchanged_buffers
    assert not any(module.training for module in session.model.modules())  # modes left as they were
    np.testing.assert_array_equal(session.model.bn.running_mean.numpy(), running_mean)


def test_snapshot_round_trip_diff_then_strict_load_restores_everything(tmp_path) -> None:
    session = bn_session()
    path = session.save_snapshot(tmp_path / "snap.npz")
    assert path.exists() and session.snapshot is not None
    assert not any(item.changed for item in session.snapshot_diff())
    with pytest.raises(FileExistsError, match="exists"):
        session.save_snapshot(path)
    session.train(3)
    diffs = {item.key: item for item in session.snapshot_diff()}
    assert diffs["fc1.weight"].changed and diffs["fc1.weight"].kind == "parameter"
    assert diffs["fc1.weight"].max_abs_diff > 0
    assert diffs["bn.running_mean"].kind == "buffer" and diffs["bn.running_mean"].changed
    report = session.load_snapshot(path, strict=True)
    assert report.loaded and report.error is None and report.problems == 0
    assert "fc1.weight" in report.restored and report.still_different == ()
    assert not any(item.changed for item in session.snapshot_diff())


def test_loading_a_mismatching_file_lists_every_problem_and_leaves_the_model(tmp_path) -> None:
    session = bn_session()
    state = dict(session.model.state_dict())
    del state["fc2.bias"]
    state["extra.weight"] = np.zeros(2, dtype=np.float32)
    state["fc1.weight"] = np.zeros((2, 2), dtype=np.float32)
    mm.save(state, str(tmp_path / "other.npz"))
    before = session.current_state()
    report = session.load_snapshot(tmp_path / "other.npz", strict=True)
    assert not report.loaded and "fc2.bias" in report.error
    assert report.missing == ("fc2.bias",) and report.unexpected == ("extra.weight",)
    assert report.mismatched == (("fc1.weight", (2, 2), (6, 4)),)
    assert not any(item.changed for item in diff_states(session.current_state(), before, set()))
    # strict=False still refuses a shape mismatch (as torch does); without it, it loads the rest
    assert session.load_snapshot(tmp_path / "other.npz", strict=False).error is not None
    state["fc1.weight"] = np.full((6, 4), 0.5, dtype=np.float32)
    mm.save(state, str(tmp_path / "loose.npz"))
    loose = session.load_snapshot(tmp_path / "loose.npz", strict=False)
    assert loose.loaded and loose.missing == ("fc2.bias",) and loose.unexpected == ("extra.weight",)
    assert loose.still_different == ()  # the missing key kept its value: it differs from nothing in the file
    assert np.all(session.model.fc1.weight.numpy() == 0.5)


def test_check_file_and_save_errors_name_the_path(tmp_path) -> None:
    session = bn_session()
    with pytest.raises(FileNotFoundError, match="nothere.npz"):
        session.check_file(tmp_path / "nothere.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        session.save_snapshot(tmp_path / "snap.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        session.save_snapshot(tmp_path / "missing-folder" / "snap.npz")


def test_a_raising_forward_propagates_with_a_one_line_description() -> None:
    session = Session(Broken(), mm.randn(2, 4), "broken")
    with pytest.raises(RuntimeError, match="boom") as caught:
        session.forward()
    text = describe_error(caught.value)
    assert text.startswith("RuntimeError: boom in forward (in test_session.py:")
    assert "\n" not in text
    assert session.events[-1].phase == "forward_pre"  # events up to the failure are kept


@pytest.mark.parametrize("name", ["dynamic_net", "conv_bn", "transformer_block", "running_mean"])
def test_zoo_models_run_forward_backward_and_compare(name: str) -> None:
    mm.manual_seed(0)
    entry = get(name)
    session = Session(entry.build(), entry.example_input(), name)
    assert session.forward().events > 0
    if not any(parameter.requires_grad for parameter in session.model.parameters()):
        with pytest.raises(ValueError, match="nothing for backward to do"):
            session.backward()
    else:
        assert np.isfinite(session.backward().loss)
        assert session.step().loss is not None
    comparison = session.compare_modes()
    counted = len(comparison.differing) + len(comparison.same) + len(comparison.not_called)
    assert counted == len(list(session.model.named_modules()))
    if name == "dynamic_net":  # containers are never called, and the forward picks one activation
        assert set(comparison.not_called) == {"linears", "activations", "activations.lrelu"}


def test_missing_example_input_is_explained() -> None:
    session = Session(nn.Linear(2, 2), None, "lin")
    with pytest.raises(ValueError, match=r"press i to set its shape \(its first layer suggests 1,2\)"):
        session.forward()


def test_tensor_rows_separate_parameters_buffers_and_mark_shared() -> None:
    mm.manual_seed(0)
    model = BnDropNet()
    own = parameter_rows(model, "bn")
    assert [row.name for row in own] == ["bn.weight", "bn.bias"]
    assert own[0].mean == pytest.approx(1.0) and own[0].grad_norm is None
    buffers = {row.name: row for row in buffer_rows(model, "", recursive=True)}
    assert buffers["scratch"].flag is False and buffers["bn.running_var"].flag is True
    assert parameter_rows(model, "") == [] and len(parameter_rows(model, "", recursive=True)) == 6
    tied = Tied()
    assert list(shared_parameter_names(tied).values()) == [["a.weight", "b.weight"]]
    rows = {row.name: row for row in parameter_rows(tied, "b")}
    assert rows["b.weight"].shared_with == ("a.weight",)
    counts = subtree_counts(tied)
    assert counts[""] == (9 + 3 + 3, 0)  # the shared weight counts once


def test_sizes_rows_kept_between_calls_follow_every_change_of_their_tensors() -> None:
    """The rows past `stats_for` are kept in a cache between calls (the tensor tables on a wide model):
    each call still gives what a call without the cache gives, whatever changed in between."""
    mm.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(6)])
    model.register_buffer("steps", mm.zeros(3))
    sizes: dict = {}

    def same() -> None:
        for rows in (parameter_rows, buffer_rows):
            for path, recursive in (("", True), ("3", False)):
                cached = rows(model, path, recursive, stats_for=2, sizes=sizes)
                assert cached == rows(model, path, recursive, stats_for=2)

    same()
    model[4].bias.requires_grad_(False)  # frozen: no longer counted as trainable
    same()
    model[5].weight = nn.Parameter(mm.zeros(3, 2))  # another tensor, another shape
    same()
    model[3].weight = model[1].weight  # tied: shared_with changes on both
    same()
    model.steps = mm.zeros(4, dtype=mm.int64)  # a buffer replaced, of another dtype
    same()
    assert sum(not row.flag for row in parameter_rows(model, "", True, 2, sizes)) == 1


@pytest.mark.parametrize("name", ["convnet", "resnet18", "transformer_block"])
def test_subtree_counts_are_each_modules_own_subtree_sums(name) -> None:
    """The one-pass count equals asking every module for its subtree's tensors (shared ones once)."""
    from inspector.targets import resolve

    class SharedTwice(nn.Module):  # one module under two names, and a weight tied across subtrees
        def __init__(self) -> None:
            super().__init__()
            self.left = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
            self.right = nn.Sequential(self.left[0], nn.Linear(3, 3))
            self.right[1].weight = self.left[0].weight

    for model in (resolve(name).model, SharedTwice(), Tied()):
        expected = {path: (sum(math.prod(p.shape) for p in module.parameters()),
                           sum(math.prod(b.shape) for b in module.buffers()))
                    for path, module in model.named_modules()}
        assert subtree_counts(model) == expected


@pytest.mark.parametrize("name", ["convnet", "resnet18", "transformer_block", "shared", "tied"])
def test_rows_from_the_model_walked_once_are_the_rows_of_each_modules_own_walk(name) -> None:
    """ModelTensors (the model walked once, each subtree the names under its path) gives every module
    the rows its own walk gives: same names, order, sharing, persistence, a shared tensor once."""
    from inspector.targets import resolve

    class SharedTwice(nn.Module):  # one module under two names, and a weight tied across subtrees
        def __init__(self) -> None:
            super().__init__()
            self.left = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
            self.right = nn.Sequential(self.left[0], nn.Linear(3, 3), self.left[1])
            self.right[1].weight = self.left[0].weight
            self.left.register_buffer("scratch", mm.zeros(2), persistent=False)

    mm.manual_seed(0)
    model = {"shared": SharedTwice, "tied": Tied}.get(name, lambda: resolve(name).model)()
    listing = ModelTensors(model)
    for path, _module in model.named_modules(remove_duplicate=False):
        for rows in (parameter_rows, buffer_rows):
            for recursive in (True, False):
                expected = rows(model, path, recursive, stats_for=3)
                assert rows(model, path, recursive, stats_for=3, listing=listing) == expected


def test_nonfinite_values_are_counted_and_statistics_skip_them() -> None:
    model = nn.Linear(2, 2)
    with mm.no_grad():
        model.weight.copy_(mm.tensor([[1.0, float("nan")], [float("inf"), 3.0]]))
    row = parameter_rows(model, "")[0]
    assert row.nonfinite == 2 and row.mean == pytest.approx(2.0)


def test_a_mean_that_is_rounding_noise_next_to_the_std_reads_as_approximately_zero() -> None:
    # a softmax gradient's rows sum to 0 exactly; in float32 their mean is ~1e-9, with digits that change
    # with the BLAS kernel, so the screen must not show them
    assert format_mean(2.98e-9, 0.302) == "≈0"
    assert format_mean(-7.45e-10, 0.302) == "≈0"
    assert format_mean(0.0, 0.302) == "0"
    assert format_mean(9.5e-7, 4.37e-4) == "9.50e-7"  # 0.2% of the std is information, not noise
    assert format_mean(0.0208, 1.0) == "0.0208"
    assert format_mean(1e-9, 0.0) == "1.00e-9"  # a constant tensor: nothing to compare with
    assert format_mean(None, None) == "-"
    assert format_mean(float("nan"), float("nan")) == "nan"
