"""HelpScreen: every key of the inspector with what it does, opened with `?`."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from inspector.screens.main_keys import COMMANDS, shown_key

GLOBAL_KEYS = [
    ("?", "Help", "this list"),
    ("ctrl+p", "Command palette", "every action by name"),
    ("D", "Theme", "toggle light and dark"),
    ("q", "Quit", "leave the inspector"),
    ("tab", "Focus", "move between panes (shift+tab back); the mouse works everywhere"),
    ("arrows", "Move", "in the tree, enter or space expands and collapses a module"),
]

INTRO = (
    "The tree on the left lists every named module: a badge, T in train mode or E in eval mode, its name "
    "and type, and how many parameter and buffer values its subtree holds (counts of numbers, not bytes; "
    "k = thousand, M = million). A magenta badge after the mode (×0, ×0.5, =1) marks a module whose "
    "output a forward hook of yours replaces (I; u undoes): a hook's return value replaces the output. "
    "\\[ and ] (or dragging its right edge) make the tree narrower or wider. "  # \\[: not markup
    "Selecting a module "
    "drives the tabs on the right; columns a narrow pane cannot fit are named (or counted) under the table "
    "(w widens), and the footer shortens its labels (fwd, bwd, cmp) or leaves a key to this list. "
    "Statistics (mean, std, min, max) are over finite values, std is the population one; NaN and Inf "
    "show in red. In the trace, pre = forward_pre, fwd = forward, bwd = backward (in/out are then "
    "grad_input/grad_output); b and o use cross-entropy on random classes for (N, C) outputs, else "
    "MSE against zeros, and start from zero gradients."
)


def key_table(commands: list[tuple[str, str, str, bool, str, str]]) -> Table:
    """Two columns, key and what it does, so it reads at 80 columns as well as at 120."""
    table = Table(show_header=True, header_style="bold", box=None, expand=True, padding=(0, 1))
    table.add_column("key", style="bold cyan", no_wrap=True, width=8)
    table.add_column("action", ratio=1)
    rows = [(shown_key(key), title, description) for key, _action, _label, _shown, title, description
            in commands]
    for key, title, description in [*rows, *GLOBAL_KEYS]:
        table.add_row(key, Text.assemble((title, "bold"), ": ", description))
    return table


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; any of escape, q or ? closes it.

    Without arguments: the inspector's main screen; a screen with keys of its own (a lesson) passes
    its title, introduction and command table.
    """

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, title: str = "minimod inspector: keys", intro: str = INTRO,
                 commands: list[tuple[str, str, str, bool, str, str]] | None = None) -> None:
        super().__init__()
        self.help_title, self.intro, self.commands = title, intro, commands

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static(Text(self.help_title, style="bold"), id="help-title")
            yield Static(self.intro, id="help-intro")
            yield Static(key_table(COMMANDS if self.commands is None else self.commands), id="help-keys")
            yield Static(Text("escape closes this help", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
