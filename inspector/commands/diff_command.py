"""`minimod diff A B`: compare two state dicts (.npz checkpoints, or a TARGET's fresh one) module by module.

Exit status as diff(1)'s: 0 when they are equal, 1 when they differ, 2 when a side cannot be read (the
command line's ERROR_STATUS gives every error of this command 2, so "different" is never mistaken for
"could not compare").
"""

from __future__ import annotations

import argparse
import os

EQUAL, DIFFERENT = 0, 1
PIPE_WIDTH = 120  # the table's width when the output is not a terminal (and COLUMNS does not say)

DESCRIPTION = (
    "Compare two state dicts key by key, grouped by module: keys missing from B and unexpected in B (as "
    "load_state_dict(B) into A's model would name them), shape and dtype mismatches, and changed tensors "
    "ordered by the norm of the change. Exit status: 0 equal, 1 different, 2 error (a file that cannot be "
    "read, a bad TARGET), as diff(1)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The diff command's arguments."""
    parser.description = DESCRIPTION
    for name, side in (("a", "the first side (A)"), ("b", "the second side (B)")):
        parser.add_argument(
            name, metavar=name.upper(),
            help=f"{side}: a .npz written by mm.save (a file of several dicts: its 'model'), or a TARGET "
            "(a zoo name, path/to/file.py:Name), meaning the state dict of that model built after "
            "manual_seed(0)",
        )


def run(args: argparse.Namespace) -> int:
    """Print the comparison with rich; 0 when equal, 1 when not (errors raise UserError: exit 2)."""
    from rich.console import Console

    from inspector.state_compare import compare_state_dicts
    from inspector.state_compare_text import comparison_renderable
    from inspector.state_sources import load_comparison

    left, left_name = load_comparison(args.a)
    right, right_name = load_comparison(args.b)
    if left_name == right_name:  # two files of one name in different folders: say which is which
        left_name, right_name = args.a, args.b
    comparison = compare_state_dicts(left, right, left_name=left_name, right_name=right_name)
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPE_WIDTH  # a file or a pipe: rich's 80 columns would break resnet's key names
    console.print(comparison_renderable(comparison), soft_wrap=True)  # the headline's lines kept whole
    return EQUAL if comparison.equal else DIFFERENT
