"""Two state dicts compared key by key and grouped by module: the one engine behind `minimod diff`, the
State dict tab (snapshot and two-file comparisons) and the diagrams' diff picture.

Read as loading the right side into a model whose state is the left side (`load_state_dict(right)`): a key
only the left has is *missing*, one only the right has is *unexpected*, as PyTorch's load names them.
A key on both sides differs in shape, in dtype, or in value (*changed*, measured by the L2 norm of the
change ‖right − left‖, in float64), or is the same. NaN in the same place on both sides counts as equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "KeyComparison", "ModuleComparison", "StateComparison", "compare_state_dicts",
           "owning_module"]

# every kind of difference, in the order a module lists its keys (the same last: they are not differences)
KINDS = ("missing", "unexpected", "shape", "dtype", "changed", "same")
# how a count of each kind reads in a summary line
_WORDS = {"missing": ("missing", "missing"), "unexpected": ("unexpected", "unexpected"),
          "shape": ("shape mismatch", "shape mismatches"), "dtype": ("dtype mismatch", "dtype mismatches"),
          "changed": ("changed", "changed"), "same": ("unchanged", "unchanged")}


@dataclass(frozen=True)
class KeyComparison:
    """One key of either side: what kind of difference, both sides' shapes and dtypes, and for a tensor
    on both sides with one shape, the size of the change."""

    key: str
    kind: str  # one of KINDS
    module: str  # the module the key belongs to ("" for the root)
    left_shape: tuple[int, ...] | None  # None: not on that side
    right_shape: tuple[int, ...] | None
    left_dtype: str | None
    right_dtype: str | None
    change: float | None = None  # ‖right − left‖ (inf when a value is not finite on one side only)
    scale: float | None = None  # ‖left‖, what a change is relative to
    max_abs: float | None = None  # max |right − left|

    @property
    def relative(self) -> float | None:
        """‖right − left‖ / ‖left‖ (None without a change, or when the left side is all zeros)."""
        if self.change is None or not self.scale:
            return None
        return self.change / self.scale


@dataclass(frozen=True)
class ModuleComparison:
    """The keys of one module that differ, listed as KINDS orders them (changed: largest change first),
    and how many of its keys are the same."""

    path: str
    differences: tuple[KeyComparison, ...]
    same: int


@dataclass(frozen=True)
class StateComparison:
    """Every key of two state dicts compared; the left side's key order, then the keys only the right has."""

    left: str  # what each side is, as a title names it
    right: str
    keys: tuple[KeyComparison, ...]

    @property
    def equal(self) -> bool:
        """The same keys, shapes, dtypes and values on both sides."""
        return all(item.kind == "same" for item in self.keys)

    def get(self, key: str) -> KeyComparison | None:
        return next((item for item in self.keys if item.key == key), None)

    def of_kind(self, kind: str) -> list[KeyComparison]:
        """The keys of one kind; the changed ones largest change first."""
        items = [item for item in self.keys if item.kind == kind]
        return sorted(items, key=_by_change) if kind == "changed" else items

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for item in self.keys:
            counts[item.kind] += 1
        return counts

    def summary(self) -> str:
        """`2 missing, 1 unexpected, 1 shape mismatch, 40 changed, 20 unchanged`."""
        parts = [f"{count} {_WORDS[kind][count != 1]}" for kind, count in self.counts().items() if count]
        return ", ".join(parts) or "no tensors to compare"

    def by_module(self) -> list[ModuleComparison]:
        """The modules in the order their first key appears, each with its differences (KINDS' order,
        changed tensors by the norm of their change, largest first) and its count of same keys."""
        grouped: dict[str, list[KeyComparison]] = {}
        for item in self.keys:
            grouped.setdefault(item.module, []).append(item)
        modules = []
        for path, items in grouped.items():
            differences = sorted((item for item in items if item.kind != "same"),
                                 key=lambda item: (KINDS.index(item.kind),
                                                   _by_change(item) if item.kind == "changed" else 0.0))
            modules.append(ModuleComparison(path, tuple(differences), len(items) - len(differences)))
        return modules


