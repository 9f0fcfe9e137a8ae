"""LessonListScreen: every lesson with the student's progress (`minimod lessons` opens here)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from inspector.screens.lessons import LessonScreen
from lessons.command import question_label
from lessons.course import load_course
from lessons.progress import Progress
from minimod.errors import UserError


class LessonListScreen(Screen):
    """Every lesson with the student's progress; Enter opens one."""

    DEFAULT_CSS = """
    LessonListScreen #lesson-list { height: 1fr; }
    LessonListScreen #lesson-list-help { height: auto; padding: 0 1; }
    """
    # not escape: pressing it once too often on a lesson would leave the course with no way back
    BINDINGS = [Binding("i", "leave", "Inspector")]

    def __init__(self, progress: Progress | None = None) -> None:
        super().__init__()
        self.course = load_course()
        self.progress = progress or Progress()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Guided lessons on Modules, in PyTorch's vocabulary. Pick a lesson and press Enter; "
            "lesson 1 explains the keys. Your progress is saved as you go.",
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
        self.progress.reload()  # a check run from a shell meanwhile shows here
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
            for entry in self.progress.missed(lesson.slug):  # the student's own misconception log
                label = question_label(lesson, entry["key"])
                line.append(f"\n     wrong at first: {label[:90] + ('...' if len(label) > 90 else '')}",
                            style="yellow")
            options.add_option(Option(line, id=lesson.slug))
        if highlighted is None:  # on opening: the first lesson not finished yet
            unfinished = [index for index, lesson in enumerate(self.course)
                          if not self.progress.is_complete(lesson.slug, len(lesson.steps))]
            highlighted = unfinished[0] if unfinished else 0
        options.highlighted = highlighted
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
            self.app.notify("This is the inspector. g opens the lessons again; your progress is saved.",
                            timeout=8)

