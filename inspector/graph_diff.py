"""The diff picture's data: a model's state dict compared key by key with a checkpoint or another model.

Seen as loading the other into the model: a key the model has and the other lacks is missing (red), one
only the other has is unexpected (green), one whose shapes differ is a mismatch; a tensor on both sides is
unchanged, or changed by the norm of the change relative to the model's tensor, ‖other − model‖ / ‖model‖,
shaded in five steps.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inspector.graph import shape_text
from minimod.errors import UserError

__all__ = ["KeyStatus", "StateDiff", "compare_states", "load_comparison", "CHANGE_STEPS"]

# the upper bound of each shade of change (relative to the model's tensor), lightest first; the last
# shade is anything larger
CHANGE_STEPS = (0.01, 0.1, 0.5, 1.0)


@dataclass(frozen=True)
class KeyStatus:
    """How one state_dict key compares: a render_dot node style and the line the diagram shows."""

    style: str
    text: str
    other_shape: tuple[int, ...] = ()


@dataclass
class StateDiff:
    """Every key's status, and which module each unexpected key would belong to."""

    other: str  # what the model is compared with, as the title names it
    status: dict[str, KeyStatus] = field(default_factory=dict)
    unexpected_by_module: dict[str, list[str]] = field(default_factory=dict)

    def unexpected_under(self, path: str) -> list[str]:
        """The unexpected keys drawn in module `path` (their nearest module that exists)."""
        return self.unexpected_by_module.get(path, [])

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for status in self.status.values():
            changed = status.style.startswith("diff_changed")
            kind = "changed" if changed else status.style.removeprefix("diff_")
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def summary(self) -> str:
        """`2 missing, 1 unexpected, 1 shape mismatch, 40 changed, 20 unchanged`."""
        counts = self.counts()
        words = (("missing", "missing"), ("unexpected", "unexpected"), ("shape", "shape mismatch"),
                 ("changed", "changed"), ("same", "unchanged"))
        parts = [f"{counts[kind]} {word}{'es' if kind == 'shape' and counts[kind] > 1 else ''}"
                 for kind, word in words if counts.get(kind)]
        return ", ".join(parts) or "no tensors to compare"


def _change(mine: np.ndarray, theirs: np.ndarray) -> KeyStatus:
    first, second = mine.astype(np.float64), theirs.astype(np.float64)
    if np.array_equal(first, second, equal_nan=True):
        return KeyStatus("diff_same", "unchanged")
    scale = float(np.sqrt(np.sum(first * first)))
    change = float(np.sqrt(np.sum((second - first) ** 2)))
    if not np.isfinite(change):
        return KeyStatus(f"diff_changed_{len(CHANGE_STEPS)}", "changed: not finite")
    if scale == 0.0:
        return KeyStatus(f"diff_changed_{len(CHANGE_STEPS)}",
                         f"changed: \u2016\u0394\u2016 = {change:.2g} (was 0)")
    relative = change / scale
    step = next((index for index, bound in enumerate(CHANGE_STEPS) if relative < bound), len(CHANGE_STEPS))
    percent = relative * 100
    text = f"changed {percent:.0f}%" if percent >= 10 else f"changed {percent:.2g}%"
    return KeyStatus(f"diff_changed_{step}", text)


def _nearest_module(key: str, paths: set[str]) -> str:
    owner = key.rpartition(".")[0]
    while owner not in paths:
        owner = owner.rpartition(".")[0] if "." in owner else ""
    return owner


def compare_states(model, other: Mapping[str, np.ndarray], name: str) -> StateDiff:
    """The diff of `model`'s state dict (as arrays) against `other` (a state dict of arrays)."""
    from inspector.tensor_summary import to_numpy

    diff = StateDiff(name)
    mine = {key: np.asarray(to_numpy(value)) for key, value in model.state_dict().items()}
    for key, value in mine.items():
        if key not in other:
            diff.status[key] = KeyStatus("diff_missing", f"missing from {name}")
        elif tuple(other[key].shape) != tuple(value.shape):
            shape = tuple(int(size) for size in other[key].shape)
            diff.status[key] = KeyStatus("diff_shape", f"shape {shape_text(shape)} in {name}", shape)
        else:
            diff.status[key] = _change(value, np.asarray(other[key]))
    paths = {path for path, _ in model.named_modules()}
    for key, value in other.items():
        if key not in mine:
            shape = tuple(int(size) for size in value.shape)
            diff.status[key] = KeyStatus("diff_unexpected", f"only in {name}", shape)
            diff.unexpected_by_module.setdefault(_nearest_module(key, paths), []).append(key)
    return diff


def _read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    from inspector.tensor_summary import to_numpy
    from minimod.serialization import load

    if not path.exists():
        raise UserError(f"cannot compare with {path}: no such file; give a .npz written by mm.save, "
                        f"or a TARGET")
    state = load(str(path))
    if isinstance(state, Mapping) and state and all(isinstance(value, Mapping) for value in state.values()):
        if "model" not in state:
            raise UserError(f"cannot compare with {path}: it holds several dicts ({', '.join(state)}) and no "
                            f"'model' state dict; save the model's state_dict() on its own")
        state = state["model"]
    if not isinstance(state, Mapping):
        raise UserError(f"cannot compare with {path}: it holds a {type(state).__name__}, not a state dict")
    return {str(key): np.asarray(to_numpy(value)) for key, value in state.items()}


def load_comparison(other: object) -> tuple[dict[str, np.ndarray], str]:
    """What to compare with, as (state dict of arrays, name for the title): a state dict, a Module (minimod
    or torch), a .npz path, or a TARGET string (a zoo name, path/to/file.py:Name)."""
    from inspector.adapters import adapter_for_value
    from inspector.tensor_summary import to_numpy

    if isinstance(other, Mapping):
        return {str(key): np.asarray(to_numpy(value)) for key, value in other.items()}, "the state dict"
    adapter = adapter_for_value(other)
    if adapter is not None and adapter.is_module(other):
        state = {key: np.asarray(adapter.array(value)) for key, value in other.state_dict().items()}
        return state, type(other).__name__
    if isinstance(other, (str, os.PathLike)):
        path = Path(other)
        if path.suffix.lower() == ".npz" or path.is_file():
            return _read_checkpoint(path), path.name
        from inspector.targets import resolve

        target = resolve(str(other))
        model_adapter = adapter_for_value(target.model)
        state = {key: np.asarray(model_adapter.array(value))
                 for key, value in target.model.state_dict().items()}
        return state, target.name
    raise TypeError(f"diff= takes a state dict, a Module, a .npz path or a TARGET, "
                    f"not {type(other).__name__}")
