"""`import torch` resolving to minimod for one run of a script (what `minimod run` is built on).

Inside ``with torch_is_minimod():``, ``import torch``, ``from torch import nn``, ``torch.nn.functional``,
``torch.optim``, ``torch.utils.data`` and the other submodules minimod has are minimod's own modules
(entries in sys.modules under torch's names). Importing a torch submodule minimod lacks raises
MissingFromMinimod, an ImportError naming it (so a script's ``try: import torch.x except ImportError``
still works). On leaving, the real torch (if it was imported) comes back, and the modules the run
imported that saw the alias (the script's own, a stand-in torchvision) are forgotten, so nothing
outside the run ever sees minimod under torch's name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

# torch's module -> minimod's module of the same name and behaviour
ALIASES = {
    "torch": "minimod",
    "torch.nn": "minimod.nn",
    "torch.nn.functional": "minimod.nn.functional",
    "torch.nn.init": "minimod.nn.init",
    "torch.nn.parameter": "minimod.nn.parameter",
    "torch.nn.utils": "minimod.nn.utils",
    "torch.optim": "minimod.optim",
    "torch.optim.lr_scheduler": "minimod.optim.lr_scheduler",
    "torch.utils": "minimod.utils",
    "torch.utils.data": "minimod.utils.data",
    "torch.cuda": "minimod.cuda",
    "torch.backends": "minimod.backends",
    "torch.backends.cudnn": "minimod.backends.cudnn",
    "torch.backends.mps": "minimod.backends.mps",
    "torch.accelerator": "minimod.accelerator",
}


class MissingFromMinimod(ModuleNotFoundError):
    """A torch module that minimod does not have (``import torch.distributed``)."""


def torch_name(minimod_name: str) -> str:
    """minimod.nn.functional -> torch.nn.functional (names outside the aliases stay as they are)."""
    for alias, real in ALIASES.items():
        if minimod_name == real:
            return alias
    return minimod_name


def is_torch_name(name: str) -> bool:
    return name == "torch" or name.startswith("torch.")


class _MissingTorchModules:
    """A meta-path finder, first in line, that stops the import of any torch module minimod lacks
    (the ones it has are already in sys.modules, where the import system looks first)."""

    def find_spec(self, fullname, path=None, target=None):
        if is_torch_name(fullname) and fullname not in ALIASES:
            raise MissingFromMinimod(f"No module named '{fullname}' in minimod", name=fullname)
        return None


@contextmanager
def torch_is_minimod() -> Iterator[None]:
    """torch's module names resolve to minimod's modules inside the block (see the module docstring)."""
    saved = {name: module for name, module in sys.modules.items() if is_torch_name(name)}
    aliases = {alias: importlib.import_module(real) for alias, real in ALIASES.items()}
    for name in saved:
        del sys.modules[name]
    sys.modules.update(aliases)
    finder = _MissingTorchModules()
    sys.meta_path.insert(0, finder)
    before = set(sys.modules)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if is_torch_name(name)]:
            del sys.modules[name]
        for name in _saw_the_alias(set(sys.modules) - before):
            del sys.modules[name]
        sys.modules.update(saved)


def _saw_the_alias(new_names: set[str]) -> list[str]:
    """The modules imported during the run that hold something of minimod's (they imported torch and got
    minimod), and the packages above them (whose attributes still point to them)."""
    tainted = {name for name in new_names
               if isinstance(sys.modules.get(name), ModuleType) and _holds_minimod(sys.modules[name])}
    tainted |= {name for name in new_names if any(t.startswith(name + ".") for t in tainted)}
    return sorted(tainted)


def _holds_minimod(module: ModuleType) -> bool:
    if _in_minimod(getattr(module, "__name__", "")):
        return False  # minimod's own modules, imported lazily during the run, stay
    for value in list(vars(module).values()):
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and _in_minimod(name):
            return True
    return False


def _in_minimod(name: str) -> bool:
    return name == "minimod" or name.startswith("minimod.")
