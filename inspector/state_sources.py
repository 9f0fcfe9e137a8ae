"""Where a side of a state-dict comparison comes from: a .npz checkpoint, a TARGET (its model's state dict,
built from seed 0), a Module or a state dict; each read as plain arrays, with the name a title shows."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from inspector.adapters import adapter_for_value
from inspector.targets import resolve
from inspector.tensor_summary import to_numpy
from minimod.errors import UserError
from minimod.serialization import load

__all__ = ["read_checkpoint", "load_comparison", "is_checkpoint_path"]


def is_checkpoint_path(text: str | os.PathLike) -> bool:
    """Is `text` meant as a file (it ends in .npz, or a file of that name exists) rather than a TARGET?"""
    path = Path(text)
    return path.suffix.lower() == ".npz" or path.is_file()


def read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The state dict a .npz written by mm.save holds, as arrays (a file of several dicts: its 'model');
    a missing or unreadable file, or one holding something else, is a one-line UserError naming it."""
    if not path.exists():
        raise UserError(f"cannot compare with {path}: no such file; give a .npz written by mm.save, "
                        f"or a TARGET")
    if path.is_dir():
        raise UserError(f"cannot compare with {path}: it is a folder; give a .npz written by mm.save")
    state = load(str(path))  # a damaged or foreign file raises a SerializationError naming it
    if isinstance(state, Mapping) and state and all(isinstance(value, Mapping) for value in state.values()):
        if "model" not in state:
            raise UserError(f"cannot compare with {path}: it holds several dicts ({', '.join(state)}) and no "
                            f"'model' state dict; save the model's state_dict() on its own")
        state = state["model"]
    if not isinstance(state, Mapping):
        raise UserError(f"cannot compare with {path}: it holds a {type(state).__name__}, not a state dict")
    return {str(key): np.asarray(to_numpy(value)) for key, value in state.items()}


def _built_from_seed(text: str) -> Any:
    """The TARGET built with the random generators seeded with 0 (minimod's, and torch's when it is loaded),
    so a TARGET means one state dict: `minimod diff convnet convnet` is equal, and a checkpoint compared
    with its TARGET is compared with the same starting weights every time."""
    import minimod

    minimod.manual_seed(0)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(0)
    return resolve(text)


def load_comparison(other: object) -> tuple[dict[str, np.ndarray], str]:
    """What to compare with, as (state dict of arrays, name for the title): a state dict, a Module (minimod
    or torch), a .npz path, or a TARGET string (a zoo name, path/to/file.py:Name)."""
    if isinstance(other, Mapping):
        return {str(key): np.asarray(to_numpy(value)) for key, value in other.items()}, "the state dict"
    adapter = adapter_for_value(other)
    if adapter is not None and adapter.is_module(other):
        state = {key: np.asarray(adapter.array(value)) for key, value in other.state_dict().items()}
        return state, type(other).__name__
    if isinstance(other, (str, os.PathLike)):
        if is_checkpoint_path(other):
            return read_checkpoint(Path(other)), Path(other).name
        target = _built_from_seed(str(other))
        model_adapter = adapter_for_value(target.model)
        state = {key: np.asarray(model_adapter.array(value))
                 for key, value in target.model.state_dict().items()}
        return state, target.name
    raise TypeError(f"diff= takes a state dict, a Module, a .npz path or a TARGET, "
                    f"not {type(other).__name__}")
