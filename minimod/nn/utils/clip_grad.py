"""Gradient clipping: scale (or clamp) the gradients in place before optimizer.step()."""

from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the norm of all
    gradients together (as if concatenated into one vector). Returns total_norm, measured before clipping.

    foreach picks torch's kernel layout, not the result; it is accepted and has no effect here.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    # the norm of the per-tensor norms is the norm of everything, for every p (and the max for inf)
    norms = np.stack([_vector_norm(g._data, norm_type) for g in grads])
    total_norm = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    clip_coef = np.minimum(np.float32(float(max_norm)) / (total_norm + np.float32(1e-6)), np.float32(1.0))
    with np.errstate(invalid="ignore"):  # a non-finite norm scales to nan, silently, as in torch
        for grad in grads:
            grad._data *= clip_coef.astype(grad.dtype)
    return Tensor._wrap(np.asarray(total_norm))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    clip_value = float(clip_value)
    for param in parameters:
        if param.grad is not None:
            np.clip(param.grad._data, -clip_value, clip_value, out=param.grad._data)


def _vector_norm(values: np.ndarray, norm_type: float) -> np.ndarray:
    """‖values‖_p over every element, in values' dtype (p = inf: the largest |value|; p = 0: the count
    of nonzeros)."""
    magnitudes = np.abs(values)
    if norm_type == math.inf:
        return magnitudes.max() if magnitudes.size else np.zeros((), values.dtype)
    if norm_type == -math.inf:
        return magnitudes.min()
    if norm_type == 0:
        return np.asarray((magnitudes != 0).sum(), dtype=values.dtype)
    if norm_type == 2:
        return np.sqrt(np.sum(magnitudes * magnitudes))
    if norm_type == 1:
        return np.sum(magnitudes)
    return np.sum(magnitudes**norm_type) ** (1 / norm_type)
