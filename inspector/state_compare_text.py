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


def comparison_renderable(comparison: StateComparison) -> RenderableType:
    """The headline, the meaning of missing and unexpected, and one table row per differing key under a
    row naming its module (how many of its keys are the same)."""
    parts: list[RenderableType] = [headline(comparison)]
    if comparison.equal:
        return Group(*parts)
    parts.append(Text("missing: in A, not in B; unexpected: in B, not in A (as load_state_dict(B) into A's "
                      "model names them); changed tensors by ‖B − A‖, largest first; relative = "
                      "‖B − A‖ / ‖A‖", style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False)
    table.add_column("module / key", overflow="fold")
    table.add_column("difference", no_wrap=True)
    table.add_column("shape dtype (A → B)", overflow="fold")
    for name in ("‖B−A‖", "relative", "max |B−A|"):
        table.add_column(name, justify="right", no_wrap=True)
    for module in comparison.by_module():
        if not module.differences:
            continue
        table.add_row(Text(module.path or "(root)", style="bold"),
                      Text(f"{module.same} same" if module.same else "", style="dim"))
        prefix = f"{module.path}." if module.path else ""
        for item in module.differences:
            word, style = LABELS[item.kind]
            measured = item.change is not None
            table.add_row(
                Text("  " + item.key.removeprefix(prefix)),
                Text(word, style=style),
                _shapes(item),
                format_number(item.change) if measured else "-",
                _percent(item),
                format_number(item.max_abs) if measured else "-",
            )
    unchanged = [module.path or "(root)" for module in comparison.by_module() if not module.differences]
    parts.append(table)
    if unchanged:
        parts.append(Text(f"the same in every key: {', '.join(unchanged)}", style="dim"))
    return Group(*parts)
