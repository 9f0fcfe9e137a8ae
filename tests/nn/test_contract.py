"""CONTRACT.md's "Modules (minimod.nn)" section, name by name, with the contract's signature defaults."""

from __future__ import annotations

import inspect
from collections import OrderedDict

import pytest

import minimod as mm
import minimod.nn.functional as F
from minimod import nn

EMPTY = inspect.Parameter.empty


def _defaults(function) -> dict:
    """{parameter name: default} (EMPTY when it has none; "*" for *args, "**" for **kwargs)."""
    out = {}
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "self":
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            out[name] = "*"
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            out[name] = "**"
        else:
            out[name] = parameter.default
    return out


def _assert_has(where: str, function, expected: dict) -> None:
    got = _defaults(function)
    for parameter, default in expected.items():
        assert parameter in got, f"{where} has no parameter {parameter!r}: {inspect.signature(function)}"
        assert got[parameter] == default, f"{where}({parameter}=...) defaults to {got[parameter]!r}"
    # the contract's parameters come first, in the contract's order (positional calls depend on it)
    assert list(got)[: len(expected)] == list(expected), f"{where}: {inspect.signature(function)}"


# Module methods as the contract writes them
MODULE_METHODS = {
    "register_parameter": {"name": EMPTY, "param": EMPTY},
    "register_buffer": {"name": EMPTY, "tensor": EMPTY, "persistent": True},
    "add_module": {"name": EMPTY, "module": EMPTY},
    "register_module": {"name": EMPTY, "module": EMPTY},
    "get_submodule": {"target": EMPTY},
    "get_parameter": {"target": EMPTY},
    "get_buffer": {"target": EMPTY},
    "parameters": {"recurse": True},
    "named_parameters": {"prefix": "", "recurse": True, "remove_duplicate": True},
    "buffers": {"recurse": True},
    "named_buffers": {"prefix": "", "recurse": True, "remove_duplicate": True},
    "children": {},
    "named_children": {},
    "modules": {},
    "named_modules": {"memo": None, "prefix": "", "remove_duplicate": True},
    "train": {"mode": True},
    "eval": {},
    "requires_grad_": {"requires_grad": True},
    "zero_grad": {"set_to_none": True},
    "apply": {"fn": EMPTY},
    "to": {},
    "float": {},
    "double": {},
    "half": {},
    "load_state_dict": {"state_dict": EMPTY, "strict": True},
    "register_forward_pre_hook": {"hook": EMPTY},
    "register_forward_hook": {"hook": EMPTY},
    "register_full_backward_pre_hook": {"hook": EMPTY},
    "register_full_backward_hook": {"hook": EMPTY},
    "register_state_dict_pre_hook": {"hook": EMPTY},
    "register_load_state_dict_post_hook": {"hook": EMPTY},
    "extra_repr": {},
    "forward": {},
    "__call__": {},
}

