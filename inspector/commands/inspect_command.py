"""`minimod inspect [TARGET]`: open the terminal inspector on a model (default: the zoo's default model)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The inspect command's options: an optional TARGET and --input-shape."""
    parser.add_argument(
        "target",
        metavar="TARGET",
        nargs="?",
        default=None,
        help="a zoo name (see `minimod zoo`), path/to/file.py:Name or package.module:Name; "
        "default: the zoo's default model (convnet)",
    )
    parser.add_argument(
        "--input-shape",
        metavar="SHAPE",
        default=None,
        help="shape of a random example input, e.g. 1,3,32,32 (default: the target's own example input)",
    )


def run(args: argparse.Namespace) -> int:
    """Resolve TARGET (a TargetError is a UserError: one line, exit 1), then run the app until quit."""
    from inspector.targets import resolve

    target = resolve(args.target, args.input_shape)
    from inspector.app import InspectorApp  # Textual loads only once the target is known to be good

    InspectorApp(target).run()
    return 0
