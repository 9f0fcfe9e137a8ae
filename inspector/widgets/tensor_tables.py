"""TensorTables: a module's parameters and its buffers in two separate tables, with totals."""

from __future__ import annotations

import math
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.widgets import DataTable, Static

from inspector.tensor_summary import (
    ModelTensors,
    SizesCache,
    TensorRow,
    buffer_rows,
    human_count,
    parameter_rows,
    short_path,
    totals,
)
from inspector.widgets.cells import cell, header, mean_cell, number_cell, shape_text, show_text, text_key
from inspector.widgets.paint_memo import PaintMemo

NAME_WIDTH = 36  # a longer tensor name loses its middle ('encoder.…(3).attn.query.weight')
# A table shows at most this many tensors (the totals count them all): a 2,000-layer model's 4,000 rows
# took Textual's DataTable over a second to measure on every move onto the root, and nobody reads them all
MAX_ROWS = 100
TITLE_PATH_WIDTH = 40

PARAMETER_COLUMNS = ("name", "shape", "dtype", "numel", "grad", "mean", "std", "min", "max", "|grad|")
BUFFER_COLUMNS = ("name", "shape", "dtype", "numel", "saved", "mean", "std", "min", "max")
# When the width runs short, columns leave in reverse order of these (lower stays longer); a column
# that carries news (a frozen parameter, a non-persistent buffer, mixed dtypes) moves up.
PARAMETER_PRIORITY = {"name": 0, "shape": 1, "mean": 3, "std": 4, "|grad|": 5, "min": 6, "max": 7,
                      "numel": 8, "grad": 9, "dtype": 10}
BUFFER_PRIORITY = {"name": 0, "shape": 1, "mean": 3, "std": 4, "min": 5, "max": 6, "saved": 7, "numel": 8,
                   "dtype": 9}
SCROLLBAR = 2  # a table's vertical scrollbar takes two columns


def _stat(value: float | None, row: TensorRow) -> Text:
    return number_cell(value, "bold red" if row.nonfinite else "")


def _mean(row: TensorRow) -> Text:
    return mean_cell(row.mean, row.std, "bold red" if row.nonfinite else "")


def choose_columns(columns: tuple[str, ...], widths: dict[str, int], priority: dict[str, float],
                   available: int) -> list[str]:
    """The columns to show: the most important ones whose widths add up to at most `available`,
    in their usual order (the first by priority always; everything when `available` is 0, unknown)."""
    kept: set[str] = set()
    used = 0
    for rank, name in enumerate(sorted(columns, key=lambda column: priority[column])):
        if rank and available and used + widths[name] > available:
            break  # strictly by importance: a narrow column never jumps ahead of a wider, more useful one
        kept.add(name)
        used += widths[name]
    return [name for name in columns if name in kept]


