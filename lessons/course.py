"""The course as data: find the lesson folders, read lesson.md into steps, run step code in a namespace."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import traceback
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from lessons import torch_recordings
from minimod.errors import UserError

LESSONS_DIR = Path(__file__).resolve().parent
_FOLDER = re.compile(r"^(\d\d)_([a-z0-9_]+)$")
_VIEWS = ("tree", "tensors", "trace", "picture")
_PICTURES = ("tree", "autograd", "hooks", "loss")  # inspector/lesson_pictures.py draws them
_EXERCISE = "your exercise"
# A step's text after this heading is shown only once the step's questions are answered: it explains
# what the student is asked to predict, so it must not stand above the question.
REVEAL_HEADING = "### After you answer"


@dataclass(frozen=True)
class Step:
    """One runnable step: code run in the lesson's namespace; `show` picks the pane that shows the result.

    show: "tree" (the module tree), "tensors" (parameter and buffer tables of `focus`), "trace"
    (the forward calls recorded while running `model(example_input)`) or "picture" (the step's
    picture). `focus` is a dotted module path inside `model` ("" is the model itself); `subtree`
    makes the tensor tables list the tensors of everything below `focus`, not only its own (the
    student toggles with o). `picture` names a picture drawn after the run (inspector/lesson_pictures.py):
    "tree" (the module tree of `model`), "autograd:EXPR" (the graph behind a tensor), "hooks" (the
    hook timeline of `model(example_input)` and backward) or "loss:EXPR" (a curve of a list of losses).
    `needs_torch` marks a step written in PyTorch: without torch installed, it shows the output it had
    in PyTorch 2.13 and the values its questions read, recorded (lessons/pytorch_facts.py), and says
    how to install torch; the panes keep the model of the step before.
    """

    code: str
    show: str = "tensors"
    focus: str = ""
    subtree: bool = False
    picture: str = ""
    needs_torch: bool = False

    def __post_init__(self) -> None:
        if self.show not in _VIEWS:
            raise ValueError(f"Step.show must be one of {_VIEWS}, got {self.show!r}")
        if self.show == "picture" and not self.picture:
            raise ValueError("Step.show='picture' needs a picture")
        if self.picture:
            kind = self.picture.partition(":")[0]
            if kind not in _PICTURES:
                raise ValueError(f"Step.picture must start with one of {_PICTURES}, got {self.picture!r}")
        object.__setattr__(self, "code", _dedent(self.code))


@dataclass(frozen=True)
class Question:
    """A predict-then-reveal question: the student picks a choice, then `answer` is computed live.

    `answer` is a Python expression evaluated in the lesson's namespace after step `step` (1-based)
    has run; the correct choice is the one equal to its value (compared as text, so a choice can be
    written "2" or "float32").
    """

    step: int
    prompt: str
    choices: tuple[str, ...]
    answer: str
    explanation: str
    key: str = ""

    def correct_choice(self, value: Any) -> int | None:
        """The index of the choice that matches the live `value`, or None if no choice does."""
        wanted = _as_text(value)
        for index, choice in enumerate(self.choices):
            if choice.strip() == wanted:
                return index
        return None


@dataclass
class Lesson:
    """One folder of the course: its text split into steps, its step code, questions and exercise."""

    number: int
    slug: str
    folder: Path
    title: str
    intro: str
    sections: list[tuple[str, str]]  # (title, markdown) per step, from lesson.md's "## " headings
    steps: list[Step]
    questions: list[Question]
    sources: list[str] = field(default_factory=list)
    exercise_text: str = ""
    reveals: list[str] = field(default_factory=list)  # per step: the text under REVEAL_HEADING, or ""

    @property
    def short_title(self) -> str:
        """The title without its "Lesson N: " label."""
        return self.title.split(": ", 1)[-1] if self.title.startswith("Lesson ") else self.title

    @property
    def exercise_path(self) -> Path:
        return self.folder / "exercise.py"

    @property
    def solution_path(self) -> Path:
        return self.folder / "solution.py"

    @property
    def check_path(self) -> Path:
        return self.folder / "check.py"

    def questions_for(self, step_index: int) -> list[Question]:
        """The questions asked at 0-based step `step_index`."""
        return [question for question in self.questions if question.step == step_index + 1]


def _dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code).strip("\n") + "\n"


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float):
        return format(value, "g")
    return str(value).strip()


def load_module_from(path: Path, name: str) -> ModuleType:
    """Import a file that is not on sys.path (lesson folders start with a digit, so no package import)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parse_markdown(text: str, path: Path) -> tuple[str, str, list[tuple[str, str]]]:
    """lesson.md -> (title from '# ', intro before the first '## ', [(step title, step text)])."""
    title, intro_lines, sections = "", [], []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            current = []
            sections.append((line[3:].strip(), current))
        elif current is None:
            intro_lines.append(line)
        else:
            current.append(line)
    if not title or not sections:
        raise UserError(f"{path} needs a '# Title' line and at least one '## Step' section")
    return title, "\n".join(intro_lines).strip(), [(name, "\n".join(body).strip()) for name, body in sections]


