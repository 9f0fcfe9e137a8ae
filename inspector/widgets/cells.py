"""Table cells with a one-space gutter: tables use cell_padding=0 so wide tables fit 80 columns."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from inspector.tensor_summary import format_mean, format_number, shape_text

__all__ = ["cell", "number_cell", "mean_cell", "shape_text", "header", "show_text", "sized_by_text"]


def cell(value: object, style: str = "", right: bool = False) -> Text:
    """`value` as a Text led by one space (the gap to the previous column)."""
    return Text(" " + str(value), style=style, justify="right" if right else "left")


def number_cell(value: float | None, style: str = "") -> Text:
    """A statistic, right-aligned."""
    return cell(format_number(value), style, right=True)


def mean_cell(mean: float | None, std: float | None, style: str = "") -> Text:
    """A mean, right-aligned: '≈0' when it is rounding noise next to the std (see format_mean)."""
    return cell(format_mean(mean, std), style, right=True)


def header(*names: str) -> list[Text]:
    """Column labels with the same gutter as the cells."""
    return [Text(" " + name) for name in names]


def show_text(widget: Static, content: Any) -> None:
    """`widget.update(content)` unless it already shows `content`: an update lays the screen out again
    (a Static's height follows its text), which a key press that changes nothing there need not pay.
    A widget whose size its text cannot change (the status bar's and the titles' one line, the
    histogram's 1fr) gets its new text repainted without a layout."""
    key = text_key(content) if isinstance(content, Text) else content
    if widget.__dict__.get("_shown_content", show_text) == key:
        return
    widget.__dict__["_shown_content"] = key
    widget.update(content, layout=sized_by_text(widget))


def sized_by_text(widget: Static) -> bool:
    """Whether a layout may size `widget` by its text: an auto height (Static's default) or width, or
    a fractional width (measured as auto in a horizontal layout); no height rule counts as auto too."""
    height, width = widget.styles.height, widget.styles.width
    return (height is None or height.is_auto
            or (width is not None and (width.is_auto or width.is_fraction)))


def text_key(text: Text) -> tuple:
    """What a Text shows, comparable: Text's own == ignores its base style and alignment."""
    return (text.plain, str(text.style), text.justify, text.overflow, text.no_wrap, tuple(text.spans))
