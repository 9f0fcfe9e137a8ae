"""Training history drawn in characters: the loss curve (plotext), the colorful dimension of one module's
activations or one parameter's values (a histogram per step, steps along x, log counts as colour), and
the overview of every module over steps. The Training tab shows these, and `minimod train` saves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.style import Style
from rich.text import Text

from inspector.training_history import BINS, DEAD_FRACTION, Finding, Histogram, TrainingHistory, diagnose

__all__ = [
    "OVERVIEW_METRICS", "Overview", "draw_loss", "heatmap_text", "loss_text", "overview", "overview_text",
    "resample",
]

# viridis at five points: dark blue (few, small) to yellow (many, large), readable on dark and light themes
_COLOURS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float)
_EMPTY = "#202020"  # no values in this cell
MARK_COLOURS = {"snapshot": "green", "load": "orange", "train": "cyan", "eval": "magenta"}
OVERVIEW_METRICS = {"std": "std of the output", "grad": "gradient norm at the output"}


def colour(fraction: float) -> str:
    """The colour for `fraction` in [0, 1] of the scale, as #rrggbb."""
    position = min(max(fraction, 0.0), 1.0) * (len(_COLOURS) - 1)
    low = int(math.floor(position))
    high = min(low + 1, len(_COLOURS) - 1)
    red, green, blue = _COLOURS[low] + (_COLOURS[high] - _COLOURS[low]) * (position - low)
    return f"#{int(red):02x}{int(green):02x}{int(blue):02x}"


