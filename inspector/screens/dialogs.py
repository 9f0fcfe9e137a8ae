"""Small modal dialogs: ask for a value (a path, a number of steps) and confirm before overwriting."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismisses with True only for an explicit yes."""

    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", variant="warning", id="confirm-yes")
                yield Button(f"{self.no_label} (n)", variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class PromptInput(Input):
    """An Input that takes keys in the order they were typed, even typed ahead quickly.

    Textual handles a printable key in the Input at once but enter, backspace and the like only once
    they have bubbled up to the app's bindings, so "snap.npz", enter, "y" typed in one go would put the
    y in the box before enter submits it. Here the Input's own bindings run as their key arrives, and
    once enter has submitted, later keys go back to the app, held for whatever opens next (a confirm).
    """

    submitted = False
    hold: int | None = None  # the app's key hold started by enter (see PromptScreen._submitted)

    async def _on_key(self, event: events.Key) -> None:
        if self.submitted:
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings and not event.is_printable:
            event.stop()
            event.prevent_default()
            if bindings[0].action == "submit":
                self.submitted = True
                hold_keys = getattr(self.app, "hold_keys", None)
                if hold_keys is not None:
                    self.hold = hold_keys()
            await self.run_action(bindings[0].action)
            return
        await super()._on_key(event)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one value; dismisses with the text, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="prompt-dialog"):
            yield Label(self.title_text, id="prompt-title")
            yield PromptInput(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(self.hint or "enter to accept, escape to cancel", id="prompt-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="prompt-ok")
                yield Button("Cancel", id="prompt-cancel")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)
        hold = self.query_one("#prompt-input", PromptInput).hold
        if hold is not None:  # keys typed after enter: for the next dialog if one opens, else the screen
            self.app.release_keys_after(self, hold)  # type: ignore[attr-defined]

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "prompt-ok":
            self.dismiss(self.query_one("#prompt-input", Input).value.strip() or None)
        else:
            self.dismiss(None)
