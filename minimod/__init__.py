"""minimod: a small, readable Module + autodiff library with PyTorch's names, for learning."""

from __future__ import annotations

from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    bool_,
    cat,
    double,
    empty,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    half,
    int32,
    int64,
    long,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .functional_forms import (  # torch's function forms: mm.exp(x), mm.sum(x, 1), mm.max(x, dim=0)
    abs,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    bmm,
    clamp,
    clip,
    cos,
    cumsum,
    dot,
    equal,
    exp,
    flatten,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    log,
    masked_fill,
    matmul,
    max,
    mean,
    min,
    mm,
    mv,
    narrow,
    neg,
    numel,
    outer,
    permute,
    pow,
    prod,
    relu,
    relu_,
    reshape,
    sigmoid,
    sin,
    sort,
    sqrt,
    square,
    squeeze,
    std,
    sum,
    t,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
)
from .random import manual_seed
from .tensor import Tensor, device

__version__ = "0.1.0"


def __getattr__(name):
    # nn, optim and save/load import on first use, keeping `import minimod` light
    import importlib

    if name in ("nn", "optim", "zoo"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        return getattr(importlib.import_module(".serialization", __name__), name)
    raise AttributeError(f"module 'minimod' has no attribute {name!r}")


__all__ = [
    "Tensor", "tensor", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "randn", "rand",
    "randint", "arange", "from_numpy", "cat", "stack", "where", "no_grad", "enable_grad",
    "is_grad_enabled", "set_grad_enabled", "manual_seed", "float16", "float32", "float64", "int32",
    "int64", "bool_", "half", "double", "long", "save", "load", "nn", "optim",
    "sin", "cos", "square", "isnan", "isinf", "isfinite", "masked_fill", "tril", "triu", "cumsum",
    "prod", "amax", "amin", "sort", "argsort", "topk", "narrow", "dot", "mv", "mm", "bmm", "outer",
    "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "relu_", "clamp", "clip", "neg", "pow", "matmul",
    "sum", "mean", "var", "std", "max", "argmax", "min", "argmin", "all", "any", "reshape", "flatten",
    "transpose", "permute",
    "unsqueeze", "squeeze", "t", "numel", "is_tensor", "allclose", "equal", "device",
]
