"""The inspector driven by Pilot: interventions (I, u, U) and comparing two state dicts (C)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import minimod as mm
from inspector.app import InspectorApp
from inspector.targets import LoadedTarget
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.state_panel import StatePanel
from tests.inspector.test_app_state import SIZE, answer_prompt, settle


def seq_app() -> InspectorApp:
    mm.manual_seed(0)
    model = mm.nn.Sequential(mm.nn.Linear(4, 6), mm.nn.ReLU(), mm.nn.Linear(6, 3))
    return InspectorApp(LoadedTarget("seq", model, mm.randn(5, 4)))


def output(app: InspectorApp) -> np.ndarray:
    return np.array(app.session.last_output.numpy())


def messages(app: InspectorApp) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


def shown_text(static) -> str:
    """The text a Static holding a rich renderable shows (at its width)."""
    console = Console(width=static.size.width or 80, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


def label(app: InspectorApp, path: str) -> str:
    return app.screen.query_one(ModuleTree).node_for(path).label.plain


async def select(pilot, path: str) -> None:
    pilot.app.screen.query_one(ModuleTree).select_path(path)
    await pilot.pause()


async def test_an_intervention_changes_the_output_is_marked_and_is_undone() -> None:
    app = seq_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        await pilot.press("f")
        await settle(pilot)
        plain = output(app)
        await select(pilot, "0")
        await pilot.press("I")
        await answer_prompt(pilot, "0")
        assert label(app, "0").startswith("T \u00d70 0 Linear")  # the badge, after the mode
        assert "hooks 1 (u/U undo)" in str(screen.query_one("#status-bar").render())
        assert "model[0].register_forward_hook(lambda m, i, o: o * 0)" in messages(app)
        assert "a forward hook's return value replaces the output" in messages(app)
        await pilot.press("f")
        await settle(pilot)
        bias = app.session.model[2].bias.numpy()
        np.testing.assert_allclose(output(app), np.broadcast_to(bias, plain.shape), rtol=1e-6)
        assert "the model's output moved by max |\u0394|" in messages(app)
        # the trace marks the replaced call, and its detail says whose value the next module got
        await pilot.press("2")
        table = screen.trace.table
        marked = [event for event in table.shown_events if event.intervention]
        assert [(event.module, event.intervention) for event in marked] == [("0", "\u00d70")]
        row = table.shown_events.index(marked[0])
        assert table.table.rows[row][2] == ("0 \u00d70", "bold magenta")  # the module cell, marked
        table.table.move_cursor(row)
        await pilot.pause()
        detail = str(screen.trace.query_one("#step-detail").render())
        assert "a forward hook then returned a new one" in detail
        after = table.shown_events[row + 1]
        assert (after.module, after.inputs[0].max, after.inputs[0].min) == ("1", 0.0, 0.0)
        # u undoes it: the badge goes, the next forward is the model's own again
        await select(pilot, "0")
        await pilot.press("u")
        await pilot.pause()
        assert "\u00d7" not in label(app, "0") and len(app.session.interventions) == 0
        await pilot.press("f")
        await settle(pilot)
        np.testing.assert_array_equal(output(app), plain)


async def test_U_undoes_every_intervention_and_a_bad_answer_is_one_line() -> None:
    app = seq_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        await select(pilot, "0")
        await pilot.press("I")
        await answer_prompt(pilot, "half")
        assert screen.last_error.startswith("cannot read 'half' as an intervention: type zero, a factor")
        await pilot.press("I")
        await answer_prompt(pilot, "scale 2")
        await select(pilot, "2")
        await pilot.press("I")
        await answer_prompt(pilot, "=1")
        assert app.session.interventions.badges() == {"0": "\u00d72", "2": "=1"}
        assert label(app, "2").startswith("T =1 2 Linear")
        await pilot.press("f")
        await settle(pilot)
        np.testing.assert_array_equal(output(app), np.ones((5, 3), np.float32))
        await pilot.press("U")
        await pilot.pause()
        assert len(app.session.interventions) == 0
        assert "\u00d7" not in label(app, "0") and "=1" not in label(app, "2")
        assert "hooks" not in str(screen.query_one("#status-bar").render())
        await pilot.press("u")  # nothing left to undo: says so
        await pilot.pause()
        assert "has no intervention; I adds one" in messages(app)


async def test_comparing_two_checkpoints_names_every_kind_per_module(tmp_path: Path) -> None:
    app = seq_app()
    first, second = tmp_path / "start.npz", tmp_path / "later.npz"
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        await pilot.press("s")
        await answer_prompt(pilot, str(first))
        await pilot.press("t")
        await answer_prompt(pilot, "3")
        await settle(pilot)
        state = app.session.current_state()
        state["2.weight"] = state["2.weight"][:2]  # a shape mismatch
        state["2.bias"] = state["2.bias"].astype(np.float64)  # a dtype mismatch
        del state["0.bias"]  # missing from B
        state["3.weight"] = np.zeros((1, 3), np.float32)  # unexpected
        mm.save(state, str(second))
        await pilot.press("C")
        await answer_prompt(pilot, None)  # A: the snapshot, offered first
        await answer_prompt(pilot, str(second))
        await settle(pilot)
        panel = screen.query_one(StatePanel)
        assert screen.query_one("#tabs").active == "tab-state" and panel.has_class("comparing")
        comparison = panel.comparison
        assert (comparison.left, comparison.right) == ("start.npz", "later.npz")
        assert {item.key: item.kind for item in comparison.keys} == {
            "0.weight": "changed", "0.bias": "missing", "2.weight": "shape", "2.bias": "dtype",
            "3.weight": "unexpected"}
        text = shown_text(panel.query_one("#compare-view"))
        assert "1 missing, 1 unexpected, 1 shape mismatch, 1 dtype mismatch, 1 changed" in text
        assert text.index("\n0") < text.index("\n2") < text.index("\n3")  # grouped by module, in order
        assert not panel.query_one("#state-parameter-diff").display  # the snapshot tables give way
        await pilot.press("d")  # back to the snapshot diff
        await pilot.pause()
        assert not panel.has_class("comparing") and panel.query_one("#state-parameter-diff").display


async def test_comparing_a_file_with_the_live_model_and_a_missing_file(tmp_path: Path) -> None:
    app = seq_app()
    first = tmp_path / "start.npz"
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        app.session.save_snapshot(first)
        await pilot.press("C")
        await answer_prompt(pilot, str(first))
        await answer_prompt(pilot, None)  # B: the live model, offered
        await settle(pilot)
        comparison = screen.query_one(StatePanel).comparison
        assert comparison.equal and comparison.right == "the model (after 0 optimizer steps)"
        assert "equal: 4 keys" in shown_text(screen.query_one("#compare-view"))
        await pilot.press("C")
        await answer_prompt(pilot, "model")
        await answer_prompt(pilot, str(tmp_path / "nowhere.npz"))
        await settle(pilot)
        assert screen.last_error is not None and "nowhere.npz: no such file" in screen.last_error
        assert "\n" not in screen.last_error


async def test_an_intervention_and_a_comparison_on_a_torch_model_through_the_app(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    app = InspectorApp(LoadedTarget("seq", model, torch.randn(5, 4)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await settle(pilot)
        plain = app.session.last_output.detach().numpy().copy()
        await select(pilot, "2")
        await pilot.press("I")
        await answer_prompt(pilot, "x-1")
        await pilot.press("f")
        await settle(pilot)
        np.testing.assert_allclose(app.session.last_output.detach().numpy(), -plain, rtol=1e-6)
        assert label(app, "2").startswith("T \u00d7-1 2 Linear")
        await pilot.press("U")
        await pilot.press("f")
        await settle(pilot)
        np.testing.assert_array_equal(app.session.last_output.detach().numpy(), plain)
        # the live torch model against a checkpoint of it with one tensor changed (the adapter's arrays)
        state = app.session.current_state()
        state["2.bias"] = state["2.bias"] + 1.0
        mm.save(state, str(tmp_path / "changed.npz"))
        await pilot.press("C")
        await answer_prompt(pilot, "model")
        await answer_prompt(pilot, str(tmp_path / "changed.npz"))
        await settle(pilot)
        comparison = app.screen.query_one(StatePanel).comparison
        assert [(item.key, item.kind) for item in comparison.keys if item.kind != "same"] == [
            ("2.bias", "changed")]
        assert comparison.get("2.bias").change == pytest.approx(np.sqrt(3.0))
