"""nn.utils.clip_grad_norm_ and clip_grad_value_ against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minimod as mm
from minimod import nn

GRADS = [np.random.default_rng(1).normal(size=shape).astype(np.float32)
         for shape in [(3, 4), (5,), (2, 2, 2)]]


def _params(lib, grads=GRADS):
    params = [lib.zeros(g.shape, requires_grad=True) for g in grads]
    for param, grad in zip(params, grads):
        param.grad = lib.tensor(grad)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    params = _params(mm)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    flat = np.concatenate([g.ravel() for g in GRADS]).astype(np.float64)
    if norm_type == math.inf:
        expected = np.abs(flat).max()
    else:
        expected = (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    assert total.dtype == mm.float32 and total.item() == pytest.approx(expected, rel=1e-5)
    scale = min(1.0, max_norm / (expected + 1e-6))
    for param, grad in zip(params, GRADS):
        np.testing.assert_allclose(param.grad.numpy(), grad * scale, rtol=1e-5)
    torch = pytest.importorskip("torch")
    theirs = _params(torch)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type, foreach=None)
    assert total.item() == pytest.approx(their_total.item(), rel=1e-6)
    for ours, their in zip(params, theirs):
        np.testing.assert_allclose(ours.grad.numpy(), their.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_takes_one_tensor_a_generator_and_skips_missing_grads():
    model = nn.Linear(3, 2)
    assert nn.utils.clip_grad_norm_(model.parameters(), 1.0).item() == 0.0  # no gradients yet
    model(mm.ones(1, 3)).sum().backward()
    single = model.weight
    assert nn.utils.clip_grad_norm_(single, 1.0).item() == pytest.approx(math.sqrt(6), rel=1e-6)


def test_a_nonfinite_norm_raises_only_when_asked():
    params = _params(mm, [np.array([np.inf, 1.0], dtype=np.float32)])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert not math.isfinite(nn.utils.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_value_():
    params = _params(mm)
    nn.utils.clip_grad_value_(params, 0.5)
    for param, grad in zip(params, GRADS):
        assert param.grad.tolist() == np.clip(grad, -0.5, 0.5).tolist()
