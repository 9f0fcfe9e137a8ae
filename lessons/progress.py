"""Per-user progress and exercise workspace, kept in the XDG data dir; every update merges, never overwrites.

Two programs may write progress at once (the app, and `minimod lessons --check N` in a shell). Each
update therefore re-reads the file under a lock, applies its one change to what is on disk, and
replaces the file atomically: a pass recorded by the shell survives the app's next save.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from minimod.atomic_file import atomic_write as write_file_atomically
from minimod.errors import UserError

try:  # POSIX; elsewhere updates are still atomic, only not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

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
    return {"step": 0, "steps_done": [], "questions": {}, "exercise_passed": False, "checked_at": None,
            "failed_checks": 0}


class Progress:
    """Progress of one user: per lesson, the current step, steps run, predictions, exercise state.

    `lessons` is the state as last read or written; every update re-reads the file first (under a
    lock), so what another program wrote in the meantime is kept.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / PROGRESS_FILE
        self.warning: str | None = None
        self.lessons: dict[str, dict[str, Any]] = self._read(report=True)

    def _read(self, report: bool = False) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
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
            if report:
                self.warning = f"progress file {self.path} was unreadable ({error}); a copy is in {backup}"
            return {}
        return {slug: {**_empty_lesson(), **record} for slug, record in lessons.items()
                if isinstance(record, dict)}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _update(self, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
        """Read the file, apply `change` to what is there, write it back: one merge, under the lock."""
        try:
            with self._locked():
                lessons = self._read()
                change(lessons)
                atomic_write(self.path, json.dumps({"version": _VERSION, "lessons": lessons}, indent=2))
        except OSError as error:
            raise UserError(
                f"cannot save progress to {self.path}: {error.strerror}; "
                f"set MINIMOD_DATA_DIR to a writable folder"
            ) from None
        self.lessons = lessons

    def reload(self) -> None:
        """See what other programs wrote (the lesson list does this when it comes back into view)."""
        self.lessons = self._read()

    def lesson(self, slug: str) -> dict[str, Any]:
        """The record of one lesson as last read (an empty one if the lesson was never opened)."""
        return self.lessons.get(slug) or _empty_lesson()

    # --- updates (each one merges with the file at once, so quitting at any moment loses nothing) ---

    @staticmethod
    def _record(lessons: dict[str, dict[str, Any]], slug: str) -> dict[str, Any]:
        return lessons.setdefault(slug, _empty_lesson())

    def set_step(self, slug: str, step: int) -> None:
        def change(lessons):
            self._record(lessons, slug)["step"] = step

        self._update(change)

    def mark_step_done(self, slug: str, step: int) -> None:
        def change(lessons):
            record = self._record(lessons, slug)
            record["steps_done"] = sorted({*record["steps_done"], step})

        self._update(change)

    def record_answer(self, slug: str, key: str, choice: int, correct: bool, *, prompt: str = "",
                      chosen: str = "", answer: str = "") -> None:
        """Keep a prediction and its outcome; the first prediction of a question is the one kept."""

        def change(lessons):
            questions = self._record(lessons, slug)["questions"]
            if key not in questions:
                questions[key] = {"choice": choice, "correct": correct, "prompt": prompt, "chosen": chosen,
                                  "answer": answer, "at": time.strftime("%Y-%m-%d %H:%M:%S")}

        self._update(change)

    def record_check(self, slug: str, passed: bool) -> int:
        """Record a check; returns how many checks of this lesson had failed before this one."""
        failed_before = 0

        def change(lessons):
            nonlocal failed_before
            record = self._record(lessons, slug)
            failed_before = int(record.get("failed_checks", 0))
            record["exercise_passed"] = record["exercise_passed"] or passed  # a pass is never taken back
            if not passed:
                record["failed_checks"] = failed_before + 1
            record["checked_at"] = time.strftime("%Y-%m-%d %H:%M:%S")

        self._update(change)
        return failed_before

    def reset(self, slug: str | None = None) -> None:
        def change(lessons):
            if slug is None:
                lessons.clear()
            else:
                lessons.pop(slug, None)

        self._update(change)

    # --- summaries --------------------------------------------------------------------------------

    def summary(self, slug: str, step_count: int, question_count: int) -> str:
        """One line such as '3/5 steps, 1/2 questions, exercise passed'."""
        record = self.lesson(slug)
        steps = len([s for s in record["steps_done"] if 0 <= s < step_count])
        answered = len(record["questions"])
        exercise = "exercise passed" if record["exercise_passed"] else "exercise not passed"
        return f"{steps}/{step_count} steps, {answered}/{question_count} questions, {exercise}"

    def missed(self, slug: str) -> list[dict[str, Any]]:
        """The predictions of one lesson that were wrong the first time, each with its key, in order."""
        questions = self.lesson(slug)["questions"]
        return [{"key": key, **entry} for key, entry in questions.items() if not entry.get("correct")]

    def is_complete(self, slug: str, step_count: int) -> bool:
        record = self.lessons.get(slug)
        return bool(record and record["exercise_passed"] and len(record["steps_done"]) >= step_count)
