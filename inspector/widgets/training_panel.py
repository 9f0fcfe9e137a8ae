"""TrainingPanel: the Training tab: the loss over optimizer steps (growing while t trains) above one view
of the training history: every layer's output std or gradient norm over steps (the overview), the
selected module's activations over steps (fast.ai's colorful dimension), or the selected parameter's."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from inspector.tensor_summary import short_path
from inspector.training_history import TrainingHistory
from inspector.training_pictures import draw_loss, heatmap_text, overview_text

# what `V` cycles through, in order: (name, what the hint calls it)
VIEWS = (("std", "every layer's output std"), ("grad", "every layer's gradient norm"),
         ("activations", "the selected module's outputs"), ("weights", "the selected parameter's values"))


class TrainingPanel(Vertical):
    """`show(history, module, parameter)` draws the loss curve and the current view; `next_view()` moves
    to the next one. Drawing is skipped when nothing it depends on changed."""

    DEFAULT_CSS = """
    TrainingPanel { height: 1fr; }
    TrainingPanel > #loss-plot { height: 1fr; min-height: 7; }
    TrainingPanel > #history-scroll { height: 3fr; overflow-x: auto; }
    TrainingPanel #history-view { width: auto; }
    TrainingPanel > #history-hint { height: auto; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = 0  # index into VIEWS
        self.curve: tuple[list[int], list[float]] = ([], [])  # the points the loss plot was given
        self.view_text = Text()  # what the view below the curve shows
        self._drawn: tuple | None = None

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="loss-plot")
        with VerticalScroll(id="history-scroll"):
            yield Static("", id="history-view")
        yield Static("", id="history-hint")

    @property
    def view_name(self) -> str:
        return VIEWS[self.view][0]

    def next_view(self) -> str:
        self.view = (self.view + 1) % len(VIEWS)
        return self.view_name

    def show(self, history: TrainingHistory, module: str, parameter: str | None) -> None:
        """Draw the curve and the view for the module at path `module` and the parameter `parameter`."""
        scroll = self.query_one("#history-scroll", VerticalScroll)
        width = max(40, (scroll.size.width or self.size.width or 80) - 2)
        height = max(8, scroll.size.height or 12)
        key = (history.version, self.view, module, parameter, width, height)
        if key == self._drawn:
            return
        self._drawn = key
        plot = self.query_one("#loss-plot", PlotextPlot)
        draw_loss(plot.plt, history)
        steps, losses = history.losses()
        self.curve = (steps.tolist(), losses.tolist())
        plot.refresh()
        self.view_text = self._view_text(history, module, parameter, width, height)
        self.query_one("#history-view", Static).update(self.view_text)
        following = VIEWS[(self.view + 1) % len(VIEWS)][1]
        self.query_one("#history-hint", Static).update(
            Text(f"V: next view ({following}); the tree's selection picks the module", style="dim"))

    def _view_text(self, history: TrainingHistory, module: str, parameter: str | None, width: int,
                   height: int) -> Text:
        name = self.view_name
        label = module or "the root"
        if name in ("std", "grad"):
            return overview_text(history, name, width, selected=module, height=height)
        if name == "activations":
            histogram = history.activations(module)
            if histogram is None:
                return _nothing(f"No output of {label} recorded: t trains, o takes one step (a module whose "
                                "output is not a floating tensor has none)")
            kind = history.module_kind(module)
            return heatmap_text(histogram, f"Outputs of {label} ({kind}) over steps", width, height)
        if parameter is None:
            return _nothing(f"{label} has no parameters: select a module that has some in the tree")
        histogram = history.weight_histogram(parameter)
        if histogram is None:
            return _nothing(f"No values of {parameter} recorded: t trains, o takes one step")
        title = f"Values of {short_path(parameter, 60)} after each step"
        return heatmap_text(histogram, title, width, height)


def _nothing(message: str) -> Text:
    return Text(message, style="dim")

