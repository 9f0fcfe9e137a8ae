"""TensorTables: a module's parameters and its buffers in two separate tables, with totals."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from inspector.tensor_summary import TensorRow, buffer_rows, human_count, parameter_rows, totals
from inspector.widgets.cells import cell, header, number_cell, shape_text

PARAMETER_COLUMNS = ("name", "shape", "dtype", "numel", "grad", "mean", "std", "min", "max", "|grad|")
BUFFER_COLUMNS = ("name", "shape", "dtype", "numel", "saved", "mean", "std", "min", "max")


def _stat(value: float | None, row: TensorRow) -> Text:
    return number_cell(value, "bold red" if row.nonfinite else "")


class TensorTables(Vertical):
    """Parameters above, buffers below; `show(model, path, recursive)` fills both."""

    DEFAULT_CSS = """
    TensorTables { height: 1fr; }
    TensorTables > .tensor-title { height: 1; text-style: bold; }
    TensorTables > DataTable { height: auto; max-height: 1fr; }
    TensorTables > #parameter-table { max-height: 65%; }
    TensorTables > .tensor-totals { height: 1; color: $text-muted; }
    """

    def __init__(self, model: Any = None, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = model
        self.path = ""
        self.recursive = False
        self.parameters: list[TensorRow] = []
        self.buffers: list[TensorRow] = []

    def compose(self) -> ComposeResult:
        yield Static("Parameters", id="parameter-title", classes="tensor-title")
        yield DataTable(id="parameter-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="parameter-totals", classes="tensor-totals")
        yield Static("Buffers", id="buffer-title", classes="tensor-title")
        yield DataTable(id="buffer-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="buffer-totals", classes="tensor-totals")

    def on_mount(self) -> None:
        self.parameter_table.add_columns(*header(*PARAMETER_COLUMNS))
        self.buffer_table.add_columns(*header(*BUFFER_COLUMNS))
        if self.model is not None:
            self.show(self.model, self.path, self.recursive)

    @property
    def parameter_table(self) -> DataTable:
        return self.query_one("#parameter-table", DataTable)

    @property
    def buffer_table(self) -> DataTable:
        return self.query_one("#buffer-table", DataTable)

    def show(self, model: Any, path: str = "", recursive: bool = False) -> None:
        """Fill both tables with the tensors of the module at `path` (own, or its whole subtree)."""
        self.model, self.path, self.recursive = model, path, recursive
        self.parameters = parameter_rows(model, path, recursive)
        self.buffers = buffer_rows(model, path, recursive)
        scope = "subtree" if recursive else "own"
        where = path or "(root)"
        self.query_one("#parameter-title", Static).update(
            Text.assemble(("Parameters", "bold"), f" of {where} ({scope}; r toggles own/subtree)")
        )
        self.query_one("#buffer-title", Static).update(
            Text.assemble(("Buffers", "bold"), f" of {where} ({scope}; saved = persistent, in state_dict)")
        )
        self._fill_parameters()
        self._fill_buffers()

    def refresh_values(self) -> None:
        """Recompute the statistics of the same module (after a step, a load or a mode change)."""
        if self.model is not None:
            self.show(self.model, self.path, self.recursive)

    def _local(self, name: str) -> str:
        """A tensor's name relative to the shown module: the title already names the module."""
        return name[len(self.path) + 1:] if self.path and name.startswith(self.path + ".") else name

    def _fill_parameters(self) -> None:
        table = self.parameter_table
        table.clear()
        for row in self.parameters:
            name = cell(self._local(row.name))
            if row.shared_with:
                name.append(" (shared)", style="bold magenta")
            bad_grad = row.grad_norm is not None and not math.isfinite(row.grad_norm)
            grad_norm = number_cell(row.grad_norm, "bold red" if bad_grad else "")
            table.add_row(
                name,
                cell(shape_text(row.shape)),
                cell(row.dtype),
                cell(f"{row.numel:,}", right=True),
                cell("yes") if row.flag else cell("frozen", "blue"),
                _stat(row.mean, row), _stat(row.std, row), _stat(row.min, row), _stat(row.max, row),
                grad_norm,
                key=row.name,
            )
        summary = totals(self.parameters)
        shared = [row for row in self.parameters if row.shared_with]
        note = f"{summary.count} parameters, {summary.numel:,} elements ({human_count(summary.numel)})"
        note += f", {summary.trainable:,} trainable"
        if shared:
            note += "; shared: " + ", ".join(f"{row.name} = {' = '.join(row.shared_with)}" for row in shared)
        if not self.parameters:
            note = "no parameters" + ("" if self.recursive else " of its own (r shows the subtree)")
        self.query_one("#parameter-totals", Static).update(note)

    def _fill_buffers(self) -> None:
        table = self.buffer_table
        table.clear()
        for row in self.buffers:
            table.add_row(
                cell(self._local(row.name)),
                cell(shape_text(row.shape)),
                cell(row.dtype),
                cell(f"{row.numel:,}", right=True),
                cell("yes") if row.flag else cell("no", "yellow"),
                _stat(row.mean, row), _stat(row.std, row), _stat(row.min, row), _stat(row.max, row),
                key=row.name,
            )
        summary = totals(self.buffers)
        note = f"{summary.count} buffers, {summary.numel:,} elements, {summary.trainable:,} persistent"
        if not self.buffers:
            note = "no buffers" + ("" if self.recursive else " of its own")
        self.query_one("#buffer-totals", Static).update(note)
