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
    Header,
    Markdown,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from inspector.screens.help import HelpScreen
from inspector.widgets.key_footer import KeyFooter
from inspector.widgets.lesson_picture import LessonPicture
from inspector.widgets.lesson_question import QuestionPanel, Revealed
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.tensor_tables import TensorTables
from inspector.widgets.trace_table import TraceTable
from lessons.course import Lesson, Question, StepResult, StepRunner
from lessons.progress import Progress, atomic_write, workspace_dir, workspace_exercise

_TAB_FOR_VIEW = {"tree": "lesson-tab-tree", "tensors": "lesson-tab-tensors", "trace": "lesson-tab-trace",
                 "picture": "lesson-tab-picture"}
PANES = ("lesson-tab-tree", "lesson-tab-tensors", "lesson-tab-trace", "lesson-tab-picture")

# (key, action, footer label, shown in the footer, title, what it does): the footer and the ? list
LESSON_KEYS: list[tuple[str, str, str, bool, str, str]] = [
    ("r", "run_step", "Run", True, "Run the step", "Run the step's code (again); the panes show the result"),
    ("n", "next_step", "Next", True, "Next step", "Go to the next step"),
    ("p", "previous_step", "Prev", True, "Previous step", "Go back one step"),
    ("1", "answer(0)", "Answer 1", False, "Answer 1", "Predict choice 1 of the question (2, 3, 4 likewise)"),
    ("2", "answer(1)", "Answer 2", False, "Answer 2", "Predict choice 2"),
    ("3", "answer(2)", "Answer 3", False, "Answer 3", "Predict choice 3"),
    ("4", "answer(3)", "Answer 4", False, "Answer 4", "Predict choice 4"),
    ("v", "cycle_pane", "Pane", True, "Next pane", "Show the next pane: Tree, Tensors, Trace, Picture"),
    ("s", "save_picture", "SVG", True, "Save the picture as SVG",
     "Write the step's picture (Picture pane) to an SVG file beside your exercise"),
    ("e", "exercise", "Exercise", True, "Open your exercise", "The Exercise pane: edit your exercise file"),
    ("c", "check", "Check", True, "Check the exercise", "Run the checks on your exercise file"),
    ("h", "show_hint", "Hint", True, "Hint code",
     "Code for each check that failed (asked for, never shown unasked)"),
    ("ctrl+s", "save_exercise", "Save", False, "Save the exercise", "Save the Exercise pane to your file"),
    ("a", "toggle_subtree", "Own/subtree", False, "Tensors: own or subtree",
     "The Tensors pane lists the selected module's own tensors or its whole subtree's"),
    ("w", "toggle_wide", "Wide", False, "Wide text", "Text and code take the whole width; w again: panes"),
    ("question_mark", "lesson_help", "Keys", True, "Keys", "This list"),
    ("escape", "leave", "Lessons", True, "Back to the lessons",
     "Leave the editor, or go back to the list"),
]
SHORT_LABELS = {"run_step": "run", "next_step": "next", "previous_step": "prev", "cycle_pane": "pane",
                "save_picture": "svg", "exercise": "exer", "check": "check", "show_hint": "hint",
                "lesson_help": "keys", "leave": "list"}
LESSON_HELP = (
    "The text and the step's code are on the left, the live model's panes on the right. Some steps ask "
    "you to predict first: press the number of your answer, then the step runs and shows whether you "
    "were right. Keys work as in the inspector's main screen (i from the lesson list): a toggles "
    "own/subtree tensors on both, ? lists the keys, escape goes back; n and p move to the next and "
    "previous thing you step through (a lesson's steps here, the trace's events there); a number picks "
    "what the screen numbers (an answer here, a tab there); v shows the next view (a pane here, a "
    "diagram there); w widens (the text here, the tables there); s and e save (the step's picture as "
    "SVG, the exercise here; the state_dict, the diagram there); c checks (your exercise here, train "
    "against eval there). r runs the step; o (an optimizer step) is the main screen's only."
)


