"""LessonScreen: one lesson in the inspector: text, step code and questions beside the live model's panes."""

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
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from inspector.widgets.lesson_question import QuestionPanel, Revealed
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.tensor_tables import TensorTables
from inspector.widgets.trace_table import TraceTable
from lessons.course import Lesson, Question, StepResult, StepRunner
from lessons.progress import Progress, atomic_write, workspace_exercise

_TAB_FOR_VIEW = {"tree": "lesson-tab-tree", "tensors": "lesson-tab-tensors", "trace": "lesson-tab-trace"}


class LessonTensorTables(TensorTables):
    """The inspector's tensor tables, whose hints name o: in a lesson, r runs the step."""

    _HINTS = ("r toggles own/subtree", "(r shows the subtree)")

    def show(self, model: Any, path: str = "", recursive: bool = False) -> None:
        super().show(model, path, recursive)
        self._name_lesson_key()

    def on_resize(self) -> None:
        # The tables write their hints again when their size changes (TensorTables.on_resize runs
        # after this handler): rename the key once that is done.
        self.call_after_refresh(self._name_lesson_key)

    def _name_lesson_key(self) -> None:
        for static_id in ("#parameter-title", "#parameter-totals"):
            static = self.query_one(static_id, Static)
            text = static.content.copy() if isinstance(static.content, Text) else Text(str(static.content))
            changed = False
            for hint in self._HINTS:
                start = text.plain.find(hint)
                if start >= 0:
                    key = start + hint.index("r")
                    text = text[:key] + Text("o") + text[key + 1:]  # the hints' key letter is unstyled
                    changed = True
            if changed:
                static.update(text)


