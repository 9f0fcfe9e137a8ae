"""`minimod run SCRIPT.py [ARGS...] [--inspect NAME]`: the command. minimod/run_command.py runs the script
(`import torch` gives minimod); with `--inspect NAME`, the inspector then opens on the model the script
left in its variable NAME."""

from __future__ import annotations

import argparse

from minimod.errors import UserError
from minimod.run_command import run_script


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inspect", metavar="NAME", default=None,
                        help="when the script has finished, open the inspector on the model in its variable "
                        "NAME (an nn.Module, or a Module class or function to build one)")
    parser.add_argument("script", metavar="SCRIPT.py", help="a PyTorch script; `import torch` gives minimod")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="the script's own arguments (its sys.argv[1:])")


def run(args: argparse.Namespace) -> int:
    namespace: dict = {}
    status = run_script(args.script, args.args, namespace=namespace)
    if status != 0 or args.inspect is None:
        return status
    model = _model_named(args.inspect, namespace, args.script)
    _open_inspector(f"{args.script}:{args.inspect}", model, namespace.get("example_input"))
    return 0


def _model_named(name: str, namespace: dict, script: str):
    """The Module the script's variable `name` holds, or builds (a Module class or a function)."""
    from minimod.nn import Module

    if name not in namespace:
        models = sorted(key for key, value in namespace.items() if not key.startswith("_") and (
            isinstance(value, Module) or isinstance(value, type) and issubclass(value, Module)))
        hint = f"; its models: {', '.join(models)}" if models else ""
        raise UserError(f"cannot inspect '{name}': {script} has no variable of that name when it ends{hint}")
    value = namespace[name]
    if callable(value) and not isinstance(value, Module):
        value = value()
    if not isinstance(value, Module):
        raise UserError(f"cannot inspect '{name}': it is a {type(value).__name__}, not an nn.Module")
    return value


def _open_inspector(title: str, model, example_input) -> None:
    from inspector.app import InspectorApp  # Textual loads only here
    from inspector.targets import LoadedTarget
    from minimod import Tensor

    example = example_input if isinstance(example_input, Tensor) else None
    InspectorApp(LoadedTarget(title, model, example)).run()
