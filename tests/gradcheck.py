"""Shared numeric checks for op tests: central-difference gradients and comparison with torch.

Used by tests/test_ops.py and by the op-family tests (conv, pooling, normalization, losses):

    check_gradients(lambda x, w: F.conv2d(x, w), x_array, w_array)      # float64 arrays
    compare_with_torch(mm_fn, torch_fn, *arrays)                         # skips without torch
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import minimod as mm

# the contract's tolerances when comparing with torch
TORCH_TOLERANCES = {np.dtype(np.float32): (1e-4, 1e-5), np.dtype(np.float64): (1e-10, 1e-10)}


def _as_output_tensor(result):
    """An op's result as one Tensor (the first element when it returns a tuple, e.g. max's values)."""
    if isinstance(result, (tuple, list)):
        result = result[0]
    return result


def numeric_gradients(fn: Callable, *arrays: np.ndarray, weights: np.ndarray | None = None,
                      eps: float = 1e-6) -> list[np.ndarray]:
    """d(sum(weights * fn(*arrays)))/d(array) for each array, by central differences (float64)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def scalar(values):
        with mm.no_grad():
            out = _as_output_tensor(fn(*[mm.tensor(v) for v in values]))
        out = np.asarray(out.numpy(), dtype=np.float64)
        return float((out * weights).sum()) if weights is not None else float(out.sum())

    grads = []
    for array in arrays:
        grad = np.zeros_like(array)
        flat, grad_flat = array.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = scalar(arrays)
            flat[i] = original - eps
            minus = scalar(arrays)
            flat[i] = original
            grad_flat[i] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def analytic_gradients(fn: Callable, *arrays: np.ndarray, weights: np.ndarray | None = None,
                       dtype=np.float64) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """(output, [grad of each input]) from minimod's backward, seeding the output with weights."""
    inputs = [mm.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    out = _as_output_tensor(fn(*inputs))
    seed = np.ones(out.shape) if weights is None else weights
    out.backward(mm.tensor(np.asarray(seed, dtype=out.dtype)))
    return out.numpy().copy(), [None if t.grad is None else t.grad.numpy().copy() for t in inputs]


def check_gradients(fn: Callable, *arrays: np.ndarray, eps: float = 1e-6, atol: float = 1e-6,
                    rtol: float = 1e-5, seed: int = 0) -> None:
    """Assert that minimod's gradients of fn equal central differences, in float64.

    fn takes and returns minimod Tensors (a tuple result is checked through its first element).
    The output is contracted with fixed random weights, so every output element matters.
    An input that gets no gradient (None) must have a numeric gradient of zero.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    with mm.no_grad():
        probe = _as_output_tensor(fn(*[mm.tensor(a) for a in arrays]))
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=probe.shape)
    _, analytic = analytic_gradients(fn, *arrays, weights=weights)
    numeric = numeric_gradients(fn, *arrays, weights=weights, eps=eps)
    for index, (got, expected) in enumerate(zip(analytic, numeric)):
        if got is None:
            got = np.zeros_like(expected)
        assert got.shape == expected.shape, (
            f"input {index}: gradient shape {got.shape} != input shape {expected.shape}"
        )
        np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {index} differs from central differences")


def to_torch(array: np.ndarray, requires_grad: bool = True):
    """A torch leaf tensor holding a copy of array (integer arrays never require grad)."""
    import torch

    tensor = torch.from_numpy(np.array(array, copy=True))
    if requires_grad and np.issubdtype(np.asarray(array).dtype, np.floating):
        tensor.requires_grad_(True)
    return tensor


def assert_close(got, expected, dtype, what: str = "") -> None:
    """Compare with the contract's tolerance for dtype (float32: 1e-4/1e-5, float64: 1e-10)."""
    rtol, atol = TORCH_TOLERANCES.get(np.dtype(dtype), (1e-2, 1e-3))
    got = got.detach().numpy() if hasattr(got, "detach") and not isinstance(got, mm.Tensor) else got
    got = got.numpy() if isinstance(got, mm.Tensor) else np.asarray(got)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def compare_with_torch(mm_fn: Callable, torch_fn: Callable, *arrays: np.ndarray, dtype=np.float32,
                       differentiable: Sequence[bool] | None = None, seed: int = 0) -> None:
    """Run mm_fn and torch_fn on the same inputs; compare outputs and gradients within the contract.

    Skips the test when torch is not installed. ``differentiable[i]`` False keeps input i out of
    the gradient comparison (e.g. integer targets); by default floating inputs are differentiated.
    """
    import pytest

    pytest.importorskip("torch")
    import torch

    arrays = [np.asarray(a) for a in arrays]
    arrays = [a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a for a in arrays]
    if differentiable is None:
        differentiable = [np.issubdtype(a.dtype, np.floating) for a in arrays]
    mm_inputs = [mm.tensor(a, requires_grad=bool(d)) for a, d in zip(arrays, differentiable)]
    torch_inputs = [to_torch(a, requires_grad=bool(d)) for a, d in zip(arrays, differentiable)]
    mm_out = _as_output_tensor(mm_fn(*mm_inputs))
    torch_out = _as_output_tensor(torch_fn(*torch_inputs))
    assert tuple(mm_out.shape) == tuple(torch_out.shape), (
        f"output shape {tuple(mm_out.shape)} != torch's {tuple(torch_out.shape)}"
    )
    assert mm_out.dtype == np.dtype(str(torch_out.dtype).replace("torch.", "")), (
        f"output dtype {mm_out.dtype} != torch's {torch_out.dtype}"
    )
    assert_close(mm_out, torch_out, dtype, "forward differs from torch")
    if not mm_out.requires_grad:
        return
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=mm_out.shape).astype(dtype)
    mm_out.backward(mm.tensor(weights))
    torch_out.backward(torch.from_numpy(weights))
    for index, (a, b, d) in enumerate(zip(mm_inputs, torch_inputs, differentiable)):
        if not d:
            continue
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy()), f"input {index}: torch has no gradient"
            continue
        assert a.grad is not None, f"input {index}: minimod computed no gradient, torch did"
        assert a.grad.dtype == a.dtype, f"input {index}: grad dtype {a.grad.dtype} != {a.dtype}"
        assert_close(a.grad, b.grad, dtype, f"gradient of input {index} differs from torch")