# layers and containers: the contract's names, with PyTorch's constructor defaults
LAYERS = {
    "Linear": {"in_features": EMPTY, "out_features": EMPTY, "bias": True},
    "Bilinear": {"in1_features": EMPTY, "in2_features": EMPTY, "out_features": EMPTY, "bias": True},
    "Conv2d": {"in_channels": EMPTY, "out_channels": EMPTY, "kernel_size": EMPTY, "stride": 1, "padding": 0,
               "dilation": 1, "groups": 1, "bias": True},
    "MaxPool2d": {"kernel_size": EMPTY, "stride": None, "padding": 0, "dilation": 1,
                  "return_indices": False, "ceil_mode": False},
    "AvgPool2d": {"kernel_size": EMPTY, "stride": None, "padding": 0, "ceil_mode": False,
                  "count_include_pad": True, "divisor_override": None},
    "AdaptiveAvgPool2d": {"output_size": EMPTY},
    "BatchNorm1d": {"num_features": EMPTY, "eps": 1e-5, "momentum": 0.1, "affine": True,
                    "track_running_stats": True},
    "BatchNorm2d": {"num_features": EMPTY, "eps": 1e-5, "momentum": 0.1, "affine": True,
                    "track_running_stats": True},
    "LayerNorm": {"normalized_shape": EMPTY, "eps": 1e-5, "elementwise_affine": True, "bias": True},
    "Dropout": {"p": 0.5, "inplace": False},
    "Embedding": {"num_embeddings": EMPTY, "embedding_dim": EMPTY, "padding_idx": None, "max_norm": None,
                  "norm_type": 2.0, "scale_grad_by_freq": False, "sparse": False},
    "ReLU": {"inplace": False},
    "LeakyReLU": {"negative_slope": 0.01, "inplace": False},
    "Sigmoid": {},
    "Tanh": {},
    "GELU": {"approximate": "none"},
    "Softmax": {"dim": None},
    "LogSoftmax": {"dim": None},
    "Flatten": {"start_dim": 1, "end_dim": -1},
    "Identity": {},
    "MSELoss": {"size_average": None, "reduce": None, "reduction": "mean"},
    "CrossEntropyLoss": {"weight": None, "size_average": None, "ignore_index": -100, "reduce": None,
                         "reduction": "mean", "label_smoothing": 0.0},
    "NLLLoss": {"weight": None, "size_average": None, "ignore_index": -100, "reduce": None,
                "reduction": "mean"},
    "Sequential": {"args": "*"},
    "ModuleList": {"modules": None},
    "ModuleDict": {"modules": None},
}

FUNCTIONAL = {
    "linear": {"input": EMPTY, "weight": EMPTY, "bias": None},
    "conv2d": {"input": EMPTY, "weight": EMPTY, "bias": None, "stride": 1, "padding": 0, "dilation": 1,
               "groups": 1},
    "max_pool2d": {"input": EMPTY, "kernel_size": EMPTY, "stride": None, "padding": 0, "dilation": 1,
                   "ceil_mode": False, "return_indices": False},
    "avg_pool2d": {"input": EMPTY, "kernel_size": EMPTY, "stride": None, "padding": 0, "ceil_mode": False,
                   "count_include_pad": True, "divisor_override": None},
    "batch_norm": {"input": EMPTY, "running_mean": EMPTY, "running_var": EMPTY, "weight": None, "bias": None,
                   "training": False, "momentum": 0.1, "eps": 1e-5},
    "layer_norm": {"input": EMPTY, "normalized_shape": EMPTY, "weight": None, "bias": None, "eps": 1e-5},
    "dropout": {"input": EMPTY, "p": 0.5, "training": True, "inplace": False},
    "relu": {"input": EMPTY, "inplace": False},
    "leaky_relu": {"input": EMPTY, "negative_slope": 0.01, "inplace": False},
    "sigmoid": {"input": EMPTY},
    "tanh": {"input": EMPTY},
    "gelu": {"input": EMPTY, "approximate": "none"},
    "softmax": {"input": EMPTY, "dim": None},
    "log_softmax": {"input": EMPTY, "dim": None},
    "flatten": {"input": EMPTY, "start_dim": 0, "end_dim": -1},
    "mse_loss": {"input": EMPTY, "target": EMPTY, "size_average": None, "reduce": None, "reduction": "mean"},
    "cross_entropy": {"input": EMPTY, "target": EMPTY, "weight": None, "size_average": None,
                      "ignore_index": -100, "reduce": None, "reduction": "mean", "label_smoothing": 0.0},
    "nll_loss": {"input": EMPTY, "target": EMPTY, "weight": None, "size_average": None, "ignore_index": -100,
                 "reduce": None, "reduction": "mean"},
}

GLOBAL_HOOKS = ["register_module_forward_pre_hook", "register_module_forward_hook",
                "register_module_full_backward_hook"]


def test_imports_as_the_contract_writes_them():
    import minimod.nn.functional as functional
    from minimod import nn as nn_module
    from minimod import optim

    assert functional is F and nn_module is nn and nn.functional is F and hasattr(optim, "SGD")


def test_parameter_is_a_tensor_with_the_contract_signature():
    assert issubclass(nn.Parameter, mm.Tensor)
    _assert_has("nn.Parameter", nn.Parameter, {"data": None, "requires_grad": True})
    assert repr(nn.Parameter(mm.zeros(2))).startswith("Parameter containing:\n")


