"""The losses of minimod.nn.functional (mse_loss, nll_loss, cross_entropy, binary_cross_entropy and
binary_cross_entropy_with_logits) and torch's checks for them."""

from __future__ import annotations

import warnings

import numpy as np

from ..functions import activation as A
from ..functions import loss as L
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """(input - target)² averaged (or summed, or kept elementwise).

    With weight (input's shape, as torch 2.13), each squared error is multiplied by its weight and
    "mean" divides the weighted sum by the sum of the weights.
    """
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({_size(target.shape)}) that is different to the input size "
            f"({_size(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
        np.broadcast_shapes(input.shape, target.shape)  # raises like torch when they cannot broadcast
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if weight is None:
        _check_reduction(reduction)
        return L.MseLoss.apply(input, target, reduction=reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    weighted = (input - target) ** 2 * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C, ...) at the class indices target (N, ...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    classes = _check_class_target(input, target)
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}"
        )
    w = np.ones(classes, dtype=input.dtype) if weight is None else weight.numpy().astype(input.dtype)
    return L.NllLoss.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax over the class dim (1, or 0 for a single sample) then nll_loss; target holds class
    indices, or class probabilities of input's shape. label_smoothing mixes in the uniform distribution."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    log_probs = A.LogSoftmax.apply(input, dim=class_dim)
    weight_shape = [1] * input.ndim
    weight_shape[class_dim] = classes
    if target.dtype.kind == "f":  # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(
                f"Expected target size {list(input.shape)}, got {list(target.shape)} (class "
                "probabilities must have the input's shape; class indices must be int64)"
            )
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        terms = log_probs * target
        if weight is not None:
            terms = terms * weight.reshape(*weight_shape)
        if reduction == "none":
            return -terms.sum(class_dim)
        total = -terms.sum()
        return total if reduction == "sum" else total / (input.numel() // max(classes, 1))
    loss = nll_loss(log_probs, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return loss
    # torch's smoothing term: the weighted mean of -log p over all classes, ignoring ignore_index targets
    keep = Tensor._wrap((target.numpy() != ignore_index).astype(input.dtype))
    smooth = log_probs if weight is None else log_probs * weight.reshape(*weight_shape)
    smooth = -smooth.sum(class_dim) * keep
    if reduction == "mean":
        if weight is None:
            denominator = keep.numpy().sum()
        else:
            t = target.numpy()
            denominator = weight.numpy()[t[t != ignore_index]].sum()
        smooth = smooth.sum() / Tensor._wrap(np.asarray(denominator, dtype=input.dtype))
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-w · (y log x + (1 - y) log(1 - x)) for probabilities input (x) and targets in [0, 1] (y)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({_size(target.shape)}) that is different to the input size "
            f"({_size(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"Found dtype {_torch_dtype(target.dtype)} but expected {_torch_dtype(input.dtype)}"
        )
    x, y = input.numpy(), target.numpy()
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((y >= 0) & (y <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    weight = _constant("binary_cross_entropy", "weight", weight, input)
    return L.BinaryCrossEntropy.apply(input, target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) in one numerically stable step; pos_weight scales the
    loss of positive targets (one weight per class, broadcast over the last dim)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    if target.dtype.kind != "f":
        raise RuntimeError(f"result type {_torch_dtype(input.dtype)} can't be cast to the desired output "
                           f"type {_torch_dtype(target.dtype)}")
    name = "binary_cross_entropy_with_logits"
    return L.BinaryCrossEntropyWithLogits.apply(
        input, target, weight=_constant(name, "weight", weight, input),
        pos_weight=_constant(name, "pos_weight", pos_weight, input), reduction=reduction,
    )


def _constant(function: str, argument: str, value: Tensor | None, input: Tensor):
    """A weight's values as an array of input's dtype; torch refuses to differentiate with respect to it."""
    if value is None:
        return None
    if value.requires_grad:
        raise RuntimeError(f"The function '{function}' is not differentiable with respect to argument "
                           f"'{argument}'. This input cannot have requires_grad True.")
    try:
        np.broadcast_shapes(value.shape, input.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of {argument} {_size(value.shape)} must broadcast to the input's {_size(input.shape)}"
        ) from None
    return value.numpy().astype(input.dtype, copy=False)


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's deprecated size_average / reduce arguments, when given, decide the reduction (and warn)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
        stacklevel=3,
    )
    return reduction


def _size(shape) -> str:
    return f"minimod.Size({list(shape)})"


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_class_target(input: Tensor, target: Tensor) -> int:
    """torch's checks for class-index targets; returns the number of classes."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_torch_dtype(target.dtype)}")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError("0D target tensor expected, multi-target not supported")
        return input.shape[0]
    if input.shape[0] != (target.shape[0] if target.ndim else 1):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.ndim else 1})."
        )
    expected = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        if input.ndim == 2:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    return input.shape[1]


def _torch_dtype(dtype) -> str:
    names = {
        "float32": "Float",
        "float64": "Double",
        "float16": "Half",
        "int64": "Long",
        "int32": "Int",
        "bool": "Bool",
        "uint8": "Byte",
    }
    return names.get(np.dtype(dtype).name, np.dtype(dtype).name)
