"""What a functional op's node says besides its name: its dims, scalars and target shapes.

Both adapters report an op's non-tensor arguments as torch's API passes them (see adapters/base.py's
OpObserver): by position or by name. This file binds them to torch's parameter names with one table, so
`x.transpose(1, 2)` reads the same from a minimod op and a torch op, and writes them the same way:
dims counted from 0 (minimod has already turned -1 into the last dim where torch still holds -1),
defaults left out, a view's or a reshape's target shape as the shape it made (a -1 resolved).
"""

from __future__ import annotations

from inspector.events import OpEvent

__all__ = ["argument_text", "SIGNATURES"]

REQUIRED = object()  # an argument without a default

_REDUCTION = (("dim", None), ("keepdim", False))

# op -> its parameters after the first tensor, in torch's order, with their defaults (the ops whose
# arguments a reader needs to tell two nodes apart; an op not listed shows its name only)
SIGNATURES: dict[str, tuple[tuple[str, object], ...]] = {
    "transpose": (("dim0", REQUIRED), ("dim1", REQUIRED)),
    "permute": (("dims", REQUIRED),),
    "flatten": (("start_dim", 0), ("end_dim", -1)),
    "softmax": (("dim", None),),
    "log_softmax": (("dim", None),),
    "sum": _REDUCTION, "mean": _REDUCTION, "prod": _REDUCTION, "amax": _REDUCTION, "amin": _REDUCTION,
    "var": _REDUCTION, "std": _REDUCTION, "argmax": _REDUCTION, "argmin": _REDUCTION,
    "logsumexp": _REDUCTION,
    "split": (("split_size", REQUIRED), ("dim", 0)),
    "chunk": (("chunks", REQUIRED), ("dim", 0)),
    "unbind": (("dim", 0),),
    "cat": (("dim", 0),),
    "stack": (("dim", 0),),
    "getitem": (("index", REQUIRED),),
    "masked_fill": (("mask", REQUIRED), ("value", REQUIRED)),
    "clamp": (("min", None), ("max", None)),
    "clamp_min": (("min", REQUIRED),),
    "clamp_max": (("max", REQUIRED),),
    "leaky_relu": (("negative_slope", 0.01),),
    "topk": (("k", REQUIRED), ("dim", -1)),
}

# arguments a library reports differently (chunk's count: minimod knows the pieces it made, not the
# number asked for), not shown
_HIDDEN = {"chunk": {"chunks"}, "masked_fill": {"mask"}}

# the parameter names that are dims: shown counted from 0
_DIMS = {"dim", "dim0", "dim1", "start_dim", "end_dim", "dims"}

# ops whose arguments are a Python number next to a tensor: the number is shown as it is (`mul 0.9`)
SCALAR_OPS = {"add", "sub", "mul", "div", "floor_divide", "remainder", "pow", "eq", "ne", "lt", "le", "gt",
              "ge", "maximum", "minimum", "fmod"}

# ops whose arguments are a target shape: the shape they made is shown (a -1 resolved)
SHAPE_OPS = {"view", "reshape", "expand", "unflatten"}


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    return f"{value:.4g}"


def _index_part(part: object) -> str:
    if isinstance(part, slice):
        pieces = ["" if end is None else _number(end) for end in (part.start, part.stop, part.step)]
        return ":".join(pieces[:2]) + (f":{pieces[2]}" if part.step is not None else "")
    if part is Ellipsis:
        return "..."
    return _number(part)


def _value_text(value: object) -> str:
    if isinstance(value, tuple):
        inner = ", ".join(_value_text(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str) and value != "tensor":
        return repr(value)
    return _number(value)


def _counted_from_zero(value: object, ndim: int) -> object:
    if isinstance(value, tuple):
        return tuple(_counted_from_zero(item, ndim) for item in value)
    if isinstance(value, int) and not isinstance(value, bool) and ndim > 0:
        return value % ndim
    return value


def _bound(op: OpEvent) -> dict[str, object]:
    """The op's arguments under the table's names (positions counted after the first tensor)."""
    names = [name for name, _ in SIGNATURES[op.name]]
    bound: dict[str, object] = {}
    extra: list[object] = []  # positions past the last name: `x.permute(0, 2, 1)`'s dims
    for key, value in op.arguments:
        if isinstance(key, str):
            if key in names:
                bound[key] = value
        elif key >= 1:
            if key - 1 < len(names):
                bound[names[key - 1]] = value
            else:
                extra.append(value)
    if extra and len(names) == 1 and names[0] in bound:  # varargs: permute(0, 2, 1) as dims=(0, 2, 1)
        bound[names[0]] = (bound[names[0]], *extra)
    return bound


def _index_text(index: object) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(_index_part(part) for part in parts) + "]"


def argument_text(op: OpEvent) -> str:
    """`dim0=1, dim1=2` for a transpose, `0.9` for a mul by 0.9, `(1, 8, 4, 8)` for a view, `[:, :8]` for
    an index; "" for an op without arguments worth showing."""
    if op.name in SHAPE_OPS:
        return _value_text(op.output_shapes[0]) if op.output_shapes else ""
    if op.name in SCALAR_OPS:
        numbers = [value for key, value in op.arguments
                   if isinstance(key, int) and isinstance(value, (int, float))
                   and not isinstance(value, bool)]
        return ", ".join(_number(value) for value in numbers)
    if op.name not in SIGNATURES:
        return ""
    bound = _bound(op)
    if op.name == "getitem":
        return _index_text(bound["index"]) if "index" in bound else ""
    shapes = op.output_shapes if op.name == "stack" else op.input_shapes
    ndim = len(shapes[0]) if shapes else 0
    defaults = dict(SIGNATURES[op.name])
    pieces = []
    for name, value in bound.items():
        if name in _HIDDEN.get(op.name, ()):
            continue
        if name in _DIMS:
            value = _counted_from_zero(value, ndim)
            default = defaults[name]
            if default is not REQUIRED and value == _counted_from_zero(default, ndim):
                continue
        elif value == defaults[name] and defaults[name] is not REQUIRED:
            continue
        if value is None or value == ():
            continue
        pieces.append((name, value))
    if op.name == "transpose" and len(pieces) == 2:  # transpose(2, 1) is transpose(1, 2)
        low, high = sorted(value for _, value in pieces)
        pieces = [("dim0", low), ("dim1", high)]
    return ", ".join(f"{name}={_value_text(value)}" for name, value in pieces)
