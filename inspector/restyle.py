"""A theme change (the D key) done in less time: Textual's App.refresh_css, with its extra costs taken out.

Textual re-parses all ~29 KB of CSS for every theme change, and restyles each widget property by property,
asking the widget to repaint at every property it sets: 4,700 repaint requests for the main screen's 72
widgets, each measuring the widget's region again. It then lays out and paints the screen, and paints
it again, in full, when the widgets' repaint requests arrive (and a third time for the screen below,
which Textual repaints although the main screen covers it). Here the rules parsed for a theme are kept
(toggling back costs no parse, the first time too), each restyled widget drops its drawn lines once, and
the screen is laid out and painted once, at once. On a screen that allows it (RestylesPanesWhenShown, the
main screen), the tab panes not shown (four of five, about half its widgets) are restyled only when one
is shown, just before the layout that places it. Everything else is Textual's own code, in its order;
Textual is pinned to one version (pyproject.toml), and tests/inspector/test_theme.py checks that a theme
change still recolours every widget, on the screen shown and on the screens below, as Textual's own code
does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.app import App, ScreenError
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import TabPane

_RULES_KEPT = 4  # themes whose parsed rules are kept (the D key toggles between two)


@contextmanager
def _recorded() -> Iterator[dict[Widget, bool]]:
    """While restyling: record the widgets that ask to be refreshed (widget -> whether any request asked
    for a new layout) instead of refreshing them at each property."""
    asked: dict[Widget, bool] = {}
    original = Widget.refresh

    def record(self: Widget, *regions: Any, repaint: bool = True, layout: bool = False,
               recompose: bool = False) -> Widget:
        if regions or recompose:  # not a plain restyle: as Textual would
            return original(self, *regions, repaint=repaint, layout=layout, recompose=recompose)
        asked[self] = asked.get(self, False) or layout
        return self

    Widget.refresh = record  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        Widget.refresh = original  # type: ignore[method-assign]


def _refresh_later(widgets: dict[Widget, bool], unseen: bool) -> None:
    """Refresh each widget once, as Textual would have (its screen paints it at its next update).
    `unseen`: the widgets are on a screen hidden under an opaque one: their drawn lines are dropped, and
    their screen paints them when it is shown again (Textual repaints a screen when it resumes), not now
    (a screen under the current one that repaints makes the current one repaint in full)."""
    for widget, layout in widgets.items():
        widget.refresh(layout=layout)
        if unseen:
            widget._repaint_required = False


def _covered_by_next_layout(widgets: dict[Widget, bool]) -> None:
    """Drop each restyled widget's drawn lines and mark its region for repaint, as its refresh request
    would, and do what its idle handler would before asking for a layout: the screen's layout coming
    next covers what these requests would have asked for."""
    for widget, layout in widgets.items():
        widget.refresh(layout=layout)
        if widget._layout_required:
            for ancestor in widget.ancestors:
                if not isinstance(ancestor, Widget):
                    break
                ancestor._clear_arrangement_cache()
                ancestor._layout_updates += 1
                if not ancestor.styles.auto_dimensions:
                    break
        widget._layout_required = widget._repaint_required = False


def _paint_now(screen: Screen, widgets: dict[Widget, bool], size: Any) -> None:
    """Lay out and paint `screen` once, now, with every restyled widget of it drawn again: what Textual's
    refresh_css does (screen._refresh_layout) and what the widgets' repaint requests would have done at
    the screen's next updates, in one pass."""
    _covered_by_next_layout(widgets)
    screen._compositor.update_widgets(set(widgets))
    screen._refresh_layout(size)  # a full layout, then a paint of the regions marked (all of them)
    screen._layout_required = screen._repaint_required = False
    screen._dirty_widgets.clear()


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


def theme_variables(app: App, theme: Theme) -> dict[str, str]:
    """The CSS variables App.get_css_variables gives for `theme` (Textual 8.2.8), without making it the
    app's theme."""
    variables = {**theme.to_color_system().generate(), **theme.variables}
    return {**app.get_theme_variable_defaults(), **variables}


