"""StatePanel: the state_dict against the saved snapshot, key by key, and the last load's report."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Static

from inspector.session_state import KeyDiff, LoadReport
from inspector.state_compare import StateComparison
from inspector.state_compare_text import comparison_renderable
from inspector.tensor_summary import format_number, shape_text

DIFF_COLUMNS = ("key", "shape", "changed", "max |diff|", "note")


def display_path(path: Path) -> str:
    """`path` relative to the current folder when it is inside it (shorter, and what the user typed)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report_text(report: LoadReport) -> Text:
    """The load's outcome: problems listed in full, or what was restored."""
    text = Text()
    mode = "strict=True" if report.strict else "strict=False"
    if report.error is not None and report.restored:
        # PyTorch copies every matching key before a strict load raises; minimod's load is all or nothing
        count = len(report.restored)
        keys = "key" if count == 1 else "keys"
        text.append(f"load_state_dict({mode}) raised for {display_path(report.path)}, but had already "
                    f"copied {count} matching {keys} into the model (PyTorch does not undo them): "
                    f"{', '.join(report.restored)}\n", style="bold red")
    elif report.error is not None:
        text.append(f"load_state_dict({mode}) refused {display_path(report.path)}; the model is unchanged\n",
                    style="bold red")
    elif report.loaded:
        text.append(f"loaded {display_path(report.path)} ({mode}): ", style="bold green")
        changed = len(report.restored)
        text.append(f"{changed} {'key' if changed == 1 else 'keys'} took the file's values; ")
        if report.still_different:
            text.append(f"{len(report.still_different)} still differ: {', '.join(report.still_different)}",
                        style="bold red")
        elif report.missing:
            text.append("every key of the file now equals it; the missing keys kept their values",
                        style="green")
        else:
            text.append("every key now equals the file", style="green")
        text.append("\n")
    if report.missing:
        text.append(f"missing keys ({len(report.missing)}, in the model, not in the file): ",
                    style="bold yellow")
        text.append(", ".join(report.missing) + "\n")
    if report.unexpected:
        text.append(f"unexpected keys ({len(report.unexpected)}, in the file, not in the model): ",
                    style="bold yellow")
        text.append(", ".join(report.unexpected) + "\n")
    for key, file_shape, model_shape in report.mismatched:
        text.append("shape mismatch: ", style="bold red")
        text.append(f"{key}: file {shape_text(file_shape)}, model {shape_text(model_shape)}\n")
    if report.error is not None and report.mismatched:
        text.append("A shape mismatch cannot load even with strict=False: fix the model or the file.",
                    style="italic")
    elif report.error is not None:
        text.append("Press the button (or L) to load the matching keys with strict=False.", style="italic")
    return text


