"""minimod: a small, readable Module + autodiff library with PyTorch's names, for learning."""

from __future__ import annotations

from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (  # noqa: A004 - torch's dtype names float, int and bool shadow the builtins here
    arange,
    bool,
    bool_,
    cat,
    double,
    dtype,
    empty,
    empty_like,
    eye,
    float,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    linspace,
    long,
    multinomial,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    short,
    stack,
    tensor,
    uint8,
    where,
    zeros,
    zeros_like,
)
from .device import device
from .functional_forms import (  # torch's function forms: mm.exp(x), mm.sum(x, 1), mm.max(x, dim=0)
    abs,
    add,
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
    div,
    dot,
    equal,
    exp,
    flatten,
    is_floating_point,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    log,
    log_softmax,
    masked_fill,
    matmul,
    max,
    mean,
    min,
    mm,
    mul,
    multiply,
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
    softmax,
    sort,
    sqrt,
    square,
    squeeze,
    std,
    sub,
    subtract,
    sum,
    t,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    true_divide,
    unsqueeze,
    var,
)
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .tensor import Tensor
from .tensor_types import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)

__version__ = "0.1.0"


def get_default_dtype():
    """The dtype Python floats become: float32, as in torch."""
    return float32


def __getattr__(name):
    # nn, optim, utils, ... and save/load import on first use, keeping `import minimod` light
    import importlib

    if name in ("nn", "optim", "zoo", "utils", "cuda", "backends", "accelerator"):
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
    # what PyTorch's tutorials reach for beyond the first contract
    "float", "int", "bool", "short", "int8", "int16", "uint8", "dtype", "get_default_dtype",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
    "ByteTensor", "BoolTensor", "Generator", "default_generator", "seed", "initial_seed",
    "eye", "linspace", "full_like", "empty_like", "rand_like", "randn_like", "randperm", "multinomial",
    "add", "sub", "mul", "div", "true_divide", "multiply", "subtract", "is_floating_point", "softmax",
    "log_softmax", "utils", "cuda", "backends", "accelerator",
]
