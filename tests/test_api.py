"""CONTRACT.md's "Tensors and autodiff", "Optimizers" and save/load sections, name by name, with defaults."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import minimod as mm
from minimod import optim

EMPTY = inspect.Parameter.empty


def _defaults(function) -> dict:
    """{parameter name: default} (EMPTY when it has none; "*" for *args)."""
    out = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "self":
            continue
        out[name] = "*" if parameter.kind is inspect.Parameter.VAR_POSITIONAL else parameter.default
    return out


# name -> the parameters (and defaults) the contract writes for it; a function may take more
FUNCTIONS = {
    "tensor": {"data": EMPTY, "dtype": None, "requires_grad": False},
    "zeros": {"shape": "*", "dtype": None, "requires_grad": False},
    "ones": {"shape": "*", "dtype": None, "requires_grad": False},
    "empty": {"shape": "*", "dtype": None, "requires_grad": False},
    "randn": {"shape": "*", "dtype": None, "requires_grad": False},
    "rand": {"shape": "*", "dtype": None, "requires_grad": False},
    "arange": {"start": EMPTY, "end": None, "step": 1},
    "zeros_like": {"input": EMPTY, "dtype": None},
    "ones_like": {"input": EMPTY, "dtype": None},
    "from_numpy": {},
    "cat": {"tensors": EMPTY, "dim": 0},
    "stack": {"tensors": EMPTY, "dim": 0},
    "where": {"condition": EMPTY, "input": EMPTY, "other": EMPTY},
    "manual_seed": {},
    "is_grad_enabled": {},
    "save": {"obj": EMPTY},
    "load": {},
    # torch's function forms of the differentiable ops (mm.exp(x), mm.sum(x, 1), ...)
    "abs": {"input": EMPTY}, "exp": {"input": EMPTY}, "log": {"input": EMPTY}, "sqrt": {"input": EMPTY},
    "tanh": {"input": EMPTY}, "sigmoid": {"input": EMPTY}, "relu": {"input": EMPTY},
    "relu_": {"input": EMPTY},
    "clamp": {"input": EMPTY, "min": None, "max": None},
    "matmul": {"input": EMPTY, "other": EMPTY},
    "sum": {"input": EMPTY, "dim": None, "keepdim": False, "dtype": None},
    "mean": {"input": EMPTY, "dim": None, "keepdim": False, "dtype": None},
    "max": {"input": EMPTY, "dim": None, "keepdim": False},
    "min": {"input": EMPTY, "dim": None, "keepdim": False},
    "argmin": {"input": EMPTY, "dim": None, "keepdim": False},
    "var": {"input": EMPTY, "dim": None, "keepdim": False},
    "all": {"input": EMPTY, "dim": None, "keepdim": False},
    "any": {"input": EMPTY, "dim": None, "keepdim": False},
    "allclose": {"input": EMPTY, "other": EMPTY, "rtol": 1e-05, "atol": 1e-08, "equal_nan": False},
    "equal": {"input": EMPTY, "other": EMPTY},
    "flatten": {"input": EMPTY, "start_dim": 0, "end_dim": -1},
    "transpose": {"input": EMPTY, "dim0": EMPTY, "dim1": EMPTY},
    "unsqueeze": {"input": EMPTY, "dim": EMPTY},
}

METHODS = {
    "size": {"dim": None},
    "numel": {},
    "numpy": {},
    "item": {},
    "tolist": {},
    "backward": {"gradient": None},
    "detach": {},
    "requires_grad_": {"requires_grad": True},
    "zero_": {},
    "fill_": {},
    "copy_": {},
    "clone": {},
    "sum": {"dim": None, "keepdim": False},
    "mean": {"dim": None, "keepdim": False},
    "max": {"dim": None, "keepdim": False},
    "min": {"dim": None, "keepdim": False},
    "argmin": {"dim": None, "keepdim": False},
    "var": {"dim": None, "keepdim": False},
    "reshape": {"shape": "*"},
    "view": {"shape": "*"},
    "flatten": {"start_dim": 0, "end_dim": -1},
    "transpose": {"dim0": EMPTY, "dim1": EMPTY},
    "permute": {"dims": "*"},
    "unsqueeze": {"dim": EMPTY},
    "squeeze": {"dim": None},
    "expand": {"sizes": "*"},
    "exp": {}, "log": {}, "sqrt": {}, "abs": {}, "tanh": {}, "sigmoid": {}, "relu": {},
    "clamp": {"min": None, "max": None},
    "relu_": {},
    "all": {"dim": None, "keepdim": False},
    "any": {"dim": None, "keepdim": False},
    "__getitem__": {},
    "__add__": {}, "__radd__": {}, "__sub__": {}, "__rsub__": {}, "__mul__": {}, "__rmul__": {},
    "__truediv__": {}, "__rtruediv__": {}, "__pow__": {}, "__rpow__": {}, "__matmul__": {},
    "__rmatmul__": {}, "__neg__": {}, "__abs__": {},
}

PROPERTIES = ["shape", "dtype", "ndim", "grad", "requires_grad", "grad_fn", "is_leaf", "data", "T"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_module_function_exists_with_the_contract_defaults(name):
    function = getattr(mm, name)
    got = _defaults(function)
    for parameter, default in FUNCTIONS[name].items():
        assert parameter in got, f"mm.{name} has no parameter {parameter!r}: {inspect.signature(function)}"
        assert got[parameter] == default, f"mm.{name}({parameter}=...) defaults to {got[parameter]!r}"


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_exists_with_the_contract_defaults(name):
    method = getattr(mm.Tensor, name)
    got = _defaults(method)
    for parameter, default in METHODS[name].items():
        assert parameter in got, f"Tensor.{name} has no parameter {parameter!r}: {inspect.signature(method)}"
        assert got[parameter] == default, f"Tensor.{name}({parameter}=...) defaults to {got[parameter]!r}"


def test_tensor_properties_and_values():
    x = mm.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    for name in PROPERTIES:
        getattr(x, name)
    assert x.shape == (2, 2) and isinstance(x.shape, tuple) and x.ndim == 2 and x.dtype == mm.float32
    assert x.grad is None and x.grad_fn is None and x.is_leaf and x.requires_grad
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward0" and y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert x.size() == (2, 2) and x.size(1) == 2 and x.numel() == 4


def test_dtypes_are_numpy_dtypes():
    assert (mm.float32, mm.float64, mm.float16) == (np.float32, np.float64, np.float16)
    assert mm.zeros(2).dtype == np.float32 and mm.tensor(np.zeros(2)).dtype == np.float64
    assert mm.tensor(1.5).dtype == np.float32 and mm.tensor([1, 2]).dtype == np.int64


def test_grad_mode_names():
    assert mm.is_grad_enabled()
    with mm.no_grad():
        assert not mm.is_grad_enabled()
        with mm.enable_grad():
            assert mm.is_grad_enabled()

    @mm.no_grad()
    def inside():
        return mm.is_grad_enabled()

    assert inside() is False and mm.is_grad_enabled()


def test_max_dim_is_a_named_tuple_and_var_is_unbiased():
    x = mm.tensor([[1.0, 5.0, 3.0]])
    result = x.max(dim=1)
    assert result.values.tolist() == [5.0] and result.indices.tolist() == [1]
    assert x.var().item() == pytest.approx(np.var([1.0, 5.0, 3.0], ddof=1))


def test_python_abs_and_unary_plus():
    x = mm.tensor([-1.5, 2.0], requires_grad=True)
    y = abs(x)
    assert y.tolist() == [1.5, 2.0] and y.grad_fn.name() == "AbsBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [-1.0, 1.0]
    assert (+x) is x


def test_optimizer_signatures():
    assert _defaults(optim.SGD)["momentum"] == 0 and _defaults(optim.SGD)["dampening"] == 0
    assert _defaults(optim.SGD)["weight_decay"] == 0 and _defaults(optim.SGD)["nesterov"] is False
    assert "lr" in _defaults(optim.SGD)
    adam = _defaults(optim.Adam)
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"]) == (1e-3, (0.9, 0.999), 1e-8, 0)
    assert _defaults(optim.Optimizer.zero_grad) == {"set_to_none": True}
    p = mm.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    assert isinstance(opt.param_groups, list) and opt.param_groups[0]["params"] == [p]
    for name in ("step", "zero_grad", "state_dict", "load_state_dict"):
        assert callable(getattr(opt, name))
    assert list(opt.state_dict()) == ["state", "param_groups"]


def test_save_and_load_take_the_path_positionally_or_by_name(tmp_path):
    mm.save({"a": np.arange(3)}, tmp_path / "one.npz")
    mm.save({"a": np.arange(3)}, path=tmp_path / "two.npz")
    assert mm.load(tmp_path / "two.npz")["a"].tolist() == [0, 1, 2]
    assert mm.load(path=tmp_path / "one.npz")["a"].tolist() == [0, 1, 2]
    with pytest.raises(TypeError, match="exactly once"):
        mm.save({}, tmp_path / "x.npz", path=tmp_path / "y.npz")


def test_where_keeps_the_tensor_dtype_next_to_python_numbers():
    x = mm.tensor([-1.0, 2.0], requires_grad=True)
    y = mm.where(x > 0, x, 0.0)
    assert y.dtype == np.float32 and y.tolist() == [0.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    assert mm.where(x > 0, 1.0, 0.0).dtype == np.float32
    assert mm.where(x > 0, mm.tensor([1, 2]), 0.5).dtype == np.float32


def test_integer_division_gives_float32_like_torch():
    assert (mm.tensor([1, 2]) / 2).dtype == np.float32
    assert (3 / mm.tensor([1, 2])).dtype == np.float32
    assert (mm.tensor([1, 2]) / mm.tensor([2, 4])).tolist() == [0.5, 0.5]
    assert (mm.tensor([1.0], dtype=mm.float64) / mm.tensor([2])).dtype == np.float64


# the names above whose signature is torch's, parameter for parameter (torch's `out=` and `device=` aside)
TORCH_SIGNATURES = ["allclose", "equal", "clamp", "matmul", "sum", "mean", "max", "min", "all", "any",
                    "flatten", "transpose", "unsqueeze", "relu_", "exp", "abs", "sin", "cos", "square",
                    "tril", "triu", "cumsum", "masked_fill", "isnan", "isfinite", "argmin"]
DROPPED = {"out", "device", "layout", "pin_memory", "memory_format"}


@pytest.mark.parametrize("name", TORCH_SIGNATURES)
def test_function_form_takes_torchs_arguments(name):
    """Every argument torch's function form takes by position, minimod's takes in the same place."""
    torch = pytest.importorskip("torch")
    ours = mm.__dict__[name]
    for text in (getattr(torch, name).__doc__ or "").splitlines()[:3]:
        if not text.startswith(f"{name}("):
            continue
        inside = text[len(name) + 1 : text.rindex(")")]
        positional = [p.split(":")[0].split("=")[0].strip() for p in inside.split(", *")[0].split(",")]
        got = [p for p in inspect.signature(ours).parameters]
        assert got[: len(positional)] == positional, f"torch.{name}{inside!r} vs mm.{name}{got}"
        break
    else:
        pytest.skip(f"torch.{name}'s docstring gives no signature")


def test_function_forms_are_exported_and_thin():
    for name in ("abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "clamp", "matmul", "sum", "mean",
                 "max", "allclose", "equal", "all", "any"):
        assert name in mm.__all__ and callable(getattr(mm, name))
    x = mm.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert mm.sum(x, 1, keepdim=True).tolist() == x.sum(1, keepdim=True).tolist()
    assert mm.max(x, dim=1).indices.tolist() == x.max(dim=1).indices.tolist() == [0, 0]
    assert mm.min(x, dim=1).indices.tolist() == x.min(dim=1).indices.tolist() == [1, 1]
    assert mm.argmin(x).item() == x.argmin().item() == 1 and mm.min(x).item() == -2.0
    assert mm.all(x).item() is True and mm.any(x == 0).item() is False
