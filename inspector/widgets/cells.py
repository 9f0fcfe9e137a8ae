"""Table cells with a one-space gutter: tables use cell_padding=0 so wide tables fit 80 columns."""

from __future__ import annotations

from rich.text import Text

from inspector.tensor_summary import format_number, shape_text

__all__ = ["cell", "number_cell", "shape_text", "header"]


def cell(value: object, style: str = "", right: bool = False) -> Text:
    """`value` as a Text led by one space (the gap to the previous column)."""
    return Text(" " + str(value), style=style, justify="right" if right else "left")


def number_cell(value: float | None, style: str = "") -> Text:
    """A statistic, right-aligned."""
    return cell(format_number(value), style, right=True)


def header(*names: str) -> list[Text]:
    """Column labels with the same gutter as the cells."""
    return [Text(" " + name) for name in names]
