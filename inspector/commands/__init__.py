"""The inspector's subcommands of `minimod` (inspect, render, summary, lessons): each has `add_arguments` and
`run`.

What two of them share is here: `depth`, the type of their --depth option. Nothing heavy is imported.
"""

from __future__ import annotations

import argparse


def depth(text: str) -> int:
    """--depth N: a whole number 0 or more (argparse turns the error into minimod's one line)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 or more, got {text!r}")
    return value
