"""A theme change (D) through inspector/restyle.py looks exactly as Textual's own refresh_css makes it."""

from __future__ import annotations

import re

import pytest
from textual.app import App
from textual.widgets import Input

import minimod as mm
from inspector.app import InspectorApp

SIZE = (120, 40)


def _screen_text(app: App) -> str:
    """The screen as SVG, without the ids Textual makes unique for each export."""
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


def _convnet_app(monkeypatch: pytest.MonkeyPatch, textuals_own: bool) -> InspectorApp:
    """The inspector on the ConvNet, its theme changes painted by restyle.py or (textuals_own) by
    Textual's own refresh_css (monkeypatch.undo() puts restyle.py's back)."""
    if textuals_own:
        monkeypatch.setattr(InspectorApp, "refresh_css", App.refresh_css)
    mm.manual_seed(0)
    return InspectorApp("convnet")


async def _themed_screens(monkeypatch: pytest.MonkeyPatch, textuals_own: bool) -> list[str]:
    app = _convnet_app(monkeypatch, textuals_own)
    screens = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("D", "down", "D", "D", "2", "D"):
            await pilot.press(key)
            await pilot.pause()
            screens.append(_screen_text(app))
    monkeypatch.undo()
    return screens


async def test_a_theme_change_paints_what_textuals_own_refresh_paints(monkeypatch) -> None:
    ours = await _themed_screens(monkeypatch, textuals_own=False)
    textuals = await _themed_screens(monkeypatch, textuals_own=True)
    assert ours == textuals
    assert ours[0] != ours[1] != ours[2]  # light, light with another module, dark: each looks different


async def test_toggling_back_reuses_the_parsed_rules() -> None:
    mm.manual_seed(0)
    app = InspectorApp("convnet")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        assert len(app._parsed_themes) == 2  # one per theme, each parsed once
        rules = {key: id(value) for key, value in app._parsed_themes.items()}
        await pilot.press("D")
        await pilot.pause()
        assert {key: id(value) for key, value in app._parsed_themes.items()} == rules
        assert not app.current_theme.dark


async def _screens_below(monkeypatch: pytest.MonkeyPatch, textuals_own: bool) -> list[str]:
    """The theme changed while another screen covers the main one: an opaque one (the lesson list, whose
    restyled screens below are repainted only when shown again) and a dialog the main screen shows
    through."""
    app = _convnet_app(monkeypatch, textuals_own)
    screens = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")  # the lesson list, above the main screen
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        screens.append(_screen_text(app))
        await pilot.press("i")  # back to the main screen, restyled while hidden
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        screens.append(_screen_text(app))
        await pilot.press("s")  # a dialog over the main screen
        await pilot.pause()
        for field in app.screen.query(Input):  # its cursor's blink (a 0.5 s timer) would make the two
            field.cursor_blink = False  # runs' pictures differ by when they were taken
        app.action_toggle_theme()
        await pilot.pause()
        screens.append(_screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        screens.append(_screen_text(app))
    monkeypatch.undo()
    return screens


async def test_screens_below_the_current_one_look_as_textuals_own_refresh_makes_them(monkeypatch) -> None:
    ours = await _screens_below(monkeypatch, textuals_own=False)
    textuals = await _screens_below(monkeypatch, textuals_own=True)
    assert ours == textuals
    assert ours[1] != ours[3]  # light, then dark again


async def test_the_theme_d_switches_to_is_parsed_ahead(monkeypatch) -> None:
    """The rules for the other theme are parsed in a thread once the app is ready: the first D parses
    nothing, and paints what Textual's own refresh (which parses) paints."""
    from textual.css.stylesheet import Stylesheet

    from inspector import restyle

    mm.manual_seed(0)
    app = InspectorApp("convnet")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        thread = restyle.parse_ahead(app, app._parsed_themes, "textual-light")
        if thread is not None:  # else on_ready's thread has kept them already
            thread.join(30)
        assert len(app._parsed_themes) == 1

        def no_parse(self) -> None:
            raise AssertionError("parsed on the key")

        monkeypatch.setattr(Stylesheet, "reparse", no_parse)
        await pilot.press("D")
        await pilot.pause()
        assert not app.current_theme.dark
        ours = _screen_text(app)
        monkeypatch.undo()
    assert ours == (await _themed_screens(monkeypatch, textuals_own=True))[0]


async def _tabs_after_theme(monkeypatch: pytest.MonkeyPatch, textuals_own: bool) -> list[str]:
    """Tabs shown after theme changes, by key and by a click."""
    app = _convnet_app(monkeypatch, textuals_own)
    screens = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("D", "2", "3", "D", "4", "5", "6", "D", "D", "click", "1"):
            if key == "click":
                await pilot.click("#--content-tab-tab-trace")
            else:
                await pilot.press(key)
            await pilot.wait_for_scheduled_animations()  # the tabs' underline slides to the tab shown
            await pilot.pause()
            screens.append(_screen_text(app))
    monkeypatch.undo()
    return screens


async def test_a_tab_shown_after_a_theme_change_shows_the_new_theme(monkeypatch) -> None:
    """The tab panes not shown are restyled when shown (by a key or a click), not with the theme."""
    ours = await _tabs_after_theme(monkeypatch, textuals_own=False)
    textuals = await _tabs_after_theme(monkeypatch, textuals_own=True)
    assert ours == textuals
    assert all(before != after for before, after in zip(ours, ours[1:]))


def _styles(app: App) -> list[tuple[str, str, str]]:
    return [(repr(node), str(node.styles.background), str(node.styles.color))
            for node in app.main_screen.walk_children(with_self=True)]


async def test_a_theme_change_leaves_the_hidden_tabs_until_each_is_shown(monkeypatch) -> None:
    """D restyles what shows; each tab pane is restyled when shown, and then every widget of the screen
    has the styles Textual's own refresh gives it."""
    from textual.widgets import TabPane

    styles = []
    for textuals_own in (False, True):
        app = _convnet_app(monkeypatch, textuals_own)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            before = _styles(app)
            await pilot.press("D")
            await pilot.pause()
            left = getattr(app.main_screen, "_panes_left", {})
            assert len(left) == (0 if textuals_own else 5)
            assert all(not pane.display for pane in left) and all(isinstance(p, TabPane) for p in left)
            for key in "234561":
                await pilot.press(key)
                await pilot.pause()
            assert not getattr(app.main_screen, "_panes_left", {})
            styles.append(_styles(app))
    assert styles[0] == styles[1] != before
