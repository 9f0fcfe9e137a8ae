"""F.scaled_dot_product_attention: softmax(q kᵀ · scale + mask) v, built from minimod's ops.

torch runs a fused kernel (one ScaledDotProductFlashAttentionForCpuBackward0 node); minimod records the
matmuls, the softmax and the masking it is made of, so the autograd view shows attention step by
step. Op observers (the flow view) are told of one op, as for matmul.
"""

from __future__ import annotations

import math

import numpy as np

from .. import hooks
from ..tensor import Tensor
from ._functional_dropout import dropout


class ScaledDotProductAttention:
    """What op observers are told ran: one attention, whichever nodes it recorded."""


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """Attention of queries (..., L, E) over keys (..., S, E) and values (..., S, Ev) -> (..., L, Ev).

    attn_mask: bool (True = may attend) or float (added to the scores), broadcastable to (..., L, S).
    is_causal: query i attends keys 0..i only (combined with attn_mask when both are given, as torch
    2.13 does). A query that may attend nothing gets zeros, as in torch. dropout_p drops attention
    weights (use ``dropout_p=p if self.training else 0``, as torch's docs say). enable_gqa: keys and
    values may have fewer heads (dim -3) than the queries, each serving a group of query heads.
    """
    if attn_mask is not None and attn_mask.dtype != np.bool_ and attn_mask.dtype != query.dtype:
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
            f"{attn_mask.dtype} and  query.dtype: {query.dtype} instead."
        )
    if not hooks._op_observers:
        return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    with hooks.one_op():
        out = _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    return hooks._notify(ScaledDotProductAttention, (query, key, value), out)


def _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    length, source = query.shape[-2], key.shape[-2]
    if enable_gqa and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    scale_factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale_factor
    allowed, bias = _mask(attn_mask, is_causal, length, source, scores.dtype)
    blocked_rows = None
    if allowed is not None:
        # a query allowed no key at all: softmax over nothing; torch answers zeros for it
        blocked_rows = ~allowed.any(axis=-1, keepdims=True)
        allowed = allowed | blocked_rows  # keeps that row's softmax finite; zeroed below
        scores = scores.masked_fill(Tensor._wrap(~allowed), float("-inf"))
    if bias is not None:
        scores = scores + Tensor._wrap(bias)
    weights = scores.softmax(-1)
    if blocked_rows is not None and blocked_rows.any():
        weights = weights.masked_fill(Tensor._wrap(np.broadcast_to(blocked_rows, weights.shape)), 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def _mask(attn_mask, is_causal: bool, length: int, source: int, dtype):
    """(allowed, bias): a bool array of the (query, key) pairs that may attend (None: all may), and a
    float array added to the scores (None: nothing); a float mask's -inf rows count as not allowed."""
    allowed = np.tril(np.ones((length, source), dtype=np.bool_)) if is_causal else None
    bias = None
    if attn_mask is not None:
        mask = attn_mask.numpy()
        if mask.dtype == np.bool_:
            allowed = mask if allowed is None else allowed & mask
        else:
            finite = mask != -np.inf
            allowed = finite if allowed is None else allowed & finite
            bias = np.where(finite, mask, 0).astype(dtype, copy=False)
    return allowed, bias


def _repeat_heads(tensor: Tensor, heads: int) -> Tensor:
    """(..., Hk, S, E) -> (..., heads, S, E): each key/value head repeated for its group of query heads."""
    groups = heads // tensor.shape[-3]
    expanded = tensor.unsqueeze(-3).expand(*tensor.shape[:-2], groups, *tensor.shape[-2:])
    return expanded.reshape(*tensor.shape[:-3], heads, *tensor.shape[-2:])
