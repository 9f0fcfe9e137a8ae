"""Shape ops as Functions on ndarrays: reshape/view, flatten, (un)squeeze, permute/transpose (and T),
expand, indexing, cat and stack. Their Tensor methods (arguments checked as torch checks them, and
reshape's copy when the strides cannot express a view) are in minimod/composites/shape.py."""

from __future__ import annotations

import functools

import numpy as np

from ..autograd import Function


class Reshape(Function):
    """z = x with a new shape, a view of x;  the gradient is reshaped back.

    `reshape` (minimod/composites/shape.py) decides: when the strides cannot express the new shape, it
    copies x first (a Clone node), and this node then views the copy, as torch records it."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, shape, of_copy=False):
        ctx.input_shape = x.shape
        out = np.reshape(x, shape, copy=False)
        # torch's names: a view of a contiguous tensor, an alias with new strides, the view of a copy
        if of_copy:
            ctx.node_name = "UnsafeViewBackward0"
        else:
            ctx.node_name = "ViewBackward0" if x.flags.c_contiguous else "ReshapeAliasBackward0"
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.input_shape)


class View(Reshape):
    """Reshape that never copies: a shape the strides cannot express is an error, as in torch."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape, ctx.node_name = x.shape, "ViewBackward0"
        try:
            return np.reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension "
                "spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None


class Flip(Function):
    """z = x reversed along dims;  the gradient is reversed back."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()  # torch's flip copies

    @staticmethod
    def backward(ctx, grad_output):
        return np.flip(grad_output, ctx.dims)


class Roll(Function):
    """z = x shifted cyclically by `shifts` along dims (flattened when dims is None);  the gradient is
    shifted back."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad_output):
        shifts = -ctx.shifts if isinstance(ctx.shifts, int) else tuple(-s for s in ctx.shifts)
        return np.roll(grad_output, shifts, ctx.dims)


class Repeat(Function):
    """z = x tiled `repeats` times along each dim (torch's repeat, numpy's tile);  each element's
    gradient is the sum over its copies."""

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.input_shape = x.shape
        return np.tile(x, repeats)

    @staticmethod
    def backward(ctx, grad_output):
        shape = (1,) * (grad_output.ndim - len(ctx.input_shape)) + tuple(ctx.input_shape)
        # (r0, s0, r1, s1, ...): one axis for the copies of each dim, then summed away
        copies = [total // size if size else 0 for total, size in zip(grad_output.shape, shape)]
        split = [size for pair in zip(copies, shape) for size in pair]
        summed = grad_output.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.input_shape)


class Split(Function):
    """(z₀, z₁, ...) = consecutive pieces of x along dim (chunk, split, unbind);  the gradient of x is
    the pieces' gradients joined back (zeros for a piece nobody used)."""

    returns_view = True  # each piece is a view of x, sharing its version counter

    @staticmethod
    def forward(ctx, x, sizes, dim, node_name="SplitBackward0", squeeze=False):
        ctx.dim, ctx.squeeze, ctx.node_name = dim, squeeze, node_name
        bounds = np.cumsum(sizes)[:-1]
        pieces = np.split(x, bounds, axis=dim)
        if squeeze:
            pieces = [np.squeeze(piece, dim) for piece in pieces]
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grad_outputs):
        if ctx.squeeze:
            return np.stack(grad_outputs, axis=ctx.dim)
        return np.concatenate(grad_outputs, axis=ctx.dim)


class Chunk(Split):
    """split into at most n equal pieces: the same node as split (SplitBackward0), its own name in the
    flow view."""


class Unbind(Split):
    """The slices along dim, each without that dim (UnbindBackward0)."""

    @staticmethod
    def forward(ctx, x, dim):
        return Split.forward(ctx, x, [1] * x.shape[dim], dim, node_name="UnbindBackward0", squeeze=True)


class Gather(Function):
    """z[i][j] = x[i][index[i][j]] along dim (torch.gather);  dx adds each dz at the index it came from."""

    @staticmethod
    def forward(ctx, x, index, dim):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        grad = np.zeros(ctx.shape, grad_output.dtype)
        _add_along_axis(grad, ctx.index, grad_output, ctx.dim)
        return grad, None


