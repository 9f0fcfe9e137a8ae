"""Run a tutorial script as a student would: on minimod with `minimod run`, and on PyTorch with python.

Both runs happen in this process, from a working folder of the test's own (the scripts write
model.pth and the like there), with tests/tutorials/standins first on sys.path for the run only.
The script's output is returned as text; `normalized` makes minimod's and PyTorch's printouts
comparable line by line (torch.Size([2, 3]) is minimod's tuple (2, 3), "torch." is "minimod.", and
object addresses go).
"""

from __future__ import annotations

import os
import re
import runpy
import sys
from pathlib import Path

import pytest

from minimod.run_command import run_script

SCRIPTS = Path(__file__).parent / "scripts"
STANDINS = Path(__file__).parent / "standins"


def run_tutorial(framework: str, script: Path, *args: str, workdir: Path, capsys) -> str:
    """The script's standard output after running it on `framework` ("minimod" or "torch") in workdir.
    The run on PyTorch is skipped when torch is not installed."""
    threads = None
    if framework == "torch":
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        # one thread: these models are small, and two threads on a shared CPU made the runs slower
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    else:
        import minimod

        minimod.manual_seed(0)
    capsys.readouterr()  # start from an empty capture
    saved_cwd, saved_path, saved_argv = os.getcwd(), list(sys.path), sys.argv
    os.chdir(workdir)
    sys.path.insert(0, str(STANDINS))
    try:
        if framework == "minimod":
            status = run_script(str(script), list(args))
            assert status == 0, f"{script.name} exited with {status} on minimod:\n{capsys.readouterr().err}"
        else:
            sys.argv = [str(script), *args]
            sys.path.insert(0, str(script.parent))
            runpy.run_path(str(script), run_name="__main__")
    finally:
        if threads is not None:
            torch.set_num_threads(threads)
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        _forget_modules_from(script.parent, STANDINS)
    return capsys.readouterr().out


def _forget_modules_from(*folders: Path) -> None:
    """Drop the stand-ins and the script's own modules (nanoGPT's model.py) from sys.modules, so the
    next run imports them afresh under its own `torch`."""
    roots = [str(folder.resolve()) + os.sep for folder in folders]
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and any(os.path.abspath(path).startswith(root) for root in roots):
            del sys.modules[name]


def normalized(text: str) -> str:
    """PyTorch's printout written as minimod's: shapes as tuples, "minimod." names, no addresses."""
    def as_tuple(match: re.Match) -> str:
        sizes = [size.strip() for size in match.group(1).split(",") if size.strip()]
        return f"({sizes[0]},)" if len(sizes) == 1 else f"({', '.join(sizes)})"

    text = re.sub(r"torch\.Size\(\[([^\]]*)\]\)", as_tuple, text)
    # a dtype printed on its own is numpy's name in minimod (float32); inside a repr, "dtype=minimod.float64"
    text = re.sub(r"(?<!dtype=)torch\.((?:float|int|uint)\d+|bool)\b", r"\1", text)
    text = text.replace("torch.", "minimod.")
    return re.sub(r" object at 0x[0-9a-f]+", " object", text)


def numbers_after(label: str, text: str) -> list[float]:
    """Every number printed right after `label` (e.g. "loss: "), in order."""
    return [float(value) for value in re.findall(re.escape(label) + r"\s*(-?[0-9.]+(?:e-?\d+)?)", text)]


def falling(values: list[float]) -> bool:
    return len(values) >= 2 and all(later < earlier for earlier, later in zip(values, values[1:]))
