"""nn.init: gains, fans, the distributions each initialiser draws from, and filling outside autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minimod as mm
from minimod import nn


def test_calculate_gain_values():
    assert nn.init.calculate_gain("linear") == 1 and nn.init.calculate_gain("conv2d") == 1
    assert nn.init.calculate_gain("sigmoid") == 1
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity softplus"):
        nn.init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        nn.init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert nn.init._calculate_fan_in_and_fan_out(mm.empty(4, 3)) == (3, 4)
    assert nn.init._calculate_fan_in_and_fan_out(mm.empty(8, 2, 3, 5)) == (30, 120)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init._calculate_fan_in_and_fan_out(mm.empty(5))


@pytest.mark.parametrize("fill, expected_std, bound", [
    (lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 400), None),
    (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 200),
     math.sqrt(3) * math.sqrt(2 / 200)),
    (lambda t: nn.init.xavier_uniform_(t), math.sqrt(2 / 600), math.sqrt(6 / 600)),
    (lambda t: nn.init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / 600), None),
    (lambda t: nn.init.normal_(t, 1.0, 0.5), 0.5, None),
    (lambda t: nn.init.uniform_(t, -2.0, 2.0), 4 / math.sqrt(12), 2.0),
    (lambda t: nn.init.trunc_normal_(t, std=1.0, a=-1.0, b=1.0), 0.5396, 1.0),
])
def test_init_distributions(fill, expected_std, bound):
    mm.manual_seed(0)
    weight = nn.Parameter(mm.empty(400, 200))  # fan_in 200, fan_out 400
    result = fill(weight)
    assert result is weight
    values = weight.numpy()
    assert abs(values.std() - expected_std) < 0.02 * expected_std
    if bound is not None:
        assert np.abs(values).max() <= bound + 1e-6


def test_init_runs_outside_autograd_and_keeps_dtype():
    weight = nn.Parameter(mm.zeros(3, 4, dtype=mm.float64))
    version = weight._version.value
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5))  # in place on a leaf that requires grad
    assert weight.grad_fn is None and weight.requires_grad and weight.dtype == np.float64
    assert weight._version.value > version  # an in-place change, as torch counts it
    nn.init.constant_(weight, 0.25)
    assert np.all(weight.numpy() == 0.25)
    nn.init.eye_(weight)
    np.testing.assert_array_equal(weight.numpy(), np.eye(3, 4))


def test_orthogonal_init_gives_orthonormal_rows():
    weight = mm.empty(3, 5)
    nn.init.orthogonal_(weight)
    np.testing.assert_allclose(weight.numpy() @ weight.numpy().T, np.eye(3), atol=1e-5)


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.3), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