def test_module_state_members():
    module = nn.Module()
    assert module.training is True
    for name in ("_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks",
                 "_backward_hooks", "_backward_pre_hooks", "_state_dict_pre_hooks",
                 "_load_state_dict_post_hooks"):
        assert isinstance(getattr(module, name), dict) and not getattr(module, name), name
    assert module._non_persistent_buffers_set == set()


@pytest.mark.parametrize("name", MODULE_METHODS)
def test_module_method_exists_with_the_contract_defaults(name):
    _assert_has(f"Module.{name}", getattr(nn.Module, name), MODULE_METHODS[name])


def test_state_dict_takes_destination_prefix_and_keep_vars_by_keyword():
    got = _defaults(nn.Module.state_dict)
    assert (got["destination"], got["prefix"], got["keep_vars"]) == (None, "", False)
    state = nn.Linear(2, 1).state_dict(destination=OrderedDict(), prefix="fc.", keep_vars=True)
    assert list(state) == ["fc.weight", "fc.bias"] and isinstance(state["fc.weight"], nn.Parameter)


@pytest.mark.parametrize("name", GLOBAL_HOOKS)
def test_global_hook_functions(name):
    function = getattr(nn, name)
    _assert_has(f"nn.{name}", function, {"hook": EMPTY})
    handle = function(lambda *args: None)
    with handle:
        pass
    handle.remove()  # a second remove is harmless, as in torch


@pytest.mark.parametrize("name", LAYERS)
def test_layer_exists_with_the_contract_defaults(name):
    layer = getattr(nn, name)
    assert issubclass(layer, nn.Module)
    _assert_has(f"nn.{name}", layer.__init__, LAYERS[name])


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_exists_with_the_contract_defaults(name):
    _assert_has(f"F.{name}", getattr(F, name), FUNCTIONAL[name])


def test_container_apis():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    assert len(seq) == 2 and isinstance(seq[0], nn.Linear) and isinstance(seq[:1], nn.Sequential)
    seq.append(nn.Tanh())
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Tanh"]
    assert list(nn.Sequential(OrderedDict(a=nn.ReLU()))._modules) == ["a"]
    mlist = nn.ModuleList([nn.ReLU()])
    mlist.append(nn.Tanh())
    mlist.extend([nn.Sigmoid()])
    mlist.insert(0, nn.Identity())
    assert [type(m).__name__ for m in mlist] == ["Identity", "ReLU", "Tanh", "Sigmoid"] and len(mlist) == 4
    mdict = nn.ModuleDict({"relu": nn.ReLU()})
    mdict["tanh"] = nn.Tanh()
    assert list(mdict.keys()) == ["relu", "tanh"] and "relu" in mdict and len(mdict) == 2
    assert [k for k, _ in mdict.items()] == ["relu", "tanh"] and len(list(mdict.values())) == 2
    assert isinstance(mdict.pop("relu"), nn.ReLU) and list(mdict) == ["tanh"]
    mdict.update({"gelu": nn.GELU()})
    mdict.clear()
    assert len(mdict) == 0


def test_names_and_defaults_agree_with_torch():
    torch = pytest.importorskip("torch")
    for name, expected in LAYERS.items():
        theirs = _defaults(getattr(torch.nn, name).__init__)
        for parameter, default in expected.items():
            assert theirs.get(parameter, "absent") == default, (name, parameter)
    for name in MODULE_METHODS:
        ours, theirs = _defaults(getattr(nn.Module, name)), _defaults(getattr(torch.nn.Module, name))
        assert ours == theirs, (name, ours, theirs)
    for name, expected in FUNCTIONAL.items():
        function = getattr(torch.nn.functional, name, None) or getattr(torch, name)
        try:
            theirs = _defaults(function)
        except ValueError:  # a C builtin: its docstring's first line is the signature
            first = function.__doc__.strip().splitlines()[0]
            assert all(parameter in first for parameter in expected), (name, first)
            continue
        if list(theirs) == ["args", "kwargs"]:  # wrapped by a decorator (max_pool2d)
            continue
        for parameter, default in expected.items():
            assert theirs.get(parameter, "absent") == default, (name, parameter)
