"""`minimod render TARGET -o FILE.svg`: draw a model's diagram (tree, flow or autograd view) to a file."""

from __future__ import annotations

import argparse

VIEWS = ("tree", "flow", "autograd")


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 or more, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The render command's options."""
    parser.add_argument(
        "target", metavar="TARGET", nargs="?", default=None,
        help="a zoo name (see `minimod zoo`), path/to/file.py:Name or package.module:Name; "
        "default: the zoo's default model (convnet)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True,
        help="where to write the diagram; the extension picks the format: .svg, .png or .dot",
    )
    parser.add_argument(
        "--view", choices=VIEWS, default="tree",
        help="tree: modules, parameters and buffers; flow: one traced forward with tensor shapes; "
        "autograd: the grad_fn graph of the output (default: tree)",
    )
    parser.add_argument("--depth", type=_depth, default=None, metavar="N",
                        help="collapse modules nested deeper than N into one node with totals")
    parser.add_argument("--no-fold", dest="fold", action="store_false",
                        help='draw every module of a run of identical ones instead of one "x N" node')
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                        help="layout direction: TB top to bottom (default), LR left to right")
    parser.add_argument("--mode", choices=("train", "eval"), default=None,
                        help="put the model in train or eval mode before tracing (default: as built)")
    parser.add_argument("--input-shape", metavar="SHAPE", default=None,
                        help="shape of a random example input, e.g. 1,3,32,32 (default: the target's own)")


def run(args: argparse.Namespace) -> int:
    """Resolve TARGET, check one forward when the view needs it, render, save; prints the path."""
    from inspector.diagram import check_output_path, render
    from inspector.targets import check_forward, resolve

    check_output_path(args.output)  # a bad -o fails before the model is built and traced
    target = resolve(args.target, args.input_shape)
    if args.mode is not None:
        target.model.train(args.mode == "train")
    if args.view != "tree":
        check_forward(target)  # a wrong input shape becomes one line naming the shape, not a traceback
    diagram = render(
        target.model, view=args.view, example_input=target.example_input, depth=args.depth,
        fold=args.fold, rankdir=args.rankdir, mode=args.mode,
    )
    path = diagram.save(args.output)
    print(path)
    return 0
