"""A StateComparison drawn with rich: what `minimod diff` prints and the State dict tab shows.

Grouped by module in the state dict's order; in each module the keys missing from B, the unexpected ones
(only in B), the shape and dtype mismatches, then the changed tensors, largest change first.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from inspector.state_compare import KeyComparison, StateComparison
from inspector.tensor_summary import format_number, shape_text

__all__ = ["comparison_renderable", "headline", "LABELS"]

# the difference column's words and colours, by kind
LABELS = {
    "missing": ("missing", "bold red"),
    "unexpected": ("unexpected", "bold green"),
    "shape": ("shape", "bold magenta"),
    "dtype": ("dtype", "bold cyan"),
    "changed": ("changed", "yellow"),
    "same": ("same", "dim"),
}


def _shapes(item: KeyComparison) -> Text:
    """`50×320 float32` when both sides agree, else what A has → what B has (`-`: not on that side)."""
    def side(shape: tuple[int, ...] | None, dtype: str | None) -> str:
        return "-" if shape is None else f"{shape_text(shape)} {dtype}"

    left, right = side(item.left_shape, item.left_dtype), side(item.right_shape, item.right_dtype)
    if left == right or item.kind == "missing":
        return Text(left)
    if item.kind == "unexpected":
        return Text(right)
    if item.kind == "dtype":
        return Text(f"{shape_text(item.left_shape or ())} {item.left_dtype} → {item.right_dtype}")
    return Text(f"{left} → {right}")


def _percent(item: KeyComparison) -> str:
    relative = item.relative
    if relative is None:
        return "-" if item.change is None else ("was 0" if item.change else "0")
    return f"{format_number(relative * 100)}%"


def headline(comparison: StateComparison) -> Text:
    """`A: a.npz  B: b.npz  2 missing, 1 unexpected, 3 changed, 5 unchanged` (or that they are equal)."""
    text = Text.assemble(("A ", "bold"), comparison.left, ("   B ", "bold"), comparison.right, "\n")
    if comparison.equal:
        count = len(comparison.keys)
        text.append(f"equal: {count} {'key' if count == 1 else 'keys'}, the same shapes, dtypes and values",
                    style="bold green")
    else:
        text.append(comparison.summary(), style="bold yellow")
    return text


# the table's columns: (header, right-aligned), and which stay when the width runs short (lower stays longer)
COLUMNS = (("module / key", False), ("difference", False), ("shape dtype (A \u2192 B)", False),
           ("\u2016B\u2212A\u2016", True), ("relative", True), ("max |B\u2212A|", True))
PRIORITIES = (0, 1, 4, 2, 3, 5)
GAP = 2  # columns between two table columns


def _legend(comparison: StateComparison) -> Text:
    """What the words mean, for the kinds this comparison has."""
    counts = comparison.counts()
    parts = []
    if counts["missing"] or counts["unexpected"]:
        parts.append("missing: in A, not in B; unexpected: in B, not in A (as load_state_dict(B) into A's "
                     "model names them)")
    if counts["changed"] or counts["dtype"]:
        parts.append("changed tensors by \u2016B \u2212 A\u2016, largest first; relative = "
                     "\u2016B \u2212 A\u2016 / \u2016A\u2016")
    return Text("; ".join(parts), style="dim")


def _rows(comparison: StateComparison) -> list[tuple[Text, ...]]:
    """A row naming each module that differs (and how many of its keys are the same), then its keys."""
    rows: list[tuple[Text, ...]] = []
    for module in comparison.by_module():
        if not module.differences:
            continue
        rows.append((Text(module.path or "(root)", style="bold"),
                     Text(f"{module.same} same" if module.same else "", style="dim"),
                     *(Text() for _ in COLUMNS[2:])))
        prefix = f"{module.path}." if module.path else ""
        for item in module.differences:
            word, style = LABELS[item.kind]
            measured = item.change is not None
            rows.append((Text("  " + item.key.removeprefix(prefix)), Text(word, style=style), _shapes(item),
                         Text(format_number(item.change) if measured else "-"), Text(_percent(item)),
                         Text(format_number(item.max_abs) if measured else "-")))
    return rows


def _fitting_columns(rows: list[tuple[Text, ...]], width: int | None) -> list[int]:
    """The columns that fit in `width` (all without one), the most wanted first (PRIORITIES)."""
    needed = [max([len(name), *(row[number].cell_len for row in rows)])
              for number, (name, _) in enumerate(COLUMNS)]
    # a column with nothing to say in any row (no tensor measured: only '-') is left out at any width
    informative = [number for number in range(len(COLUMNS))
                   if number < 2 or any(row[number].plain not in ("", "-") for row in rows)]
    if width is None:
        return informative
    kept: list[int] = []
    used = 0
    for number in sorted(informative, key=PRIORITIES.__getitem__):
        extra = needed[number] + (GAP if kept else 0)
        if kept and used + extra > width:
            continue
        kept.append(number)
        used += extra
    return sorted(kept)


def comparison_renderable(comparison: StateComparison, width: int | None = None) -> RenderableType:
    """The headline, what the words mean, and one table row per differing key under a row naming its
    module; in `width` columns, the columns that do not fit are left out (named under the table)."""
    parts: list[RenderableType] = [headline(comparison)]
    if comparison.equal:
        return Group(*parts)
    parts.append(_legend(comparison))
    rows = _rows(comparison)
    columns = _fitting_columns(rows, width)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False, padding=(0, GAP // 2))
    for number in columns:
        name, right = COLUMNS[number]
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(row[number] for number in columns))
    parts.append(table)
    left_out = [COLUMNS[number][0] for number in range(len(COLUMNS)) if number not in columns
                and any(row[number].plain not in ("", "-") for row in rows)]
    if left_out:
        parts.append(Text(f"not shown in this width: {', '.join(left_out)}", style="dim"))
    unchanged = [module.path or "(root)" for module in comparison.by_module() if not module.differences]
    if unchanged:
        parts.append(Text(f"the same in every key: {', '.join(unchanged)}", style="dim"))
    return Group(*parts)