def _add_along_axis(target, index, values, axis):
    """target[..., index, ...] += values along axis, repeated indices adding up (np.put_along_axis
    would keep only the last)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    np.add.at(target, tuple(grids), values)


# flatten, unsqueeze and squeeze are reshapes; their own classes let a trace name the op (the flow view)
class Flatten(Reshape):
    """z = x with dims start_dim..end_dim merged into one;  the gradient is reshaped back."""


class UnsafeView(Reshape):
    """torch's _unsafe_view: a reshape of a tensor no one else holds (mm's result, a fresh copy)."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)


class Unsqueeze(Reshape):
    """z = x with a new dim of size 1;  the gradient drops it again."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)


class Squeeze(Reshape):
    """z = x without (some of) its dims of size 1;  the gradient puts them back."""

    @staticmethod
    def forward(ctx, x, shape, node_name="SqueezeBackward0"):
        ctx.input_shape, ctx.node_name = x.shape, node_name
        return x.reshape(shape)


@functools.lru_cache(maxsize=1024)  # checking took 3 us of a 6 us weight.t() in every Linear
def _permutation(dims, ndim):
    """(dims with negative ones resolved, the inverse order), or torch's error for dims that are not a
    permutation of range(ndim)."""
    dims = tuple(d % max(ndim, 1) for d in dims)
    if sorted(dims) != list(range(ndim)):
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
            f"to len(dims) = {len(dims)}"
            if len(dims) != ndim
            else f"permute(): duplicate dims are not allowed (got {dims})"
        )
    inverse = [0] * len(dims)
    for position, dim in enumerate(dims):
        inverse[dim] = position
    return dims, tuple(inverse)


class Permute(Function):
    """z = x with its axes reordered;  the gradient takes the inverse order."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, dims):
        dims, ctx.inverse = _permutation(dims, x.ndim)
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad_output):
        return np.transpose(grad_output, ctx.inverse)


class T(Permute):
    """z = Wᵀ of a 2-D matrix (torch's ``weight.t()``);  the gradient is transposed back."""

    node_name = "TBackward0"


class Transpose(Permute):
    """z = x with two axes swapped (a permute of two dims);  the gradient swaps them back."""


class Expand(Function):
    """z = x broadcast to a larger shape;  dz/dx sums over the broadcast axes (done by apply)."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class GetItem(Function):
    """z = x[index];  the gradient is scattered back, adding where an index repeats."""

    returns_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.input_shape, ctx.index = x.shape, index
        ctx.advanced = _is_advanced(index)
        ctx.node_name = "IndexBackward0" if ctx.advanced else _basic_index_name(index)
        out = x[index]
        return out if isinstance(out, np.ndarray) else np.asarray(out)

    @staticmethod
    def backward(ctx, grad_output):
        grad = np.zeros(ctx.input_shape, dtype=grad_output.dtype)
        if ctx.advanced:
            np.add.at(grad, ctx.index, grad_output)  # repeated indices accumulate
        else:
            grad[ctx.index] = grad_output
        return grad


class Cat(Function):
    """z = [x₀, x₁, ...] joined along dim;  each input's gradient is its slice of dz."""

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim = dim
        ctx.splits = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        return tuple(np.split(grad_output, ctx.splits, axis=ctx.dim))


class Stack(Function):
    """z = [x₀, x₁, ...] stacked on a new dim;  each input's gradient is its index of dz."""

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad_output):
        return tuple(np.moveaxis(grad_output, ctx.dim, 0))


def _basic_index_name(index):
    """torch names a basic index by its last step: select (an int) or slice."""
    parts = [p for p in (index if isinstance(index, tuple) else (index,)) if p is not Ellipsis]
    if not parts:
        return "AliasBackward0"
    last = parts[-1]
    if last is None:
        return "UnsqueezeBackward0"
    return "SliceBackward0" if isinstance(last, slice) else "SelectBackward0"


def _is_advanced(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


def _wrap_dim(dim, ndim):
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], "
            f"but got {dim})"
        )
    return dim % max(ndim, 1)
