"""Training history: the loss, every module's activation and gradient statistics, and every parameter's
histogram at each optimizer step, kept in bounded memory.

Plain records, no Textual. A `TrainingHistory` watches a step through the model library's global module
hooks (the adapter seam the trace uses, so torch models work too), then `add_step` files what the step
saw. Each series keeps at most `capacity` columns; when one more step would not fit, neighbouring
columns merge in pairs (sums add up, so a merged column's mean is the mean of its steps) and each later
column gathers twice as many steps: a long run costs the same memory as a short one, with older steps at
a coarser resolution. Histograms use bins fixed the first time a module or parameter is seen (fast.ai's
ActivationStats fixes them too), so columns stay comparable; values outside them are counted apart.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from inspector.adapters import adapter_for
from inspector.events import flatten_values, tensor_stats

__all__ = [
    "BINS", "CAPACITY", "NEAR_ZERO", "Finding", "Histogram", "ModuleHistory", "StepSeries",
    "TrainingHistory", "bin_range", "diagnose",
]

BINS = 40  # histogram bins per column, as fast.ai's colorful dimension
CAPACITY = 256  # columns per series before neighbouring columns merge
NEAR_ZERO = 1e-3  # |value| at most this counts as zero (a dead ReLU's outputs are exactly 0)
MARKS_KEPT = 500  # snapshot, load and mode-change marks remembered (the latest ones)

# the overview's thresholds, relative to the gradient arriving at the model's output (the root's)
DEAD_FRACTION = 0.9  # a module whose outputs are this often zero is flagged dead
VANISHING_RATIO = 1e-3  # gradient norm below this times the output's: vanishing
EXPLODING_RATIO = 1e3  # above this times the output's (or not finite): exploding


def bin_range(values: np.ndarray) -> tuple[float, float]:
    """The bins' range for a series first seen holding `values`: twice the room the values take (so they
    can grow), from 0 when none is negative (a ReLU's output), else symmetric around 0."""
    finite = values[np.isfinite(values)] if values.size else values
    if finite.size == 0:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if low >= 0:
        return 0.0, 2 * high if high > 0 else 1.0
    limit = 2 * max(-low, abs(high))
    return -limit, limit


class StepSeries:
    """Named sums per column, each column one step or (after merging) a run of consecutive steps.

    `fields` maps a name to the shape of one step's value (() for a number, (BINS,) for a histogram)."""

    def __init__(self, fields: dict[str, tuple[int, ...]], capacity: int = CAPACITY) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number of at least 2, got {capacity}")
        self.capacity = capacity
        self.stride = 1  # steps a full column holds; doubles at each merge
        self.length = 0  # columns in use
        self.first = np.zeros(capacity, dtype=np.int64)  # first and last step of each column
        self.last = np.zeros(capacity, dtype=np.int64)
        self.count = np.zeros(capacity, dtype=np.int64)  # steps in each column
        self.sums = {name: np.zeros((capacity, *shape), dtype=np.float64) for name, shape in fields.items()}

    def add(self, step: int, values: dict[str, Any]) -> None:
        """File one step's values (every field) under step number `step`."""
        column = self.length - 1
        if self.length == 0 or self.count[column] >= self.stride:
            if self.length == self.capacity:
                self._merge_pairs()
            column = self.length
            self.length += 1
            self.first[column] = step
            self.count[column] = 0
            for sums in self.sums.values():
                sums[column] = 0
        self.last[column] = step
        self.count[column] += 1
        for name, sums in self.sums.items():
            sums[column] += values[name]

    def _merge_pairs(self) -> None:
        half = self.capacity // 2
        for sums in self.sums.values():
            sums[:half] = sums[0::2] + sums[1::2]
            sums[half:] = 0
        self.first[:half] = self.first[0::2]
        self.last[:half] = self.last[1::2]
        self.count[:half] = self.count[0::2] + self.count[1::2]
        self.length = half
        self.stride *= 2

    def steps(self) -> np.ndarray:
        """Each column's last step."""
        return self.last[:self.length].copy()

    def mean(self, name: str) -> np.ndarray:
        """A field's value per column: the mean over the column's steps."""
        count = self.count[:self.length].reshape((-1,) + (1,) * (self.sums[name].ndim - 1))
        return self.sums[name][:self.length] / count

    def total(self, name: str) -> np.ndarray:
        """A field's sum per column (a histogram's counts over all of the column's steps)."""
        return self.sums[name][:self.length].copy()

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in (self.first, self.last, self.count, *self.sums.values()))


