"""Check a student's exercise file against a lesson's check.py, in a subprocess with a time limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

DEFAULT_TIMEOUT = float(os.environ.get("MINIMOD_CHECK_TIMEOUT", "60"))
_REPO_ROOT = Path(__file__).resolve().parent.parent


CheckFunction = Callable[[ModuleType], None]


def check(title: str, hint: str = "", tip: str = "",
          needs: str = "") -> Callable[[CheckFunction], CheckFunction]:
    """Mark a function in check.py as one check: `fn(student)` asserts on the student's module.

    `tip` says in words where to look (shown from the second failed check on); `hint` is code, shown
    only when the student asks for it (`--hint`, or h in the app). `needs="torch"` marks a check run
    in PyTorch: where torch is not installed it is skipped, and the result says how to install it.
    """
    if needs not in ("", "torch"):
        raise ValueError(f"check(needs=...) is '' or 'torch', got {needs!r}")

    def mark(function: CheckFunction) -> CheckFunction:
        function.check_title = title  # type: ignore[attr-defined]
        function.check_hint = hint  # type: ignore[attr-defined]
        function.check_tip = tip  # type: ignore[attr-defined]
        function.check_needs = needs  # type: ignore[attr-defined]
        return function

    return mark


# How much help a failed check prints: the message only (a first failure), a tip in words as well
# (from the second failed check of a lesson on), or the code too (asked for with --hint, or h).
HINT_LEVELS = ("message", "words", "code")


@dataclass
class Outcome:
    """The result of one check: its title, pass or fail, what went wrong, a tip in words and a code hint.
    `skipped` says why a check did not run (torch is not installed); it neither passed nor failed."""

    title: str
    passed: bool
    message: str = ""
    hint: str = ""
    tip: str = ""
    skipped: str = ""


@dataclass
class CheckResult:
    """All checks of one exercise file. `error` is set when the file could not be checked at all."""

    lesson: int
    path: str
    outcomes: list[Outcome] = field(default_factory=list)
    error: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        """No check failed, and at least one ran (checks skipped for want of torch do not count)."""
        ran = [outcome for outcome in self.outcomes if not outcome.skipped]
        return not self.error and bool(ran) and all(outcome.passed for outcome in ran)

    @property
    def summary(self) -> str:
        """'2/3 checks pass', with ', 3 skipped' when some could not run."""
        ran = [outcome for outcome in self.outcomes if not outcome.skipped]
        text = f"{sum(outcome.passed for outcome in ran)}/{len(ran)} checks pass"
        skipped = len(self.outcomes) - len(ran)
        return f"{text}, {skipped} skipped" if skipped else text

    def format(self, hints: str = "words") -> str:
        """Plain text for a terminal: one line per check, then the failures' messages and as much help
        as `hints` (one of HINT_LEVELS) allows."""
        if hints not in HINT_LEVELS:
            raise ValueError(f"hints must be one of {HINT_LEVELS}, got {hints!r}")
        lines = [f"Lesson {self.lesson} exercise: {self.path}"]
        if self.error:
            lines.append(f"  FAIL  {self.error}")
            if self.hint:
                lines.append(f"        hint: {self.hint}")
        for outcome in self.outcomes:
            if outcome.skipped:
                lines.append(f"  skip  {outcome.title}")
                continue
            lines.append(f"  {'ok  ' if outcome.passed else 'FAIL'}  {outcome.title}")
            if not outcome.passed:
                lines.extend(f"        {line}" for line in outcome.message.splitlines())
                if outcome.tip and hints != "message":
                    lines.append(f"        tip: {outcome.tip}")
                if outcome.hint and hints == "code":
                    lines.append(f"        code: {outcome.hint}")
        if self.error and not self.outcomes:
            lines.append("NOT PASSED YET: the file could not be checked.")
        else:
            verdict = "PASSED" if self.passed else "NOT PASSED YET"
            lines.append(f"{verdict}: {self.summary}.")
            reasons = list(dict.fromkeys(outcome.skipped for outcome in self.outcomes if outcome.skipped))
            lines.extend(f"Skipped: {reason}, to run them." for reason in reasons)
            failing = [o for o in self.outcomes if not (o.passed or o.skipped)]
            if not self.passed and hints != "code" and any(o.hint for o in failing):
                lines.append(_MORE_HELP[hints])
        return "\n".join(lines)


_MORE_HELP = {
    "message": "A tip in words comes with your next check; code only if you ask for it "
               "(h in the lesson, --hint on the command line).",
    "words": "Still stuck? Code for each failing check: h in the lesson, --hint on the command line.",
}


# --- in the child process ----------------------------------------------------------------------


def _where(error: BaseException, student_path: str) -> str:
    """', exercise.py line N' for the deepest frame of the traceback that is in the student's file."""
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.abspath(frame.filename) == os.path.abspath(student_path):
            line = frame.lineno
    return f" ({Path(student_path).name}, line {line})" if line else ""


