"""`minimod train TARGET --steps N -o FILE.svg`: train as the inspector's `t` does, and save what the Training
tab shows (the loss curve, every layer over steps, one module's activations, one parameter's values)."""

from __future__ import annotations

import argparse
from pathlib import Path

VIEWS = ("all", "loss", "std", "grad", "activations", "weights")
FORMATS = (".svg", ".png")


def steps_count(text: str) -> int:
    """--steps N: a whole number 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number 1 or more, got {text!r}")
    return value


def learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The train command's options."""
    parser.add_argument(
        "target", metavar="TARGET", nargs="?", default=None,
        help="a zoo name (see `minimod zoo`), path/to/file.py:Name or package.module:Name (a minimod or a "
        "PyTorch model); default: the zoo's default model (convnet)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", required=True,
                        help="where to write the picture: .svg, or .png (drawn with cairosvg)")
    parser.add_argument("--steps", type=steps_count, default=100, metavar="N",
                        help="optimizer steps to take (default: 100)")
    parser.add_argument("--view", choices=VIEWS, default="all",
                        help="loss: the loss curve; std / grad: every layer's output std or gradient norm "
                        "over steps; activations: one module's outputs over steps; weights: one parameter's "
                        "values over steps; all (default): each of them")
    parser.add_argument("--module", metavar="PATH", default=None,
                        help="the module whose activations are drawn, e.g. layer1.0.conv1 (default: the "
                        "first layer)")
    parser.add_argument("--parameter", metavar="NAME", default=None,
                        help="the parameter whose values are drawn, e.g. fc.weight (default: the first one)")
    parser.add_argument("--lr", type=learning_rate, default=0.01, help="SGD's learning rate (default: 0.01)")
    parser.add_argument("--input-shape", metavar="SHAPE", default=None,
                        help="shape of a random example input, e.g. 1,3,32,32 (default: the target's own)")
    parser.add_argument("--width", type=int, default=120, metavar="COLUMNS",
                        help="the picture's width in characters (default: 120)")


def _check_output(output: str) -> Path:
    from minimod.errors import UserError

    path = Path(output).expanduser()
    if path.suffix.lower() not in FORMATS:
        raise UserError(f"cannot write {path}: unknown picture format '{path.suffix}'; use "
                        f"{path.stem}.svg or {path.stem}.png")
    if not path.parent.is_dir():
        raise UserError(f"folder {path.parent} does not exist; create it or choose another path")
    return path


def run(args: argparse.Namespace) -> int:
    """Resolve TARGET, check one forward, train, save the picture; prints its path."""
    from inspector.session import Session
    from inspector.targets import check_forward, resolve
    from inspector.training_pictures import save_training_picture
    from minimod.errors import UserError

    path = _check_output(args.output)  # a bad -o fails before the model is built and trained
    if args.width < 60:
        raise UserError(f"--width must be at least 60 columns, got {args.width}")
    target = resolve(args.target, args.input_shape)
    check_forward(target)  # a wrong input shape becomes one line naming the shape, not a traceback
    model = target.model
    modules = {name for name, _ in model.named_modules()}
    if args.module is not None and args.module not in modules:
        raise UserError(f"{target.name} has no module {args.module!r}; its modules are listed by "
                        f"`minimod summary {args.target or ''}`".rstrip())
    parameters = [name for name, _ in model.named_parameters()]
    if args.parameter is not None and args.parameter not in parameters:
        shown = ", ".join(parameters[:6]) + (", ..." if len(parameters) > 6 else "")
        raise UserError(f"{target.name} has no parameter {args.parameter!r}; it has {shown or 'none'}")
    session = Session(model, target.example_input, target.name, lr=args.lr)
    try:
        session.train(args.steps)
    except Exception as error:  # the user's model raised: one line naming it and where
        raise UserError(f"training {target.name} failed: {session.describe(error)}") from error
    title = f"{target.name}: {args.steps} steps of SGD (lr {args.lr:g}) on {session.loss_name()}"
    save_training_picture(session.history, path, view=args.view, module=args.module,
                          parameter=args.parameter, width=args.width, title=title)
    print(path)
    return 0
