"""F.dropout: zero each element at random, scale the rest (training only); also used by attention."""

from __future__ import annotations

import numpy as np

from .. import random as _random
from ..autograd import is_grad_enabled
from ..tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).

    The mask comes from minimod's random generator, so mm.manual_seed makes it reproducible.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dtype = input.dtype if np.issubdtype(input.dtype, np.floating) else np.float32
    keep = _random.generator().random(input.shape, dtype=np.float64) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = Tensor._wrap((keep * scale).astype(dtype))
    if inplace and not (input.requires_grad and is_grad_enabled()):
        return input.mul_(mask)
    return input * mask  # an in-place change would break backward, so requires_grad inputs get a new tensor
