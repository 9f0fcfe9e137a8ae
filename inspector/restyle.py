"""A theme change (the D key) done in less time: Textual's App.refresh_css, with two costs taken out.

Textual re-parses all ~29 KB of CSS for every theme change, and restyles each widget property by property,
asking the widget to repaint at every property it sets: 4,700 repaint requests for the main screen's 72
widgets, each measuring the widget's region again. On a 2,000-layer model with a 100k-event trace those
two were a third of the key's time. Here the rules parsed for a theme are kept (toggling back costs no
parse), and each restyled widget is asked to repaint once. Everything else is Textual's own code, in its
order; Textual is pinned to one version (pyproject.toml), and tests/inspector/test_theme.py checks that a
theme change still recolours every widget as Textual's own code does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.app import App, ScreenError
from textual.css.stylesheet import Stylesheet
from textual.widget import Widget

_RULES_KEPT = 4  # themes whose parsed rules are kept (the D key toggles between two)


@contextmanager
def _one_repaint_each() -> Iterator[None]:
    """While restyling: record the widgets that ask to be refreshed, then refresh each one once."""
    asked: dict[Widget, bool] = {}  # widget -> whether any request asked for a new layout
    original = Widget.refresh

    def record(self: Widget, *regions: Any, repaint: bool = True, layout: bool = False,
               recompose: bool = False) -> Widget:
        if regions or recompose:  # not a plain restyle: as Textual would
            return original(self, *regions, repaint=repaint, layout=layout, recompose=recompose)
        asked[self] = asked.get(self, False) or layout
        return self

    Widget.refresh = record  # type: ignore[method-assign]
    try:
        yield
    finally:
        Widget.refresh = original  # type: ignore[method-assign]
        for widget, layout in asked.items():
            widget.refresh(layout=layout)


def _parse(stylesheet: Stylesheet, kept: dict[tuple, list]) -> None:
    """Stylesheet.reparse, from the rules kept for the same variables and sources when there are some."""
    key = (tuple(sorted(stylesheet._variables.items())), tuple(stylesheet.source.items()))
    rules = kept.get(key)
    if rules is None:
        stylesheet.reparse()
        if len(kept) >= _RULES_KEPT:
            kept.pop(next(iter(kept)))
        kept[key] = list(stylesheet.rules)
        return
    stylesheet._rules = list(rules)
    stylesheet._rules_map = None
    stylesheet._require_parse = False


def refresh_css(app: App, kept: dict[tuple, list], animate: bool = True) -> None:
    """App.refresh_css (Textual 8.2.8) with the parse kept per theme and one repaint per widget."""
    stylesheet = app.stylesheet
    stylesheet.set_variables(app.get_css_variables())
    _parse(stylesheet, kept)
    with _one_repaint_each():
        stylesheet.update(app, animate=animate)
    try:
        screen = app.screen
        if screen.is_mounted:
            screen._refresh_layout(app.size)
            screen._css_update_count = app._css_update_count
    except ScreenError:
        screen = None
    for other in app.screen_stack:  # the screens below need the new styles too
        if other is not screen:
            with _one_repaint_each():
                stylesheet.update(other, animate=animate)
            other._css_update_count = app._css_update_count