def load_lesson(folder: Path) -> Lesson:
    """Read one lesson folder; a mismatch between lesson.md's sections and steps.py's STEPS is an error."""
    match = _FOLDER.match(folder.name)
    if not match:
        raise UserError(f"{folder} is not a lesson folder (expected NN_name)")
    title, intro, sections = _parse_markdown((folder / "lesson.md").read_text(encoding="utf-8"), folder)
    # The closing "## Your exercise" section describes the exercise; it is not a step.
    exercise_text = "\n\n".join(body for name, body in sections if name.lower().startswith(_EXERCISE))
    sections = [(name, body) for name, body in sections if not name.lower().startswith(_EXERCISE)]
    reveals = []
    for index, (name, body) in enumerate(sections):
        before, _, after = body.partition(REVEAL_HEADING)
        sections[index] = (name, before.strip())
        reveals.append(after.strip())
    steps_module = load_module_from(folder / "steps.py", f"_minimod_lesson_{folder.name}_steps")
    steps = list(steps_module.STEPS)
    questions = list(getattr(steps_module, "QUESTIONS", []))
    if len(steps) != len(sections):
        raise UserError(
            f"{folder.name}: lesson.md has {len(sections)} '## ' sections but steps.py has {len(steps)} STEPS"
        )
    numbered = [
        question if question.key else _with_key(question, f"q{index + 1}")
        for index, question in enumerate(questions)
    ]
    return Lesson(
        number=int(match.group(1)),
        slug=folder.name,
        folder=folder,
        title=title,
        intro=intro,
        sections=sections,
        steps=steps,
        questions=numbered,
        sources=list(getattr(steps_module, "SOURCES", [])),
        exercise_text=exercise_text,
        reveals=reveals,
    )


def _with_key(question: Question, key: str) -> Question:
    from dataclasses import replace

    return replace(question, key=key)


@cache
def load_course(root: Path = LESSONS_DIR) -> tuple[Lesson, ...]:
    """Every lesson under `root`, in number order."""
    folders = sorted(path for path in root.iterdir() if path.is_dir() and _FOLDER.match(path.name))
    return tuple(load_lesson(folder) for folder in folders)


def find_lesson(which: str | int, course: tuple[Lesson, ...] | None = None) -> Lesson:
    """A lesson by number (3, "3", "03") or folder name ("03_nesting_and_names")."""
    course = load_course() if course is None else course
    text = str(which).strip()
    for lesson in course:
        if text == lesson.slug or (text.isdigit() and int(text) == lesson.number):
            return lesson
    numbers = ", ".join(str(lesson.number) for lesson in course)
    raise UserError(f"no lesson {text!r}; the lessons are numbered {numbers} (see 'minimod lessons --list')")


# --- running steps ------------------------------------------------------------------------------


@dataclass
class StepResult:
    """What running one step produced: printed output, an error (traceback text) or None, the live model."""

    index: int
    output: str
    error: str | None
    model: Any


def fresh_namespace() -> dict[str, Any]:
    """The names every step can use, as a student would import them."""
    import numpy as np

    import minimod as mm
    import minimod.nn.functional as F
    from minimod import nn, optim

    return {"__name__": "__lesson__", "mm": mm, "nn": nn, "optim": optim, "F": F, "np": np}


class StepRunner:
    """Runs a lesson's steps in order in one shared namespace, like cells of a notebook."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.namespace: dict[str, Any] = {}
        self.ran = -1  # index of the last step run; steps before a requested one run first

    def reset(self) -> None:
        self.namespace = {}
        self.ran = -1

    def run(self, index: int) -> StepResult:
        """Run step `index`, first running any earlier steps not yet run; running it again re-runs all."""
        if not 0 <= index < len(self.lesson.steps):
            raise IndexError(f"lesson {self.lesson.number} has no step {index + 1}")
        if index <= self.ran or not self.namespace:
            self.reset()
            self.namespace = fresh_namespace()
        result = StepResult(index, "", None, None)
        for position in range(self.ran + 1, index + 1):
            result = self._run_one(position)
            if result.error is not None:
                break
        return result

    def _run_one(self, index: int) -> StepResult:
        if self.lesson.steps[index].needs_torch and torch_recordings.torch_or_none() is None:
            return self._replay(index)
        buffer = io.StringIO()
        error = None
        code = self.lesson.steps[index].code
        filename = f"<lesson {self.lesson.number}, step {index + 1}>"
        try:
            # Warnings go into the step's output too: stderr is not visible inside the inspector.
            with contextlib.redirect_stdout(buffer), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                exec(compile(code, filename, "exec"), self.namespace)
            for warning in caught:
                buffer.write(f"{warning.category.__name__}: {warning.message}\n")
        except Exception:  # a step's error is shown in the pane, like a notebook cell's
            error = traceback.format_exc(limit=-3)
        self.ran = index if error is None else index - 1
        return StepResult(index, buffer.getvalue(), error, self.namespace.get("model"))

    def _replay(self, index: int) -> StepResult:
        """A step written in torch, where torch is missing: what it printed in PyTorch 2.13, recorded, and
        the values its questions read."""
        recordings = torch_recordings.recordings(self.lesson.folder)
        recorded = recordings["steps"].get(str(index + 1))
        if recorded is None:
            error = (f"{torch_recordings.INSTALL}\n(and nothing is recorded for this step: run "
                     f"python -m lessons.pytorch_facts where torch is installed)\n")
            return StepResult(index, "", error, self.namespace.get("model"))
        self.namespace.update(recorded["values"])
        self.ran = index
        output = (f"{torch_recordings.INSTALL}\n"
                  f"What this step printed in PyTorch {recordings['torch']} (recorded); the panes keep the "
                  f"minimod model:\n\n"
                  f"{recorded['output']}")
        return StepResult(index, output, None, self.namespace.get("model"))

    def evaluate(self, expression: str) -> Any:
        """Evaluate a question's answer expression in the namespace of the steps run so far."""
        return eval(compile(expression, "<question>", "eval"), self.namespace)

    def answer(self, question: Question) -> tuple[Any, int | None]:
        """Run the steps up to the question's step, then compute its answer live: (value, correct index)."""
        if self.ran != question.step - 1:  # the answer is about the model as that step left it
            result = self.run(question.step - 1)
            if result.error is not None:
                raise RuntimeError(f"step {question.step} failed:\n{result.error}")
        value = self.evaluate(question.answer)
        return value, question.correct_choice(value)
