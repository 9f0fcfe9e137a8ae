"""The main screen: `screen.py` (MainScreen) and, by concern, the files its keys work through."""

from inspector.screens.main.screen import MainScreen
from inspector.screens.main_keys import COMMANDS

__all__ = ["COMMANDS", "MainScreen"]