class SizedTable(PaintMemo, DataTable):
    """Textual's DataTable for columns of fixed width: its size is known without measuring any cell.

    DataTable measures every cell of the rows added (on idle, in a frame of its own, followed by a second
    layout pass), to widen columns sized to their content; these tables size each column themselves, so
    `settle()` gives the table its size at once, in the same layout pass as the rest of the key's changes
    (on a 2,000-layer model, measuring 100 rows was ~12 ms of a move onto the root). It draws its cells
    itself (_render_cell) and works out its styles once per paint (PaintMemo). Textual is pinned
    (pyproject.toml): this reads DataTable's private fields of 8.2.8."""

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """DataTable's cell, drawn without rich's render pipeline when it is one line of Text that fits
        its column, as every cell of these tables is: the same segments (tests/inspector/test_app_ui.py
        compares them), a tenth of the time. Rich's Padding, Styled, wrap and justify cost ~0.15 ms a
        cell, 20-30 ms for the ~140 cells a move onto a big module or a theme change draws afresh."""
        quick = self._quick_cell(row_index, column_index, base_style, width, cursor, hover)
        if quick is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return quick

    def _settings(self) -> tuple:
        """The reactive settings a cell's drawing reads (each read of a reactive costs ~3 us)."""
        return (self.cell_padding, self.header_height, self.fixed_rows, self.fixed_columns, self.show_cursor,
                self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")

    def _quick_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                    cursor: bool, hover: bool) -> list[list[Segment]] | None:
        """_render_cell of DataTable 8.2.8 for a one-line Text cell with no padding; None otherwise."""
        (padding, header_height, fixed_rows, fixed_columns, show_cursor, css_foreground,
         css_background) = self._memo("settings", self._settings)
        if column_index < 0 or padding:
            return None
        header = row_index == -1
        row_key = self._header_row_key if header else self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        if header:
            if header_height != 1:
                return None
        else:
            row = self.rows[row_key]
            if row.auto_height or row.height != 1:
                return None
        text = self._get_row_renderables(row_index).cells[column_index]
        if not isinstance(text, Text):
            return None
        plain = text.plain
        justify = text.justify or self.app.console_options.justify or "default"
        length = text.cell_len
        if ("\n" in plain or "\t" in plain or length > width or justify not in ("default", "left", "right")
                or (justify == "right" and plain != plain.rstrip()) or text.end not in ("\n", "")):
            return None
        fixed = not header and (row_index < fixed_rows or column_index < fixed_columns)
        component_style, post_style = self._get_styles_to_render_cell(
            header, False, fixed, hover, cursor, show_cursor, self._show_hover_cursor, css_foreground,
            css_background)
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        # Text.wrap's justify pads inside the text (its style covers the padding: Text.join makes it a
        # span); "default" leaves the padding to Padding's lines, unstyled
        gap = width - length
        spans = list(text._spans)
        if justify == "right" and gap:
            plain = " " * gap + plain
            spans = [Span(start + gap, end + gap, style) for start, end, style in spans]
        elif justify == "left" and gap:
            plain += " " * gap
        if text.style:
            spans.insert(0, Span(0, len(plain), text.style))
        segments = list(Text(plain, spans=spans, end="").render(self.app.console))
        if justify == "default" and gap:
            segments.append(Segment(" " * gap, Style.null()))
        lines = [list(Segment.apply_style(segments, style=pre_style, post_style=post_style))]
        self._cell_render_cache[cache_key] = lines
        return lines

    def settle(self) -> None:
        """Set the table's virtual size now, as DataTable's idle handler would, without measuring."""
        if (not self._require_update_dimensions or self._updated_cells
                or any(column.auto_width for column in self.columns.values())
                or any(row.label is not None or row.auto_height for row in self.rows.values())):
            return  # something to measure: left to DataTable
        self._require_update_dimensions = False
        self._new_rows.clear()
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(width + self._row_label_column_width, self._total_row_height + header_height)