# PyTorch's words for a hook that returned a value by mistake, and what the mistake was
_HOOK_MISTAKES = (
    ("has changed the size of value",
     "a backward hook returned a value: what a full backward hook returns replaces grad_input (a pre-hook's "
     "replaces grad_output), so a hook that only looks must return nothing (None)"),
    ("has changed the type of value",
     "a backward hook returned a gradient of another dtype: return None, or a tensor like the one it got"),
    ("expected Variable, but hook returned",
     "a backward hook returned something that is not a tensor: a hook that only looks must return nothing"),
    ("must be Tensor, not tuple",
     "a tuple reached a layer that wants a tensor: what a forward hook returns replaces the module's "
     "output, so return the tensor itself (or nothing), not a tuple"),
)


def _describe(error: BaseException, student_path: str) -> str:
    mistake = next((why for words, why in _HOOK_MISTAKES if words in str(error)), None)
    if mistake is not None:
        return f"your code raised {type(error).__name__}: {error}{_where(error, student_path)}: {mistake}"
    if isinstance(error, NotImplementedError):
        return f"not written yet: {error}{_where(error, student_path)}"
    if isinstance(error, AssertionError):
        return str(error) or "an assertion failed"
    missing = getattr(error, "name", None)
    owner = getattr(error, "obj", None)
    if isinstance(error, AttributeError) and isinstance(owner, ModuleType) and owner.__name__ == "exercise" \
            and missing:
        return (f"{Path(student_path).name} has no {missing!r}: keep the names the starter file gives "
                f"(a renamed or deleted class or function cannot be checked)")
    return f"your code raised {type(error).__name__}: {error}{_where(error, student_path)}"


def run_checks(lesson: int, check_path: Path, student_path: Path) -> CheckResult:
    """Import the student's file and run every check in check.py, in this process."""
    from lessons import torch_recordings
    from lessons.course import load_module_from
    from lessons.torch_recordings import INSTALL

    result = CheckResult(lesson=lesson, path=str(student_path))
    checks_module = load_module_from(check_path, f"_minimod_check_{lesson}")
    checks = [value for value in vars(checks_module).values()
              if callable(value) and hasattr(value, "check_title")]
    try:
        student = load_module_from(student_path, "exercise")
    except SyntaxError as error:
        result.error = f"{Path(error.filename or student_path).name}, line {error.lineno}: {error.msg}"
        result.hint = "Python could not read the file; fix the line shown (or the one just above it)."
        return result
    except BaseException as error:  # noqa: BLE001 - any error in the student's file is reported, not raised
        result.error = f"importing the file failed: {_describe(error, str(student_path))}"
        result.hint = "code at the top level of the file runs on import; keep it in functions and classes."
        return result
    for function in checks:
        if getattr(function, "check_needs", "") == "torch" and torch_recordings.torch_or_none() is None:
            result.outcomes.append(Outcome(function.check_title, False, hint=function.check_hint,
                                           tip=getattr(function, "check_tip", ""), skipped=INSTALL))
            continue
        try:
            function(student)
        except BaseException as error:  # noqa: BLE001
            if isinstance(error, KeyboardInterrupt):
                raise
            result.outcomes.append(
                Outcome(function.check_title, False, _describe(error, str(student_path)), function.check_hint,
                        getattr(function, "check_tip", ""))
            )
        else:
            result.outcomes.append(Outcome(function.check_title, True))
    return result


def _child_main(arguments: list[str]) -> int:
    lesson, check_path, student_path, output_path = arguments
    result = run_checks(int(lesson), Path(check_path), Path(student_path))
    Path(output_path).write_text(json.dumps(asdict(result)), encoding="utf-8")
    return 0


# --- in the parent ------------------------------------------------------------------------------


def check_exercise(lesson: Any, student_path: Path | str, timeout: float = DEFAULT_TIMEOUT) -> CheckResult:
    """Check `student_path` against `lesson`'s check.py; never raises for anything in the student's code."""
    student_path = Path(student_path).expanduser().resolve()
    result = CheckResult(lesson=lesson.number, path=str(student_path))
    if not student_path.is_file():
        result.error = f"no exercise file at {student_path}"
        result.hint = (f"check the path; without --file, 'minimod lessons --check {lesson.number}' checks "
                       f"your own copy of the exercise (made when you first open the lesson)")
        return result
    with tempfile.TemporaryDirectory(prefix="minimod-check-") as scratch:
        output = Path(scratch) / "result.json"
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(_REPO_ROOT), environment.get("PYTHONPATH", "")])
        )
        command = [sys.executable, "-m", "lessons.checker", str(lesson.number), str(lesson.check_path),
                   str(student_path), str(output)]
        try:
            completed = subprocess.run(
                command, cwd=scratch, env=environment, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            result.error = f"the checks did not finish within {timeout:g} seconds"
            result.hint = "look for a loop that never ends (a while loop whose condition never changes)."
            return result
        if not output.exists():
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
            result.error = "the checker stopped before reporting: " + (" | ".join(tail) or "no output")
            result.hint = "your code may have called exit() or crashed Python; run the file with python."
            return result
        data = json.loads(output.read_text(encoding="utf-8"))
    data["outcomes"] = [Outcome(**outcome) for outcome in data["outcomes"]]
    return CheckResult(**data)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
