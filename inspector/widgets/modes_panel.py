"""ModesPanel: which modules are in train or eval mode, and the train-vs-eval comparison's results."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from inspector.session_state import ModeComparison
from inspector.tensor_summary import format_number
from inspector.widgets.cells import show_text


def mode_summary(model: Any) -> Text:
    """'ConvNet: 7 modules in train mode, 0 in eval' with the eval ones named."""
    modules = list(model.named_modules())
    evals = [path or "(root)" for path, module in modules if not module.training]
    text = Text()
    text.append(f"{type(model).__name__}: ", style="bold")
    text.append(f"{len(modules) - len(evals)} in train mode", style="bold yellow")
    text.append(", ")
    text.append(f"{len(evals)} in eval mode", style="bold blue")
    if evals:
        shown = ", ".join(evals[:8]) + (" ..." if len(evals) > 8 else "")
        text.append(f" ({shown})")
    text.append("\nm flips the selected subtree, M the whole model, c compares train and eval on the input")
    return text


class ModesPanel(Vertical):
    """Mode summary, then the modules whose outputs differ and the buffers a training forward changes."""

    DEFAULT_CSS = """
    ModesPanel { height: 1fr; }
    ModesPanel > #modes-summary { height: auto; }
    ModesPanel > .panel-title { height: auto; text-style: bold; margin-top: 1; }
    ModesPanel > DataTable { height: auto; max-height: 45%; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.comparison: ModeComparison | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="modes-summary")
        yield Static("Outputs in train vs eval mode: press c to compare", id="compare-title",
                     classes="panel-title")
        yield DataTable(id="compare-modules", cursor_type="row", zebra_stripes=True)
        yield Static("Buffers a training forward changes", id="compare-buffers-title", classes="panel-title")
        yield DataTable(id="compare-buffers", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        modules = self.query_one("#compare-modules", DataTable)
        modules.add_columns("module", "train vs eval", "max |diff|", "type")
        buffers = self.query_one("#compare-buffers", DataTable)
        buffers.add_columns("buffer", "training forward", "max |change|")

    def show_modes(self, model: Any) -> None:
        show_text(self.query_one("#modes-summary", Static), mode_summary(model))

    def show_comparison(self, comparison: ModeComparison) -> None:
        self.comparison = comparison
        modules = self.query_one("#compare-modules", DataTable)
        modules.clear()
        kinds = dict(comparison.kinds)
        own = set(comparison.own)
        # The causes first (a Dropout, a BatchNorm), then what differs because its input did.
        ordered = sorted(comparison.differing, key=lambda item: item[0] not in own)
        for path, kind, largest in ordered:
            verdict = (Text("differs itself", style="bold yellow") if path in own
                       else Text("differs (input)", style="yellow"))
            modules.add_row(path or "(root)", verdict, Text(format_number(largest), justify="right"), kind,
                            key=f"m:{path}")
        for path in comparison.same:
            modules.add_row(path or "(root)", Text("same", style="dim"), Text("0", justify="right"),
                            kinds.get(path, ""), key=f"m:{path}")
        for path in comparison.not_called:
            modules.add_row(path, Text("not called", style="dim italic"), Text("-", justify="right"),
                            kinds.get(path, ""), key=f"m:{path}")
        causes = ", ".join(comparison.own[:3]) + (" ..." if len(comparison.own) > 3 else "")
        self.query_one("#compare-title", Static).update(Text.assemble(
            ("Outputs in train vs eval mode: ", "bold"),
            f"{len(comparison.differing)} differ, {len(comparison.same)} agree.",
            (f" {len(comparison.own)} {'differs' if len(comparison.own) == 1 else 'differ'} by itself, on "
             f"the same input ({causes}); the rest because their input did." if comparison.own else ""),
            (f" ({comparison.note})", "dim"),
        ))
        buffers = self.query_one("#compare-buffers", DataTable)
        buffers.clear()
        for key, largest in comparison.changed_buffers:
            buffers.add_row(key, Text("changes", style="bold yellow"), Text(format_number(largest),
                            justify="right"), key=f"b:{key}")
        for key in comparison.unchanged_buffers:
            buffers.add_row(key, Text("unchanged", style="dim"), Text("0", justify="right"), key=f"b:{key}")
        total = len(comparison.changed_buffers) + len(comparison.unchanged_buffers)
        self.query_one("#compare-buffers-title", Static).update(
            f"Buffers a training forward changes: {len(comparison.changed_buffers)} of {total}"
            if total else "Buffers a training forward changes: the model has no buffers"
        )
