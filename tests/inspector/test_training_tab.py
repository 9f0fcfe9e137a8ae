"""The Training tab, driven with Pilot: the curve grows with training and is the losses training returned,
the views follow the tree's selection, the heatmap's counts are numpy's, the overview flags what it
should; and snapshots of things that do not change with rounding."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import minimod as mm
from inspector.app import InspectorApp
from inspector.messages import TrainProgressed
from inspector.targets import LoadedTarget
from inspector.training_history import BINS
from minimod import nn

SIZE = (120, 40)


def make_app(target: object) -> InspectorApp:
    mm.manual_seed(0)
    return InspectorApp(target, show_time=False)


def mlp_target() -> LoadedTarget:
    mm.manual_seed(0)
    return LoadedTarget("mlp", nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)), mm.randn(5, 6))


class Dead(nn.Module):
    """Every output is zero and stays zero: nothing here depends on rounding."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(8, 2)
        with mm.no_grad():
            self.fc1.weight.zero_()
            self.fc1.bias.fill_(-1.0)
            self.fc2.weight.zero_()
            self.fc2.bias.zero_()
        self.fc2.bias.requires_grad_(False)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def dead_target() -> LoadedTarget:
    return LoadedTarget("dead", Dead(), mm.ones(2, 4))


async def settle(pilot) -> None:
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


async def train(pilot, steps: int) -> None:
    await pilot.press("t")
    await pilot.pause()
    await pilot.press("end", "backspace", "backspace", *str(steps), "enter")
    await settle(pilot)


async def test_the_curve_shows_exactly_the_losses_training_returned() -> None:
    async with make_app(mlp_target()).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await train(pilot, 15)
        screen = pilot.app.main_screen
        panel = screen.training_panel
        assert screen.session.steps == 15
        assert panel.curve == (list(range(1, 16)), screen.session.losses)


async def test_the_curve_grows_with_each_progress_report() -> None:
    async with make_app(mlp_target()).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        screen = pilot.app.main_screen
        lengths = []
        for done in range(1, 4):
            screen.session.step()
            screen.post_message(TrainProgressed(done, 3, screen.session.losses[-1]))
            await pilot.pause()
            lengths.append(len(screen.training_panel.curve[0]))
        assert lengths == [1, 2, 3]


async def test_snapshot_and_mode_change_are_marked_on_the_curve(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    async with make_app(mlp_target()).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train(pilot, 3)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        await pilot.press("6")
        await pilot.pause()
        assert pilot.app.main_screen.session.history.marks_list() == [(3, "snapshot"), (3, "eval model")]


async def test_views_cycle_and_follow_the_selection() -> None:
    async with make_app(mlp_target()).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.main_screen
        await pilot.press("6")
        await train(pilot, 4)
        panel = screen.training_panel
        assert panel.view_name == "std" and "std of the output" in panel.view_text.plain
        await pilot.press("V")
        assert panel.view_name == "grad" and "gradient norm" in panel.view_text.plain
        await pilot.press("V")
        screen.module_tree.select_path("1")
        await pilot.pause()
        assert panel.view_text.plain.startswith("Outputs of 1 (ReLU) over steps")
        await pilot.press("V")
        screen.module_tree.select_path("2")
        await pilot.pause()
        assert panel.view_text.plain.startswith("Values of 2.weight after each step")
        screen.module_tree.select_path("1")  # a ReLU has no parameters
        await pilot.pause()
        assert "1 has no parameters" in panel.view_text.plain


async def test_the_heatmap_counts_are_numpys_histogram_of_the_activations() -> None:
    target = mlp_target()
    recorded: list[np.ndarray] = []
    target.model[1].register_forward_hook(lambda m, args, output: recorded.append(output.numpy().copy()))
    async with make_app(target).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await train(pilot, 5)
        screen = pilot.app.main_screen
        histogram = screen.session.history.activations("1")
        assert len(recorded) == 5
        for column, values in enumerate(recorded):
            expected, _ = np.histogram(values, bins=BINS, range=(histogram.edges[0], histogram.edges[-1]))
            assert histogram.counts[column].tolist() == expected.tolist()


async def test_the_overview_flags_a_dead_layer() -> None:
    async with make_app(dead_target()).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await train(pilot, 3)
        text = pilot.app.main_screen.training_panel.view_text.plain
        relu_row = next(line for line in text.splitlines() if line.startswith("relu ReLU"))
        assert "100% zero" in relu_row and "dead" in relu_row
        assert "relu (dead): 100% of its outputs are zero" in text


async def test_the_overview_flags_vanishing_gradients() -> None:
    mm.manual_seed(0)
    layers = []
    for _ in range(10):
        linear = nn.Linear(8, 8)
        with mm.no_grad():
            linear.weight.mul_(0.5)
        layers += [linear, nn.Sigmoid()]
    target = LoadedTarget("deep", nn.Sequential(*layers, nn.Linear(8, 3)), mm.randn(4, 8))
    async with make_app(target).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("V")  # the gradient-norm overview
        await train(pilot, 2)
        text = pilot.app.main_screen.training_panel.view_text.plain
        first_row = next(line for line in text.splitlines() if line.startswith("0 Linear"))
        assert "vanishing" in first_row
        assert "0 (vanishing): gradient norm" in text


# --- snapshots ---------------------------------------------------------------------------------------

SNAPSHOT_SIZES = {"narrow": (80, 24), "large": (160, 48)}


def _snapshot_keys(*presses: str, steps: int = 0):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)
        if steps:
            await train(pilot, steps)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", list(SNAPSHOT_SIZES))
def test_snapshot_training_tab_before_training(snap_compare, size: str) -> None:
    pytest.importorskip("pytest_textual_snapshot")
    assert snap_compare(make_app(mlp_target()), terminal_size=SNAPSHOT_SIZES[size],
                        run_before=_snapshot_keys("6"))


@pytest.mark.parametrize("size", list(SNAPSHOT_SIZES))
def test_snapshot_overview_of_a_dead_model(snap_compare, size: str) -> None:
    pytest.importorskip("pytest_textual_snapshot")
    assert snap_compare(make_app(dead_target()), terminal_size=SNAPSHOT_SIZES[size],
                        run_before=_snapshot_keys("6", steps=3))
