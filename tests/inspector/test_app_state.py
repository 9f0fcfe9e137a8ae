"""The inspector app driven by Pilot: train/eval, compare, state_dict snapshots, loads, export, errors."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from textual import events

import minimod as mm
from inspector.app import InspectorApp
from inspector.screens.dialogs import ConfirmScreen, PromptScreen
from inspector.targets import LoadedTarget
from inspector.widgets.modes_panel import ModesPanel
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.state_panel import StatePanel
from minimod import nn

SIZE = (120, 40)


class BnDropNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.bn = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(self.drop(self.bn(self.fc1(x))))


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x) + undefined_name  # noqa: F821  (the user's bug)


def bn_app() -> InspectorApp:
    mm.manual_seed(0)
    return InspectorApp(LoadedTarget("bn_drop", BnDropNet(), mm.randn(8, 4)))


async def settle(pilot, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        assert time.monotonic() < deadline, f"{pilot.app.main_screen.busy} did not finish"
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


async def answer_prompt(pilot, value: str | None) -> None:
    """Fill the open PromptScreen with `value` (None keeps its default) and press enter."""
    await pilot.pause()
    assert isinstance(pilot.app.screen, PromptScreen)
    if value is not None:
        pilot.app.screen.query_one("#prompt-input").value = value
    await pilot.press("enter")
    await pilot.pause()


def table_texts(table) -> list[list[str]]:
    return [[str(getattr(cell, "plain", cell)).strip() for cell in table.get_row_at(index)]
            for index in range(table.row_count)]


async def test_mode_toggle_for_a_subtree_and_the_whole_model() -> None:
    async with bn_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree = screen.query_one(ModuleTree)
        tree.select_path("bn")
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        model = pilot.app.session.model
        assert not model.bn.training and model.fc1.training and model.training
        assert tree.node_for("bn").label.plain.startswith("E ")
        assert tree.node_for("fc1").label.plain.startswith("T ")
        assert "1 in eval mode (bn)" in str(screen.query_one("#modes-summary").render())
        await pilot.press("M")
        await pilot.pause()
        assert not any(module.training for module in model.modules())
        assert all(tree.node_for(path).label.plain.startswith("E ") for path in tree.visible_paths())
        await pilot.press("M")
        await pilot.pause()
        assert all(module.training for module in model.modules())


async def test_compare_lists_modules_that_differ_and_buffers_a_training_forward_changes() -> None:
    async with bn_app().run_test(size=SIZE) as pilot:
        model = pilot.app.session.model
        model.eval()
        running_var = model.bn.running_var.numpy().copy()
        await pilot.press("c")
        await settle(pilot)
        panel = pilot.app.screen.query_one(ModesPanel)
        assert pilot.app.screen.query_one("#tabs").active == "tab-modes"
        modules = {row[0]: row for row in table_texts(panel.query_one("#compare-modules"))}
        assert modules["bn"][1] == "differs itself" and modules["drop"][1] == "differs itself"
        assert modules["fc2"][1] == "differs (input)" and modules["(root)"][1] == "differs (input)"
        assert list(modules)[:2] == ["bn", "drop"]  # the causes lead the list
        assert modules["fc1"][1] == "same"
        title = str(panel.query_one("#compare-title").render())
        assert "2 differ by itself, on the same input (bn, drop)" in title
        buffers = {row[0]: row[1] for row in table_texts(panel.query_one("#compare-buffers"))}
        assert buffers == {"bn.running_mean": "changes", "bn.running_var": "changes",
                           "bn.num_batches_tracked": "changes"}
        assert not model.training  # the real model is untouched
        np.testing.assert_array_equal(model.bn.running_var.numpy(), running_var)


async def test_snapshot_train_diff_and_strict_load_restores(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    async with bn_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        await pilot.press("s")
        await answer_prompt(pilot, None)  # the default name, in the current folder
        path = tmp_path / "bn_drop-snapshot.npz"
        assert path.exists() and pilot.app.session.snapshot_path == path
        panel = screen.query_one(StatePanel)
        assert screen.query_one("#tabs").active == "tab-state"
        assert all(row[2] == "same" for row in table_texts(panel.query_one("#state-parameter-diff")))
        await pilot.press("t")
        await answer_prompt(pilot, "3")
        await settle(pilot)
        parameters = table_texts(panel.query_one("#state-parameter-diff"))
        assert [row[0] for row in parameters] == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                                                  "fc2.weight", "fc2.bias"]
        # shapes as in the tensor tables and the trace; no note column when no key needs one
        assert [row[1] for row in parameters] == ["6×4", "6", "6", "6", "3×6", "3"]
        assert len(parameters[0]) == 4
        changed = {row[0]: row[2] for row in parameters}
        # fc1.bias feeds BatchNorm, which subtracts the batch mean: its gradient is zero, it never moves
        assert changed.pop("fc1.bias") == "same"
        assert set(changed.values()) == {"changed"}
        assert all(float(row[3]) > 0 for row in parameters if row[0] != "fc1.bias")
        buffers = {row[0]: row[2] for row in table_texts(panel.query_one("#state-buffer-diff"))}
        assert {row[0]: row[1] for row in table_texts(panel.query_one("#state-buffer-diff"))}[
            "bn.num_batches_tracked"] == "scalar"
        assert buffers["bn.running_mean"] == "changed" and buffers["bn.num_batches_tracked"] == "changed"
        assert "3 optimizer steps since" in str(panel.query_one("#snapshot-info").render())
        await pilot.press("l")
        await answer_prompt(pilot, None)
        await settle(pilot)
        assert panel.report is not None and panel.report.loaded and panel.report.error is None
        assert "every key now equals the file" in str(panel.query_one("#load-report").render())
        everything = table_texts(panel.query_one("#state-parameter-diff")) + table_texts(
            panel.query_one("#state-buffer-diff"))
        assert all(row[2] == "same" for row in everything)


async def test_save_never_overwrites_without_confirmation(tmp_path: Path) -> None:
    target = tmp_path / "keep.npz"
    target.write_bytes(b"precious")
    async with bn_app().run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await answer_prompt(pilot, str(target))
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_bytes() == b"precious" and pilot.app.session.snapshot is None
        await pilot.press("s")
        await answer_prompt(pilot, str(target))
        await pilot.press("y")
        await pilot.pause()
        assert target.read_bytes() != b"precious"
        assert set(mm.load(str(target))) == set(pilot.app.session.model.state_dict())


async def test_typing_ahead_through_the_prompt_and_the_confirm(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.npz").write_bytes(b"precious")
    async with bn_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        # one burst, as a terminal delivers fast typing: s, a name (with a typo fixed), enter, then y
        # for the overwrite question that is not on screen yet
        burst = ["s", *"oldd", "backspace", *".npz", "enter", "y"]
        for key in burst:
            pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
        for _ in range(100):
            await pilot.pause(0.02)
            if pilot.app.session.snapshot is not None:
                break
        await pilot.pause()
        assert pilot.app.screen is pilot.app.main_screen
        assert pilot.app.session.snapshot_path == tmp_path / "old.npz"
        assert (tmp_path / "old.npz").read_bytes() != b"precious"  # answered y: overwritten
        assert sorted(path.name for path in tmp_path.iterdir()) == ["old.npz"]


async def test_loading_a_mismatching_file_lists_problems_and_offers_strict_false(tmp_path: Path) -> None:
    mm.manual_seed(1)
    other = BnDropNet()
    state = dict(other.state_dict())
    del state["fc2.bias"]
    state["head.weight"] = np.ones(3, dtype=np.float32)
    mm.save(state, str(tmp_path / "other.npz"))
    async with bn_app().run_test(size=SIZE) as pilot:
        model = pilot.app.session.model
        before = model.fc1.weight.numpy().copy()
        await pilot.press("l")
        await answer_prompt(pilot, str(tmp_path / "other.npz"))
        await settle(pilot)
        panel = pilot.app.screen.query_one(StatePanel)
        text = str(panel.query_one("#load-report").render())
        assert "refused" in text and "missing keys (1" in text and "fc2.bias" in text
        assert "unexpected keys (1" in text and "head.weight" in text
        np.testing.assert_array_equal(model.fc1.weight.numpy(), before)
        assert panel.query_one("#load-actions").display
        await pilot.click("#load-nonstrict")
        await settle(pilot)
        assert panel.report.loaded and not panel.report.strict
        np.testing.assert_array_equal(model.fc1.weight.numpy(), other.fc1.weight.numpy())
        assert not panel.query_one("#load-actions").display
        # fc2.bias is not in the file: it kept its value, and is not "still different" from the file
        assert panel.report.still_different == ()
        text = str(panel.query_one("#load-report").render())
        assert "every key of the file now equals it; the missing keys kept their values" in text


async def test_shape_mismatch_is_listed_and_cannot_load_loosely(tmp_path: Path) -> None:
    state = dict(BnDropNet().state_dict())
    state["fc1.weight"] = np.zeros((2, 2), dtype=np.float32)
    mm.save(state, str(tmp_path / "shapes.npz"))
    async with bn_app().run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await answer_prompt(pilot, str(tmp_path / "shapes.npz"))
        await settle(pilot)
        panel = pilot.app.screen.query_one(StatePanel)
        assert "shape mismatch: fc1.weight: file 2×2, model 6×4" in str(
            panel.query_one("#load-report").render())
        assert not panel.query_one("#load-actions").display


async def test_loading_a_missing_file_shows_an_error_and_keeps_running(tmp_path: Path) -> None:
    async with bn_app().run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await answer_prompt(pilot, str(tmp_path / "nope.npz"))
        await settle(pilot)
        screen = pilot.app.main_screen
        assert screen.query_one("#error-panel").display
        assert "nope.npz" in screen.last_error and "load failed" in screen.last_error
        await pilot.press("f")
        await settle(pilot)
        assert not screen.query_one("#error-panel").display


@pytest.mark.parametrize("view", ["tree", "flow", "autograd"])
async def test_export_writes_the_current_view_to_svg_and_shows_the_path(tmp_path: Path, view: str) -> None:
    async with bn_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        for _ in range(("tree", "flow", "autograd").index(view)):
            await pilot.press("v")
        await pilot.press("minus")
        assert screen.diagram_view == view and screen.diagram_depth == 0
        await pilot.press("e")
        await answer_prompt(pilot, str(tmp_path / f"model-{view}.svg"))
        await settle(pilot)
        path = tmp_path / f"model-{view}.svg"
        assert path.exists() and path.read_text().lstrip().startswith(("<?xml", "<svg"))
        assert screen.last_export == str(path.resolve())
        assert str(path.resolve()) in str(screen.query_one("#status-bar").render())  # outside the cwd: whole
        await pilot.press("e")
        await answer_prompt(pilot, str(path))
        assert isinstance(pilot.app.screen, ConfirmScreen)  # asks before overwriting
        await pilot.press("escape")


async def test_a_raising_forward_shows_in_the_error_panel_and_the_app_keeps_running() -> None:
    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("broken", Broken(), mm.randn(2, 4)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await settle(pilot)
        screen = app.main_screen
        assert screen.query_one("#error-panel").display
        # the module whose forward raised is named (here the root's own forward)
        assert screen.last_error.startswith(
            "forward failed in the root (Broken): NameError: name 'undefined_name' is not defined")
        assert "test_app_state.py" in screen.last_error
        await pilot.press("down")
        assert screen.module_tree.selected_path == "fc"
        await pilot.press("b")  # still responsive, and the next failure is reported too
        await settle(pilot)
        assert screen.last_error.startswith("backward failed in the root (Broken): NameError")
        assert screen.module_tree.selected_path == ""  # the failing module is selected again
        await pilot.press("escape")
        assert not screen.query_one("#error-panel").display


async def test_a_wrong_input_shape_shows_in_the_error_panel() -> None:
    mm.manual_seed(0)
    app = InspectorApp("convnet", input_shape="1,3,32,32")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await settle(pilot)
        error = app.main_screen.last_error
        assert error.startswith("forward failed in conv1 (Conv2d): RuntimeError:")
        assert "[1, 3, 32, 32]" in error and "\n" not in error  # the input's shape, on one line
        assert app.is_running and app.main_screen.query_one("#error-panel").display