def parse_ahead(app: App, kept: dict[tuple, list], theme_name: str) -> threading.Thread | None:
    """Parse the rules for theme `theme_name` in a thread and keep them: the first change to it then
    costs no parse either (20-30 ms of the D key). None when they are kept already (or the app's own
    rules wait for a parse)."""
    stylesheet = app.stylesheet
    theme = app.get_theme(theme_name)
    if theme is None or stylesheet._require_parse:
        return None
    ahead = stylesheet.copy()  # variables and sources as they are now; the app's own is left alone
    ahead.set_variables(theme_variables(app, theme))
    key = _key(ahead)
    if key in kept:
        return None

    def parse() -> None:
        try:
            ahead.reparse()
            rules = list(ahead.rules)
        except Exception:  # noqa: BLE001 - the theme change then parses them itself, and reports
            return
        kept.setdefault(key, rules)  # one dict operation: atomic for the app's thread

    thread = threading.Thread(target=parse, name="parse-theme-ahead", daemon=True)
    thread.start()
    return thread


class RestylesPanesWhenShown:
    """A Screen mix-in: a theme change leaves its hidden tab panes as they are, and each is restyled when
    it is shown, just before the layout that places it (by a key, a click or code alike; a pane needs a
    layout to show, and a theme change needs none). On the 2,000-layer model's main screen, the hidden
    panes' restyle was ~40% of the restyle in D."""

    _panes_left: dict[TabPane, None]  # the panes theme changes left out since they were last shown

    def _refresh_layout(self, *args: Any, **kwargs: Any) -> None:
        panes = getattr(self, "_panes_left", None)
        if panes:
            shown = [pane for pane in panes if pane.display]
            if shown:
                for pane in shown:
                    del panes[pane]
                nodes = [node for pane in shown for node in pane.walk_children(with_self=True)]
                app = self.app  # type: ignore[attr-defined]
                with _recorded() as asked:
                    app.stylesheet.update_nodes(nodes, animate=False)
                _covered_by_next_layout(asked)
        super()._refresh_layout(*args, **kwargs)  # type: ignore[misc]


def _walk_shown(root: DOMNode) -> Iterator[DOMNode]:
    """`root` and every node below it, parents first (as DOMNode.walk_children), except the subtrees of
    the hidden tab panes of a RestylesPanesWhenShown screen: those are left for when they are shown."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, TabPane) and not node.display:
            screen = node.screen
            if isinstance(screen, RestylesPanesWhenShown):
                if getattr(screen, "_panes_left", None) is None:
                    screen._panes_left = {}
                screen._panes_left[node] = None
                continue
        yield node
        stack.extend(reversed(node.children))


def refresh_css(app: App, kept: dict[tuple, list], animate: bool = True) -> None:
    """App.refresh_css (Textual 8.2.8) with the parse kept per theme and one paint of the screen."""
    stylesheet = app.stylesheet
    _keep_current(stylesheet, kept)
    stylesheet.set_variables(app.get_css_variables())
    _parse(stylesheet, kept)
    with _recorded() as asked:
        stylesheet.update_nodes(_walk_shown(app), animate=animate)
    try:
        screen: Screen | None = app.screen
    except ScreenError:
        screen = None
    opaque = screen is not None and screen.styles.background.a == 1
    if screen is not None and screen.is_mounted:
        on_screen = {widget: layout for widget, layout in asked.items()
                     if widget is screen or (widget.is_attached and widget.screen is screen)}
        _refresh_later({widget: layout for widget, layout in asked.items() if widget not in on_screen},
                       unseen=opaque)
        _paint_now(screen, on_screen, app.size)
        screen._css_update_count = app._css_update_count
    else:
        _refresh_later(asked, unseen=False)
    for other in app.screen_stack:  # the screens below need the new styles too
        if other is not screen:
            with _recorded() as asked:
                stylesheet.update(other, animate=animate)
            _refresh_later(asked, unseen=opaque)
            other._css_update_count = app._css_update_count
