"""`minimod render TARGET -o FILE.svg`: draw a model's diagram (tree, flow or autograd view) to a file."""

from __future__ import annotations

import argparse
import sys

from inspector.commands import depth
from inspector.diagram import VIEWS


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
        "autograd: the grad_fn graph of the output, framed by module (default: tree)",
    )
    parser.add_argument("--depth", type=depth, default=None, metavar="N",
                        help="collapse modules nested deeper than N into one node with totals")
    parser.add_argument("--collapse", action="append", default=[], metavar="CLASS_OR_PATH",
                        help="draw the modules of this class (BasicBlock) or path (layer1.0; globs such as "
                        "layer*.0 too) as one node; repeatable")
    parser.add_argument("--expand", action="append", default=[], metavar="CLASS_OR_PATH",
                        help="draw these modules open whatever --depth and --collapse say; repeatable")
    parser.add_argument("--no-fold", dest="fold", action="store_false",
                        help='draw every module of a run of identical ones instead of the first in an "x N" '
                        "frame")
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                        help="layout direction: TB top to bottom (default), LR left to right")
    parser.add_argument("--fit", metavar="WIDTH|PAGE", default=None,
                        help="scale the picture to a width in pixels (1200) or a page (a4, letter, a3, "
                        "legal, each also -landscape)")
    parser.add_argument("--mode", choices=("train", "eval"), default=None,
                        help="put the model in train or eval mode before tracing (default: as built)")
    parser.add_argument("--input-shape", metavar="SHAPE", default=None,
                        help="shape of a random example input, e.g. 1,3,32,32 (default: the target's own)")
    parser.add_argument("--saved-tensors", action="store_true",
                        help="autograd view: write the shapes each node saved for backward on it")
    parser.add_argument("--accumulate-grad", action="store_true",
                        help="autograd view: draw the AccumulateGrad node between a parameter and its users")
    parser.add_argument("--diff", metavar="CHECKPOINT_OR_TARGET", default=None,
                        help="tree view coloured by a comparison with a .npz checkpoint or a second TARGET: "
                        "missing keys red, unexpected green, shape mismatches marked, changes shaded")


def run(args: argparse.Namespace) -> int:
    """Resolve TARGET, check one forward when the view needs it, render, save; prints the path, and a
    hint on stderr when the diagram is very large."""
    from inspector.diagram import check_output_path, parse_fit, render
    from inspector.targets import check_forward, resolve
    from inspector.trace import trace_forward
    from minimod.errors import UserError

    check_output_path(args.output)  # a bad -o fails before the model is built and traced
    fit = parse_fit(args.fit)
    if args.diff is not None and args.view != "tree":
        raise UserError(f"--diff draws the tree view; drop --view {args.view}")
    if (args.saved_tensors or args.accumulate_grad) and args.view != "autograd":
        raise UserError("--saved-tensors and --accumulate-grad belong to the autograd view; "
                        "add --view autograd")
    target = resolve(args.target, args.input_shape)
    if args.mode is not None:
        target.model.train(args.mode == "train")
    traced = None
    if args.view != "tree":  # the view's one run of the model: a wrong input shape is one line naming it
        traced = check_forward(target, trace_forward)
    diagram = render(
        target.model, view=args.view, example_input=target.example_input, traced=traced, depth=args.depth,
        fold=args.fold, rankdir=args.rankdir, mode=args.mode, collapse=args.collapse, expand=args.expand,
        saved_tensors=args.saved_tensors, accumulate_grad=args.accumulate_grad, diff=args.diff,
    )
    path = diagram.save(args.output, fit)
    print(path)
    drawn = not args.output.lower().endswith((".dot", ".gv"))
    hint = diagram.shrink_hint() if fit is None and drawn else None
    if hint is not None:
        print(f"minimod: note: {hint}", file=sys.stderr)
    return 0
