"""TracePanel: the trace table with its module and phase filters, and step-through (n, p): the trace
replayed one event at a time, each described in a detail line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Select, Static

from inspector.tensor_summary import format_mean, format_number
from inspector.widgets.cells import shape_text
from inspector.widgets.fast_table import FastTable
from inspector.widgets.trace_table import TraceTable, event_is_nonfinite

PHASE_OPTIONS = [("all phases", ""), ("forward_pre", "forward_pre"), ("forward", "forward"),
                 ("backward", "backward")]


def describe_event(event: Any, show_time: bool = True) -> Text:
    """A few lines on one event: where, when, and the statistics of every input and output."""
    text = Text()
    text.append(f"event {event.index}  ", style="bold")
    text.append(f"{event.phase} ", style="bold cyan")
    text.append(f"{event.module or '(root)'} ", style="bold")
    text.append(f"{event.kind}  {'train' if event.training else 'eval'}")
    if show_time and event.phase == "forward":
        text.append(f"  {event.elapsed_ms:.2f} ms")
    names = ("grad_input", "grad_output") if event.phase == "backward" else ("input", "output")
    for label, items in ((names[0], event.inputs), (names[1], event.outputs)):
        for number, stats in enumerate(items):
            text.append(f"\n  {label}[{number}] ")
            if stats is None:
                text.append("None", style="dim")
                continue
            numbers = f"mean {format_mean(stats.mean, stats.std)}  " + "  ".join(
                f"{name} {format_number(value)}"
                for name, value in (("std", stats.std), ("min", stats.min), ("max", stats.max)))
            line = f"{shape_text(stats.shape)} {stats.dtype}  {numbers}"
            if stats.nan or stats.inf:
                text.append(line + f"  NaN {stats.nan}  Inf {stats.inf}", style="bold red")
            else:
                text.append(line)
    if getattr(event, "intervention", ""):
        text.append(f"\n  intervention {event.intervention}: ", style="bold magenta")
        text.append("the output above is what forward computed; a forward hook then returned a new one, "
                    "which replaced it: the modules after this one got the new value (their inputs show it)")
    return text


class TracePanel(Vertical):
    """Filters on top, the bounded TraceTable, and a detail line for the step-through cursor."""

    class FiltersChanged(Message):
        """The user changed the module or phase filter (the table shows the new selection)."""

    DEFAULT_CSS = """
    TracePanel { height: 1fr; }
    TracePanel > #trace-filters { height: 1; margin-bottom: 1; }
    TracePanel #trace-module-filter { width: 1fr; }
    TracePanel #trace-phase-filter { width: 18; }
    TracePanel > #step-detail { height: auto; max-height: 7; }
    """

    def __init__(self, events: Callable[[], list[Any]] | None = None, *, max_rows: int = 2000,
                 show_time: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.events = events or (lambda: [])
        self.max_rows = max_rows
        self.show_time = show_time
        self._detail_event: Any | None = None  # the event the detail describes
        self.step_cursor: int | None = None  # the index of the event stepped to; None: not stepping
        self.step_start = 0  # the index of the first event shown while stepping

    def compose(self) -> ComposeResult:
        with Horizontal(id="trace-filters"):
            yield Input(placeholder="module filter: path or part of it", id="trace-module-filter",
                        compact=True)
            yield Select(PHASE_OPTIONS, value="", allow_blank=False, id="trace-phase-filter", compact=True)
        yield TraceTable(max_rows=self.max_rows, show_time=self.show_time, id="trace-table")
        yield Static("", id="step-detail")

    @property
    def table(self) -> TraceTable:
        return self.query_one("#trace-table", TraceTable)

    @property
    def module_filter(self) -> str:
        return self.query_one("#trace-module-filter", Input).value.strip()

    @property
    def phase_filter(self) -> str:
        value = self.query_one("#trace-phase-filter", Select).value
        return value if isinstance(value, str) else ""

    def set_filters(self, module: str | None = None, phase: str | None = None) -> None:
        """Set either filter from code (the widgets follow) and re-show the session's events."""
        if module is not None:
            self.query_one("#trace-module-filter", Input).value = module
        if phase is not None:
            self.query_one("#trace-phase-filter", Select).value = phase
        self.apply_filters()

    def apply_filters(self) -> None:
        """Show the session's events that pass the filters, and the detail of the one under the cursor."""
        table = self.table
        table.set_filter(self.module_filter, self.phase_filter, self.events())
        row = table.table.cursor_row
        self.show_step(table.shown_event(row))  # now, not when the cursor's message comes: one paint

    def show_step(self, event: Any | None) -> None:
        """Describe the step-through event (None clears the detail)."""
        if event is self._detail_event:  # stepping shows it, then the cursor's move: update once
            return
        self._detail_event = event
        detail = self.query_one("#step-detail", Static)
        if event is None:
            detail.update("")
            detail.remove_class("nonfinite")
            return
        detail.update(describe_event(event, self.show_time))
        detail.set_class(event_is_nonfinite(event), "nonfinite")

    @on(Input.Changed, "#trace-module-filter")
    def _module_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filters_changed()

    def _filters_changed(self) -> None:
        # the table now shows the filtered trace (the detail: its cursor's event): stepping starts again
        # from the last run's first match
        self.step_cursor = None
        self.apply_filters()
        self.post_message(self.FiltersChanged())

    def on_key(self, event: events.Key) -> None:
        # escape in the module filter clears it and goes back to the table (enter keeps the filter)
        module_filter = self.query_one("#trace-module-filter", Input)
        if event.key == "escape" and module_filter.has_focus:
            event.stop()
            event.prevent_default()
            if module_filter.value:
                module_filter.value = ""
            self.table.table.focus()

    def focus_filter(self) -> None:
        self.query_one("#trace-module-filter", Input).focus()

    @on(Input.Submitted, "#trace-module-filter")
    def _module_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.table.focus()

    @on(FastTable.RowHighlighted, "#trace-data")
    def _row_highlighted(self, event: FastTable.RowHighlighted) -> None:
        # Moving through the table shows the event's details (stepping sets them itself).
        shown = self.table.shown_event(event.index)
        if shown is not None:
            self.show_step(shown)

    @on(Select.Changed, "#trace-phase-filter")
    def _phase_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._filters_changed()

    # --- step-through -----------------------------------------------------------------------------

    def _position(self, index: int) -> int:
        """Where event `index` sits in the events (its index, unless the list was ever cleared)."""
        events = self.events()
        if 0 <= index < len(events) and events[index].index == index:
            return index
        return next((position for position, event in enumerate(events) if event.index == index), len(events))

    def _matching_from(self, position: int, direction: int) -> Any | None:
        """The first event from `position` on (direction +1) or back (-1) that passes the filters. Only
        the events passed over are looked at: stepping stays quick over 100k events."""
        events, matches = self.events(), self.table.matches
        while 0 <= position < len(events):
            if matches(events[position]):
                return events[position]
            position += direction
        return None

    def step(self, direction: int, run_start: int) -> Any | None:
        """Move the step-through cursor to the next (+1) or previous (-1) event that passes the filters,
        the first step to the first from `run_start` (the last run's first event); the table then holds
        the events stepped over. The event, or None (and a notice saying why) when there is none."""
        table = self.table
        if self.step_cursor is None:  # start at the last run's first event (or the first one kept)
            target = self._matching_from(self._position(run_start), +1) or self._matching_from(0, +1)
            if target is None:
                self.notify("no event matches the trace filters: change them (/ on the Trace tab)"
                            if self.events() else
                            "no events to step through: press f (forward) or b (backward) first",
                            severity="warning")
                return None
            self.step_start = target.index
            table.set_filter(table.module_filter, table.phase_filter, [target])
        else:
            target = self._matching_from(self._position(self.step_cursor) + direction, direction)
            if target is None:
                self.notify("that was the last event" if direction > 0 else "that was the first event",
                            timeout=2)
                return None
            if direction > 0:  # the table grows by one row
                table.add_events([target])
            else:  # back: the table holds the events from the start up to this one
                self.step_start = min(self.step_start, target.index)
                events = self.events()
                span = events[self._position(self.step_start):self._position(target.index) + 1]
                shown = [event for event in span if table.matches(event)]
                table.set_filter(table.module_filter, table.phase_filter, shown)
        self.step_cursor = target.index
        table.highlight(target.index)
        self.show_step(target)
        return target

    def leave_step(self) -> bool:
        """Stop stepping: the whole trace again, the detail following the cursor. False if not stepping."""
        if self.step_cursor is None:
            return False
        self.step_cursor = None
        self.apply_filters()
        return True
