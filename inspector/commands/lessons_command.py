"""`minimod lessons`: the guided lessons, opened in the inspector on the lesson list.

--list, --check, --report and --reset answer in the terminal (lessons/command.py) without starting the app."""

from __future__ import annotations

import argparse

from lessons import command as in_terminal  # argparse and minimod.errors only: nothing heavy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    in_terminal.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    status = in_terminal.run(args)
    if status is not None:
        return status
    from inspector.app import InspectorApp  # Textual loads only here
    from inspector.screens.lesson_list import LessonListScreen

    InspectorApp(initial_screen=LessonListScreen).run()
    return 0
