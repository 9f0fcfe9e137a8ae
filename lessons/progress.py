"""Per-user progress and exercise workspace, kept in the XDG data dir and written atomically."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from minimod.atomic_file import atomic_write as write_file_atomically
from minimod.errors import UserError

PROGRESS_FILE = "progress.json"
_VERSION = 1


def data_dir() -> Path:
    """$MINIMOD_DATA_DIR, else $XDG_DATA_HOME/minimod, else ~/.local/share/minimod."""
    override = os.environ.get("MINIMOD_DATA_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "minimod"


def workspace_dir(slug: str) -> Path:
    return data_dir() / "workspace" / slug


def workspace_exercise(slug: str, starter: Path) -> Path:
    """The student's copy of a lesson's exercise, made from `starter` the first time it is asked for."""
    target = workspace_dir(slug) / "exercise.py"
    if not target.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, starter.read_text(encoding="utf-8"))
        except OSError as error:
            raise UserError(
                f"cannot create the exercise file {target}: {error.strerror}; "
                f"set MINIMOD_DATA_DIR to a writable folder"
            ) from None
    return target


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` so that a crash leaves either the old file or the new one, never half."""
    write_file_atomically(path, lambda stream: stream.write(text.encode("utf-8")))


def _empty_lesson() -> dict[str, Any]:
    return {"step": 0, "steps_done": [], "questions": {}, "exercise_passed": False, "checked_at": None}


class Progress:
    """Progress of one user: per lesson, the current step, steps run, questions answered, exercise state."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / PROGRESS_FILE
        self.warning: str | None = None
        self.lessons: dict[str, dict[str, Any]] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            lessons = data["lessons"]
            if not isinstance(lessons, dict):
                raise TypeError("lessons is not an object")
        except (OSError, ValueError, KeyError, TypeError) as error:
            # A damaged file must not lock the student out: keep a copy aside and start again.
            backup = self.path.with_name(self.path.name + ".damaged")
            with contextlib.suppress(OSError):
                shutil.copyfile(self.path, backup)
            self.warning = f"progress file {self.path} was unreadable ({error}); a copy is in {backup}"
            return
        for slug, record in lessons.items():
            if isinstance(record, dict):
                self.lessons[slug] = {**_empty_lesson(), **record}

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps({"version": _VERSION, "lessons": self.lessons}, indent=2))
        except OSError as error:
            raise UserError(
                f"cannot save progress to {self.path}: {error.strerror}; "
                f"set MINIMOD_DATA_DIR to a writable folder"
            ) from None

    def lesson(self, slug: str) -> dict[str, Any]:
        return self.lessons.setdefault(slug, _empty_lesson())

    # --- updates (each saves at once, so quitting at any moment loses nothing) ------------------

    def set_step(self, slug: str, step: int) -> None:
        self.lesson(slug)["step"] = step
        self.save()

    def mark_step_done(self, slug: str, step: int) -> None:
        record = self.lesson(slug)
        if step not in record["steps_done"]:
            record["steps_done"] = sorted([*record["steps_done"], step])
        self.save()

    def record_answer(self, slug: str, key: str, choice: int, correct: bool) -> None:
        self.lesson(slug)["questions"][key] = {"choice": choice, "correct": correct}
        self.save()

    def record_check(self, slug: str, passed: bool) -> None:
        record = self.lesson(slug)
        record["exercise_passed"] = record["exercise_passed"] or passed  # a pass is never taken back
        record["checked_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
        self.save()

    def reset(self, slug: str | None = None) -> None:
        if slug is None:
            self.lessons.clear()
        else:
            self.lessons.pop(slug, None)
        self.save()

    # --- summaries --------------------------------------------------------------------------------

    def summary(self, slug: str, step_count: int, question_count: int) -> str:
        """One line such as '3/5 steps, 1/2 questions, exercise passed'."""
        record = self.lessons.get(slug, _empty_lesson())
        steps = len([s for s in record["steps_done"] if 0 <= s < step_count])
        answered = len(record["questions"])
        exercise = "exercise passed" if record["exercise_passed"] else "exercise not passed"
        return f"{steps}/{step_count} steps, {answered}/{question_count} questions, {exercise}"

    def is_complete(self, slug: str, step_count: int) -> bool:
        record = self.lessons.get(slug)
        return bool(record and record["exercise_passed"] and len(record["steps_done"]) >= step_count)
