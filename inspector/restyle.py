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
def _one_repaint_each(unseen: bool = False) -> Iterator[None]:
    """While restyling: record the widgets that ask to be refreshed, then refresh each one once.
    `unseen`: the widgets are on a screen hidden under an opaque one: their drawn lines are dropped, and
    their screen paints them when it is shown again (Textual repaints a screen when it resumes), not now:
    a screen under the current one repainted made the current one repaint in full a second time."""
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
            if unseen:
                widget._repaint_required = False
        # What each widget's idle handler would do next: tell the screen now, so the screen's next
        # update lays out and paints every restyled widget in one pass (otherwise the screen, restyled
        # too, painted itself in full once, then again when the widgets' messages arrived)
        for widget in asked:
            if widget.is_attached:
                widget._check_refresh()


def _key(stylesheet: Stylesheet) -> tuple:
    """What a stylesheet's parsed rules follow from: its variables and its sources."""
    return tuple(sorted(stylesheet._variables.items())), tuple(stylesheet.source.items())


def _keep_current(stylesheet: Stylesheet, kept: dict[tuple, list]) -> None:
    """Keep the rules of the theme being left (Textual parsed them at start): toggling back to it then
    costs no parse either, the first time too."""
    if stylesheet._require_parse or not stylesheet._rules:
        return  # not parsed for its current variables and sources
    key = _key(stylesheet)
    if key not in kept:
        if len(kept) >= _RULES_KEPT:
            kept.pop(next(iter(kept)))
        kept[key] = list(stylesheet.rules)


def _parse(stylesheet: Stylesheet, kept: dict[tuple, list]) -> None:
    """Stylesheet.reparse, from the rules kept for the same variables and sources when there are some."""
    key = _key(stylesheet)
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
    _keep_current(stylesheet, kept)
    stylesheet.set_variables(app.get_css_variables())
    _parse(stylesheet, kept)
    with _one_repaint_each():
        stylesheet.update(app, animate=animate)
    try:
        screen = app.screen
        if screen.is_mounted:
            # Textual lays out and paints the screen here, at once; the widgets restyled have asked
            # for a repaint, so that paint was done twice (on a 2,000-layer model, ~25 ms each): the
            # layout and its one paint come with the screen's next update instead
            screen.refresh(layout=True)
            screen._css_update_count = app._css_update_count
    except ScreenError:
        screen = None
    opaque = screen is not None and screen.styles.background.a == 1
    for other in app.screen_stack:  # the screens below need the new styles too
        if other is not screen:
            with _one_repaint_each(unseen=opaque):
                stylesheet.update(other, animate=animate)
            other._css_update_count = app._css_update_count
