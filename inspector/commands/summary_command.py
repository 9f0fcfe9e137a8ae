"""`minimod summary [TARGET]`: print a model's summary: shapes, parameters, buffers, mult-adds and memory."""

from __future__ import annotations

import argparse

from inspector.commands import depth


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The summary command's options."""
    parser.add_argument(
        "target", metavar="TARGET", nargs="?", default=None,
        help="a zoo name (see `minimod zoo`), path/to/file.py:Name or package.module:Name (a minimod or a "
        "PyTorch model); default: the zoo's default model (convnet)",
    )
    parser.add_argument("--depth", type=depth, default=None, metavar="N",
                        help="show modules at most N levels deep; deeper ones are counted in their ancestor")
    parser.add_argument("--mode", choices=("train", "eval"), default=None,
                        help="put the model in train or eval mode before tracing (default: as built)")
    parser.add_argument("--input-shape", metavar="SHAPE", default=None,
                        help="shape of a random example input, e.g. 1,3,32,32 (default: the target's own)")
    parser.add_argument("--width", type=int, default=None, metavar="COLUMNS",
                        help="the table's width (default: the terminal's; 120 when output is not a terminal)")


def run(args: argparse.Namespace) -> int:
    """Resolve TARGET, check one forward, and print the summary with rich."""
    from rich.console import Console

    from inspector.summary import summarize
    from inspector.targets import check_forward, resolve

    target = resolve(args.target, args.input_shape)
    if args.mode is not None:
        target.model.train(args.mode == "train")
    check_forward(target)  # a wrong input shape becomes one line naming the shape, not a traceback
    summary = summarize(target.model, target.example_input, name=target.name, depth=args.depth)
    console = Console(width=args.width) if args.width else Console()
    if not console.is_terminal and args.width is None:
        console = Console(width=120)
    console.print(summary.table())
    return 0
