"""KeyFooter: Textual's footer that fits its width: short labels, then fewer keys, before cutting any off."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_WIDTH = 11  # the "^p palette" key docked on the right, with its border


def footer_width(keys: Iterable[tuple[str, str]]) -> int:
    """Columns that compact footer keys (key display, label) take: key, space, label, then a gap."""
    return sum(len(key) + 1 + len(label) + 1 for key, label in keys) - 1


class KeyFooter(Footer):
    """A compact footer that, when its keys do not fit, uses `short` labels (by action), then drops the
    `optional` actions, then the command palette key; the help screen and the palette list them all.

    `fit` says which it chose: "full", "short", "short, fewer keys" or "short, fewer keys, no palette".
    """

    def __init__(self, short: dict[str, str], optional: Iterable[str] = (), *, id: str | None = None) -> None:
        super().__init__(compact=True, id=id)
        self.short = short
        self.optional = set(optional)
        self.fit = "full"
        self._composed_width = -1
        self._composed_bindings: tuple | None = None  # what the keys shown were composed from

    def _shown_bindings(self) -> tuple:
        """What the footer would show: each shown binding's key, action, label and state, in order."""
        active = self.screen.active_bindings
        shown = tuple((binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
                      for _namespace, binding, enabled, tooltip in active.values() if binding.show)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        return shown, palette[2] if palette is not None else None

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's footer recomposes (remounting every key) whenever the bindings may have changed,
        # e.g. on every focus change; most changes show the same keys, so only a real change recomposes.
        # A text box taking the focus (the tree's filter) hides every key but the palette's, and giving
        # it back shows them again: those keys are hidden and shown, not remounted (a remount of the
        # footer was ~30 ms of the escape that leaves the filter, and of the / that enters it).
        if not self._hide_or_show_now(screen):
            super().bindings_changed(screen)

    def on_mount(self) -> None:  # (Textual runs Footer.on_mount too: it subscribes bindings_changed)
        # The focus moving into a text box or out of it hides or shows the keys at once, as the focus
        # moves, rather than when this footer's turn comes after the screen's next layout and paint:
        # the keys' change then joins the layout the focus move asks for (the text box's), instead of
        # a second layout and paint of its own (~20-30 ms of / and of the escape that leaves the filter).
        self.screen.bindings_updated_signal.subscribe(self, self._hide_or_show_now, immediate=True)

    def _hide_or_show_now(self, screen: Screen) -> bool:
        """Show the keys when they are the ones composed, or hide them when a text box has the focus;
        False when the keys really changed (the footer recomposes) or the footer is not ready."""
        if self._bindings_ready and self.is_attached and screen is self.screen and self.app.app_focus:
            shown = self._shown_bindings()
            composed = self._composed_bindings
            if composed == shown:
                self._hide_keys(False)
                return True
            if composed is not None and not shown[0] and shown[1] == composed[1]:
                self._hide_keys(True)
                return True
        return False

    _keys_hidden = False

    def _hide_keys(self, hidden: bool) -> None:
        """Hide (or show again) every key composed but the command palette's."""
        if hidden == self._keys_hidden:
            return
        self._keys_hidden = hidden
        for key in self.query_children(FooterKey):
            if not key.has_class("-command-palette"):
                key.display = not hidden

    def _choose(self, width: int, keys: list[FooterKey]) -> tuple[str, bool, set[str]]:
        """(layout, show the palette key, actions to leave out) for `width` columns."""
        full = [(key.key_display, key.description) for key in keys]
        short = [(key.key_display, self.short.get(key.action, key.description)) for key in keys]
        fewer = [item for item, key in zip(short, keys) if key.action not in self.optional]
        if not width or footer_width(full) + PALETTE_WIDTH <= width:
            return "full", True, set()
        if footer_width(short) + PALETTE_WIDTH <= width:
            return "short", True, set()
        if footer_width(fewer) + PALETTE_WIDTH <= width:
            return "short, fewer keys", True, self.optional
        return "short, fewer keys, no palette", False, self.optional

    def compose(self) -> ComposeResult:
        self._keys_hidden = False  # the keys composed now are all shown
        widgets: list[Widget] = list(super().compose())
        self._composed_bindings = self._shown_bindings() if self._bindings_ready else None
        keys = [widget for widget in widgets if isinstance(widget, FooterKey)
                and not widget.has_class("-command-palette")]
        width = self.size.width or self.app.size.width
        self.fit, palette, left_out = self._choose(width, keys)
        self._composed_width = width
        for widget in widgets:
            if isinstance(widget, FooterKey):
                if widget.has_class("-command-palette"):
                    if not palette:
                        continue
                elif widget.action in left_out:
                    continue
                elif self.fit != "full":
                    widget.description = self.short.get(widget.action, widget.description)
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width and self._bindings_ready:
            self._composed_width = event.size.width
            self.call_after_refresh(self.recompose)