class StatePanel(Vertical):
    """Snapshot file, parameter and buffer diffs in two tables, and the load report."""

    DEFAULT_CSS = """
    StatePanel { height: 1fr; }
    StatePanel > #snapshot-info { height: auto; }
    StatePanel > .panel-title { height: 1; text-style: bold; margin-top: 1; }
    StatePanel > DataTable { height: auto; max-height: 45%; }
    StatePanel > #state-buffer-diff { max-height: 35%; }
    StatePanel > #load-report { height: auto; max-height: 8; }
    StatePanel > #load-actions { height: auto; }
    StatePanel > #compare-scroll { height: 1fr; display: none; }
    StatePanel.comparing > #compare-scroll { display: block; }
    StatePanel.comparing > #state-parameter-title, StatePanel.comparing > #state-parameter-diff,
    StatePanel.comparing > #state-buffer-title, StatePanel.comparing > #state-buffer-diff { display: none; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.diffs: list[KeyDiff] = []
        self.report: LoadReport | None = None
        self.comparison: StateComparison | None = None  # two state dicts compared (C), while shown

    def compose(self) -> ComposeResult:
        yield Static("no snapshot yet: s saves the state_dict to a .npz file, t trains, l loads it back",
                     id="snapshot-info")
        yield Static("Parameters vs snapshot", classes="panel-title", id="state-parameter-title")
        yield DataTable(id="state-parameter-diff", cursor_type="row", zebra_stripes=True)
        yield Static("Buffers vs snapshot", classes="panel-title", id="state-buffer-title")
        yield DataTable(id="state-buffer-diff", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="compare-scroll"):
            yield Static("", id="compare-view")
        yield Static("", id="load-report")
        with Horizontal(id="load-actions"):
            yield Button("Load with strict=False", id="load-nonstrict", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#state-parameter-diff", DataTable).add_columns(*DIFF_COLUMNS)
        self.query_one("#state-buffer-diff", DataTable).add_columns(*DIFF_COLUMNS)
        self.query_one("#load-actions").display = False

    def show_snapshot(self, path: Path | None, steps_since: int | None = None) -> None:
        info = self.query_one("#snapshot-info", Static)
        if path is None:
            info.update("no snapshot yet: s saves the state_dict to a .npz file, t trains, l loads it back")
            return
        text = Text.assemble(("snapshot ", "bold"), display_path(path))
        if steps_since is not None:
            text.append(f"   ({steps_since} optimizer steps since it was saved)")
        text.append("\nl loads a file back (strict=True), L with strict=False; s saves again", style="dim")
        info.update(text)

    def show_diff(self, diffs: list[KeyDiff]) -> None:
        self.diffs = diffs
        for kind, table_id, title_id, title in (
            ("parameter", "#state-parameter-diff", "#state-parameter-title", "Parameters"),
            ("buffer", "#state-buffer-diff", "#state-buffer-title", "Buffers"),
        ):
            table = self.query_one(table_id, DataTable)
            rows = [diff for diff in diffs if diff.kind == kind]
            # the note column only when a key has one (a missing key, a shape change): 80 columns fit
            columns = DIFF_COLUMNS if any(diff.note for diff in rows) else DIFF_COLUMNS[:-1]
            table_rows = []
            for diff in rows:
                changed = (Text("changed", style="bold yellow") if diff.changed
                           else Text("same", style="green"))
                largest = Text(format_number(diff.max_abs_diff) if diff.max_abs_diff is not None else "-",
                               justify="right")
                table_rows.append([Text(diff.key), Text(shape_text(diff.shape)), changed, largest,
                                   Text(diff.note)][:len(columns)])
            table.clear(columns=True)
            for number, name in enumerate(columns):  # measured here: DataTable would measure lazily
                width = max([len(name), *(row[number].cell_len for row in table_rows)])
                table.add_column(name, width=width, key=name)
            for diff, cells in zip(rows, table_rows):
                table.add_row(*cells, key=diff.key)
            changed_count = sum(1 for diff in rows if diff.changed)
            self.query_one(title_id, Static).update(
                f"{title} vs snapshot: {changed_count} of {len(rows)} changed"
            )

    def show_report(self, report: LoadReport | None) -> None:
        self.report = report
        self.query_one("#load-report", Static).update(report_text(report) if report else "")
        can_retry = (report is not None and report.error is not None and report.strict
                     and not report.mismatched)
        self.query_one("#load-actions").display = can_retry

    def show_comparison(self, comparison: StateComparison) -> None:
        """Two state dicts compared, module by module, in place of the snapshot tables (d: them again)."""
        self.comparison = comparison
        self.add_class("comparing")
        self._draw_comparison()

    def _draw_comparison(self) -> None:
        """Draw the comparison in the width the pane has (columns that do not fit are left out)."""
        if self.comparison is None:
            return
        width = self.size.width or self.app.size.width // 2  # not laid out yet: a guess, redrawn on resize
        self.query_one("#compare-view", Static).update(Group(
            comparison_renderable(self.comparison, max(20, width - 2)),  # the scrollbar's columns
            Text("C compares two other sides; d shows the snapshot diff again", style="dim")))

    def on_resize(self) -> None:
        self._draw_comparison()

    def close_comparison(self) -> None:
        """Back to the snapshot tables."""
        self.comparison = None
        self.remove_class("comparing")