def resample(steps: np.ndarray, values: np.ndarray, weights: np.ndarray, last_step: int,
             width: int) -> np.ndarray:
    """Columns ending at `steps` (each the mean of `weights` steps) spread over `width` display columns
    covering steps 1..last_step: each display column the weighted mean of the columns ending in it,
    NaN where none does. Extra dimensions of `values` (a histogram's bins) are kept."""
    shape = (width,) + values.shape[1:]
    total = np.zeros(shape)
    weight = np.zeros(width)
    if last_step < 1 or steps.size == 0:
        return np.full(shape, np.nan)
    where = np.clip(np.ceil(steps * width / last_step).astype(int) - 1, 0, width - 1)
    broadcast = weights.reshape((-1,) + (1,) * (values.ndim - 1))
    np.add.at(total, where, values * broadcast)
    np.add.at(weight, where, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / weight.reshape((-1,) + (1,) * (values.ndim - 1))


def _number(value: float) -> str:
    return f"{value:.3g}" if value != 0 else "0"


# --- the loss curve ---------------------------------------------------------------------------------


def draw_loss(plt: Any, history: TrainingHistory, marker: str = "braille") -> None:
    """Draw the loss over steps with plotext's API (`plt`: the plotext module or a PlotextPlot's `plt`),
    each snapshot, load and mode change as a vertical line just after the step it followed (its label
    on one of three heights, so neighbouring labels do not overwrite each other)."""
    steps, losses = history.losses()
    plt.clear_data()
    plt.clear_figure()
    plt.xlabel("optimizer step")
    plt.ylabel("loss")
    if steps.size == 0:
        plt.title("no optimizer step yet: t trains, o takes one step")
        return
    plt.plot(steps.tolist(), losses.tolist(), marker=marker, color="cyan")
    plt.xticks(sorted({int(round(tick)) for tick in np.linspace(1, int(steps[-1]), 5)}))  # whole steps
    finite = losses[np.isfinite(losses)]
    top, bottom = (float(finite.max()), float(finite.min())) if finite.size else (1.0, 0.0)
    shown = [(step, label) for step, label in history.marks_list() if 0 <= step <= steps[-1]]
    for number, (step, label) in enumerate(shown):
        shade = MARK_COLOURS.get(label.split()[0], "white")
        plt.vline(step + 0.5, shade)
        plt.text(label, step + 0.5, top - (number % 3) * 0.15 * (top - bottom), color=shade,
                 alignment="left")


def loss_text(history: TrainingHistory, width: int = 100, height: int = 16) -> Text:
    """The loss curve as plotext draws it in a terminal, as rich Text."""
    import plotext

    draw_loss(plotext, history)  # it clears the figure first: size and theme come after
    plotext.plotsize(width, height)
    plotext.theme("dark")
    text = Text.from_ansi(plotext.build())
    plotext.clear_figure()
    return text


# --- the colorful dimension -----------------------------------------------------------------------------


def _bin_groups(height: int) -> int:
    """How many of the BINS bins share one half-cell so the picture fits `height` text rows."""
    for group in (1, 2, 4, 5, 8, 10, 20, 40):
        if BINS / group <= 2 * max(height, 1):
            return group
    return BINS


def heatmap_text(histogram: Histogram, title: str, width: int = 80, height: int = 20) -> Text:
    """The histogram per step as a heatmap: steps along x, the values' bins up y (the largest at the top),
    the colour the log of the count per step. Each text row holds two bin groups (▀: upper in the
    foreground, lower in the background). `width` and `height` are the picture's, axes included."""
    text = Text(title, style="bold")
    text.append("\n")
    columns = histogram.counts.shape[0]
    if columns == 0:
        return text.append("no step recorded yet: t trains, o takes one step", style="dim")
    group = _bin_groups(height - 4)
    counts = histogram.counts.reshape(columns, BINS // group, group).sum(axis=2)
    label_width = max(len(_number(histogram.edges[0])), len(_number(histogram.edges[-1]))) + 1
    grid_width = max(8, width - label_width - 1)
    last_step = int(histogram.steps[-1])
    if columns <= grid_width:
        cell = max(1, min(4, grid_width // columns))
        per_step = counts / histogram.per_step[:, None]
        cells = np.repeat(per_step, cell, axis=0)
        first_step = int(histogram.steps[0] - histogram.per_step[0] + 1)
    else:
        cells = resample(histogram.steps, counts / histogram.per_step[:, None],
                         histogram.per_step.astype(float), last_step, grid_width)
        first_step = 1
    shown = np.log1p(np.nan_to_num(cells, nan=0.0))
    top = float(shown.max()) if shown.size else 0.0
    rows = counts.shape[1]
    if rows % 2:  # an odd number of groups: an empty one below the lowest
        shown = np.concatenate([np.zeros((shown.shape[0], 1)), shown], axis=1)
        rows += 1

    def cell_colour(value: float) -> str:
        return _EMPTY if value <= 0 or top <= 0 else colour(value / top)

    low, high = float(histogram.edges[0]), float(histogram.edges[-1])
    for row in range(rows // 2):
        upper, lower = rows - 1 - 2 * row, rows - 2 - 2 * row
        if row == 0:
            label = _number(high)
        elif row == rows // 2 - 1:
            label = _number(low)
        elif low < 0 < high and row == rows // 4:
            label = "0"
        else:
            label = ""
        text.append(f"{label:>{label_width}} ", style="dim")
        for column in range(shown.shape[0]):
            text.append("▀", style=Style(color=cell_colour(shown[column, upper]),
                                         bgcolor=cell_colour(shown[column, lower])))
        text.append("\n")
    axis_width = shown.shape[0]
    left, right = f"step {first_step}", f"{last_step}"
    text.append(" " * (label_width + 1) + left + right.rjust(max(1, axis_width - len(left))), style="dim")
    outside = float(histogram.below.sum() + histogram.above.sum())
    total = outside + float(histogram.counts.sum())
    note = f"\ncolour: log(1 + values per step in the bin); bins fixed at the first step ({BINS} from " \
           f"{_number(low)} to {_number(high)})"
    if outside:
        note += f"; {outside / total:.1%} of values fell outside them"
    if int(histogram.per_step.max()) > 1:
        note += f"; older columns merge {int(histogram.per_step.max())} steps"
    text.append(note, style="dim")
    return text


# --- the overview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Every leaf module over steps: `cells[row, column]` the metric (NaN: not recorded), `dead[row,
    column]` whether its outputs were mostly zero, `zeros[row]` the latest near-zero fraction."""

    metric: str
    modules: tuple[str, ...]
    kinds: tuple[str, ...]
    cells: np.ndarray
    dead: np.ndarray
    zeros: np.ndarray
    last_step: int
    findings: tuple[Finding, ...]


def _rows(history: TrainingHistory) -> list[str]:
    """The modules with no submodule (the layers), or the root alone for a model that is one layer."""
    paths = history.module_paths()
    leaves = [path for path in paths if path and not any(other.startswith(path + ".") for other in paths)]
    return leaves or paths


def overview(history: TrainingHistory, metric: str, width: int) -> Overview:
    """The overview's numbers for `width` step columns; metric "std" (of the output) or "grad" (the
    gradient norm at the output)."""
    if metric not in OVERVIEW_METRICS:
        raise ValueError(f"metric must be one of {tuple(OVERVIEW_METRICS)}, got {metric!r}")
    rows = _rows(history)
    last_step = history.steps_taken()
    width = max(1, min(width, last_step)) if last_step else 1
    cells = np.full((len(rows), width), np.nan)
    dead = np.zeros((len(rows), width), dtype=bool)
    zeros = np.full(len(rows), np.nan)
    for index, path in enumerate(rows):
        stats = history.module_stats(path)
        if metric == "std":
            cells[index] = resample(stats["steps"], stats["std"], stats["count"], last_step, width)
        else:
            cells[index] = resample(stats["grad_steps"], stats["grad_norm"], stats["grad_count"], last_step,
                                    width)
        near_zero = resample(stats["steps"], stats["near_zero"], stats["count"], last_step, width)
        dead[index] = near_zero >= DEAD_FRACTION
        if stats["near_zero"].size:
            zeros[index] = stats["near_zero"][-1]
    kinds = tuple(history.module_kind(path) for path in rows)
    return Overview(metric, tuple(rows), kinds, cells, dead, zeros, last_step, tuple(diagnose(history)))


def _shade(value: float, log_value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return _EMPTY
    if value == 0:
        return colour(0.0)
    return colour((log_value - low) / (high - low)) if high > low else colour(0.5)


def _shorten(label: str, width: int) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1):]


def overview_text(history: TrainingHistory, metric: str = "std", width: int = 100,
                  selected: str | None = None, height: int | None = None) -> Text:
    """The overview drawn: the flags first, then a row per layer, a column per step (or run of steps),
    coloured by the log of the metric; dead cells crossed in red; the latest zero fraction and any flag
    on the right. When the layers do not fit `height` lines, each line holds two layers (▀: the upper
    one in the foreground, the lower in the background; dead cells red) so the whole model fits."""
    rows = _rows(history)
    kinds = [history.module_kind(path) for path in rows]
    paired = height is not None and len(rows) + 4 > height
    if paired:
        label_width = min(36, max((len(path) for path in rows), default=10) * 2 + 3)
    else:
        label_width = min(28, max((len(path) + len(kind) + 3 for path, kind in zip(rows, kinds, strict=True)),
                                  default=10))
    grid = max(8, width - label_width - 24)
    data = overview(history, metric, grid)
    text = Text(f"All layers over {data.last_step} steps: {OVERVIEW_METRICS[metric]} (log colour)",
                style="bold")
    if not data.last_step:
        return text.append("\nno step recorded yet: t trains, o takes one step", style="dim")
    flags: dict[str, list[str]] = {}
    for finding in data.findings:
        flags.setdefault(finding.module, []).append(finding.problem)
    if flags:  # first, so they show at a glance however many layers follow
        listed = "; ".join(f"{path} {', '.join(problems)}" for path, problems in flags.items())
        line = f"flagged: {listed}"
        text.append("\n")
        text.append(_shorten(line, width) if paired else line, style="bold red")
    else:
        text.append("  nothing flagged", style="green")
    text.append("\n")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(data.cells)
    finite = logs[np.isfinite(logs)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    cell = max(1, min(4, grid // data.cells.shape[1]))
    if paired:
        _paired_rows(text, data, logs, low, high, cell, label_width, flags, selected)
    else:
        for row, (path, kind) in enumerate(zip(data.modules, data.kinds, strict=True)):
            style = "bold reverse" if path == selected else ""
            label = _shorten(f"{path or '(root)'} {kind}", label_width)
            text.append(f"{label:<{label_width}} ", style=style)
            for column in range(data.cells.shape[1]):
                shade = _shade(data.cells[row, column], logs[row, column], low, high)
                glyph = "x" if data.dead[row, column] else " "
                text.append(glyph * cell, style=Style(color="red", bold=True, bgcolor=shade))
            zeros = data.zeros[row]
            text.append(f" {'' if np.isnan(zeros) else f'{zeros:4.0%}':>5} zero",
                        style="bold red" if zeros >= DEAD_FRACTION else "dim")
            problems = flags.get(path, [])
            if problems:
                text.append(" " + ", ".join(problems), style="bold red")
            text.append("\n")
    scale_low, scale_high = (10 ** low, 10 ** high) if finite.size else (0.0, 0.0)
    text.append("colour: ", style="dim")
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        text.append("  ", style=Style(bgcolor=colour(fraction)))
    dead_mark = "red" if paired else "x"
    text.append(f" {OVERVIEW_METRICS[metric]} from {_number(scale_low)} to {_number(scale_high)} (log); "
                f"{dead_mark}: outputs ≥{DEAD_FRACTION:.0%} zero", style="dim")
    if data.findings and not paired:
        text.append("\n")
        for finding in data.findings:
            text.append(f"{finding.module} ({finding.problem}): {finding.detail}\n", style="red")
        text.rstrip()
    return text


_DEAD = "#e03030"  # a dead cell in the two-layers-a-line overview


def _paired_rows(text: Text, data: Overview, logs: np.ndarray, low: float, high: float, cell: int,
                 label_width: int, flags: dict[str, list[str]], selected: str | None) -> None:
    """Two layers a line: the upper half of each cell the first, the lower half the second."""
    half = (label_width - 3) // 2
    for first in range(0, len(data.modules), 2):
        pair = [first] if first + 1 == len(data.modules) else [first, first + 1]
        names = [_shorten(data.modules[row] or "(root)", half) for row in pair]
        style = "bold reverse" if selected in (data.modules[row] for row in pair) else ""
        text.append(f"{' / '.join(names):<{label_width}} ", style=style)

        def shade(row: int, column: int) -> str:
            if data.dead[row, column]:
                return _DEAD
            return _shade(data.cells[row, column], logs[row, column], low, high)

        for column in range(data.cells.shape[1]):
            upper = shade(pair[0], column)
            lower = shade(pair[1], column) if len(pair) == 2 else "default"
            text.append("▀" * cell, style=Style(color=upper, bgcolor=None if lower == "default" else lower))
        zeros = [data.zeros[row] for row in pair]
        shown = "/".join("" if np.isnan(value) else f"{value:.0%}" for value in zeros)
        dead = any(value >= DEAD_FRACTION for value in zeros if not np.isnan(value))
        text.append(f" {shown:>9} zero", style="bold red" if dead else "dim")
        problems = [f"{data.modules[row]}: {', '.join(flags[data.modules[row]])}" for row in pair
                    if data.modules[row] in flags]
        if problems:
            text.append(" " + "; ".join(problems), style="bold red")
        text.append("\n")


# --- the picture `minimod train` saves -------------------------------------------------------------------


def training_picture(history: TrainingHistory, view: str = "all", module: str | None = None,
                     parameter: str | None = None, width: int = 120) -> list[Text]:
    """The parts of the picture: the loss curve, the overviews (std, grad), the activations of `module`
    (default: the first layer) and the values of `parameter` (default: the first one), or one of them."""
    parts = []
    if view in ("all", "loss"):
        parts += [Text("Loss over optimizer steps", style="bold"), loss_text(history, width, 16)]
    for metric in ("std", "grad"):
        if view in ("all", metric):
            parts.append(overview_text(history, metric, width))
    if view in ("all", "activations"):
        rows = _rows(history)
        path = module if module is not None else (rows[0] if rows else "")
        histogram = history.activations(path)
        label = path or "the root"
        parts.append(heatmap_text(histogram, f"Outputs of {label} ({history.module_kind(path)}) over steps",
                                  width, 20) if histogram is not None
                     else Text(f"No floating output of {label} was recorded", style="dim"))
    if view in ("all", "weights"):
        names = history.weight_names()
        name = parameter if parameter is not None else (names[0] if names else None)
        histogram = history.weight_histogram(name) if name is not None else None
        parts.append(heatmap_text(histogram, f"Values of {name} after each step", width, 14)
                     if histogram is not None else Text("The model has no parameters", style="dim"))
    return parts


def save_training_picture(history: TrainingHistory, path: Path, *, view: str = "all",
                          module: str | None = None, parameter: str | None = None, width: int = 120,
                          title: str = "training") -> Path:
    """Write the picture to `path` (atomically): an SVG, or a PNG drawn from it with cairosvg."""
    import io

    from rich.console import Console

    from minimod.atomic_file import atomic_write
    from minimod.errors import UserError

    console = Console(record=True, width=width, file=io.StringIO(), color_system="truecolor")
    console.print(Text(title, style="bold"))
    for part in training_picture(history, view, module, parameter, width):
        console.print()
        console.print(part)
    svg = console.export_svg(title=title).encode("utf-8")
    data = svg
    if path.suffix.lower() == ".png":
        try:
            import cairosvg
        except ImportError as error:
            raise UserError(f"writing {path.name} needs cairosvg (pip install cairosvg); or write "
                            f"{path.stem}.svg") from error
        data = cairosvg.svg2png(bytestring=svg)
    atomic_write(path, lambda stream: stream.write(data))
    return path
