"""How a Tensor prints: a port of torch's formatter (torch/_tensor_str.py), so reprs read the same."""

from __future__ import annotations

import math

import numpy as np

# torch's default print options
PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80


class _Formatter:
    """Chooses one number format for the whole tensor: integers, fixed point or scientific."""

    def __init__(self, array: np.ndarray):
        self.floating = np.issubdtype(array.dtype, np.floating)
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        values = array.reshape(-1)
        if not self.floating:
            for value in values.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        wide_range = largest / smallest > 1000.0 or largest > 1.0e8
        if self.int_mode:
            self.sci_mode = wide_range
            # int mode appends "." to show the tensor is floating, hence the + 1
            values = finite.tolist()
            widths = [len(f"{v:.{PRECISION}e}") for v in values] if wide_range else [
                len(f"{v:.0f}") + 1 for v in values
            ]
        else:
            self.sci_mode = wide_range or smallest < 1.0e-4
            spec = "e" if self.sci_mode else "f"
            widths = [len(f"{v:.{PRECISION}{spec}}") for v in finite.tolist()]
        self.max_width = max(self.max_width, *widths)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _summarized(array: np.ndarray) -> np.ndarray:
    """Only the edge items of every dimension (what a summarized print shows)."""
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        if array.shape[0] > 2 * EDGEITEMS:
            return np.concatenate((array[:EDGEITEMS], array[-EDGEITEMS:]))
        return array
    rows = list(range(array.shape[0]))
    if array.shape[0] > 2 * EDGEITEMS:
        rows = rows[:EDGEITEMS] + rows[-EDGEITEMS:]
    return np.stack([_summarized(array[i]) for i in rows])


def _vector(array, indent, summarize, formatter) -> str:
    element_length = formatter.max_width + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / element_length)))
    if summarize and array.shape[0] > 2 * EDGEITEMS:
        data = [formatter.format(v) for v in array[:EDGEITEMS].tolist()] + [" ..."]
        data += [formatter.format(v) for v in array[-EDGEITEMS:].tolist()]
    else:
        data = [formatter.format(v) for v in array.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body(array, indent, summarize, formatter) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, formatter)
    rows = range(array.shape[0])
    if summarize and array.shape[0] > 2 * EDGEITEMS:
        slices = [_body(array[i], indent + 1, summarize, formatter) for i in rows[:EDGEITEMS]] + ["..."]
        slices += [_body(array[i], indent + 1, summarize, formatter) for i in rows[-EDGEITEMS:]]
    else:
        slices = [_body(array[i], indent + 1, summarize, formatter) for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def array_str(array: np.ndarray, indent: int) -> str:
    """The bracketed numbers of a tensor repr, continuation lines indented by ``indent``."""
    if array.size == 0:
        return "[]"
    if array.dtype == np.float16:
        array = array.astype(np.float32)
    summarize = array.size > THRESHOLD
    formatter = _Formatter(_summarized(array) if summarize else array)
    return _body(array, indent, summarize, formatter)


def tensor_repr(tensor, prefix: str = "tensor(", indent: int | None = None) -> str:
    """torch's layout: tensor([...], dtype=minimod.float64, requires_grad=True / grad_fn=<...>)."""
    array = tensor._data
    indent = len(prefix) if indent is None else indent
    suffixes = []
    if array.size == 0 and array.ndim != 1:
        suffixes.append(f"size={tuple(array.shape)}")
    if array.dtype not in (np.float32, np.int64, np.bool_):
        suffixes.append(f"dtype=minimod.{array.dtype.name}")
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + array_str(array, indent)
    parts = [text]
    last_line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_length + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_length += len(suffix) + 2
    return "".join(parts) + ")"
