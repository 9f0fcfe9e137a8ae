"""Plain records of what a traced model did: tensor statistics, module calls and functional ops."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from inspector.adapters.statistics import finite_summary
from minimod import Tensor

__all__ = ["TensorStats", "TraceEvent", "OpEvent", "tensor_stats", "flatten_values", "format_shape"]

PHASES = ("forward_pre", "forward", "backward")


@dataclass(frozen=True, slots=True)
class TensorStats:
    """Shape, dtype and summary numbers of one tensor; mean/std/min/max are over its finite values.

    `std` is the population standard deviation (ddof=0), so a one-element tensor has std 0.
    When no value is finite (or the tensor is empty) mean/std/min/max are NaN.
    """

    shape: tuple[int, ...]
    dtype: str
    mean: float
    std: float
    min: float
    max: float
    nan: int
    inf: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def short(self) -> str:
        """One compact line, e.g. `(1, 6, 28, 28) float32 μ=0.012 σ=0.98`."""
        text = f"{format_shape(self.shape)} {self.dtype} μ={self.mean:.3g} σ={self.std:.3g}"
        if self.nan or self.inf:
            text += f" nan={self.nan} inf={self.inf}"
        return text


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One hook firing on one module.

    phase "forward_pre": `inputs` are the forward's positional arguments, `outputs` is empty.
    phase "forward": `inputs` and `outputs` of the call; `elapsed_ms` is the time spent in forward
    (from the recorder's global pre-hook to its global forward hook: the module's own pre-hooks and
    forward; its own forward hooks run after the recorder's and are not timed).
    phase "backward": `inputs` are the gradients with respect to the module's inputs (grad_input),
    `outputs` the gradients with respect to its outputs (grad_output), as in a full backward hook.
    `input_ids` / `output_ids` number the tensors within one recording (first seen, first numbered;
    None for a non-tensor value, or when the recorder does not track tensors), so a consumer can
    tell that one module's output is another's input.
    """

    index: int
    phase: str
    module: str  # dotted path, "" for the root
    kind: str  # class name, e.g. "Conv2d"
    inputs: tuple[TensorStats | None, ...]
    outputs: tuple[TensorStats | None, ...]
    elapsed_ms: float
    training: bool
    input_ids: tuple[int | None, ...] = ()
    output_ids: tuple[int | None, ...] = ()
    # phase "forward" only: the badge of an intervention (inspector/interventions.py) whose forward hook
    # replaced this call's output, e.g. "×0"; `outputs` are what forward computed, before the hook
    intervention: str = ""


@dataclass(frozen=True, slots=True)
class OpEvent:
    """One functional op (a minimod autograd Function) run while a module of the model was running.

    `name` is the Function's class name (`Relu`, `Add`, `Reshape`); `module` the innermost running
    module's dotted path ("" for the root); `stack` every running module from the outermost, and
    empty for an op that ran outside the model (e.g. a loss computed after forward).
    """

    index: int
    name: str
    module: str
    stack: tuple[str, ...]
    input_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    input_ids: tuple[int | None, ...] = ()
    output_ids: tuple[int | None, ...] = ()
    # the op's other arguments as torch's API passes them: (position or name, plain value) pairs, e.g.
    # ((1, 1), (2, 2)) for x.transpose(1, 2); a tensor inside a value is the string "tensor"
    arguments: tuple[tuple[int | str, object], ...] = ()


def format_shape(shape: tuple[int, ...]) -> str:
    """`(1, 3, 32, 32)`; a scalar is `()`."""
    return "(" + ", ".join(str(size) for size in shape) + ")"


def flatten_values(value: object) -> list[object]:
    """The leaves of nested tuples, lists and dict values, in order (Tensors and anything else)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        leaves: list[object] = []
        for item in value:
            leaves.extend(flatten_values(item))
        return leaves
    if isinstance(value, dict):
        leaves = []
        for item in value.values():
            leaves.extend(flatten_values(item))
        return leaves
    return [value]


_DTYPE_NAMES: dict = {}  # str(dtype) took 2 of a hook's 7.5 us


def tensor_stats(value: object) -> TensorStats | None:
    """Statistics of a Tensor (or ndarray); None for anything else. NaN and ±Inf are counted."""
    if isinstance(value, Tensor):
        array = value.numpy()
    elif isinstance(value, np.ndarray):
        array = value
    else:
        return None
    shape = array.shape  # a tuple of Python ints
    dtype = _DTYPE_NAMES.get(array.dtype) or _DTYPE_NAMES.setdefault(array.dtype, str(array.dtype))
    if array.size == 0 or array.dtype.kind not in "biuf":
        nan_value = float("nan")
        return TensorStats(shape, dtype, nan_value, nan_value, nan_value, nan_value, 0, 0)
    _count, nan_count, inf_count, mean, std, low, high = finite_summary(array)
    return TensorStats(shape, dtype, mean, std, low, high, nan_count, inf_count)
