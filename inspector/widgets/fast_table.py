"""FastTable: a read-only table that draws only the rows on screen, so thousands of rows cost nothing.

Textual's DataTable measures every cell it is given; the live trace appends rows many times a second,
so it uses this Line-API table instead: rows are tuples of (text, style) cells, the header stays put.
Columns that do not fit the width are left out, least important first (see `priorities`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = tuple[str, str]  # text, rich style ("" for none)
Row = tuple[Cell, ...]


class FastTable(ScrollView, can_focus=True):
    """Columns of fixed, content-fitted width with a one-space gutter; a row cursor; a fixed header."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    COMPONENT_CLASSES = {"fast-table--header", "fast-table--cursor", "fast-table--odd"}

    DEFAULT_CSS = """
    FastTable { height: 1fr; background: $surface; }
    FastTable > .fast-table--header { text-style: bold; background: $panel; color: $foreground; }
    FastTable > .fast-table--cursor { background: $block-cursor-blurred-background; }
    FastTable:focus > .fast-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    FastTable > .fast-table--odd { background: $surface-lighten-1 30%; }
    """

    cursor_row: reactive[int] = reactive(-1, init=False)

    class ColumnsHidden(Message):
        """The set of columns left out for lack of width changed; `names` are their headers."""

        def __init__(self, table: FastTable, names: list[str]) -> None:
            super().__init__()
            self.table = table
            self.names = names

        @property
        def control(self) -> FastTable:
            return self.table

    class RowHighlighted(Message):
        """The cursor moved to row `index`."""

        def __init__(self, table: FastTable, index: int) -> None:
            super().__init__()
            self.table = table
            self.index = index

        @property
        def control(self) -> FastTable:
            return self.table

    def __init__(self, columns: Sequence[tuple[str, bool]], *, priorities: Sequence[int] | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """`columns`: (header, right-aligned) pairs; `priorities`: one per column, lower is kept longer
        when the width runs short (default: left to right)."""
        super().__init__(id=id, classes=classes)
        self.columns = list(columns)
        self.priorities = list(priorities) if priorities is not None else list(range(len(self.columns)))
        self.rows: list[Row] = []
        self._widths = [len(name) for name, _ in self.columns]
        self._styles: dict[str, Style] = {"": Style()}
        self._visible: list[int] = list(range(len(self.columns)))
        self.hidden_columns: list[str] = []  # headers of the columns left out at this width
        # Drawn rows before cropping, by (row, style): scrolling, cursor moves and repaints reuse them.
        self._strips: dict[tuple[int, Style, Style | None], Strip] = {}
        self._base_style: Style | None = None  # this paint's widget style (rich_style walks ancestors)

    # --- data --------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def set_rows(self, rows: Iterable[Row]) -> None:
        """Replace every row."""
        self.rows = list(rows)
        self._widths = [len(name) for name, _ in self.columns]
        self._widen(self.rows)
        self.cursor_row = min(self.cursor_row, len(self.rows) - 1)
        self._resize()

    def append_rows(self, rows: Iterable[Row]) -> None:
        new = list(rows)
        self.rows.extend(new)
        self._widen(new)
        self._resize()

    def clear(self) -> None:
        self.set_rows([])

    def row_text(self, index: int) -> list[str]:
        """The plain text of row `index`'s cells."""
        return [text for text, _ in self.rows[index]]

    def _widen(self, rows: Sequence[Row]) -> None:
        widths = self._widths
        for row in rows:
            for column, (text, _) in enumerate(row):
                if len(text) > widths[column]:
                    widths[column] = len(text)

    def _choose_columns(self) -> None:
        """Keep the most important columns that fit the width (the first by priority always)."""
        available = self.scrollable_content_region.width or self.size.width
        order = sorted(range(len(self.columns)), key=lambda column: self.priorities[column])
        kept: set[int] = set()
        used = 0
        for rank, column in enumerate(order):
            need = self._widths[column] + 1
            if rank == 0 or not available or used + need <= available:
                kept.add(column)
                used += need
        self._visible = [column for column in range(len(self.columns)) if column in kept]
        hidden = [self.columns[column][0] for column in range(len(self.columns)) if column not in kept]
        if hidden != self.hidden_columns:
            self.hidden_columns = hidden
            self.post_message(self.ColumnsHidden(self, hidden))

    def _resize(self, changed: bool = True) -> None:
        """After the rows changed (or, `changed` False, only the size): columns, virtual size, repaint."""
        visible = self._visible
        self._choose_columns()
        if changed or self._visible != visible:
            self._strips.clear()
            self.refresh()
        width = sum(self._widths[column] + 1 for column in self._visible)
        self.virtual_size = Size(width, len(self.rows) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._resize(changed=False)  # the drawn rows stay valid: cropping fits them to the new width

    # --- cursor ------------------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` (negative counts from the end) and scroll it into view."""
        if not self.rows:
            self.cursor_row = -1
            return
        row = row % len(self.rows) if row < 0 else min(row, len(self.rows) - 1)
        self.cursor_row = row
        self.scroll_to_region(Region(0, row + 1, 1, 1), animate=False, force=True, x_axis=False,
                              immediate=True)
        self.call_after_refresh(self._scroll_header_clear, row)

    def _scroll_header_clear(self, row: int) -> None:
        # The header covers the first visible line: keep the cursor row below it.
        if row + 1 - self.scroll_offset.y < 1:
            self.scroll_to(y=row, animate=False, immediate=True)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh()
        if new >= 0:
            self.post_message(self.RowHighlighted(self, new))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(max(0, self.cursor_row + step))

    def action_page(self, direction: int) -> None:
        self.move_cursor(max(0, self.cursor_row + direction * max(1, self.size.height - 2)))

    def action_jump(self, row: int) -> None:
        self.move_cursor(row)

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y - 1
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.move_cursor(row)

    # --- drawing -----------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = Style.parse(name)
        return style

    def _segments(self, cells: Sequence[Cell], base: Style, cursor: Style | None) -> list[Segment]:
        segments = []
        for column in self._visible:
            text, style_name = cells[column]
            width, right = self._widths[column], self.columns[column][1]
            padded = text.rjust(width) if right else text.ljust(width)
            style = base + self._style(style_name)
            if cursor is not None:
                style = style + cursor
            segments.append(Segment(" " + padded, style))
        return segments

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._base_style = None

    def _strip(self, index: int, cells: Sequence[Cell], style: Style, cursor: Style | None) -> Strip:
        key = (index, style, cursor)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 500:
                self._strips.clear()
            strip = self._strips[key] = Strip(self._segments(cells, style, cursor))
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self._base_style or self.rich_style
        if y == 0:
            header = base + self.get_component_rich_style("fast-table--header")
            strip = self._strip(-1, [(name, "") for name, _ in self.columns], header, None)
            return strip.crop_extend(scroll_x, scroll_x + width, header)
        index = scroll_y + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row_base = base + self.get_component_rich_style("fast-table--odd") if index % 2 else base
        cursor = self.get_component_rich_style("fast-table--cursor") if index == self.cursor_row else None
        strip = self._strip(index, self.rows[index], row_base, cursor)
        fill = row_base + cursor if cursor is not None else row_base
        return strip.crop_extend(scroll_x, scroll_x + width, fill)
