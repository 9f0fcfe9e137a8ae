"""LessonPicture: the picture a lesson step drew (a text diagram, or a loss curve with plotext)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from inspector.lesson_pictures import Picture


class LessonPicture(Vertical):
    """A title, the drawing (scrolls both ways when it is larger than the pane) or a curve, a note."""

    DEFAULT_CSS = """
    LessonPicture #picture-title { height: auto; text-style: bold; padding: 0 1; }
    LessonPicture #picture-scroll { height: 1fr; overflow-x: auto; }
    LessonPicture #picture-text { width: auto; padding: 0 1; }
    LessonPicture #picture-plot { height: 1fr; min-height: 10; }
    LessonPicture #picture-note { height: auto; color: $text-muted; padding: 0 1; }
    LessonPicture .-gone { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.picture: Picture | None = None

    def compose(self) -> ComposeResult:
        yield Static("This step draws no picture.", id="picture-title")
        with VerticalScroll(id="picture-scroll"):
            yield Static("", id="picture-text")
        yield PlotextPlot(id="picture-plot", classes="-gone")
        yield Static("", id="picture-note")

    def show(self, picture: Picture | None) -> None:
        """Draw `picture` (None: say that this step has none)."""
        self.picture = picture
        title = self.query_one("#picture-title", Static)
        text = self.query_one("#picture-text", Static)
        plot = self.query_one("#picture-plot", PlotextPlot)
        scroll = self.query_one("#picture-scroll", VerticalScroll)
        note = self.query_one("#picture-note", Static)
        curve = picture is not None and picture.kind == "loss"
        scroll.set_class(curve, "-gone")
        plot.set_class(not curve, "-gone")
        if picture is None:
            title.update("This step draws no picture.")
            text.update("")
            note.update("")
            return
        title.update(picture.title)
        note.update(Text.assemble(picture.note + ("; " if picture.note else ""),
                                  ("s saves this picture as SVG", "italic")))
        if curve:
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.xlabel("training step")
            plt.ylabel("loss")
            plt.plot(list(picture.x), list(picture.y), marker="braille")
            plot.refresh()
        else:
            text.update(Text("\n".join(picture.lines), no_wrap=True))
        scroll.scroll_home(animate=False)

    @property
    def plain_text(self) -> str:
        """The drawing as plain text (tests and screen readers)."""
        return "\n".join(self.picture.lines) if self.picture is not None else ""
