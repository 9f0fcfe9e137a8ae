"""The `minimod` command line: argparse; each subcommand lives in its own module, imported when it runs."""

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from minimod._version import __version__
from minimod.errors import UserError

PROG = "minimod"

# name -> (module, one-line summary). Each module defines `add_arguments(parser) -> None` and
# `run(args) -> int`, and imports nothing heavy (Textual, graphviz) at its top level.
COMMANDS: dict[str, tuple[str, str]] = {
    "inspect": (
        "inspector.commands.inspect_command",
        "open the terminal inspector on a model (default: the built-in example model)",
    ),
    "render": ("inspector.commands.render_command", "draw a model's diagram to an SVG file"),
    "summary": (
        "inspector.commands.summary_command",
        "print a model's summary: shapes, parameters, buffers, mult-adds and memory, module by module",
    ),
    "train": (
        "inspector.commands.train_command",
        "train a model as the inspector's t does and save its loss curve and layer statistics (SVG, PNG)",
    ),
    "lessons": ("inspector.commands.lessons_command", "open the guided lessons"),
    "serve": (
        "inspector.commands.serve_command",
        "serve the lessons (or the inspector) to a class's browsers, one app per tab",
    ),
    "zoo": ("minimod.zoo.command", "list the built-in example models"),
    "run": (
        "inspector.commands.run_command",
        "run an unchanged PyTorch script on minimod (import torch gives minimod)",
    ),
    "diff": (
        "inspector.commands.diff_command",
        "compare two state dicts (.npz files or TARGETs) by module; exit 0 equal, 1 different, 2 error",
    ),
}

# The exit status of a mistake, for a command whose 1 already means something: diff's 1 is "different",
# so its errors exit 2, as diff(1)'s do. Every other command's mistakes exit 1.
ERROR_STATUS: dict[str, int] = {"diff": 2}

_OUR_PACKAGES = {"minimod", "inspector", "lessons"}


def load_command(name: str) -> ModuleType:
    """Import the module that implements command `name`; a missing module is a one-line UserError."""
    module_name = COMMANDS[name][0]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        missing_name = missing.name or module_name
        if missing_name.partition(".")[0] in _OUR_PACKAGES:
            raise UserError(
                f"the '{name}' command is not available: module {missing_name} is missing from this "
                f"installation; reinstall minimod (pip install -e . in a clone)"
            ) from None
        raise UserError(
            f"the '{name}' command needs the Python package '{missing_name.partition('.')[0]}', which is "
            f"not installed; reinstall minimod with its dependencies (pip install -e . in a clone)"
        ) from None


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with a mistake on the command line (a missing option, a bad value) raised as a
    UserError, so it is one line and exit status 1 like every other mistake, not the usage text and 2.
    Subcommand parsers are made of the same class."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{message}; see '{self.prog} --help'")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser; only `command`'s module is imported, to add that command's own options."""
    parser = _Parser(
        prog=PROG,
        description="minimod: a small neural-network library with PyTorch's API, a terminal inspector "
        "that shows what a model does inside, and guided lessons.",
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, (_module_name, summary) in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=summary, description=summary)
        if name == command:
            load_command(name).add_arguments(subparser)
    return parser


def _chosen_command(arguments: Sequence[str]) -> str | None:
    """The subcommand named in `arguments`, found before parsing so only its module is imported."""
    for argument in arguments:
        if argument == "--":
            return None
        if not argument.startswith("-"):
            return argument if argument in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status. A UserError is printed as one line, exit 1 (2 for the
    commands in ERROR_STATUS)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _chosen_command(arguments)
    try:
        parser = build_parser(command)
        args = parser.parse_args(arguments)
        if args.command is None:
            parser.print_help()
            return 0
        return int(load_command(args.command).run(args) or 0)
    except UserError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return ERROR_STATUS.get(command or "", 1)
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`minimod zoo | head`): stop quietly, and keep Python's exit-time
        # flush of stdout from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
