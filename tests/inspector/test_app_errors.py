"""Errors and NaNs pinned to their module: the module whose forward raised is named and selected, the
first module that produced a NaN or Inf is marked in the tree, and j jumps to either."""

from __future__ import annotations

import asyncio
import time

import minimod as mm
from inspector.app import InspectorApp
from inspector.session import Session, first_nonfinite
from inspector.targets import LoadedTarget
from inspector.widgets.module_tree import ModuleTree
from minimod import nn

SIZE = (120, 40)


class NaNNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
        self.fc3 = nn.Linear(2, 2)
        with mm.no_grad():
            self.fc2.weight.fill_(float("nan"))

    def forward(self, x):
        return self.fc3(self.fc2(self.fc1(x)))


class Root(nn.Module):
    """x + sqrt(0 * x): x going forward, but sqrt's gradient at 0 is inf, and 0 * inf is NaN."""

    def forward(self, x):
        return x + (x * 0.0).sqrt()


def mismatched() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Linear(5, 2)))


async def settle(pilot) -> None:
    deadline = time.monotonic() + 30
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


def test_the_first_module_that_made_a_nan_not_the_ones_it_flowed_into() -> None:
    mm.manual_seed(0)
    session = Session(NaNNet(), mm.randn(5, 3), "nan")
    result = session.forward()
    assert result.nonfinite == ("fc2", "forward")  # not fc3 (its input was NaN already) nor the root
    session = Session(nn.Linear(3, 2), mm.randn(2, 3), "fine")
    assert session.forward().nonfinite is None and first_nonfinite([]) is None


def test_a_nan_that_only_backward_makes_is_pinned_to_the_module_whose_gradient_it_is() -> None:
    mm.manual_seed(0)
    session = Session(nn.Sequential(nn.Linear(3, 4), Root(), nn.Linear(4, 2)), mm.randn(6, 3), "root")
    assert session.forward().nonfinite is None
    assert session.backward().nonfinite == ("1", "backward")


def test_the_module_whose_forward_raised_is_recorded() -> None:
    mm.manual_seed(0)
    session = Session(mismatched(), mm.randn(2, 4), "bad")
    try:
        session.forward()
    except Exception:
        pass
    assert session.failed_module == "2.0"
    assert [event.module for event in session.events][-1] == "2.0"  # the trace up to the failure stays


async def test_a_nan_is_announced_marked_in_the_tree_and_j_jumps_to_it() -> None:
    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("nan", NaNNet(), mm.randn(5, 3)), show_time=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(ModuleTree)
        await pilot.press("f")
        await settle(pilot)
        messages = [notification.message for notification in pilot.app._notifications]
        assert any("NaN or Inf first in the output of fc2 (Linear): j jumps there" in m for m in messages)
        assert tree.node_for("fc2").label.plain.startswith("T NaN! fc2 Linear")
        assert "NaN" not in tree.node_for("fc3").label.plain
        assert tree.selected_path == ""
        await pilot.press("j")
        await pilot.pause()
        assert tree.selected_path == "fc2" and pilot.app.main_screen.selected_path == "fc2"


async def test_a_raising_forward_names_and_selects_its_module() -> None:
    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("bad", mismatched(), mm.randn(2, 4)), show_time=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(ModuleTree)
        await pilot.press("f")
        await settle(pilot)
        error = pilot.app.main_screen.last_error
        assert error.startswith("forward failed in 2.0 (Linear): RuntimeError")
        assert tree.selected_path == "2.0" and "raised!" in tree.node_for("2.0").label.plain
        trace = [event.module for event in pilot.app.session.events]
        assert trace[-1] == "2.0" and "1" in trace  # the modules that ran before it are in the trace
        await pilot.press("up", "up")
        await pilot.press("j")
        await pilot.pause()
        assert tree.selected_path == "2.0"


async def test_the_input_shape_is_set_in_the_app_from_the_first_layers_suggestion() -> None:
    from inspector.screens.dialogs import PromptScreen
    from inspector.targets import parse_input_spec, suggest_input

    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
    assert suggest_input(model) == ((1, 8), "float32")
    assert suggest_input(nn.Sequential(nn.Embedding(20, 4))) == ((1, 8), "int64")
    assert suggest_input(nn.Conv2d(3, 6, 3)) == ((1, 3, 32, 32), "float32")
    assert suggest_input(nn.ReLU()) is None
    assert parse_input_spec("2, 8 int64") == ((2, 8), "int64")
    assert parse_input_spec("4,8") == ((4, 8), "float32")
    app = InspectorApp(LoadedTarget("no_input", model, None), show_time=False)
    async with app.run_test(size=SIZE) as pilot:
        assert "no example input (i sets one)" in str(pilot.app.screen.query_one("#status-bar").render())
        await pilot.press("f")
        await settle(pilot)
        assert "press i to set its shape (its first layer suggests 1,8)" in pilot.app.main_screen.last_error
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PromptScreen)
        assert pilot.app.screen.query_one("#prompt-input").value == "1,8"  # the suggestion
        pilot.app.screen.query_one("#prompt-input").value = "4,8"
        await pilot.press("enter")
        await pilot.pause()
        assert tuple(pilot.app.session.example_input.shape) == (4, 8)
        await pilot.press("f")
        await settle(pilot)
        screen = pilot.app.main_screen
        assert screen.last_error is None and screen.last_result.output_shape == (4, 2)
        await pilot.press("i")
        await pilot.pause()
        assert pilot.app.screen.query_one("#prompt-input").value == "4,8"  # the current input
        pilot.app.screen.query_one("#prompt-input").value = "4,8 complex"
        await pilot.press("enter")
        await pilot.pause()
        assert "unknown dtype 'complex'" in pilot.app.main_screen.last_error
