"""The course in the inspector: LessonListScreen (lessons, progress) and LessonScreen (text, code, model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Header,
    Markdown,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from inspector.widgets.lesson_question import QuestionPanel
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.tensor_tables import TensorTables
from inspector.widgets.trace_table import TraceTable
from lessons.course import Lesson, StepResult, StepRunner, load_course
from lessons.progress import Progress, atomic_write, workspace_exercise
from minimod.errors import UserError

_TAB_FOR_VIEW = {"tree": "lesson-tab-tree", "tensors": "lesson-tab-tensors", "trace": "lesson-tab-trace"}


class LessonListScreen(Screen):
    """Every lesson with the student's progress; Enter opens one."""

    DEFAULT_CSS = """
    LessonListScreen #lesson-list { height: 1fr; }
    LessonListScreen #lesson-list-help { height: auto; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "leave", "Back to the inspector")]

    def __init__(self, progress: Progress | None = None) -> None:
        super().__init__()
        self.course = load_course()
        self.progress = progress or Progress()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Guided lessons on Modules, in PyTorch's vocabulary. Pick a lesson and press Enter. "
            "Your progress is saved as you go.",
            id="lesson-list-help",
        )
        yield OptionList(id="lesson-list")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "minimod lessons"
        self.refresh_list()
        if self.progress.warning:
            self.notify(self.progress.warning, severity="warning", timeout=10)

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        options = self.query_one("#lesson-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for lesson in self.course:
            done = self.progress.is_complete(lesson.slug, len(lesson.steps))
            line = Text()
            line.append("[x] " if done else "[ ] ", style="green" if done else "dim")
            line.append(f"{lesson.number}. {lesson.short_title}", style="bold")
            summary = self.progress.summary(lesson.slug, len(lesson.steps), len(lesson.questions))
            line.append(f"\n     {summary}", style="dim")
            options.add_option(Option(line, id=lesson.slug))
        options.highlighted = highlighted if highlighted is not None else 0
        options.focus()

    @on(OptionList.OptionSelected, "#lesson-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        lesson = next(lesson for lesson in self.course if lesson.slug == event.option.id)
        try:
            screen = LessonScreen(lesson, self.progress)
        except UserError as error:  # e.g. the exercise file cannot be created
            self.notify(str(error), severity="error", timeout=15)
            return
        self.app.push_screen(screen)

    def action_leave(self) -> None:
        if len(self.app.screen_stack) > 2:  # the inspector's main screen is below us
            self.app.pop_screen()


class LessonScreen(Screen):
    """One lesson: its text and step code on the left, the live model's panes on the right."""

    DEFAULT_CSS = """
    LessonScreen #lesson-left { width: 1fr; }
    LessonScreen #lesson-right { width: 1fr; }
    LessonScreen #lesson-text { height: 1fr; border: round $primary; }
    LessonScreen #lesson-code { height: auto; max-height: 40%; border: round $secondary; }
    LessonScreen #lesson-tabs { height: 1fr; }
    LessonScreen #lesson-output { height: auto; min-height: 5; max-height: 40%; border: round $secondary; }
    LessonScreen #lesson-status { height: auto; padding: 0 1; background: $boost; }
    LessonScreen #lesson-editor { height: 1fr; }
    """
    BINDINGS = [
        Binding("n", "next_step", "Next"),
        Binding("p", "previous_step", "Previous"),
        Binding("r", "run_step", "Run step"),
        Binding("c", "check", "Check exercise"),
        Binding("e", "exercise", "Exercise file"),
        Binding("ctrl+s", "save_exercise", "Save file"),
        Binding("1", "answer(0)", "Answer 1", show=False),
        Binding("2", "answer(1)", "Answer 2", show=False),
        Binding("3", "answer(2)", "Answer 3", show=False),
        Binding("4", "answer(3)", "Answer 4", show=False),
        Binding("escape", "leave", "Lessons"),
    ]

    def __init__(self, lesson: Lesson, progress: Progress | None = None) -> None:
        super().__init__()
        self.lesson = lesson
        self.progress = progress or Progress()
        self.runner = StepRunner(lesson)
        record = self.progress.lesson(lesson.slug)
        self.step = min(max(int(record.get("step", 0)), 0), len(lesson.steps) - 1)
        self.exercise_path: Path = workspace_exercise(lesson.slug, lesson.exercise_path)
        self.busy = False
        self.last_result: StepResult | None = None
        self.last_check: Any = None
        self.model: Any = None

    # --- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="lesson-left"):
                yield VerticalScroll(Markdown(id="lesson-markdown"), id="lesson-text")
                yield VerticalScroll(Static(id="lesson-code-body"), id="lesson-code")
                yield QuestionPanel(id="lesson-question")
            with Vertical(id="lesson-right"):
                with TabbedContent(id="lesson-tabs"):
                    with TabPane("Tree", id="lesson-tab-tree"):
                        yield ModuleTree(id="lesson-module-tree")
                    with TabPane("Tensors", id="lesson-tab-tensors"):
                        yield TensorTables(id="lesson-tensor-tables")
                    with TabPane("Trace", id="lesson-tab-trace"):
                        yield TraceTable(id="lesson-trace-table", show_time=False)
                    with TabPane("Exercise", id="lesson-tab-exercise"):
                        yield TextArea(self._read_exercise(), id="lesson-editor")
                output = VerticalScroll(Static("Press r to run the step.", id="lesson-output-body"),
                                        id="lesson-output")
                output.border_title = "Output"
                yield output
        yield Static(id="lesson-status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.lesson.title
        self.show_step()

    def _read_exercise(self) -> str:
        try:
            return self.exercise_path.read_text(encoding="utf-8")
        except OSError as error:
            return f"# cannot read {self.exercise_path}: {error.strerror}\n"

    # --- showing a step -----------------------------------------------------------------------

    def show_step(self) -> None:
        """Show the current step's text and code; the panes keep the last run's model until `r`."""
        title, body = self.lesson.sections[self.step]
        parts = [f"# {self.lesson.title}"]
        if self.step == 0 and self.lesson.intro:
            parts.append(self.lesson.intro)
        parts += [f"## {title}", body]
        if self.step == len(self.lesson.steps) - 1 and self.lesson.exercise_text:
            parts += ["## Your exercise", self.lesson.exercise_text]
        if self.lesson.sources:
            parts.append("Source files: " + ", ".join(f"`{path}`" for path in self.lesson.sources))
        self.query_one("#lesson-markdown", Markdown).update("\n\n".join(parts))
        self.query_one("#lesson-text", VerticalScroll).scroll_home(animate=False)
        code = self.lesson.steps[self.step].code
        self.query_one("#lesson-code-body", Static).update(Syntax(code, "python", line_numbers=False))
        self.query_one("#lesson-code", VerticalScroll).border_title = (
            f"Step {self.step + 1} of {len(self.lesson.steps)}: press r to run"
        )
        self.query_one("#lesson-question", QuestionPanel).hide()
        self._status()

    def _status(self, extra: str = "") -> None:
        summary = self.progress.summary(self.lesson.slug, len(self.lesson.steps), len(self.lesson.questions))
        text = Text()
        text.append(f"Step {self.step + 1}/{len(self.lesson.steps)}  ", style="bold")
        text.append(f"{summary}  ")
        text.append(f"exercise file: {self.exercise_path}", style="dim")
        if extra:
            text.append(f"\n{extra}")
        self.query_one("#lesson-status", Static).update(text)

    def _set_output(self, text: Text | str) -> None:
        self.query_one("#lesson-output-body", Static).update(text)

    # --- actions -------------------------------------------------------------------------------

    def action_next_step(self) -> None:
        self._go(self.step + 1)

    def action_previous_step(self) -> None:
        self._go(self.step - 1)

    def _go(self, step: int) -> None:
        if self.busy or not 0 <= step < len(self.lesson.steps):
            if step >= len(self.lesson.steps):
                self.notify("That was the last step: press c to check your exercise.")
            return
        self.step = step
        self.progress.set_step(self.lesson.slug, step)
        self.show_step()

    def action_run_step(self) -> None:
        if self.busy:
            return
        self.busy = True
        self._set_output(Text(f"Running step {self.step + 1}...", style="italic"))
        self._run_in_thread(self.step)

    @work(thread=True, exclusive=True, group="lesson-step")
    def _run_in_thread(self, index: int) -> None:
        result = self.runner.run(index)
        trace = None
        example = self.runner.namespace.get("example_input")
        view = self.lesson.steps[index].show
        if result.error is None and view == "trace" and result.model is not None and example is not None:
            from inspector.trace import trace_forward

            try:
                trace = trace_forward(result.model, example, record_ops=False)
            except Exception as error:  # noqa: BLE001 - shown to the student, not raised
                result.output += f"\n(tracing model(example_input) failed: {error})"
        self.app.call_from_thread(self._show_result, result, trace)

    def _show_result(self, result: StepResult, trace: Any) -> None:
        self.busy = False
        self.last_result = result
        if result.error is not None:
            self._set_output(Text(result.output + result.error, style="red"))
            return
        self._set_output(Text(result.output or "(the step printed nothing)"))
        self.progress.mark_step_done(self.lesson.slug, result.index)
        step = self.lesson.steps[result.index]
        self.model = result.model
        if self.model is not None and hasattr(self.model, "named_modules"):
            tree = self.query_one("#lesson-module-tree", ModuleTree)
            tree.set_model(self.model)
            tree.select_path(step.focus)
            self.query_one("#lesson-tensor-tables", TensorTables).show(self.model, step.focus)
        table = self.query_one("#lesson-trace-table", TraceTable)
        table.reset()
        if trace is not None:
            table.add_events(trace.events)
        self.query_one("#lesson-tabs", TabbedContent).active = _TAB_FOR_VIEW[step.show]
        questions = self.lesson.questions_for(result.index)
        if questions:
            answered = self.progress.lesson(self.lesson.slug)["questions"]
            pending = [question for question in questions if question.key not in answered] or questions
            self.query_one("#lesson-question", QuestionPanel).ask(pending[0])
        self._status()

    @on(ModuleTree.ModuleSelected)
    def _module_selected(self, event: ModuleTree.ModuleSelected) -> None:
        if self.model is not None:
            self.query_one("#lesson-tensor-tables", TensorTables).show(self.model, event.path)

    def action_answer(self, index: int) -> None:
        panel = self.query_one("#lesson-question", QuestionPanel)
        question = panel.question
        if question is None or panel.chosen is not None or self.busy or index >= len(question.choices):
            return
        try:
            value, correct_index = self.runner.answer(question)
        except Exception as error:  # noqa: BLE001
            self.notify(f"could not compute the answer: {error}", severity="error")
            return
        correct = panel.reveal(index, correct_index, value)
        self.progress.record_answer(self.lesson.slug, question.key, index, correct)
        self._status()
        remaining = [q for q in self.lesson.questions_for(self.step) if q.key not in
                     self.progress.lesson(self.lesson.slug)["questions"]]
        if remaining:
            self.notify("Another question waits: press r to run the step again and see it.")

    def action_exercise(self) -> None:
        self.query_one("#lesson-tabs", TabbedContent).active = "lesson-tab-exercise"
        self.query_one("#lesson-editor", TextArea).focus()
        self.notify(f"Your exercise file: {self.exercise_path}\n"
                    "Edit it here (ctrl+s saves) or in any editor.",
                    timeout=8)

    def action_save_exercise(self) -> None:
        if self._save_editor():
            self.notify(f"Saved {self.exercise_path}")

    def _save_editor(self) -> bool:
        """Write the editor's text to the exercise file if it changed; True if something was written."""
        editor = self.query_one("#lesson-editor", TextArea)
        if editor.text == self._read_exercise():
            return False
        try:
            atomic_write(self.exercise_path, editor.text)
        except OSError as error:
            self.notify(f"cannot save {self.exercise_path}: {error.strerror}", severity="error")
            return False
        return True

    def action_check(self) -> None:
        if self.busy:
            return
        self._save_editor()
        self.busy = True
        self._set_output(Text(f"Checking {self.exercise_path} ...", style="italic"))
        self._check_in_thread()

    @work(thread=True, exclusive=True, group="lesson-check")
    def _check_in_thread(self) -> None:
        from lessons.checker import check_exercise

        result = check_exercise(self.lesson, self.exercise_path)
        self.app.call_from_thread(self._show_check, result)

    def _show_check(self, result: Any) -> None:
        self.busy = False
        self.last_check = result
        self.progress.record_check(self.lesson.slug, result.passed)
        self._set_output(Text(result.format(), style="green" if result.passed else "yellow"))
        self.notify("Exercise passed!" if result.passed else "Not passed yet: read the hints below.",
                    severity="information" if result.passed else "warning")
        self._status()

    def action_leave(self) -> None:
        editor = self.query_one("#lesson-editor", TextArea)
        if editor.has_focus:
            self.query_one("#lesson-text", VerticalScroll).focus()
            return
        self._save_editor()
        self.app.pop_screen()


def run_course() -> int:
    """Open the inspector on the lesson list (the `minimod lessons` command)."""
    from inspector.app import InspectorApp

    InspectorApp(initial_screen=LessonListScreen).run()
    return 0
