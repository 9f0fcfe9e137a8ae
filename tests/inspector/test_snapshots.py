"""Snapshot tests of the inspector's main screens at 120x40 and 80x24 (pytest-textual-snapshot).

Regenerate with `pytest tests/inspector/test_snapshots.py --snapshot-update` and look at the report
before accepting. Models are seeded and timings hidden (show_time=False) so the pictures are stable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

import minimod as mm
from inspector.app import InspectorApp
from inspector.targets import LoadedTarget
from minimod import nn

pytest.importorskip("pytest_textual_snapshot")

SIZES = {"wide": (120, 40), "narrow": (80, 24)}


def make_app(target: object = "convnet") -> InspectorApp:
    mm.manual_seed(0)
    return InspectorApp(target, show_time=False)


async def _settle(pilot) -> None:
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


def keys(*presses: str) -> Callable:
    """A run_before that presses keys one by one, waits for the worker, and clears notifications."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        for key in presses:
            await pilot.press(key)
            await _settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x.reshape(3, 5))  # 8 values cannot make a (3, 5)


@pytest.mark.parametrize("size", list(SIZES))
def test_tensors_after_backward(snap_compare, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=keys("down", "b"))


@pytest.mark.parametrize("size", list(SIZES))
def test_trace_after_backward(snap_compare, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=keys("b", "2"))


def test_step_through(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES["wide"], run_before=keys("f", "n", "n", "n"))


@pytest.mark.parametrize("size", list(SIZES))
def test_compare_train_and_eval(snap_compare, size: str) -> None:
    assert snap_compare(make_app("conv_bn"), terminal_size=SIZES[size], run_before=keys("M", "c"))


@pytest.mark.parametrize("size", list(SIZES))
def test_state_dict_diff_after_training(snap_compare, size: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the snapshot file is shown relative to the current folder

    async def save_train(pilot) -> None:
        await pilot.press("s")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-input").value = "snap.npz"
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-input").value = "3"
        await pilot.press("enter")
        await _settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app("conv_bn"), terminal_size=SIZES[size], run_before=save_train)


def test_error_panel(snap_compare) -> None:
    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("broken", Broken(), mm.randn(2, 4)), show_time=False)
    assert snap_compare(app, terminal_size=SIZES["wide"], run_before=keys("f"))


@pytest.mark.parametrize("size", list(SIZES))
def test_help_screen(snap_compare, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=keys("question_mark"))


def test_light_theme(snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES["wide"], run_before=keys("D", "down"))



@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_summary_tab(snap_compare, size: tuple[int, int]) -> None:
    # every number in it is an exact count (shapes, parameters, mult-adds, bytes): nothing rounds
    assert snap_compare(make_app("transformer_block"), terminal_size=size, run_before=keys("5"))