class LessonScreen(Screen):
    """One lesson: its text and step code on the left, the live model's panes on the right."""

    DEFAULT_CSS = """
    LessonScreen #lesson-left { width: 1fr; }
    LessonScreen #lesson-right { width: 1fr; }
    LessonScreen #lesson-text { height: 1fr; min-height: 8; border: round $primary; }
    LessonScreen #lesson-code { height: auto; max-height: 25%; border: round $secondary; }
    LessonScreen #lesson-question-scroll { height: auto; max-height: 45%; }
    LessonScreen #lesson-tabs { height: 1fr; }
    LessonScreen #lesson-output { height: auto; min-height: 5; max-height: 40%; border: round $secondary; }
    LessonScreen #lesson-status { height: auto; padding: 0 1; background: $boost; }
    LessonScreen #lesson-editor { height: 1fr; }
    LessonScreen.-wide #lesson-right { display: none; }
    """
    BINDINGS = [Binding(key, action, label, show=shown) for key, action, label, shown, _, _ in LESSON_KEYS]

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
        self.last_svg: Path | None = None
        self.model: Any = None
        self.tensor_path = ""
        self.tensor_subtree = False
        self.step_ran = False  # the step shown has run (since it was shown), so the panes show its result

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
                        yield TensorTables(id="lesson-tensor-tables")
                    with TabPane("Trace", id="lesson-tab-trace"):
                        yield TraceTable(id="lesson-trace-table", show_time=False)
                    with TabPane("Picture", id="lesson-tab-picture"):
                        yield LessonPicture(id="lesson-picture")
                    with TabPane("Exercise", id="lesson-tab-exercise"):
                        # no language=: highlighting needs tree-sitter, which is not a dependency
                        yield TextArea(self.editor_baseline, id="lesson-editor", show_line_numbers=True,
                                       tab_behavior="indent")
                output = VerticalScroll(Static("Press r to run the step.", id="lesson-output-body"),
                                        id="lesson-output")
                output.border_title = "Output"
                yield output
        yield Static(id="lesson-status")
        yield KeyFooter(SHORT_LABELS, optional=("lesson_help",))

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
        self.step_ran = False
        self._show_text()
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

    def _show_text(self) -> Any:
        """The step's text; what it says after the questions only once they are answered. Returns the
        Markdown's update, to await when the new text must be laid out before going on."""
        title, body = self.lesson.sections[self.step]
        parts = []  # the lesson's title is in the header already
        if self.step == 0 and self.lesson.intro:
            parts.append(self.lesson.intro)
        parts += [f"## {title}", body]
        reveal = self.lesson.reveals[self.step] if self.lesson.reveals else ""
        if reveal and self.revealed_text_shown:
            parts += ["### After you answer", reveal]
        if self.step == len(self.lesson.steps) - 1 and self.lesson.exercise_text:
            parts += ["## Your exercise", self.lesson.exercise_text]
        if self.lesson.sources:
            parts.append("Source files: " + ", ".join(f"`{path}`" for path in self.lesson.sources))
        return self.query_one("#lesson-markdown", Markdown).update("\n\n".join(parts))

    @property
    def revealed_text_shown(self) -> bool:
        """The step's questions are all answered (now or before), so its explanation may show."""
        questions = self.lesson.questions_for(self.step)
        answered = self.progress.lesson(self.lesson.slug)["questions"]
        return bool(questions) and all(question.key in answered for question in questions)

    def _code_title(self) -> None:
        panel = self.query_one("#lesson-question", QuestionPanel)
        if panel.asking:
            what = f"predict (1-{len(panel.question.choices)}), then it runs"
        elif self.step_ran:
            what = "ran; r runs it again"
        else:
            what = "press r to run"
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
        picture = None
        spec = self.lesson.steps[index].picture
        if result.error is None and spec:
            from inspector.lesson_pictures import make_picture

            try:
                picture = make_picture(spec, self.runner.namespace)
            except Exception as error:  # noqa: BLE001 - shown to the student, not raised
                result.output += f"\n(drawing the picture failed: {error})"
        if result.error is None:
            for question in questions:
                try:
                    answers.append(self.runner.answer(question))
                except Exception as error:  # noqa: BLE001 - a broken question must not stop the lesson
                    answers.append((f"(could not compute the answer: {error})", None))
        self.app.call_from_thread(self._show_result, result, trace, answers, picture)

    def _show_result(self, result: StepResult, trace: Any, answers: list[tuple[Any, int | None]],
                     picture: Any = None) -> None:
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
        self.query_one("#lesson-picture", LessonPicture).show(picture)
        self.query_one("#lesson-tabs", TabbedContent).active = _TAB_FOR_VIEW[step.show]
        self.step_ran = result.index == self.step
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
            if self.lesson.reveals and self.lesson.reveals[self.step]:
                self._reveal_text()  # the explanation the question was about, now that it is answered
        self._code_title()
        self._status()

    @work(exclusive=True, group="lesson-reveal")
    async def _reveal_text(self) -> None:
        """Show the step's text with its "After you answer" part, and scroll that part into view."""
        await self._show_text()
        from textual.widgets._markdown import MarkdownH3

        for heading in self.query_one("#lesson-markdown", Markdown).query(MarkdownH3):
            if "After you answer" in str(heading.source or ""):
                scroll = self.query_one("#lesson-text", VerticalScroll)
                # after the next refresh: the new text has a layout then
                self.call_after_refresh(scroll.scroll_to_widget, heading, top=True, animate=False)
                return

    def _scroll_to_verdict(self) -> None:
        """Keep the question's prompt and its first verdict in view: from the top when both fit, else
        from the verdict (a short terminal)."""
        scroll = self.query_one("#lesson-question-scroll", VerticalScroll)
        panel = self.query_one("#lesson-question", QuestionPanel)
        content = panel.content
        width = panel.content_region.width
        if not isinstance(content, Text) or width <= 0:
            return
        for row, line in enumerate(content.wrap(self.app.console, width)):
            if line.plain.startswith(QuestionPanel.VERDICTS):
                top = panel.styles.gutter.top
                if row + top < scroll.size.height:
                    scroll.scroll_home(animate=False)
                else:
                    scroll.scroll_to(y=row + top, animate=False)
                return

    def _show_tensors(self, path: str) -> None:
        """The tensor tables of the module at `path`; their hints name o, the key that works here (r runs)."""
        tables = self.query_one("#lesson-tensor-tables", TensorTables)
        self.tensor_path = path
        tables.show(self.model, path, self.tensor_subtree)

    def action_cycle_pane(self) -> None:
        """v: the next of the Tree, Tensors, Trace and Picture panes (from the Exercise pane: the Tree)."""
        tabs = self.query_one("#lesson-tabs", TabbedContent)
        index = PANES.index(tabs.active) + 1 if tabs.active in PANES else 0
        tabs.active = PANES[index % len(PANES)]
        self.remove_class("-wide")

    def action_save_picture(self) -> None:
        """s: the step's picture as an SVG file in the lesson's workspace folder."""
        from inspector.lesson_pictures import save_svg
        from minimod.errors import UserError

        picture = self.query_one("#lesson-picture", LessonPicture).picture
        if picture is None:
            self.notify("This step has no picture to save (yet: run it with r first)." if
                        self.lesson.steps[self.step].picture else "This step draws no picture.")
            return
        path = workspace_dir(self.lesson.slug) / f"step{self.step + 1}-{picture.kind}.svg"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_svg(picture, path)
        except (UserError, OSError) as error:
            self.notify(f"cannot save the picture: {error}", severity="error", timeout=10)
            return
        self.last_svg = path
        self.notify(f"Saved the picture as {path}", timeout=8)

    def action_lesson_help(self) -> None:
        self.app.push_screen(HelpScreen("minimod lessons: keys", LESSON_HELP, LESSON_KEYS))

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
        verdict = "passed" if result.passed else "not passed yet"
        title = f"Check: {verdict}, {result.summary}"
        if result.error and not result.outcomes:
            title = "Check: the file could not be checked"
        self.query_one("#lesson-output", VerticalScroll).border_title = title
        self.notify("Exercise passed!" if result.passed else "Not passed yet: the Output pane says why.",
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
