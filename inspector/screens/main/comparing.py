"""The main screen's comparison of two state dicts (C): each side a .npz file, a TARGET, or the live model;
the State dict tab shows the result module by module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.worker import Worker

from inspector.screens.dialogs import PromptScreen
from inspector.state_compare import StateComparison, compare_state_dicts
from inspector.state_sources import load_comparison

LIVE_MODEL = "model"  # what the user types for the model being inspected
HINT = "a .npz written by mm.save, a TARGET (a zoo name: its state dict from seed 0), or model (the live one)"


def compare_sides(session: Any, first: str, second: str) -> StateComparison:
    """Compare A (`first`) and B (`second`), each a .npz path, a TARGET or LIVE_MODEL; keys are grouped by
    the live model's modules when it is a side (a key it lacks under the module that would hold it)."""
    def side(text: str) -> tuple[dict, str]:
        if text.strip().lower() == LIVE_MODEL:
            return session.current_state(), f"the model (after {session.steps} optimizer steps)"
        return load_comparison(text.strip())

    (left, left_name), (right, right_name) = side(first), side(second)
    if left_name == right_name:  # one file name in two folders: the paths tell them apart
        left_name, right_name = first, second
    live = LIVE_MODEL in (first.strip().lower(), second.strip().lower())
    modules = [path for path, _ in session.model.named_modules()] if live else None
    return compare_state_dicts(left, right, left_name=left_name, right_name=right_name, modules=modules)


class CompareActions:
    """Mixed into MainScreen: C asks for two sides and compares them in the worker."""

    def action_compare_files(self) -> None:
        first = str(self.session.snapshot_path) if self.session.snapshot_path is not None else LIVE_MODEL
        self.app.push_screen(PromptScreen("Compare state dicts: A (as the model loaded into)", first,
                                          "file.npz, a TARGET, or model", HINT), self.ask_second_side)

    def ask_second_side(self, first: str | None) -> None:
        if first is None:
            return
        second = LIVE_MODEL if first.strip().lower() != LIVE_MODEL else ""
        self.app.push_screen(PromptScreen(f"Compare with {first}: B (as the state dict loaded)", second,
                                          "file.npz, a TARGET, or model", HINT),
                             lambda answer: self.start_compare_files(first, answer) if answer else None)

    def start_compare_files(self, first: str, second: str) -> bool:
        """Compare the two sides in the worker; finish() shows the result on the State dict tab."""
        session = self.session

        def job(on_event: Callable[[Any], None], worker: Worker) -> StateComparison:
            return compare_sides(session, first, second)

        return self.start_run("compare files", job)
