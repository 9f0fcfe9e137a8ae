"""TraceTable: hook events as rows, bounded to the newest rows, filtered by module and phase."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from inspector.tensor_summary import format_mean, format_number, short_path
from inspector.widgets.cells import shape_text, show_text
from inspector.widgets.fast_table import Cell, FastTable, Row

MODULE_WIDTH = 30  # a longer module path loses its middle, so the numbers keep their columns

COLUMNS = (("#", True), ("phase", False), ("module", False), ("in", False), ("out", False), ("mean", True),
           ("std", True), ("min", True), ("max", True), ("ms", True))
# Which columns stay when the width runs short (lower stays longer); the step detail shows everything.
PRIORITIES = (6, 1, 0, 3, 2, 4, 5, 7, 8, 9)
PHASE_STYLES = {"forward_pre": "cyan", "forward": "green", "backward": "dodger_blue1"}  # red: NaN/Inf
PHASE_LABELS = {"forward_pre": "pre", "forward": "fwd", "backward": "bwd"}  # narrow: see the help
NONFINITE_STYLE = "bold red"
INTERVENTION_STYLE = "bold magenta"  # the call whose output an intervention's hook replaced
DEFAULT_MAX_ROWS = 2000
EMPTY_NOTE = "no events yet: f runs a forward pass, b a backward, o an optimizer step"


def _shapes(stats: Sequence[Any]) -> str:
    parts = ["None" if item is None else shape_text(item.shape) for item in stats]
    return " ".join(parts) if parts else "-"


def _has_nonfinite(stats: Any) -> bool:
    return stats is not None and (stats.nan > 0 or stats.inf > 0)


def event_is_nonfinite(event: Any) -> bool:
    """True when any tensor the event saw holds a NaN or an Inf."""
    return any(_has_nonfinite(stats) for stats in (*event.inputs, *event.outputs))


def _module_cell(event: Any, style: str) -> Cell:
    """The module's path; after an intervened call's, its badge (a hook replaced that output)."""
    badge = getattr(event, "intervention", "")
    if not badge:
        return (short_path(event.module, MODULE_WIDTH) if event.module else "(root)", style)
    path = short_path(event.module, MODULE_WIDTH - len(badge) - 1) if event.module else "(root)"
    return (f"{path} {badge}", style or INTERVENTION_STYLE)


def _main_stats(event: Any) -> Any:
    """The tensor whose statistics the row shows: the first output (grad_output for backward),
    or the first input before forward."""
    for stats in (event.inputs if event.phase == "forward_pre" else event.outputs):
        if stats is not None:
            return stats
    return None


class TraceTable(Vertical):
    """Events stream in with `add_events`; only the newest `max_rows` matching rows stay in the table."""

    DEFAULT_CSS = """
    TraceTable { height: 1fr; }
    TraceTable > #trace-note { height: auto; max-height: 2; color: $text-muted; }
    TraceTable > FastTable { height: 1fr; }
    """

    def __init__(self, *, max_rows: int = DEFAULT_MAX_ROWS, show_time: bool = True, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_rows = max_rows
        self.show_time = show_time
        self.module_filter = ""
        self.phase_filter = ""
        self.matched = 0  # events that passed the filter since the last reset
        self.seen = 0  # events offered since the last reset
        self._shown: deque[Any] = deque(maxlen=max_rows)
        self._rows: dict[int, tuple[Any, Row]] = {}  # id(event) -> (event, its formatted row)
        self.highlighted: int | None = None
        # events before this index belong to the session's first run, whose times include one-time setup
        # (minimod's compiled kernels loading, or compiling on a machine that never ran them); None while
        # the first run is still going
        self.first_run_end: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(EMPTY_NOTE, id="trace-note")
        columns = COLUMNS if self.show_time else COLUMNS[:-1]
        yield FastTable(columns, priorities=PRIORITIES[:len(columns)], id="trace-data")

    @property
    def table(self) -> FastTable:
        return self.query_one("#trace-data", FastTable)

    @property
    def shown_events(self) -> list[Any]:
        """The events the table holds, oldest first."""
        return list(self._shown)

    def shown_event(self, row: int) -> Any | None:
        """The event on table row `row` (None when there is no such row)."""
        return self._shown[row] if 0 <= row < len(self._shown) else None

    @property
    def dropped(self) -> int:
        """Matching events that were pushed out of the table (they stay in the session)."""
        return self.matched - len(self._shown)

    def matches(self, event: Any) -> bool:
        """Does `event` pass the module filter (part of its path) and the phase filter?"""
        if self.phase_filter and event.phase != self.phase_filter:
            return False
        return not self.module_filter or self.module_filter in event.module

    def set_filter(self, module: str = "", phase: str = "", events: Iterable[Any] = ()) -> None:
        """Change the filters and show the matching ones of `events` (the session's full list)."""
        self.module_filter = module.strip()
        self.phase_filter = phase.strip()
        self.reset()
        self.add_events(events)

    def reset(self) -> None:
        """Empty the table (the filters stay)."""
        self._shown.clear()
        self.matched = 0
        self.seen = 0
        self.highlighted = None
        self.table.clear()
        self._update_note()

    def add_events(self, events: Iterable[Any]) -> None:
        """Append the matching events; beyond max_rows the oldest rows leave the table."""
        if not (self.module_filter or self.phase_filter) and isinstance(events, Sequence):
            # nothing filtered out: count them all, look only at the newest that can be shown
            self.seen += len(events)
            new = list(events[-self.max_rows:])
            self.matched += len(events) - len(new)
        else:
            new = []
            for event in events:
                self.seen += 1
                if self.matches(event):
                    new.append(event)
        if not new:
            self._update_note()
            return
        self.matched += len(new)
        table = self.table
        follow = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        new = new[-self.max_rows:]  # only these can be shown: format nothing else
        if len(self._shown) + len(new) > self.max_rows:
            kept = self.max_rows - len(new)
            old_rows = table.rows[len(table.rows) - kept:] if kept else []
            self._shown.extend(new)
            table.set_rows([*old_rows, *(self._cells(event) for event in new)])
        else:
            self._shown.extend(new)
            table.append_rows(self._cells(event) for event in new)
        if follow:  # keep showing the newest rows, unless the user moved up to read older ones
            table.move_cursor(table.row_count - 1)
        self._update_note()

    def _cells(self, event: Any) -> Row:
        """The row of `event`, formatted once: leaving step-through or a filter shows the same rows again."""
        cached = self._rows.get(id(event))
        if cached is not None and cached[0] is event:
            return cached[1]
        if len(self._rows) >= 3 * self.max_rows:  # keep the rows of the events shown, drop the rest
            shown = {id(item) for item in self._shown}
            self._rows = {key: value for key, value in self._rows.items() if key in shown}
        row = self._format(event)
        self._rows[id(event)] = (event, row)  # the event is held, so its id is not reused meanwhile
        return row

    def _format(self, event: Any) -> Row:
        stats = _main_stats(event)
        style = NONFINITE_STYLE if event_is_nonfinite(event) else ""
        cells: list[Cell] = [
            (str(event.index), ""),
            (PHASE_LABELS.get(event.phase, event.phase), PHASE_STYLES.get(event.phase, "")),
            _module_cell(event, style),
            (_shapes(event.inputs), ""),
            (_shapes(event.outputs), ""),
        ]
        if stats is None:
            cells.extend(("-", style) for _ in range(4))
        else:
            cells.append((format_mean(stats.mean, stats.std), style))
            cells.extend((format_number(value), style) for value in (stats.std, stats.min, stats.max))
        if self.show_time:  # only a forward event is timed (from its pre-hook to its hook)
            if event.phase != "forward":
                cells.append(("-", ""))
            elif self.first_run_end is None or event.index < self.first_run_end:
                cells.append((f"{event.elapsed_ms:.2f}*", "dim"))  # see the note
            else:
                cells.append((f"{event.elapsed_ms:.2f}", ""))
        return tuple(cells)

    def _update_note(self) -> None:
        if not self.seen:
            text = EMPTY_NOTE
        else:
            text = f"{self.matched:,} of {self.seen:,} events match"
            filters = [f"module ~ {self.module_filter}" if self.module_filter else "",
                       f"phase = {self.phase_filter}" if self.phase_filter else ""]
            if any(filters):
                text += " (" + ", ".join(item for item in filters if item) + ")"
            if self.dropped:
                shown, dropped = len(self._shown), self.dropped
                text += f"; newest {shown:,} shown, {dropped:,} older dropped from view (kept)"
            first_end = self.first_run_end if self.first_run_end is not None else float("inf")
            if self.show_time and self._shown and self._shown[0].index < first_end:
                text += "; ms* includes one-time setup (kernels loading)"
            hidden = self.table.hidden_columns
            if hidden:
                text += f"; hidden at this width: {', '.join(hidden)} (w widens)"
        show_text(self.query_one("#trace-note", Static), text)

    def on_fast_table_columns_hidden(self, message: FastTable.ColumnsHidden) -> None:
        message.stop()
        self._update_note()

    def highlight(self, index: int) -> bool:
        """Put the cursor on the row of event `index`; False when that event is not in the table."""
        for row, event in enumerate(self._shown):
            if event.index == index:
                self.table.move_cursor(row)
                self.highlighted = index
                return True
        return False