class TensorTables(Vertical):
    """Parameters above, buffers below; `show(model, path, recursive)` fills both."""

    DEFAULT_CSS = """
    TensorTables { height: 1fr; }
    TensorTables > .tensor-title { height: 1; text-style: bold; }
    TensorTables > DataTable { height: auto; max-height: 1fr; }
    TensorTables > #parameter-table { max-height: 65%; }
    TensorTables > .tensor-totals { height: auto; max-height: 2; color: $text-muted; }
    """

    def __init__(self, model: Any = None, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = model
        self.path = ""
        self.recursive = False
        self.parameters: list[TensorRow] = []
        self.buffers: list[TensorRow] = []
        self._parameter_cells: list[dict[str, Text]] = []
        self._buffer_cells: list[dict[str, Text]] = []
        self._filled_width = 0
        self._filled: dict[str | None, tuple] = {}  # by table id: what it was last filled with
        self._sizes_model: Any = None
        self._sizes: SizesCache = {}
        # What show(..., fresh=False) reuses: the model walked once, and each (path, recursive) shown
        # since the last fresh show, with its rows and cells (moving back onto a big module costs nothing)
        self._listing: ModelTensors | None = None
        self._shown: dict[tuple[str, bool], tuple[list[TensorRow], list[TensorRow], list, list]] = {}

    def compose(self) -> ComposeResult:
        yield Static("Parameters", id="parameter-title", classes="tensor-title")
        yield SizedTable(id="parameter-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="parameter-totals", classes="tensor-totals")
        yield Static("Buffers", id="buffer-title", classes="tensor-title")
        yield SizedTable(id="buffer-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="buffer-totals", classes="tensor-totals")

    def on_mount(self) -> None:
        if self.model is not None:
            self.show(self.model, self.path, self.recursive)

    def on_resize(self) -> None:
        if self.model is not None and self.size.width != self._filled_width:
            self._update_titles()
            self._fill_parameters()
            self._fill_buffers()

    @property
    def parameter_table(self) -> SizedTable:
        return self.query_one("#parameter-table", SizedTable)

    @property
    def buffer_table(self) -> SizedTable:
        return self.query_one("#buffer-table", SizedTable)

    def row_values(self, kind: str, index: int) -> dict[str, str]:
        """Every column of row `index` of the "parameter" or "buffer" table, shown or not, as text."""
        cells = (self._parameter_cells if kind == "parameter" else self._buffer_cells)[index]
        return {name: value.plain.strip() for name, value in cells.items()}

    def shown_columns(self, kind: str) -> list[str]:
        """The columns the "parameter" or "buffer" table shows at its current width."""
        table = self.parameter_table if kind == "parameter" else self.buffer_table
        return [str(key.value) for key in table.columns]

    def show(self, model: Any, path: str = "", recursive: bool = False, fresh: bool = True) -> None:
        """Fill both tables with the tensors of the module at `path` (own, or its whole subtree).
        `fresh` False: the model has not changed since the last fresh show (only the selection moved), so
        the walk of the model and the rows of modules shown since then are reused."""
        self.model, self.path, self.recursive = model, path, recursive
        if model is not self._sizes_model:  # rows beyond MAX_ROWS, kept while their tensors are the same
            self._sizes_model, self._sizes = model, {}
        if fresh or self._listing is None or self._listing.model is not model:
            self._listing, self._shown = None, {}
        shown = self._shown.get((path, recursive))
        if shown is None:
            if recursive and self._listing is None:
                self._listing = ModelTensors(model)
            self.parameters = parameter_rows(model, path, recursive, stats_for=MAX_ROWS, sizes=self._sizes,
                                             listing=self._listing)
            self.buffers = buffer_rows(model, path, recursive, stats_for=MAX_ROWS, sizes=self._sizes,
                                       listing=self._listing)
            self._parameter_cells = [self._parameter_row(row) for row in self.parameters[:MAX_ROWS]]
            self._buffer_cells = [self._buffer_row(row) for row in self.buffers[:MAX_ROWS]]
            self._shown[path, recursive] = (self.parameters, self.buffers, self._parameter_cells,
                                            self._buffer_cells)
        else:
            self.parameters, self.buffers, self._parameter_cells, self._buffer_cells = shown
        self._update_titles()
        self._fill_parameters()
        self._fill_buffers()

    def _update_titles(self) -> None:
        """"Parameters of conv1 (subtree; a toggles own/subtree)", shorter when the pane is narrow."""
        scope = "subtree" if self.recursive else "own"
        where = short_path(self.path, TITLE_PATH_WIDTH) if self.path else "(root)"
        width = self.size.width or 1000
        for title_id, kind, hint in (("#parameter-title", "Parameters", "a toggles own/subtree"),
                                     ("#buffer-title", "Buffers", "saved = persistent, in state_dict")):
            title = Text.assemble((kind, "bold"), f" of {where} ({scope}; {hint})")
            if title.cell_len > width:
                title = Text.assemble((kind, "bold"), f" of {where} ({scope})")
            show_text(self.query_one(title_id, Static), title)

    def refresh_values(self) -> None:
        """Recompute the statistics of the same module (after a step, a load or a mode change)."""
        if self.model is not None:
            self.show(self.model, self.path, self.recursive)

    def _local(self, name: str) -> str:
        """A tensor's name relative to the shown module (the title already names the module), its middle
        elided when long, so a deep model's names leave room for the numbers."""
        local = name[len(self.path) + 1:] if self.path and name.startswith(self.path + ".") else name
        return short_path(local, NAME_WIDTH)

    def _parameter_row(self, row: TensorRow) -> dict[str, Text]:
        name = cell(self._local(row.name))
        if row.shared_with:
            name.append(" (shared)", style="bold magenta")
        bad_grad = row.grad_norm is not None and not math.isfinite(row.grad_norm)
        return {
            "name": name, "shape": cell(shape_text(row.shape)), "dtype": cell(row.dtype),
            "numel": cell(f"{row.numel:,}", right=True),
            "grad": cell("yes") if row.flag else cell("frozen", "bold blue"),
            "mean": _mean(row), "std": _stat(row.std, row), "min": _stat(row.min, row),
            "max": _stat(row.max, row), "|grad|": number_cell(row.grad_norm, "bold red" if bad_grad else ""),
        }

    def _buffer_row(self, row: TensorRow) -> dict[str, Text]:
        return {
            "name": cell(self._local(row.name)), "shape": cell(shape_text(row.shape)),
            "dtype": cell(row.dtype), "numel": cell(f"{row.numel:,}", right=True),
            "saved": cell("yes") if row.flag else cell("no", "bold yellow"),
            "mean": _mean(row), "std": _stat(row.std, row), "min": _stat(row.min, row),
            "max": _stat(row.max, row),
        }

    def _fill(self, table: SizedTable, columns: tuple[str, ...], priority: dict[str, float],
              rows: list[TensorRow], cells: list[dict[str, Text]]) -> list[str]:
        """Show the columns that fit the width; returns the names of those left out."""
        widths = {name: max([len(name) + 1, *(value.cell_len for value in
                                              (row[name] for row in cells))]) for name in columns}
        priority = dict(priority)
        dtypes = {row.dtype for row in rows}
        if len(dtypes) > 1:
            priority["dtype"] = 2
        if any(not row.flag for row in rows):
            priority["grad" if "grad" in priority else "saved"] = 2
        available = max(0, self.size.width - SCROLLBAR) if self.size.width else 0
        shown = choose_columns(columns, widths, priority, available)
        # what the table would show (text_key: a cell's style, red for NaN, and alignment count too)
        content = (shown, [widths[name] for name in shown], [row.name for row in rows],
                   [[text_key(values[name]) for name in shown] for values in cells])
        if self._filled.get(table.id) == content and table.row_count == len(rows):
            self._filled_width = self.size.width
            return [name for name in columns if name not in shown]  # unchanged: keep what is drawn
        self._filled[table.id] = content
        # Same rows as before (new values after a step, a new width): the cursor stays where it was.
        same_rows = [str(key.value) for key in table.rows] == [row.name for row in rows]
        cursor = table.cursor_row if same_rows else 0
        table.clear(columns=True)  # columns too: a DataTable column never narrows by itself
        for name in shown:
            table.add_column(header(name)[0], width=widths[name], key=name)  # measured: no lazy resize
        for row, values in zip(rows, cells):
            table.add_row(*(values[name] for name in shown), key=row.name)
        if 0 < cursor < len(rows):
            table.move_cursor(row=cursor, animate=False)  # scrolls after the next refresh, as before
        table.settle()
        # an empty table shows no header (its columns, sized to their names, ran together): the totals
        # line below says "no buffers"
        if table.display != bool(rows):
            if not rows and table.has_focus:
                self.screen.focus_next()
            table.display = bool(rows)
        self._filled_width = self.size.width
        return [name for name in columns if name not in shown]

    def _hidden_note(self, hidden: list[str], rows: list[TensorRow], compact: int = 0) -> str:
        """"; hidden here: dtype, numel (w widens)"; `compact` 1 drops "here", 2 only counts them."""
        if not hidden or not rows:
            return ""
        dtypes = sorted({row.dtype for row in rows})
        note = f"; all {dtypes[0]}" if "dtype" in hidden and len(dtypes) == 1 else ""
        if compact == 2:
            return note + f"; {len(hidden)} columns hidden (w widens)"
        return note + f"; hidden{'' if compact else ' here'}: {', '.join(hidden)} (w widens)"

    def _totals_note(self, kind: str, rows: list[TensorRow], hidden: list[str]) -> str:
        """"8 parameters, 21,840 elements (21.8k), all trainable; ..." in the two lines the pane has:
        when the full sentence is longer, counts in short form (21.8k) and fewer words."""
        summary = totals(rows)
        if not rows:
            if kind == "parameter":
                return "no parameters" + ("" if self.recursive else " of its own (a shows the subtree)")
            return "no buffers" + ("" if self.recursive else " of its own")
        flag = "trainable" if kind == "parameter" else "persistent"
        flags = f"all {flag}" if summary.trainable == summary.numel else f"{summary.trainable:,} {flag}"
        shared = [row for row in rows if row.shared_with]
        shared_note = "".join(f"; shared: {row.name} = {' = '.join(row.shared_with)}" for row in shared)
        short = human_count(summary.numel)
        numel = f"{summary.numel:,} elements" + (f" ({short})" if short != f"{summary.numel}" else "")
        limited = f"; the first {MAX_ROWS} shown (select a submodule)" if len(rows) > MAX_ROWS else ""
        note = f"{summary.count} {kind}s, {numel}, {flags}{shared_note}{limited}" + \
            self._hidden_note(hidden, rows)
        if kind == "parameter" and any(row.grad_norm is not None for row in rows):
            note += "; grad: requires_grad, |grad|: L2 norm of .grad"
        width = self.size.width
        for compact in (1, 2):
            if not width or len(note) <= 2 * width - 2:  # two lines, with room for word wrapping
                break
            note = f"{summary.count} {kind}s, {short} elements, {flags}{shared_note}{limited}" + \
                self._hidden_note(hidden, rows, compact)
        return note

    def _fill_parameters(self) -> None:
        hidden = self._fill(self.parameter_table, PARAMETER_COLUMNS, PARAMETER_PRIORITY,
                            self.parameters[:MAX_ROWS], self._parameter_cells)
        note = self._totals_note("parameter", self.parameters, hidden)
        show_text(self.query_one("#parameter-totals", Static), note)

    def _fill_buffers(self) -> None:
        hidden = self._fill(self.buffer_table, BUFFER_COLUMNS, BUFFER_PRIORITY, self.buffers[:MAX_ROWS],
                            self._buffer_cells)
        show_text(self.query_one("#buffer-totals", Static), self._totals_note("buffer", self.buffers, hidden))
