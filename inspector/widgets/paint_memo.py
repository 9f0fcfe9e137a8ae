"""PaintMemo: a widget whose styles are worked out once per paint, not once per line drawn.

Textual's DataTable and Tree ask, for every line they draw, for their own rich style, their background
and their components' styles; each is a walk over the widget's ~10 ancestors blending backgrounds
(DOMNode.rich_style), 3-4 walks a line: ~5 ms of drawing a table's 13 lines or a tree's 33. Nothing can
restyle a widget while it draws its lines (render_lines runs to its end on the app's thread), so within
one render_lines each is worked out once; outside it, every read is Textual's own, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.style import Style
from textual.color import Color
from textual.css.styles import RenderStyles
from textual.geometry import Region
from textual.strip import Strip


class _PaintedStyles(RenderStyles):
    """A component's styles whose rich style is worked out once, for one paint."""

    @property
    def rich_style(self) -> Style:
        style = self.__dict__.get("_painted_rich_style")
        if style is None:
            style = self.__dict__["_painted_rich_style"] = RenderStyles.rich_style.fget(self)  # type: ignore[attr-defined]
        return style


class PaintMemo:
    """Mix in before a Textual widget class (class T(PaintMemo, Tree)): rich_style, background_colors
    and get_component_styles(...) are each worked out once per render_lines. (Not a Widget subclass:
    Textual's __init_subclass__ would give the mix-in class attributes, such as can_focus, that then
    hide the widget class's own.)"""

    _paint_memo: dict[Any, Any] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        self._paint_memo = {}
        try:
            return super().render_lines(crop)  # type: ignore[misc]
        finally:
            self._paint_memo = None

    def _memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """make(), once per paint while painting; every time otherwise."""
        memo = self._paint_memo
        if memo is None:
            return make()
        value = memo.get(key, memo)
        if value is memo:
            value = memo[key] = make()
        return value

    @property
    def rich_style(self) -> Style:
        return self._memo("rich_style", lambda: super(PaintMemo, self).rich_style)  # type: ignore[misc]

    @property
    def background_colors(self) -> tuple[Color, Color]:
        return self._memo("background_colors", lambda: super(PaintMemo, self).background_colors)  # type: ignore[misc]

    def get_component_styles(self, *names: str) -> RenderStyles:
        if self._paint_memo is None:
            return super().get_component_styles(*names)  # type: ignore[misc]

        def make() -> RenderStyles:
            styles = super(PaintMemo, self).get_component_styles(*names)  # type: ignore[misc]
            styles.__class__ = _PaintedStyles
            return styles

        return self._memo(("component", names), make)
