"""Tensor methods on shapes: reshape (a view, or a copy then a view, as torch records it), flatten,
transpose, (un)squeeze, expand and indexing: their arguments checked as torch checks them, then the
Functions of minimod/functions/shape.py applied."""

from __future__ import annotations

import numpy as np

from .. import hooks
from ..functions.elementwise import Clone
from ..functions.shape import Expand, Flatten, GetItem, Reshape, Squeeze, Transpose, Unsqueeze, _wrap_dim


def normalize_shape(shape, size):
    """torch's reshape arguments: ints or one tuple, with at most one -1 that is inferred."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


def reshape(x, shape, kind=Reshape):
    """x viewed with `shape` when its strides allow; otherwise a contiguous copy of x, viewed: torch's
    reshape, node for node (ViewBackward0 or ReshapeAliasBackward0; else CloneBackward0, then
    UnsafeViewBackward0)."""
    data = x._data
    if not data.flags.c_contiguous:
        try:
            np.reshape(data, shape, copy=False)
        except ValueError:
            return _view_of_copy(x, shape, kind)
    return kind.apply(x, shape=shape)


def _view_of_copy(x, shape, kind):
    """A C-ordered copy of x (CloneBackward0, torch's clone(memory_format=contiguous)), viewed with
    `shape` (UnsafeViewBackward0). Op observers (the flow view) see the one reshape or flatten."""
    if not hooks._op_observers:
        return kind.apply(Clone.apply(x), shape=shape, of_copy=True)
    with hooks.one_op():
        out = kind.apply(Clone.apply(x), shape=shape, of_copy=True)
    return hooks._notify(kind, (x,), out, {"shape": shape})


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,), Flatten)
    start, end = _wrap_dim(start_dim, x.ndim), _wrap_dim(end_dim, x.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:  # nothing to merge: torch returns the tensor itself (op observers still see the call)
        return hooks._notify(Flatten, (x,), x, {"start_dim": start_dim, "end_dim": end_dim}) \
            if hooks._op_observers else x
    shape = x.shape[:start] + (int(np.prod(x.shape[start : end + 1])),) + x.shape[end + 1 :]
    if not hooks._op_observers:
        return reshape(x, shape, Flatten)
    with hooks.one_op():  # observers see flatten's own arguments, not the shape it reshapes to
        out = reshape(x, shape, Flatten)
    return hooks._notify(Flatten, (x,), out, {"start_dim": start_dim, "end_dim": end_dim})


def transpose(x, dim0, dim1):
    dims = list(range(x.ndim))
    a, b = _wrap_dim(dim0, x.ndim), _wrap_dim(dim1, x.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose.apply(x, dims=tuple(dims))


def unsqueeze(x, dim):
    dim = _wrap_dim(dim, x.ndim + 1)
    return Unsqueeze.apply(x, shape=x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = {_wrap_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim)} if x.ndim else set()
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return Squeeze.apply(x, shape=shape, node_name="SqueezeBackward0" if dim is None else "SqueezeBackward1")


def expand(x, sizes):
    sizes = tuple(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({x.ndim})"
        )
    offset = len(sizes) - x.ndim
    shape = []
    for i, size in enumerate(sizes):
        current = x.shape[i - offset] if i >= offset else 1
        if size == -1:
            if i < offset:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            size = current
        elif current != 1 and current != size:
            raise RuntimeError(
                f"The expanded size of the tensor ({size}) must match the existing size ({current}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(x.shape)}"
            )
        shape.append(size)
    return Expand.apply(x, shape=tuple(shape))


def getitem(x, index):
    """x[index]; index's Tensor parts come as their arrays (Tensor.__getitem__ unwraps them)."""

    def unwrap(part):
        return np.asarray(part) if isinstance(part, list) else part

    index = tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)
    try:
        return GetItem.apply(x, index=index)
    except IndexError as error:  # numpy's words for torch's: "axis" is "dimension", "array" is "tensor"
        message = str(error)
        if message.startswith("too many indices"):
            raise IndexError(f"too many indices for tensor of dimension {x.ndim}") from None
        raise IndexError(message.replace(" for axis ", " for dimension ")) from None
