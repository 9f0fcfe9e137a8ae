"""TensorHistogram: the distribution of one tensor's values (and its gradient) as a row of block bars."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text
from textual.widgets import Static

from inspector.tensor_summary import format_number, short_path, to_numpy
from inspector.widgets.cells import show_text

BARS = " ▁▂▃▄▅▆▇█"


def histogram_bars(values: np.ndarray, bins: int, rows: int = 1) -> tuple[list[str], float, float]:
    """(lines, low, high): `rows` lines of `bins` block characters, top line first, each column as tall
    as its bin's count; finite values only."""
    finite = values[np.isfinite(values)].astype(np.float64, copy=False).ravel()
    if finite.size == 0:
        return [], float("nan"), float("nan")
    low, high = float(finite.min()), float(finite.max())
    steps = len(BARS) - 1
    if low == high:
        return [BARS[-1] * bins] * rows, low, high
    counts, _ = np.histogram(finite, bins=bins, range=(low, high))
    levels = np.ceil(counts / counts.max() * steps * rows).astype(int)
    lines = []
    for row in range(rows - 1, -1, -1):  # the top line holds the levels above row * steps
        part = np.clip(levels - row * steps, 0, steps)
        lines.append("".join(BARS[level] for level in part))
    return lines, low, high


def _lines(label: str, values: np.ndarray, bins: int, style: str, rows: int) -> Text:
    bars, low, high = histogram_bars(values, bins, rows)
    text = Text()
    if not bars:
        return text.append(f"{label:>6} ", style="bold").append("no finite values", style="bold red")
    for number, line in enumerate(bars):
        last = number == len(bars) - 1
        text.append(f"{label if last else '':>6} ", style="bold")
        text.append(f"{format_number(low) if last else '':>9} ")
        text.append(line, style=style)
        if last:
            text.append(f" {format_number(high)}")
            nonfinite = int(values.size - np.count_nonzero(np.isfinite(values)))
            if nonfinite:
                text.append(f"  {nonfinite} NaN/Inf", style="bold red")
        else:
            text.append("\n")
    return text


class TensorHistogram(Static):
    """`show(name, tensor)`: histograms of the values and, once a backward ran, of the gradient."""

    DEFAULT_CSS = """
    TensorHistogram { height: auto; padding: 0 1; }
    """

    MAX_ROWS = 10  # lines of bars per histogram, however tall the pane

    _shown: tuple[str | None, Any] = (None, None)

    def on_resize(self) -> None:
        self.show(*self._shown)  # the bars follow the height the layout gives

    def _bar_rows(self, with_grad: bool) -> tuple[int, int]:
        """Lines of bars for the values and the gradient: the widget's height shared between them (the
        title and, without a gradient, its note take a line each)."""
        height = self.size.height if self.is_attached and self.size.height else 0
        if not height:  # not laid out yet: by the terminal's height
            height = max(5, (self.app.size.height - 24) // 2 + 3) if self.is_attached else 5
        lines = max(2, height - 2)
        if with_grad:
            return min(self.MAX_ROWS, max(2, (lines + 1) // 2)), min(self.MAX_ROWS, max(2, lines // 2))
        return min(self.MAX_ROWS, max(2, lines - 1)), 0

    def show(self, name: str | None, tensor: Any = None) -> None:
        self._shown = (name, tensor)
        if name is None or tensor is None:
            show_text(self, "")
            return
        values = to_numpy(tensor)
        if not np.issubdtype(values.dtype, np.floating) or values.size < 2:
            note = f"{short_path(name, 60)}: {values.size} value(s) of {values.dtype}, no histogram"
            show_text(self, Text(note, style="dim"))
            return
        bins = max(10, min(64, self.size.width - 30 if self.size.width else 48))
        grad = getattr(tensor, "grad", None)
        value_rows, grad_rows = self._bar_rows(grad is not None)
        text = Text(f"{short_path(name, 60)}  histogram of {values.size:,} values", style="bold")
        text.append("\n")
        text.append_text(_lines("value", values, bins, "cyan", value_rows))
        if grad is not None:
            text.append("\n")
            text.append_text(_lines("grad", to_numpy(grad), bins, "magenta", grad_rows))
        elif getattr(tensor, "requires_grad", False):  # a buffer or a frozen parameter has none to wait for
            text.append("\n")
            text.append("  grad (none yet: b runs a backward)", style="dim")
        show_text(self, text)