def _by_change(item: KeyComparison) -> float:
    return -(item.change or 0.0)  # largest first; sorted() is stable, so ties keep the state dict's order


def owning_module(key: str, modules: set[str] | None = None) -> str:
    """The module a state_dict key belongs to: its prefix, or with `modules` (the paths a model has) the
    nearest of them, so a key the model lacks is drawn in the module that would hold it."""
    owner = key.rpartition(".")[0]
    if modules is None:
        return owner
    while owner not in modules and owner:
        owner = owner.rpartition(".")[0]
    return owner


def _shape(array: np.ndarray) -> tuple[int, ...]:
    return tuple(int(size) for size in array.shape)


def _as_float(array: np.ndarray) -> np.ndarray | None:
    """The values in float64 (None when they are not numbers: nothing to measure a change by)."""
    if array.dtype.kind not in "biuf":
        return None
    return np.atleast_1d(np.asarray(array, dtype=np.float64))  # 0-d too: a scalar buffer


def _measure(left: np.ndarray, right: np.ndarray) -> tuple[float, float, float]:
    """(‖right − left‖, ‖left‖, max |right − left|): NaN on both sides in one place counts as equal, NaN
    (or an infinity) on one side only makes the change infinite."""
    first, second = _as_float(left), _as_float(right)
    if first is None or second is None:
        equal = np.array_equal(left, right)
        return (0.0 if equal else float("inf")), 0.0, (0.0 if equal else float("inf"))
    if first.size == 0:
        return 0.0, 0.0, 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        difference = np.abs(second - first)
        both_nan = np.isnan(first) & np.isnan(second)
        same_infinity = np.isinf(first) & (first == second)
        difference[both_nan | same_infinity] = 0.0
        difference[np.isnan(difference)] = np.inf
        change = float(np.sqrt(np.sum(difference * difference)))
        finite = np.where(np.isfinite(first), first, 0.0)
        scale = float(np.sqrt(np.sum(finite * finite)))
    return change, scale, float(difference.max())


def _compare_key(key: str, module: str, left: np.ndarray | None, right: np.ndarray | None) -> KeyComparison:
    left_shape = _shape(left) if left is not None else None
    right_shape = _shape(right) if right is not None else None
    left_dtype = str(left.dtype) if left is not None else None
    right_dtype = str(right.dtype) if right is not None else None
    def comparison(kind: str, *measured: float) -> KeyComparison:
        return KeyComparison(key, kind, module, left_shape, right_shape, left_dtype, right_dtype, *measured)

    if right is None:
        return comparison("missing")
    if left is None:
        return comparison("unexpected")
    if left_shape != right_shape:
        return comparison("shape")
    change, scale, largest = _measure(left, right)
    if left_dtype != right_dtype:
        kind = "dtype"  # load_state_dict would copy the values across, converting them; say so anyway
    else:
        kind = "changed" if change != 0.0 else "same"
    return comparison(kind, change, scale, largest)


def compare_state_dicts(left: Mapping[str, np.ndarray], right: Mapping[str, np.ndarray], *,
                        left_name: str = "A", right_name: str = "B",
                        modules: Iterable[str] | None = None) -> StateComparison:
    """Compare two state dicts of arrays key by key (as loading `right` into a model holding `left`).

    `modules`, the module paths of the model the left side comes from, groups a key under the nearest
    module that exists (without it, under the key's own prefix)."""
    paths = set(modules) if modules is not None else None
    keys = [_compare_key(key, owning_module(key, paths), np.asarray(value),
                         np.asarray(right[key]) if key in right else None)
            for key, value in left.items()]
    keys += [_compare_key(key, owning_module(key, paths), None, np.asarray(value))
             for key, value in right.items() if key not in left]
    return StateComparison(left_name, right_name, tuple(keys))