class LessonScreen(Screen):
    """One lesson: its text and step code on the left, the live model's panes on the right."""

    DEFAULT_CSS = """
    LessonScreen #lesson-left { width: 1fr; }
    LessonScreen #lesson-right { width: 1fr; }
    LessonScreen #lesson-text { height: 1fr; min-height: 8; border: round $primary; }
    LessonScreen #lesson-code { height: auto; max-height: 30%; border: round $secondary; }
    LessonScreen #lesson-question-scroll { height: auto; max-height: 35%; }
    LessonScreen #lesson-tabs { height: 1fr; }
    LessonScreen #lesson-output { height: auto; min-height: 5; max-height: 40%; border: round $secondary; }
    LessonScreen #lesson-status { height: auto; padding: 0 1; background: $boost; }
    LessonScreen #lesson-editor { height: 1fr; }
    LessonScreen.-wide #lesson-right { display: none; }
    """
    BINDINGS = [
        Binding("n", "next_step", "Next"),
        Binding("p", "previous_step", "Previous"),
        Binding("r", "run_step", "Run step"),
        Binding("c", "check", "Check exercise"),
        Binding("h", "show_hint", "Hint code"),
        Binding("e", "exercise", "Exercise file"),
        Binding("ctrl+s", "save_exercise", "Save file"),
        Binding("o", "toggle_subtree", "Own/subtree", show=False),
        Binding("w", "toggle_wide", "Wide text", show=False),
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
        self.editor_baseline = self._read_exercise()  # the file as the editor last saw it
        self.busy = False
        self.last_result: StepResult | None = None
        self.last_check: Any = None
        self.hint_level = "message"  # how much help the last check's result shows (checker.HINT_LEVELS)
        self.model: Any = None
        self.tensor_path = ""
        self.tensor_subtree = False

    # --- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="lesson-left"):
                yield VerticalScroll(Markdown(id="lesson-markdown"), id="lesson-text")
                yield VerticalScroll(Static(id="lesson-code-body"), id="lesson-code")
                with VerticalScroll(id="lesson-question-scroll"):  # scrolls in a short terminal
                    yield QuestionPanel(id="lesson-question")
            with Vertical(id="lesson-right"):
                with TabbedContent(id="lesson-tabs"):
                    with TabPane("Tree", id="lesson-tab-tree"):
                        yield ModuleTree(id="lesson-module-tree")
                    with TabPane("Tensors", id="lesson-tab-tensors"):
                        yield LessonTensorTables(id="lesson-tensor-tables")
                    with TabPane("Trace", id="lesson-tab-trace"):
                        yield TraceTable(id="lesson-trace-table", show_time=False)
                    with TabPane("Exercise", id="lesson-tab-exercise"):
                        # no language=: highlighting needs tree-sitter, which is not a dependency
                        yield TextArea(self.editor_baseline, id="lesson-editor", show_line_numbers=True,
                                       tab_behavior="indent")
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
        """Show the current step's text, code and questions; the panes keep the last run's model until r."""
        title, body = self.lesson.sections[self.step]
        parts = []  # the lesson's title is in the header already
        if self.step == 0 and self.lesson.intro:
            parts.append(self.lesson.intro)
        parts += [f"## {title}", body]
        if self.step == len(self.lesson.steps) - 1 and self.lesson.exercise_text:
            parts += ["## Your exercise", self.lesson.exercise_text]
        if self.lesson.sources:
            parts.append("Source files: " + ", ".join(f"`{path}`" for path in self.lesson.sources))
        self.query_one("#lesson-markdown", Markdown).update("\n\n".join(parts))
        self.query_one("#lesson-text", VerticalScroll).scroll_home(animate=False)
        code = self.lesson.steps[self.step].code.rstrip("\n")
        # wrapped, so no code hides past the right edge; numbered, so a wrapped line reads as one line
        syntax = Syntax(code, "python", word_wrap=True, line_numbers=True)
        self.query_one("#lesson-code-body", Static).update(syntax)
        panel = self.query_one("#lesson-question", QuestionPanel)
        panel.ask(self._pending_questions(self.step))
        self._set_output(Text("Predict first: press the number of your answer; the step then runs."
                              if panel.asking else "Press r to run the step.", style="italic"), show=False)
        self._code_title()
        self._status()

    def _code_title(self) -> None:
        panel = self.query_one("#lesson-question", QuestionPanel)
        what = f"predict (1-{len(panel.question.choices)}), then it runs" if panel.asking \
            else "press r to run"
        self.query_one("#lesson-code", VerticalScroll).border_title = (
            f"Step {self.step + 1} of {len(self.lesson.steps)}: {what}"
        )

    def _pending_questions(self, step: int) -> list[Question]:
        answered = self.progress.lesson(self.lesson.slug)["questions"]
        return [question for question in self.lesson.questions_for(step) if question.key not in answered]

    def _status(self, extra: str = "") -> None:
        summary = self.progress.summary(self.lesson.slug, len(self.lesson.steps), len(self.lesson.questions))
        text = Text()
        text.append(f"Step {self.step + 1}/{len(self.lesson.steps)}  ", style="bold")
        text.append(summary)
        if extra:
            text.append(f"  {extra}")
        self.query_one("#lesson-status", Static).update(text)
        self.query_one("#lesson-editor", TextArea).border_title = str(self.exercise_path)

    def _set_output(self, text: Text | str, show: bool = True) -> None:
        if show:
            self.remove_class("-wide")  # a result must be seen: bring the panes back
        self.query_one("#lesson-output-body", Static).update(text)
        output = self.query_one("#lesson-output", VerticalScroll)
        output.border_title = "Output"
        output.scroll_home(animate=False)

    # --- actions -------------------------------------------------------------------------------

    def action_next_step(self) -> None:
        self._go(self.step + 1)

    def action_previous_step(self) -> None:
        self._go(self.step - 1)

    def _go(self, step: int) -> None:
        if self.busy or not 0 <= step < len(self.lesson.steps):
            if step >= len(self.lesson.steps):
                self.notify("That was the last step: press e to open your exercise, c to check it.")
            return
        self.step = step
        self.progress.set_step(self.lesson.slug, step)
        self.show_step()

    def action_run_step(self) -> None:
        if self.busy:
            return
        panel = self.query_one("#lesson-question", QuestionPanel)
        if panel.asking:
            self.notify(f"Predict first: press 1-{len(panel.question.choices)} to choose your answer. "
                        "The step runs right after and shows whether you were right.")
            return
        self._start_run(panel.questions if panel.predicted else [])

    def _start_run(self, questions: list[Question]) -> None:
        self.busy = True
        self._set_output(Text(f"Running step {self.step + 1}...", style="italic"))
        self._run_in_thread(self.step, questions)

    @work(thread=True, exclusive=True, group="lesson-step")
    def _run_in_thread(self, index: int, questions: list[Question]) -> None:
        result = self.runner.run(index)
        trace = None
        answers: list[tuple[Any, int | None]] = []
        example = self.runner.namespace.get("example_input")
        view = self.lesson.steps[index].show
        if result.error is None and view == "trace" and result.model is not None and example is not None:
            from inspector.trace import trace_forward

            try:
                trace = trace_forward(result.model, example, record_ops=False)
            except Exception as error:  # noqa: BLE001 - shown to the student, not raised
                result.output += f"\n(tracing model(example_input) failed: {error})"
        if result.error is None:
            for question in questions:
                try:
                    answers.append(self.runner.answer(question))
                except Exception as error:  # noqa: BLE001 - a broken question must not stop the lesson
                    answers.append((f"(could not compute the answer: {error})", None))
        self.app.call_from_thread(self._show_result, result, trace, answers)

    def _show_result(self, result: StepResult, trace: Any, answers: list[tuple[Any, int | None]]) -> None:
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
            self.tensor_subtree = step.subtree
            self._show_tensors(step.focus)
        table = self.query_one("#lesson-trace-table", TraceTable)
        table.reset()
        if trace is not None:
            table.add_events(trace.events)
        self.query_one("#lesson-tabs", TabbedContent).active = _TAB_FOR_VIEW[step.show]
        panel = self.query_one("#lesson-question", QuestionPanel)
        if answers and panel.predicted:
            outcomes = [Revealed(chosen, value, correct_index)
                        for chosen, (value, correct_index) in zip(panel.predictions, answers)]
            panel.reveal(outcomes)
            self.call_after_refresh(self._scroll_to_verdict)
            for question, outcome in zip(panel.questions, outcomes):
                right = question.choices[outcome.correct_index] if outcome.correct_index is not None \
                    else repr(outcome.value)
                self.progress.record_answer(self.lesson.slug, question.key, outcome.chosen, outcome.correct,
                                            prompt=question.prompt, chosen=question.choices[outcome.chosen],
                                            answer=right)
        self._code_title()
        self._status()

    def _scroll_to_verdict(self) -> None:
        """In a short terminal the question panel scrolls: bring the first verdict into view."""
        scroll = self.query_one("#lesson-question-scroll", VerticalScroll)
        panel = self.query_one("#lesson-question", QuestionPanel)
        content = panel.content
        width = panel.content_region.width
        if not isinstance(content, Text) or width <= 0:
            return
        for row, line in enumerate(content.wrap(self.app.console, width)):
            if line.plain.startswith(("Right!", "Not quite.")):
                scroll.scroll_to(y=row + panel.styles.gutter.top, animate=False)
                return

    def _show_tensors(self, path: str) -> None:
        """The tensor tables of the module at `path`; their hints name o, the key that works here (r runs)."""
        tables = self.query_one("#lesson-tensor-tables", TensorTables)
        self.tensor_path = path
        tables.show(self.model, path, self.tensor_subtree)

    def action_toggle_wide(self) -> None:
        """Give the text and code the whole width (useful at 80 columns); w again brings the panes back."""
        self.toggle_class("-wide")

    def action_toggle_subtree(self) -> None:
        if self.model is not None:
            self.tensor_subtree = not self.tensor_subtree
            self._show_tensors(self.tensor_path)

    @on(ModuleTree.ModuleSelected)
    def _module_selected(self, event: ModuleTree.ModuleSelected) -> None:
        if self.model is not None:
            self._show_tensors(event.path)

    def action_answer(self, index: int) -> None:
        panel = self.query_one("#lesson-question", QuestionPanel)
        if self.busy or not panel.predict(index):
            return
        self._code_title()
        if panel.predicted:  # the last prediction is in: run the step and reveal
            self._start_run(panel.questions)

    def action_exercise(self) -> None:
        self._sync_editor()
        self.query_one("#lesson-tabs", TabbedContent).active = "lesson-tab-exercise"
        self.query_one("#lesson-editor", TextArea).focus()
        self.notify(f"Your exercise file: {self.exercise_path}\n"
                    "Edit it here (ctrl+s saves, escape leaves the editor) or in any editor; c checks it.",
                    timeout=8)

    @on(TabbedContent.TabActivated, "#lesson-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "lesson-tab-exercise":
            self._sync_editor()

    def action_save_exercise(self) -> None:
        if self._sync_editor() == "saved":
            self.notify(f"Saved {self.exercise_path}")

    def _sync_editor(self) -> str:
        """Bring the editor and the exercise file together: "saved", "reloaded" or "" (nothing to do).

        Edits made in the editor are written to the file. When only the file changed (the student
        used another editor), the editor reloads it, so a stale editor never overwrites that work.
        """
        editor = self.query_one("#lesson-editor", TextArea)
        on_disk = self._read_exercise()
        if editor.text == self.editor_baseline:
            if on_disk == self.editor_baseline:
                return ""
            editor.load_text(on_disk)
            self.editor_baseline = on_disk
            return "reloaded"
        try:
            if on_disk != self.editor_baseline:  # changed in both places: keep the file's version too
                backup = self.exercise_path.with_name(self.exercise_path.name + ".bak")
                atomic_write(backup, on_disk)
                self.notify(f"{self.exercise_path.name} was also changed outside the editor; that version "
                            f"is kept in {backup}", severity="warning", timeout=12)
            atomic_write(self.exercise_path, editor.text)
        except OSError as error:
            self.notify(f"cannot save {self.exercise_path}: {error.strerror}", severity="error")
            return ""
        self.editor_baseline = editor.text
        return "saved"

    def action_check(self) -> None:
        if self.busy:
            return
        self._sync_editor()
        self.busy = True
        self._set_output(Text(f"Checking {self.exercise_path} ...", style="italic"))
        self._check_in_thread()

    @work(thread=True, exclusive=True, group="lesson-check")
    def _check_in_thread(self) -> None:
        from lessons.checker import check_exercise

        result = check_exercise(self.lesson, self.exercise_path)
        self.app.call_from_thread(self._show_check, result)

    def _show_check(self, result: Any) -> None:
        from lessons.command import hint_level

        self.busy = False
        self.last_check = result
        failed_before = self.progress.record_check(self.lesson.slug, result.passed)
        self.hint_level = hint_level(failed_before, asked=False)
        self._set_output(Text(result.format(self.hint_level), style="green" if result.passed else "yellow"))
        done = sum(outcome.passed for outcome in result.outcomes)
        verdict = "passed" if result.passed else "not passed yet"
        title = f"Check: {verdict}, {done}/{len(result.outcomes)} checks pass"
        if result.error and not result.outcomes:
            title = "Check: the file could not be checked"
        self.query_one("#lesson-output", VerticalScroll).border_title = title
        self.notify("Exercise passed!" if result.passed else "Not passed yet: the Output pane has hints.",
                    severity="information" if result.passed else "warning")
        self._status()

    def action_show_hint(self) -> None:
        """Code for each failing check of the last check (asked for: never shown unasked)."""
        if self.last_check is None or self.last_check.passed:
            self.notify("Press c to check your exercise first; h then shows code for the checks that fail.")
            return
        self.hint_level = "code"
        self._set_output(Text(self.last_check.format("code"), style="yellow"))

    def action_leave(self) -> None:
        editor = self.query_one("#lesson-editor", TextArea)
        if editor.has_focus:
            self.query_one("#lesson-text", VerticalScroll).focus()
            return
        self._sync_editor()
        self.app.pop_screen()
