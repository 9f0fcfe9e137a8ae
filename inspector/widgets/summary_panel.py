"""SummaryPanel: the model summary (as `minimod summary` prints it) in the Summary tab."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from inspector.summary import COLUMNS, Summary, row_cells
from inspector.widgets.fast_table import FastTable

EMPTY = "Summary of every module, from one traced forward: press 5 (or click this tab) to make it"
# the layer column and the numbers stay longest when the width runs short; input shapes go first
PRIORITIES = (0, 5, 2, 1, 3, 4, 6)


class SummaryPanel(Vertical):
    """The summary's title, a row per module, and the totals below."""

    DEFAULT_CSS = """
    SummaryPanel { height: 1fr; }
    SummaryPanel > #summary-title { height: auto; text-style: bold; }
    SummaryPanel > FastTable { height: 1fr; }
    SummaryPanel > #summary-footer { height: auto; max-height: 8; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summary: Summary | None = None

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="summary-title")
        yield FastTable([(name, right) for name, right in COLUMNS], priorities=PRIORITIES, id="summary-table")
        yield Static("", id="summary-footer")

    @property
    def table(self) -> FastTable:
        return self.query_one("#summary-table", FastTable)

    def show(self, summary: Summary) -> None:
        self.summary = summary
        inputs = ", ".join("×".join(str(size) for size in shape) for shape in summary.input_shapes)
        self.query_one("#summary-title", Static).update(
            f"Summary of {summary.model_name} ({summary.library}, {summary.mode} mode, input {inputs}): "
            f"S writes it to a text file"
        )
        self.table.set_rows(tuple((text, "") for text in row_cells(row)) for row in summary.rows)
        self.query_one("#summary-footer", Static).update(summary.footer())
