"""The files the main screen writes: the names it offers, asking before overwriting, the summary's text.

A state_dict snapshot (s), a diagram (e) and the summary (S) are asked for in the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.worker import Worker

from inspector.screens.dialogs import ConfirmScreen, PromptScreen
from inspector.session import Session
from inspector.widgets.state_panel import display_path


def file_stem(name: str) -> str:
    """The model's name for a file: 'Tied' for mymodels.py:Tied, 'resnet18' for a zoo model."""
    name = name.rpartition(":")[2] or name
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(name).name.removesuffix(".py"))


def ask_for_file(app: App, prompt: PromptScreen, write: Callable[[Path, bool], Any]) -> None:
    """Ask `prompt` for a path, then `write(path, overwrite)`, asking first when a file is there already;
    nothing happens when a question is cancelled."""

    def answered(answer: str | None) -> None:
        if answer is None:
            return
        path = Path(answer).expanduser()
        if path.exists():
            question = f"{display_path(path)} exists. Overwrite it?"
            app.push_screen(ConfirmScreen(question, "Overwrite", "Keep it"),
                            lambda yes: write(path, True) if yes else None)
        else:
            write(path, False)

    app.push_screen(prompt, answered)


def summary_job(session: Session, path: Path) -> Callable[[Callable[[Any], None], Worker], Path]:
    """A job summarizing the model again (it may have changed) and writing the text to `path`, atomically;
    it returns the file's path."""

    def job(on_event: Callable[[Any], None], worker: Worker) -> Path:
        from minimod.atomic_file import atomic_write

        text = session.summary().text(width=120)
        target = path.resolve()
        atomic_write(target, lambda stream: stream.write(text.encode("utf-8")))
        return target

    return job
