"""F.scaled_dot_product_attention: values and gradients against torch 2.13, masks, causality, dropout."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
import minimod.nn.functional as F
from minimod import hooks
from tests.gradcheck import check_gradients, compare_with_torch

RNG = np.random.default_rng(0)
Q, K, V = (RNG.normal(size=(2, 3, 4, 5)) for _ in range(3))
CAUSAL_MASK = np.tril(np.ones((4, 4), dtype=bool))
SOME_MASK = RNG.uniform(size=(2, 1, 4, 4)) > 0.3
FLOAT_MASK = RNG.normal(size=(4, 4))


def _lib(tensor):
    return F if isinstance(tensor, mm.Tensor) else __import__("torch").nn.functional


def _as(tensor, values):
    if isinstance(tensor, mm.Tensor):
        return mm.tensor(values if values.dtype == bool else values.astype(tensor.dtype))
    torch = __import__("torch")
    return torch.tensor(values) if values.dtype == bool else torch.tensor(values).to(tensor.dtype)


CASES = [
    ("plain", lambda q, k, v: _lib(q).scaled_dot_product_attention(q, k, v)),
    ("causal", lambda q, k, v: _lib(q).scaled_dot_product_attention(q, k, v, is_causal=True)),
    ("bool_mask", lambda q, k, v: _lib(q).scaled_dot_product_attention(
        q, k, v, attn_mask=_as(q, SOME_MASK))),
    ("float_mask", lambda q, k, v: _lib(q).scaled_dot_product_attention(
        q, k, v, attn_mask=_as(q, FLOAT_MASK))),
    ("mask_and_causal", lambda q, k, v: _lib(q).scaled_dot_product_attention(
        q, k, v, attn_mask=_as(q, SOME_MASK), is_causal=True)),
    ("scale", lambda q, k, v: _lib(q).scaled_dot_product_attention(q, k, v, scale=0.3)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[name for name, _ in CASES])
def test_gradients_by_central_differences(name, fn):
    check_gradients(fn, Q[:, :1], K[:, :1], V[:, :1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,fn", CASES, ids=[name for name, _ in CASES])
def test_against_torch(name, fn, dtype):
    compare_with_torch(fn, fn, Q.astype(dtype), K.astype(dtype), V.astype(dtype), dtype=dtype)


def test_shapes_torch_allows():
    q = mm.tensor(Q, dtype=mm.float32)
    assert F.scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0]).shape == (4, 5)  # no batch dims
    assert F.scaled_dot_product_attention(q, q[:, :, :2], q[:, :, :2]).shape == (2, 3, 4, 5)  # fewer keys
    assert F.scaled_dot_product_attention(q, q, q[..., :3]).shape == (2, 3, 4, 3)  # other value size
    kv = mm.tensor(K[:, :1], dtype=mm.float32)  # one key/value head serving three query heads
    grouped = F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
    repeated = F.scaled_dot_product_attention(q, kv.expand(2, 3, 4, 5), kv.expand(2, 3, 4, 5))
    np.testing.assert_allclose(grouped.numpy(), repeated.numpy(), rtol=1e-6)


def test_a_query_allowed_no_key_gets_zeros_as_in_torch():
    q = mm.tensor(Q[:1, :1], requires_grad=True)
    mask = np.ones((4, 4), dtype=bool)
    mask[0] = False
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mm.tensor(mask))
    assert out[0, 0, 0].tolist() == [0.0] * 5 and np.isfinite(out.numpy()).all()
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all()
    float_mask = np.zeros((4, 4))
    float_mask[0] = -np.inf
    compare_with_torch(lambda a: _lib(a).scaled_dot_product_attention(a, a, a, attn_mask=_as(a, float_mask)),
                       lambda a: _lib(a).scaled_dot_product_attention(a, a, a, attn_mask=_as(a, float_mask)),
                       Q[:1, :1].astype(np.float32))


def test_dropout_drops_attention_weights_only_when_asked():
    q = mm.tensor(Q, dtype=mm.float32)
    plain = F.scaled_dot_product_attention(q, q, q)
    assert np.array_equal(F.scaled_dot_product_attention(q, q, q, dropout_p=0.0).numpy(), plain.numpy())
    mm.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert not np.allclose(dropped.numpy(), plain.numpy())


def test_a_wrong_mask_dtype_is_torchs_error():
    q = mm.tensor(Q, dtype=mm.float32)
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=mm.ones(4, 4, dtype=mm.long))


def test_op_observers_see_one_attention():
    seen = []
    q = mm.tensor(Q, dtype=mm.float32)
    with hooks.register_op_observer(lambda function, args, out: seen.append(function.__name__)):
        F.scaled_dot_product_attention(q, q, q, is_causal=True)
    assert seen == ["ScaledDotProductAttention"]