@dataclass(frozen=True)
class Histogram:
    """Counts over steps: `counts[column, bin]` for the bins `edges` (BINS + 1 of them), with the values
    below the first edge and above the last one counted in `below` and `above`; `steps` is each
    column's last step and `per_step` how many steps each column gathers."""

    edges: np.ndarray
    counts: np.ndarray
    below: np.ndarray
    above: np.ndarray
    steps: np.ndarray
    per_step: np.ndarray


def _histogram_fields() -> dict[str, tuple[int, ...]]:
    return {"counts": (BINS,), "below": (), "above": ()}


def _histogram(series: StepSeries, edges: np.ndarray) -> Histogram:
    return Histogram(edges.copy(), series.total("counts"), series.total("below"), series.total("above"),
                     series.steps(), series.count[:series.length].copy())


def _sum_of_squares(values: np.ndarray) -> float:
    """The sum of the finite values' squares, from their mean and (population) std."""
    stats = tensor_stats(values.ravel())
    finite = values.size - stats.nan - stats.inf
    return float((stats.std ** 2 + stats.mean ** 2) * finite) if finite else 0.0


def _count_bins(values: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    """np.histogram over the fixed bins, and what falls outside them (non-finite values are left out)."""
    low, high = float(edges[0]), float(edges[-1])
    counts, _ = np.histogram(values, bins=len(edges) - 1, range=(low, high))
    return {"counts": counts, "below": int(np.count_nonzero(values < low)),
            "above": int(np.count_nonzero(values > high))}


class ModuleHistory:
    """One module's output statistics and gradient norm at every step.

    Per column: the mean and std of the output's values, the fraction of them that is near zero, the
    L2 norm of the gradient with respect to the output (a full backward hook's grad_output), and the
    histogram of the values."""

    def __init__(self, path: str, kind: str, edges: np.ndarray, capacity: int) -> None:
        self.path = path
        self.kind = kind
        self.edges = edges
        self.series = StepSeries({"mean": (), "std": (), "near_zero": (), **_histogram_fields()}, capacity)
        self.grads = StepSeries({"grad_norm": ()}, capacity)  # its own columns: a backward may not reach it

    def histogram(self) -> Histogram:
        return _histogram(self.series, self.edges)


@dataclass
class _StepTally:
    """What one module's calls in one step added up to (a module called twice counts both outputs)."""

    size: int = 0
    total: float = 0.0
    squares: float = 0.0
    near_zero: int = 0
    counts: np.ndarray | None = None
    below: int = 0
    above: int = 0
    grad_squares: float = 0.0
    grads: bool = False


@dataclass(frozen=True)
class Finding:
    """What the overview flags about one module at the latest step: `problem` is "dead", "vanishing"
    or "exploding", `detail` says it in numbers."""

    module: str
    problem: str
    detail: str


class TrainingHistory:
    """Everything recorded about the optimizer steps of one model, in bounded memory (see the module's
    docstring). Written by the thread that trains, read by the UI's: every access takes one lock."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self.loss = StepSeries({"loss": ()}, capacity)
        self.modules: dict[str, ModuleHistory] = {}  # in the order the model's modules were first seen
        self.weights: dict[str, tuple[np.ndarray, StepSeries]] = {}  # parameter name -> (edges, series)
        self.marks: deque[tuple[int, str]] = deque(maxlen=MARKS_KEPT)  # (steps taken before it, what)
        self.version = 0  # bumped by every change, so a view redraws only when something is new
        self._tally: dict[str, _StepTally] = {}
        self._kinds: dict[str, str] = {}
        self._order: list[str] = []

    # --- recording -----------------------------------------------------------------------------

    @contextmanager
    def recording(self, model: Any) -> Iterator[None]:
        """Watch one step's forward and backward through the library's global module hooks; `add_step`
        then files what they saw (a step that raised files nothing)."""
        adapter = adapter_for(model)
        paths = {id(module): path for path, module in model.named_modules()}
        self._order = list(paths.values())
        self._kinds = {path: type(module).__name__ for path, module in model.named_modules()}
        self._tally = {}
        array = adapter.array

        def first_floating(value: Any) -> np.ndarray | None:
            for leaf in flatten_values(value):
                if adapter.is_tensor(leaf) and adapter.is_floating(leaf):
                    return np.asarray(array(leaf))
            return None

        def on_forward(module: Any, args: Any, output: Any) -> None:
            path = paths.get(id(module))
            values = None if path is None else first_floating(output)
            if values is not None:
                self._tally_output(path, values)

        def on_backward(module: Any, grad_input: Any, grad_output: Any) -> None:
            path = paths.get(id(module))
            if path is None:
                return
            tally = self._tally.setdefault(path, _StepTally())
            for leaf in flatten_values(grad_output):
                if adapter.is_tensor(leaf):
                    tally.grad_squares += _sum_of_squares(np.asarray(array(leaf)))
                    tally.grads = True

        handles = adapter.module_hooks(lambda module, args: None, on_forward, on_backward)
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    def _tally_output(self, path: str, values: np.ndarray) -> None:
        tally = self._tally.setdefault(path, _StepTally())
        if path not in self.modules:
            with self._lock:
                edges = np.linspace(*bin_range(values), BINS + 1)
                self.modules[path] = ModuleHistory(path, self._kinds.get(path, ""), edges, self.capacity)
        flat = values.ravel()
        stats = tensor_stats(flat)  # one pass of minimod's statistics kernel, over the finite values
        if stats.nan or stats.inf:  # NaN and Inf are left out of the numbers (the trace flags them)
            flat = flat[np.isfinite(flat)]
        binned = _count_bins(flat, self.modules[path].edges)
        if flat.size:
            tally.size += flat.size
            tally.total += stats.mean * flat.size
            tally.squares += (stats.std ** 2 + stats.mean ** 2) * flat.size
        tally.near_zero += int(np.count_nonzero(np.abs(flat) <= NEAR_ZERO))
        tally.counts = binned["counts"] if tally.counts is None else tally.counts + binned["counts"]
        tally.below += binned["below"]
        tally.above += binned["above"]

    def add_step(self, step: int, loss: float, model: Any) -> None:
        """File step number `step`: its loss, what `recording` saw, and the parameters as they are now
        (after the optimizer's update)."""
        adapter = adapter_for(model)
        parameters = [(name, np.asarray(adapter.array(parameter))) for name, parameter in
                      model.named_parameters()]
        weight_values = []
        for name, values in parameters:
            flat = values.ravel()
            flat = flat if np.isfinite(flat).all() else flat[np.isfinite(flat)]
            weight_values.append((name, flat))
        with self._lock:
            self.loss.add(step, {"loss": loss})
            for path in self._order:
                tally = self._tally.get(path)
                history = self.modules.get(path)
                if tally is None or history is None:
                    continue
                if tally.size:
                    mean = tally.total / tally.size
                    variance = max(tally.squares / tally.size - mean * mean, 0.0)
                    history.series.add(step, {
                        "mean": mean, "std": variance ** 0.5, "near_zero": tally.near_zero / tally.size,
                        "counts": tally.counts, "below": tally.below, "above": tally.above})
                if tally.grads:
                    history.grads.add(step, {"grad_norm": tally.grad_squares ** 0.5})
            for name, flat in weight_values:
                if name not in self.weights:
                    edges = np.linspace(*bin_range(flat), BINS + 1)
                    self.weights[name] = (edges, StepSeries(_histogram_fields(), self.capacity))
                edges, series = self.weights[name]
                series.add(step, _count_bins(flat, edges))
            self._tally = {}
            self.version += 1

    def mark(self, step: int, label: str) -> None:
        """Remember that `label` (a snapshot, a load, a mode change) happened after `step` steps."""
        with self._lock:
            self.marks.append((step, label))
            self.version += 1

    def clear(self) -> None:
        with self._lock:
            self.loss = StepSeries({"loss": ()}, self.capacity)
            self.modules.clear()
            self.weights.clear()
            self.marks.clear()
            self.version += 1

    # --- reading -------------------------------------------------------------------------------

    def losses(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, losses): each column's last step and its mean loss."""
        with self._lock:
            return self.loss.steps(), self.loss.mean("loss")

    def steps_taken(self) -> int:
        with self._lock:
            return int(self.loss.last[self.loss.length - 1]) if self.loss.length else 0

    def module_paths(self) -> list[str]:
        with self._lock:
            return list(self.modules)

    def module_stats(self, path: str) -> dict[str, np.ndarray] | None:
        """A module's columns: steps, mean, std, near_zero, count (steps per column), and grad_steps with
        grad_norm and grad_count; None if the module was never seen."""
        with self._lock:
            history = self.modules.get(path)
            if history is None:
                return None
            series, grads = history.series, history.grads
            return {"steps": series.steps(), "mean": series.mean("mean"), "std": series.mean("std"),
                    "near_zero": series.mean("near_zero"),
                    "count": series.count[:series.length].astype(float),
                    "grad_steps": grads.steps(), "grad_norm": grads.mean("grad_norm"),
                    "grad_count": grads.count[:grads.length].astype(float)}

    def module_kind(self, path: str) -> str:
        with self._lock:
            history = self.modules.get(path)
            return history.kind if history is not None else ""

    def activations(self, path: str) -> Histogram | None:
        """The module's output histogram per column (the colorful dimension); None if never seen."""
        with self._lock:
            history = self.modules.get(path)
            return history.histogram() if history is not None else None

    def weight_names(self) -> list[str]:
        with self._lock:
            return list(self.weights)

    def weight_histogram(self, name: str) -> Histogram | None:
        """The parameter's histogram per column, after each step's update; None if never recorded."""
        with self._lock:
            entry = self.weights.get(name)
            return _histogram(entry[1], entry[0]) if entry is not None else None

    def marks_list(self) -> list[tuple[int, str]]:
        with self._lock:
            return list(self.marks)

    @property
    def nbytes(self) -> int:
        """The arrays' memory: fixed by the capacity, the modules and the parameters, not by the steps."""
        with self._lock:
            total = self.loss.nbytes
            for history in self.modules.values():
                total += history.series.nbytes + history.grads.nbytes + history.edges.nbytes
            for edges, series in self.weights.values():
                total += edges.nbytes + series.nbytes
            return total


def diagnose(history: TrainingHistory) -> list[Finding]:
    """The modules the overview flags at the latest step: dead (outputs mostly zero), vanishing or
    exploding (gradient norm far below or above the one arriving at the model's output)."""
    findings = []
    reference = history.module_stats("")
    output_grad = (float(reference["grad_norm"][-1]) if reference is not None and reference["grad_norm"].size
                   else None)
    for path in history.module_paths():
        if not path:
            continue
        stats = history.module_stats(path)
        if stats["near_zero"].size and stats["near_zero"][-1] >= DEAD_FRACTION:
            findings.append(Finding(path, "dead", f"{stats['near_zero'][-1]:.0%} of its outputs are zero"))
        if not stats["grad_norm"].size or output_grad is None:
            continue
        norm = float(stats["grad_norm"][-1])
        compared = f"gradient norm {norm:.3g}, the output's {output_grad:.3g}"
        if not np.isfinite(norm) or (output_grad > 0 and norm > EXPLODING_RATIO * output_grad):
            findings.append(Finding(path, "exploding", compared))
        elif output_grad > 0 and norm < VANISHING_RATIO * output_grad:
            findings.append(Finding(path, "vanishing", compared))
    return findings
