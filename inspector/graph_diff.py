"""The diff picture's data: a model's state dict compared key by key with a checkpoint or another model.

Seen as loading the other into the model (inspector/state_compare.py makes the comparison): a key the
model has and the other lacks is missing (red), one only the other has is unexpected (green), one whose
shapes differ is a mismatch; a tensor on both sides is unchanged, or changed by the norm of the change
relative to the model's tensor, ‖other − model‖ / ‖model‖, shaded in five steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from inspector.graph import shape_text
from inspector.state_compare import KeyComparison, StateComparison, compare_state_dicts
from inspector.state_sources import load_comparison
from inspector.tensor_summary import to_numpy

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
    comparison: StateComparison | None = None

    def unexpected_under(self, path: str) -> list[str]:
        """The unexpected keys drawn in module `path` (their nearest module that exists)."""
        return self.unexpected_by_module.get(path, [])

    def summary(self) -> str:
        """`2 missing, 1 unexpected, 1 shape mismatch, 40 changed, 20 unchanged`."""
        return self.comparison.summary() if self.comparison is not None else "no tensors to compare"


def _change_status(item: KeyComparison) -> KeyStatus:
    """The shade and words of a tensor on both sides: unchanged, or changed by how much."""
    if item.change == 0.0:
        return KeyStatus("diff_same", "unchanged")
    change = item.change if item.change is not None else float("inf")
    if not np.isfinite(change):
        return KeyStatus(f"diff_changed_{len(CHANGE_STEPS)}", "changed: not finite")
    if not item.scale:
        return KeyStatus(f"diff_changed_{len(CHANGE_STEPS)}",
                         f"changed: \u2016\u0394\u2016 = {change:.2g} (was 0)")
    relative = change / item.scale
    step = next((index for index, bound in enumerate(CHANGE_STEPS) if relative < bound), len(CHANGE_STEPS))
    percent = relative * 100
    text = f"changed {percent:.0f}%" if percent >= 10 else f"changed {percent:.2g}%"
    return KeyStatus(f"diff_changed_{step}", text)


def _status(item: KeyComparison, name: str) -> KeyStatus:
    if item.kind == "missing":
        return KeyStatus("diff_missing", f"missing from {name}")
    if item.kind == "unexpected":
        return KeyStatus("diff_unexpected", f"only in {name}", item.right_shape or ())
    if item.kind == "shape":
        shape = item.right_shape or ()
        return KeyStatus("diff_shape", f"shape {shape_text(shape)} in {name}", shape)
    status = _change_status(item)
    if item.kind == "dtype":  # shaded by its change in value, and the other dtype named
        return KeyStatus(status.style, f"{item.right_dtype} in {name}, {status.text}")
    return status


def compare_states(model, other: Mapping[str, np.ndarray], name: str) -> StateDiff:
    """The diff of `model`'s state dict (as arrays) against `other` (a state dict of arrays)."""
    mine = {key: np.asarray(to_numpy(value)) for key, value in model.state_dict().items()}
    comparison = compare_state_dicts(mine, other, left_name=type(model).__name__, right_name=name,
                                     modules=[path for path, _ in model.named_modules()])
    diff = StateDiff(name, comparison=comparison)
    for item in comparison.keys:
        diff.status[item.key] = _status(item, name)
        if item.kind == "unexpected":
            diff.unexpected_by_module.setdefault(item.module, []).append(item.key)
    return diff
