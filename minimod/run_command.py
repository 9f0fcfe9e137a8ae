"""`minimod run SCRIPT.py [ARGS...]`: run an unchanged PyTorch script with `import torch` giving minimod.

The script runs as `python SCRIPT.py ARGS...` would run it: as __main__, with sys.argv set to the script
and its arguments and the script's folder first on sys.path. Its own errors print their usual
traceback (exit 1); a torch name minimod lacks stops it with one line naming the name and the line.
The command itself (its arguments, and `--inspect NAME`, which opens the inspector on the model the
script left in its variable NAME) is inspector/commands/run_command.py: minimod never imports the inspector.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import traceback
from types import ModuleType

from .errors import UserError
from .torch_alias import ALIASES, MissingFromMinimod, torch_is_minimod, torch_name

_MINIMOD_DIR = os.path.dirname(os.path.abspath(__file__))


def run_script(script: str, argv=(), namespace: dict | None = None) -> int:
    """Run the script at path `script` on minimod; returns its exit status (0, sys.exit's code, or 1 after
    an uncaught error). A missing torch name, or a minimod UserError, raises UserError (one line).
    `namespace`, when given, receives the script's global variables after a run that ended normally."""
    path = os.path.abspath(script)
    if not os.path.isfile(path):
        problem = "it is a directory" if os.path.isdir(path) else "no such file"
        raise UserError(f"cannot run '{script}': {problem}; give the path of a Python script")
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [script, *argv]
    sys.path.insert(0, os.path.dirname(path))
    try:
        with torch_is_minimod():
            variables = runpy.run_path(path, run_name="__main__")
        if namespace is not None:
            namespace.update(variables)
    except SystemExit as exit_:
        return _exit_status(exit_.code)
    except KeyboardInterrupt:
        raise
    except Exception as error:  # every error of the script's is reported, as python would report it
        missing = _missing_name(error)
        if missing is not None:
            raise UserError(
                f"{missing} is not in minimod; {_where(error)} uses it: run this script with PyTorch "
                f"(python {script}), or change that line to use what minimod has"
            ) from None
        if isinstance(error, UserError):  # minimod's own one-line errors (mm.save(model), ...) stay one line
            raise UserError(f"{error} ({_where(error)})") from None
        _print_traceback(error, path)
        return 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
    return 0


def _exit_status(code) -> int:
    """What python's exit status would be for sys.exit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _missing_name(error: BaseException) -> str | None:
    """The torch name behind an error, when the error is minimod lacking it; else None."""
    if isinstance(error, MissingFromMinimod):
        return error.name
    if isinstance(error, ImportError) and error.name in ALIASES.values():
        # `from torch import xyz`: "cannot import name 'xyz' from 'minimod' (...)"
        text = str(error)
        if text.startswith("cannot import name '"):
            return f"{torch_name(error.name)}.{text.split(chr(39))[1]}"
    if isinstance(error, AttributeError) and error.name is not None:
        owner = error.obj
        if isinstance(owner, ModuleType) and owner.__name__ in ALIASES.values():
            return f"{torch_name(owner.__name__)}.{error.name}"
        public = _public_class_name(type(owner))
        if public is not None:
            return f"{public}.{error.name}"
    return None


def _public_class_name(cls: type) -> str | None:
    """torch's name of a class minimod exports (minimod.Tensor -> torch.Tensor), None for any other
    class: a missing attribute of the script's own class is the script's error, shown as such."""
    if not getattr(cls, "__module__", "").startswith("minimod"):
        return None
    for alias, real in ALIASES.items():
        if getattr(importlib.import_module(real), cls.__name__, None) is cls:
            return f"{alias}.{cls.__name__}"
    return None


def _where(error: BaseException) -> str:
    """'script.py line 12': the innermost frame of the error outside minimod and Python's import system."""
    frame = None
    for entry in traceback.extract_tb(error.__traceback__):
        filename = os.path.abspath(entry.filename)
        if filename.startswith(_MINIMOD_DIR + os.sep) or entry.filename.startswith("<frozen"):
            continue
        if os.path.basename(filename) == "runpy.py":
            continue
        frame = entry
    if frame is None:
        return "the script"
    shown = os.path.relpath(frame.filename)
    return f"{frame.filename if shown.startswith('..') else shown} line {frame.lineno}"


def _print_traceback(error: BaseException, path: str) -> None:
    """The traceback python would print: from the script's own frame, without run's and runpy's."""
    tb = error.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != path:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__, file=sys.stderr)
