"""InspectorApp: the Textual terminal inspector (`minimod inspect`): one model session on the main screen."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from inspector import restyle
from inspector.resources import asset_path
from inspector.screens.help import HelpScreen
from inspector.screens.main.screen import MainScreen
from inspector.screens.main_keys import COMMANDS, shown_key
from inspector.session import Session

# A key press allocates some 30,000 container objects (Textual's strips, segments and their caches). At
# Python's default threshold of 700 that was ~40 young collections a press and, every hundredth, a full
# one of 5-20 ms landing on some press ('w' over a 100k-event trace: 64-74 ms, 54-65 ms with this).
GC_YOUNG_THRESHOLD = 10_000
# What survives those young collections piles up for the next middle-generation one (every tenth): 20-50 ms
# on a 2,000-layer model, on whichever press it fell. Once a key's work is done and painted, the middle
# generation is collected there, in the pause before the next key, when it is half way to its threshold.
GC_MIDDLE_AT_REST = 5


def _stylesheet() -> str:
    # An installed wheel has inspector/assets/inspector.tcss; a checkout has the top-level assets/.
    return str(asset_path("inspector.tcss"))


class InspectorApp(App[None]):
    """Inspect one model: `target` is a TARGET string (None: the zoo's default) or a resolved target.

    `initial_screen` (a Screen, or a callable returning one) opens above the main screen, e.g. a lesson.
    """

    CSS_PATH = _stylesheet()
    TITLE = "minimod inspector"
    BINDINGS = [
        Binding("question_mark", "help", "Help", show=False),  # MainScreen shows it first in its footer
        Binding("D", "toggle_theme", "Light/dark", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, target: Any = None, *, input_shape: str | None = None,
                 initial_screen: Screen | Callable[[], Screen] | None = None, trace_max_rows: int = 2000,
                 show_time: bool = True) -> None:
        self._parsed_themes: dict[tuple, list] = {}  # see inspector/restyle.py
        super().__init__()
        if target is None or isinstance(target, str):
            from inspector.targets import resolve

            target = resolve(target, input_shape)
        self.target = target
        self.session = Session(target.model, target.example_input, target.name)
        self.initial_screen = initial_screen
        self.main_screen = MainScreen(self.session, trace_max_rows=trace_max_rows, show_time=show_time)
        self.theme = "textual-dark"
        # Keys typed while a new screen is not focused yet wait here, so "t 5 enter" typed quickly
        # reaches the prompt instead of the screen below it (see push_screen, hold_keys, on_event).
        self._held_keys: list[events.Key] = []
        self._holding_keys = 0  # which push is being waited for (0: none)
        self._pushes = 0
        self._toasts_until: dict[tuple[str, str, str], float] = {}  # (message, title, severity) -> its end

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """App.notify, except that a toast identical to one still showing is not stacked under it again
        (a key pressed three times while it cannot act gave three copies of one warning)."""
        key = (message, title, severity)
        now = time.monotonic()
        if self._toasts_until.get(key, 0.0) > now:
            return
        self._toasts_until[key] = now + (self.NOTIFICATION_TIMEOUT if timeout is None else timeout)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def clear_notifications(self) -> None:
        self._toasts_until.clear()
        super().clear_notifications()

    def on_mount(self) -> None:
        self._gc_thresholds = gc.get_threshold()  # put back when the app closes (tests share a process)
        gc.set_threshold(max(GC_YOUNG_THRESHOLD, self._gc_thresholds[0]), *self._gc_thresholds[1:])
        self.push_screen(self.main_screen)
        if self.initial_screen is not None:
            screen = self.initial_screen
            self.push_screen(screen if isinstance(screen, Screen) else screen())

    def on_unmount(self) -> None:
        gc.set_threshold(*self._gc_thresholds)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Push `screen`, holding the keys typed until it has focused a widget (at most half a second)."""
        self.hold_keys()
        return super().push_screen(screen, *args, **kwargs)

    def hold_keys(self) -> int:
        """Hold the keys typed from now until a screen focuses a widget (at most half a second); returns
        the hold's number for release_keys_after."""
        self._pushes += 1
        self._holding_keys = push = self._pushes
        self.set_timer(0.5, lambda: self._release_keys(push))  # a screen with nothing to focus
        return push

    def release_keys_after(self, screen: Screen, push: int, tries: int = 0) -> None:
        """Release hold `push` once `screen` (a dismissed dialog) is gone and the screen below has its
        focus back, unless something newer (the next dialog) holds the keys by then."""
        if push != self._holding_keys:
            return
        if (self.screen is not screen and self.screen.focused is not None) or tries >= 20:
            self._release_keys(push)
        else:
            self.call_after_refresh(self.release_keys_after, screen, push, tries + 1)

    def _release_keys(self, push: int | None = None) -> None:
        """Stop holding keys (for the given push only, when one is named) and replay the held ones."""
        if not self._holding_keys or (push is not None and push != self._holding_keys):
            return
        self._holding_keys = 0
        held, self._held_keys = self._held_keys, []
        for key in held:
            self.post_message(events.Key(key.key, key.character))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self._holding_keys and event.widget.is_attached and event.widget.screen is self.screen:
            self._release_keys()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:  # from the terminal
                if self._holding_keys:
                    self._held_keys.append(event)
                    return
                event.typed_on = self.screen  # type: ignore[attr-defined]
            elif getattr(event, "typed_on", self.screen) is not self.screen:
                # Typed before the key ahead of it opened a dialog ("t", then "5" and enter): it was
                # queued for the screen below, and is meant for the dialog, so it goes round again.
                self.post_message(events.Key(event.key, event.character))
                return
            self._collect_after_key()
        await super().on_event(event)

    _collecting = False

    def _collect_after_key(self) -> None:
        """Collect the young garbage a key leaves once the key's work is done and painted (see
        GC_MIDDLE_AT_REST)."""
        if not self._collecting and self.screen.is_attached:
            self._collecting = True
            self.screen.call_after_refresh(self._collect_when_settled, self.screen)

    def _collect_when_settled(self, screen: Screen, tries: int = 0) -> None:
        """After a paint: collect once every widget has handled what the key queued and nothing waits to
        be painted, else look again a frame later (for at most a second)."""
        busy = screen.is_attached and (
            screen._layout_required or screen._repaint_required or bool(screen._dirty_widgets)
            or any(not node._message_queue.empty() for node in screen.walk_children(with_self=True)))
        if busy and tries < 60:
            self.set_timer(1 / 60, lambda: self._collect_when_settled(screen, tries + 1))
            return
        self._collecting = False
        if not busy:
            self.call_later(self._collect_middle)  # after the callbacks of this paint (a caller's too)

    @staticmethod
    def _collect_middle() -> None:
        count, threshold = gc.get_count(), gc.get_threshold()
        if count[2] >= threshold[2]:
            # The middle generation has been collected often enough that Python's next collection of it
            # may be a full one: 100-120 ms on the 2,000-layer model (no trace frozen yet), which landed
            # on whichever key set it off (the second D of the benchmark's run, every time). Done here.
            gc.collect(2)
        elif count[1] >= GC_MIDDLE_AT_REST:
            gc.collect(1)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def refresh_css(self, animate: bool = True) -> None:
        restyle.refresh_css(self, self._parsed_themes, animate)

    def on_ready(self) -> None:
        # the theme D switches to, parsed in a thread now rather than on the first D
        restyle.parse_ahead(self, self._parsed_themes, self._toggled_theme())

    def _toggled_theme(self) -> str:
        return "textual-light" if self.current_theme.dark else "textual-dark"

    def action_toggle_theme(self) -> None:
        self.theme = self._toggled_theme()

    async def _main_action(self, action: str) -> None:
        if self.screen is not self.main_screen and self.main_screen.is_attached:
            # From a lesson or dialog, palette actions act on the main screen: go back to it first.
            while self.screen is not self.main_screen and len(self.screen_stack) > 1:
                self.pop_screen()
        await self.run_action(action, self.main_screen)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: keys", "Every key and what it does (?)", self.action_help)
        yield SystemCommand("Toggle light/dark theme", "Switch between the light and dark theme (D)",
                            self.action_toggle_theme)
        for key, action, _label, _shown, title, description in COMMANDS:
            yield SystemCommand(title, f"{description} ({shown_key(key)})",
                                lambda action=action: self._main_action(action))


def stylesheet_path() -> Path:
    """Where the app's stylesheet was found."""
    return Path(InspectorApp.CSS_PATH)


if __name__ == "__main__":
    import sys

    InspectorApp(sys.argv[1] if len(sys.argv) > 1 else None).run()
