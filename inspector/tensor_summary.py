"""Plain summaries of a module's parameters and buffers (shape, statistics, sharing) for the inspector."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from inspector.events import tensor_stats


@dataclass(frozen=True)
class TensorRow:
    """One parameter or buffer as the tensor tables show it."""

    name: str  # dotted path from the model's root, e.g. "conv1.weight"
    kind: str  # "parameter" or "buffer"
    shape: tuple[int, ...]
    dtype: str
    numel: int
    flag: bool  # requires_grad for a parameter, persistent for a buffer
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    grad_norm: float | None  # None until a backward has filled .grad
    shared_with: tuple[str, ...] = ()  # other names of the same Parameter object
    nonfinite: int = 0  # how many NaN or Inf values the tensor holds


@dataclass(frozen=True)
class Totals:
    """Counts over a list of rows."""

    count: int
    numel: int
    trainable: int  # elements with requires_grad (parameters) or persistent (buffers)


def to_numpy(tensor: Any) -> np.ndarray:
    """The values of a minimod Tensor (or anything array-like) as an ndarray, outside autograd."""
    if isinstance(tensor, np.ndarray):
        return tensor
    detach = getattr(tensor, "detach", None)
    value = detach() if callable(detach) else tensor
    numpy = getattr(value, "numpy", None)
    return np.asarray(numpy() if callable(numpy) else value)


def array_stats(values: np.ndarray) -> tuple[float | None, float | None, float | None, float | None, int]:
    """(mean, std, min, max, non-finite count) over the finite values, as the trace computes them
    (population std); the numbers are None when nothing is finite."""
    stats = tensor_stats(values)
    if stats is None:
        return None, None, None, None, 0
    nonfinite = stats.nan + stats.inf
    if stats.mean != stats.mean:  # no finite value: the trace's statistics are NaN
        return None, None, None, None, nonfinite
    return stats.mean, stats.std, stats.min, stats.max, nonfinite


_DTYPE_TEXT: dict[Any, str] = {}  # a library's dtype object -> its numpy name ("float32")


def _sizes_row(name: str, kind: str, tensor: Any, flag: bool, shared_with: tuple[str, ...]) -> TensorRow:
    """A row with sizes only (no statistics, no copy of the values): cheap, for totals."""
    dtype = _DTYPE_TEXT.get(tensor.dtype)
    if dtype is None:
        dtype = _DTYPE_TEXT[tensor.dtype] = str(to_numpy(tensor).dtype)
    shape = tuple(map(int, tensor.shape))
    return TensorRow(name, kind, shape, dtype, math.prod(shape), flag, None, None, None, None, None,
                     shared_with)


# (kind, name) -> (the tensor, its shape, flag, dtype and other names, as its sizes row was made; the row)
SizesCache = dict[tuple[str, str], tuple[Any, Any, bool, Any, tuple[str, ...], TensorRow]]


def _cached_sizes_row(cache: SizesCache, name: str, kind: str, tensor: Any, flag: bool,
                      shared_with: tuple[str, ...]) -> TensorRow:
    """_sizes_row, reused while the same tensor has the same name, shape, dtype, flag and sharing: a
    2,000-layer model's 4,000 rows, made again on every move onto the root, were half of that move's
    work in this file."""
    shape, dtype = tensor.shape, tensor.dtype
    entry = cache.get((kind, name))
    if (entry is not None and entry[0] is tensor and entry[1] == shape and entry[2] == flag
            and entry[3] == dtype and entry[4] == shared_with):
        return entry[5]
    row = _sizes_row(name, kind, tensor, flag, shared_with)
    cache[kind, name] = (tensor, shape, flag, dtype, shared_with, row)
    return row


def _row(name: str, kind: str, tensor: Any, flag: bool, shared_with: tuple[str, ...],
         with_stats: bool = True, sizes: SizesCache | None = None) -> TensorRow:
    if not with_stats:
        if sizes is not None:
            return _cached_sizes_row(sizes, name, kind, tensor, flag, shared_with)
        return _sizes_row(name, kind, tensor, flag, shared_with)
    values = to_numpy(tensor)
    mean, std, low, high, nonfinite = array_stats(values)
    grad = getattr(tensor, "grad", None) if kind == "parameter" else None
    grad_norm = None
    if grad is not None:
        grad_values = to_numpy(grad).astype(np.float64, copy=False)
        grad_norm = float(np.sqrt(np.sum(grad_values * grad_values)))
    return TensorRow(
        name=name,
        kind=kind,
        shape=tuple(int(size) for size in values.shape),
        dtype=str(values.dtype),
        numel=int(values.size),
        flag=flag,
        mean=mean,
        std=std,
        min=low,
        max=high,
        grad_norm=grad_norm,
        shared_with=shared_with,
        nonfinite=nonfinite,
    )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def shared_parameter_names(model: Any) -> dict[int, list[str]]:
    """id(Parameter) -> every dotted name it has in `model`, for parameters reachable by two names."""
    names: dict[int, list[str]] = {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(parameter), []).append(name)
    return {key: value for key, value in names.items() if len(value) > 1}


class ModelTensors:
    """Every (name, tensor) of a model under each of its names, walked once: any module's subtree is then
    the names under its path, and whether a buffer is persistent a look-up. On a 2,000-layer model each
    move onto the root or its ModuleList walked 4,000 parameters twice (the subtree's, and the whole
    model's for sharing) and 2,001 modules (for the buffers). Valid while the model's structure is the
    same: the caller makes a new one when it may have changed."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.parameters = list(model.named_parameters(remove_duplicate=False))
        self.buffers = list(model.named_buffers(remove_duplicate=False))
        names: dict[int, list[str]] = {}
        for name, parameter in self.parameters:
            names.setdefault(id(parameter), []).append(name)
        self.shared = {key: value for key, value in names.items() if len(value) > 1}
        self.non_persistent = {path: getattr(module, "_non_persistent_buffers_set", set())
                               for path, module in model.named_modules(remove_duplicate=False)}

    def subtree(self, kind: str, path: str) -> list[tuple[str, Any]]:
        """What `module.named_parameters(prefix=path)` (or named_buffers) gives for the module at `path`:
        the names under it in the same order, each tensor once, under its first name."""
        prefix = f"{path}." if path else ""
        seen: set[int] = set()
        named = []
        for name, tensor in self.parameters if kind == "parameter" else self.buffers:
            if name.startswith(prefix) and id(tensor) not in seen:
                seen.add(id(tensor))
                named.append((name, tensor))
        return named


def _own_or_subtree(model: Any, kind: str, path: str, recursive: bool,
                    listing: ModelTensors | None) -> list[tuple[str, Any]]:
    if recursive and listing is not None:
        return listing.subtree(kind, path)
    module = model.get_submodule(path) if path else model
    named = module.named_parameters if kind == "parameter" else module.named_buffers
    return list(named(prefix=path, recurse=recursive))


def parameter_rows(model: Any, path: str = "", recursive: bool = False,
                   stats_for: int | None = None, sizes: SizesCache | None = None,
                   listing: ModelTensors | None = None) -> list[TensorRow]:
    """The parameters of the module at `path` (its own, or its whole subtree), named from the root.
    Only the first `stats_for` rows get statistics (None: all); the rest carry their sizes, for totals
    (kept in `sizes`, when given, for the next call). `listing`: the model walked already."""
    shared = listing.shared if listing is not None else shared_parameter_names(model)
    rows = []
    for name, parameter in _own_or_subtree(model, "parameter", path, recursive, listing):
        others = tuple(other for other in shared.get(id(parameter), ()) if other != name)
        with_stats = stats_for is None or len(rows) < stats_for
        rows.append(_row(name, "parameter", parameter, bool(parameter.requires_grad), others, with_stats,
                         sizes))
    return rows


def buffer_rows(model: Any, path: str = "", recursive: bool = False,
                stats_for: int | None = None, sizes: SizesCache | None = None,
                listing: ModelTensors | None = None) -> list[TensorRow]:
    """The buffers of the module at `path` (its own, or its whole subtree), with their persistence.
    Only the first `stats_for` rows get statistics (None: all; `sizes` and `listing` as for
    parameter_rows)."""
    if listing is not None:
        non_persistent = listing.non_persistent
    else:
        module = model.get_submodule(path) if path else model
        non_persistent = {owner_path: getattr(owner, "_non_persistent_buffers_set", set())
                          for owner_path, owner in module.named_modules(prefix=path)}
    rows = []
    for name, buffer in _own_or_subtree(model, "buffer", path, recursive, listing):
        owner_path, _, local = name.rpartition(".")
        persistent = local not in non_persistent.get(owner_path, set())
        with_stats = stats_for is None or len(rows) < stats_for
        rows.append(_row(name, "buffer", buffer, persistent, (), with_stats, sizes))
    return rows


def totals(rows: Iterable[TensorRow]) -> Totals:
    """Number of tensors, elements, and elements flagged (trainable or persistent)."""
    rows = list(rows)
    return Totals(
        count=len(rows),
        numel=sum(row.numel for row in rows),
        trainable=sum(row.numel for row in rows if row.flag),
    )


def subtree_counts(model: Any) -> dict[str, tuple[int, int]]:
    """path -> (parameter elements, buffer elements) over each module's subtree, shared ones once."""
    # One pass over every (name, tensor), shared ones under each of their names, each adding its size to
    # the module that owns it and every module above, once per module (a tensor shared inside one
    # subtree counts once there). Asking each module for its own subtree's tensors walked a 2,000-layer
    # model's 4,000 parameters once per level.
    paths = [path for path, _ in model.named_modules()]
    totals = {path: [0, 0] for path in paths}
    seen: dict[str, set[int]] = {path: set() for path in paths}
    for kind, named in ((0, model.named_parameters(remove_duplicate=False)),
                        (1, model.named_buffers(remove_duplicate=False))):
        for name, tensor in named:
            if tensor is None:
                continue
            size = math.prod(int(length) for length in tensor.shape)
            owner = name.rpartition(".")[0]
            while True:
                if owner in totals and id(tensor) not in seen[owner]:
                    seen[owner].add(id(tensor))
                    totals[owner][kind] += size
                if not owner:
                    break
                owner = owner.rpartition(".")[0]
    return {path: (parameters, buffers) for path, (parameters, buffers) in totals.items()}


def shape_text(shape: tuple[int, ...]) -> str:
    """The inspector's one way to write a shape: 1×10×24×24 (a scalar: 'scalar'), narrow in tables."""
    return "×".join(str(size) for size in shape) if shape else "scalar"


def short_path(path: str, width: int) -> str:
    """A dotted path in at most `width` characters: whole components kept from the end (the part that
    tells siblings apart), the first one too when it fits, the middle replaced by '…(n)', n the number
    of components left out (so two depths of a deep chain still read differently).

    'encoder.layers.11.attention.self.query.weight' at 30 -> 'encoder.…(2).self.query.weight'."""
    if len(path) <= width:
        return path
    parts = path.split(".")

    def shown(head: list[str], tail: list[str]) -> str:
        hidden = len(parts) - len(head) - len(tail)
        return ".".join([*head, f"…({hidden})", *tail])

    def fit(head: list[str]) -> str | None:
        tail: list[str] = []
        for part in reversed(parts[len(head):]):
            if len(shown(head, [part, *tail])) > width or len(head) + len(tail) + 1 >= len(parts):
                break
            tail.insert(0, part)
        return shown(head, tail) if tail else None

    text = (fit(parts[:1]) if len(parts) > 2 else None) or fit([])
    return text if text is not None else "…" + path[-(width - 1):]  # one component longer than the width


def human_count(count: int) -> str:
    """1234 -> '1.2k', 3_400_000 -> '3.4M': short enough for a tree label."""
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if count >= limit:
            value = count / limit
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(count)


def format_number(value: float | None) -> str:
    """A statistic in at most 8 characters, 3 significant digits ('-1.84e-5'); '-' for missing."""
    if value is None:
        return "-"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    mantissa, _, exponent = f"{value:.2e}".partition("e")
    return f"{mantissa}e{int(exponent)}"  # e-05 -> e-5: two characters fewer in every column


# A mean this small next to the spread is rounding noise of a sum that is zero in exact arithmetic (a
# softmax's gradient rows, a normalised layer's output): its digits change with the BLAS kernel, the
# thread count and the summation order, so the screen says "≈0" instead of showing them.
ROUNDING_MEAN = 1e-4


def format_mean(mean: float | None, std: float | None) -> str:
    """A mean as format_number writes it, or '≈0' when |mean| is below ROUNDING_MEAN of the std."""
    if mean is not None and mean != 0 and std is not None and math.isfinite(mean) \
            and abs(mean) < ROUNDING_MEAN * std:
        return "≈0"
    return format_number(mean)
