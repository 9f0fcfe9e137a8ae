"""Reductions: sum, mean, var and max over all elements or chosen dimensions."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd import Function


def _axes(dim, ndim):
    """torch's dim argument (None, an int or a tuple) as a tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}],"
                f" but got {d})"
            )
        out.append(d % max(ndim, 1))
    return tuple(out)


def _expand_back(grad, shape, axes, keepdim):
    """Undo a reduction's removal of axes so grad broadcasts against the input."""
    if not keepdim and shape:
        grad = np.expand_dims(grad, axes) if axes else grad
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """z = Σ x over dims;  dz/dx = 1 (the gradient is broadcast back)."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, _axes(dim, x.ndim), keepdim
        ctx.node_name = "SumBackward0" if dim is None else "SumBackward1"
        return np.asarray(x.sum(axis=ctx.axes if x.ndim else None, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad_output):
        return _expand_back(grad_output, ctx.shape, ctx.axes, ctx.keepdim)


class Mean(Function):
    """z = (1/n) Σ x over dims;  dz/dx = 1/n."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        if not np.issubdtype(x.dtype, np.floating):
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be floating point, got {x.dtype}"
            )
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, _axes(dim, x.ndim), keepdim
        ctx.node_name = "MeanBackward0" if dim is None else "MeanBackward1"
        ctx.count = int(np.prod([x.shape[a] for a in ctx.axes])) if x.ndim else 1
        return np.asarray(x.mean(axis=ctx.axes if x.ndim else None, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad_output):
        return _expand_back(grad_output / ctx.count, ctx.shape, ctx.axes, ctx.keepdim)


class Var(Function):
    """z = Σ (x - x̄)² / (n - correction);  dz/dx = 2 (x - x̄) / (n - correction)."""

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, _axes(dim, x.ndim), keepdim
        axis = ctx.axes if x.ndim else None
        centered = x - x.mean(axis=axis, keepdims=True)
        ctx.save_for_backward(centered)
        count = int(np.prod([x.shape[a] for a in ctx.axes])) if x.ndim else 1
        ctx.divisor = max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            squares = (centered * centered).sum(axis=axis, keepdims=keepdim)
            return np.asarray(squares / x.dtype.type(ctx.divisor))

    @staticmethod
    def backward(ctx, grad_output):
        (centered,) = ctx.saved_tensors
        grad = _expand_back(grad_output, ctx.shape, ctx.axes, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad * centered * (2 / centered.dtype.type(ctx.divisor))


class Cumsum(Function):
    """z[i] = x[0] + ... + x[i] along one dim;  dx[i] = dz[i] + ... + dz[last] (a cumsum backwards)."""

    @staticmethod
    def forward(ctx, x, dim):
        (axis,) = _axes(dim, x.ndim)
        ctx.axis = axis
        if x.ndim == 0:
            return x.copy()
        return np.cumsum(x, axis=axis, dtype=x.dtype if x.dtype.kind == "f" else np.int64)

    @staticmethod
    def backward(ctx, grad_output):
        if grad_output.ndim == 0:
            return grad_output
        axis = ctx.axis
        return np.flip(np.cumsum(np.flip(grad_output, axis), axis=axis), axis)


class VectorNorm(Function):
    """z = (Σ|x|ᵖ)^(1/p) over dims, p = 2 or 1;  dz/dx = x/z for p = 2 (0 where z = 0), sign(x) for p = 1."""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dim=None, keepdim=False):
        axes = _axes(dim, x.ndim)
        ctx.shape, ctx.axes, ctx.keepdim, ctx.p = x.shape, axes, keepdim, p
        if p == 2:
            norm = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        else:
            norm = np.sum(np.abs(x), axis=axes, keepdims=True)
        ctx.save_for_backward(x, norm)
        return norm if keepdim else np.squeeze(norm, axes) if axes else norm

    @staticmethod
    def backward(ctx, grad_output):
        x, norm = ctx.saved_tensors
        g = grad_output if ctx.keepdim or not ctx.axes else np.expand_dims(grad_output, ctx.axes)
        if ctx.p == 1:
            return g * np.sign(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(norm == 0, 0, g / norm)
        return x * scale


class Prod(Function):
    """z = Πx over everything or along one dim;  dz/dxᵢ = the product of the others (exact with zeros:
    products from the left times products from the right, not z / xᵢ)."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.node_name = "ProdBackward0" if dim is None else "ProdBackward1"
        ctx.save_for_backward(x)
        if dim is None:
            return np.asarray(np.prod(x))
        (axis,) = _axes(dim, x.ndim)
        ctx.axis = axis
        return np.prod(x, axis=axis, keepdims=keepdim) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if x.ndim == 0:
            return grad_output * np.ones_like(x)
        if ctx.dim is None:
            flat = x.reshape(-1)
            return (grad_output * _others_product(flat, 0)).reshape(x.shape)
        g = grad_output if ctx.keepdim else np.expand_dims(grad_output, ctx.axis)
        return g * _others_product(x, ctx.axis)


def _others_product(x, axis):
    """Each entry's product of the other entries along axis."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(np.concatenate([ones, np.delete(x, -1, axis=axis)], axis=axis), axis=axis)
    flipped = np.flip(x, axis)
    right = np.flip(np.cumprod(np.concatenate([ones, np.delete(flipped, -1, axis=axis)], axis=axis),
                               axis=axis), axis)
    return left * right


class Amax(Function):
    """z = max x over dims (no indices);  dz/dx is shared evenly between the entries equal to the max."""

    @staticmethod
    def forward(ctx, x, dim=(), keepdim=False, smallest=False):
        axes = _axes(dim if dim != () else None, x.ndim)
        ctx.node_name = "AminBackward0" if smallest else "AmaxBackward0"
        values = (np.min if smallest else np.max)(x, axis=axes, keepdims=True)
        ctx.save_for_backward(x, values)
        ctx.axes, ctx.keepdim = axes, keepdim
        return values if keepdim else np.squeeze(values, axes) if axes else values

    @staticmethod
    def backward(ctx, grad_output):
        x, values = ctx.saved_tensors
        g = grad_output if ctx.keepdim or not ctx.axes else np.expand_dims(grad_output, ctx.axes)
        mask = x == values
        return g * mask / mask.sum(axis=ctx.axes, keepdims=True)


class Amin(Amax):
    """z = min x over dims (no indices);  dz/dx is shared evenly between the entries equal to the min."""

    @staticmethod
    def forward(ctx, x, dim=(), keepdim=False):
        return Amax.forward(ctx, x, dim, keepdim, smallest=True)


class Sort(Function):
    """(values, indices) of x sorted along dim, or its k largest/smallest (topk);  each value's gradient
    goes back to the place it came from."""

    differentiable_outputs = (True, False)

    @staticmethod
    def forward(ctx, x, dim=-1, descending=False, k=None, node_name="SortBackward0"):
        ctx.node_name, ctx.shape = node_name, x.shape
        if x.ndim == 0:
            ctx.axis, ctx.indices = 0, np.asarray(0)
            return x.copy(), np.asarray(0, dtype=np.int64)
        (axis,) = _axes(dim, x.ndim)
        ctx.axis = axis
        # stable, and descending keeps equal values in their order, as torch's stable sort does
        order = np.argsort(-x if descending else x, axis=axis, kind="stable")
        if k is not None:
            order = np.take(order, np.arange(k), axis=axis)
        ctx.indices = order
        return np.take_along_axis(x, order, axis=axis), order.astype(np.int64)

    @staticmethod
    def backward(ctx, grad_output, _grad_indices):
        if grad_output.ndim == 0:
            return grad_output.copy()
        grad = np.zeros(ctx.shape, grad_output.dtype)
        np.put_along_axis(grad, ctx.indices, grad_output, ctx.axis)
        return grad


class Topk(Sort):
    """(values, indices) of the k largest (or smallest) entries along dim, largest first."""

    @staticmethod
    def forward(ctx, x, k, dim=-1, largest=True):
        return Sort.forward(ctx, x, dim, descending=largest, k=k, node_name="TopkBackward0")


def _return_type(op: str) -> type:
    """torch.return_types.<op>: the (values, indices) named tuple of sort, topk, max(dim), min(dim)."""

    def __repr__(self):
        return f"minimod.return_types.{op}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(f"{op.capitalize()}Result", (namedtuple(op, ["values", "indices"]),),
                {"__slots__": (), "__repr__": __repr__, "__doc__": f"torch.return_types.{op}"})


SortResult, TopkResult, MaxResult, MinResult = (_return_type(op) for op in ("sort", "topk", "max", "min"))


class Max(Function):
    """z = max x over dims;  dz/dx = 1 at the maximum (shared evenly between ties for a full max)."""

    differentiable_outputs = (True, False)

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return _extreme(ctx, x, dim, keepdim, "max", np.max, np.argmax)

    @staticmethod
    def backward(ctx, grad_output, _grad_indices):
        if ctx.dim is None:
            x, values = ctx.saved_tensors
            mask = x == values
            return grad_output * mask / mask.sum()
        (indices,) = ctx.saved_tensors
        grad = np.zeros(ctx.shape, dtype=grad_output.dtype)
        if grad.ndim == 0:
            return grad + grad_output
        axis = ctx.axis
        index = indices if ctx.keepdim else np.expand_dims(indices, axis)
        g = grad_output if ctx.keepdim else np.expand_dims(grad_output, axis)
        np.put_along_axis(grad, index, g, axis)
        return grad


class Min(Max):
    """z = min x over dims;  dz/dx = 1 at the minimum (shared evenly between ties for a full min)."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return _extreme(ctx, x, dim, keepdim, "min", np.min, np.argmin)


def _extreme(ctx, x, dim, keepdim, name, reduce, arg):
    """(values, indices) of max or min: over everything (dim None), or along one dim."""
    if x.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
    ctx.node_name = f"{name.capitalize()}Backward{1 if dim is None else 0}"
    if dim is None:
        values = np.asarray(reduce(x))
        ctx.save_for_backward(x, values)
        return values, np.asarray(arg(x))
    (axis,) = _axes(dim, x.ndim)
    ctx.axis = axis
    indices = arg(x, axis=axis) if x.ndim else np.asarray(0)
    values = np.take_along_axis(x, np.expand_dims(indices, axis), axis) if x.ndim else x.copy()
    if not keepdim and x.ndim:
        values = np.squeeze(values, axis)
    else:
        indices = np.expand_dims(indices, axis) if x.ndim else indices
    ctx.save_for_backward(indices)
    return values, indices.astype(np.int64)


def max_along(x, dim=None, keepdim=False):
    """Tensor.max: the largest value, or (values, indices) along dim."""
    values, indices = Max.apply(x, dim=dim, keepdim=keepdim)
    return values if dim is None else MaxResult(values, indices)


def min_along(x, dim=None, keepdim=False):
    """Tensor.min: the smallest value, or (values, indices) along dim."""
    values, indices = Min.apply(x, dim=dim, keepdim=keepdim)
    return values if dim is None else MinResult(values, indices)


def argmax(array, dim=None, keepdim=False, arg=np.argmax):
    if dim is None:
        return np.asarray(arg(array))
    result = arg(array, axis=dim)
    return np.expand_dims(result, dim) if keepdim else result


def argmin(array, dim=None, keepdim=False):
    return argmax(array, dim, keepdim, arg=np.argmin)
