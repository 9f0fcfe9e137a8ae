"""Layers against PyTorch (repr, names, shapes, outputs, gradients, buffers) and init statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minimod as mm
from minimod import nn

# --- the cases: (class name, args, kwargs, inputs, train mode) ----------------------------------
# An input is ("f", shape) for a float array or ("i", shape, high) for int64 indices in [0, high).
# ("w", array) in args/kwargs is a weight tensor, converted for each library.

_W3 = ("w", np.array([0.2, 1.0, 3.0], dtype=np.float32))

CASES = [
    ("Linear", (3, 4), {}, [("f", (2, 3))], True),
    ("Linear", (3, 4), {"bias": False}, [("f", (5, 2, 3))], True),
    ("Linear", (3, 4), {}, [("f", (3,))], True),
    ("Bilinear", (2, 3, 4), {}, [("f", (5, 2)), ("f", (5, 3))], True),
    ("Bilinear", (2, 3, 4), {"bias": False}, [("f", (2, 5, 2)), ("f", (2, 5, 3))], True),
    ("Identity", (3,), {"unused": 4}, [("f", (2, 3))], True),
    ("Conv2d", (1, 10, 5), {}, [("f", (2, 1, 12, 12))], True),
    ("Conv2d", (2, 4, 3), {"stride": 2, "padding": 1, "bias": False}, [("f", (2, 2, 9, 9))], True),
    ("Conv2d", (4, 6, (3, 2)), {"padding": (1, 0), "dilation": (2, 1), "groups": 2}, [("f", (1, 4, 10, 8))],
     True),
    ("Conv2d", (2, 3, 4), {"padding": "same"}, [("f", (2, 2, 7, 6))], True),
    ("Conv2d", (2, 3, 3), {"padding": "same", "dilation": 2}, [("f", (1, 2, 7, 7))], True),
    ("Conv2d", (2, 3, 3), {"padding": "valid"}, [("f", (1, 2, 6, 6))], True),
    ("Conv2d", (2, 3, 3), {"padding": 2, "padding_mode": "reflect"}, [("f", (2, 2, 5, 6))], True),
    ("Conv2d", (2, 3, 3), {"padding": (1, 2), "padding_mode": "replicate"}, [("f", (2, 2, 5, 6))], True),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "circular", "stride": 2}, [("f", (1, 2, 6, 5))],
     True),
    ("MaxPool2d", (2, 2), {}, [("f", (2, 3, 8, 8))], True),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, [("f", (1, 2, 7, 8))], True),
    ("MaxPool2d", ((2, 3),), {"stride": 1, "dilation": 2}, [("f", (1, 2, 7, 8))], True),
    ("AvgPool2d", (2,), {}, [("f", (2, 3, 8, 8))], True),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, [("f", (1, 2, 7, 8))], True),
    ("AvgPool2d", (2,), {"divisor_override": 3}, [("f", (1, 2, 6, 6))], True),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, [("f", (2, 3, 5, 5))], True),
    ("AdaptiveAvgPool2d", (3,), {}, [("f", (1, 2, 7, 8))], True),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, [("f", (1, 2, 4, 5))], True),
    ("BatchNorm1d", (5,), {}, [("f", (4, 5))], True),
    ("BatchNorm1d", (5,), {"momentum": None}, [("f", (4, 5, 3))], True),
    ("BatchNorm2d", (3,), {}, [("f", (4, 3, 5, 5))], True),
    ("BatchNorm2d", (3,), {"affine": False, "track_running_stats": False}, [("f", (2, 3, 4, 4))], True),
    ("BatchNorm2d", (3,), {"bias": False, "eps": 1e-3, "momentum": 0.3}, [("f", (2, 3, 4, 4))], True),
    ("BatchNorm2d", (3,), {}, [("f", (2, 3, 4, 4))], False),
    ("LayerNorm", (5,), {}, [("f", (2, 3, 5))], True),
    ("LayerNorm", ((4, 5),), {"eps": 1e-6, "elementwise_affine": False}, [("f", (2, 4, 5))], True),
    ("LayerNorm", (5,), {"bias": False}, [("f", (3, 5))], True),
    ("ReLU", (), {}, [("f", (3, 4))], True),
    ("LeakyReLU", (), {}, [("f", (3, 4))], True),
    ("LeakyReLU", (0.2,), {}, [("f", (3, 4))], True),
    ("Sigmoid", (), {}, [("f", (3, 4))], True),
    ("Tanh", (), {}, [("f", (3, 4))], True),
    ("GELU", (), {}, [("f", (3, 4))], True),
    ("GELU", ("tanh",), {}, [("f", (3, 4))], True),
    ("Softmax", (), {"dim": 1}, [("f", (3, 4))], True),
    ("Softmax", (-1,), {}, [("f", (2, 3, 4))], True),
    ("LogSoftmax", (1,), {}, [("f", (3, 4, 2))], True),
    ("Dropout", (), {}, [("f", (3, 4))], False),
    ("Dropout", (0.0,), {}, [("f", (3, 4))], True),
    ("Embedding", (10, 3), {}, [("i", (2, 4), 10)], True),
    ("Embedding", (10, 3), {"padding_idx": 0}, [("i", (6,), 3)], True),
    ("Embedding", (10, 3), {"max_norm": 1.0}, [("i", (5,), 10)], True),
    ("Flatten", (), {}, [("f", (2, 3, 4, 5))], True),
    ("Flatten", (0, 2), {}, [("f", (2, 3, 4, 5))], True),
    ("MSELoss", (), {}, [("f", (3, 4)), ("f", (3, 4))], True),
    ("MSELoss", (), {"reduction": "sum"}, [("f", (3, 4)), ("f", (3, 4))], True),
    ("MSELoss", (), {"reduction": "none"}, [("f", (3, 4)), ("f", (3, 4))], True),
    ("CrossEntropyLoss", (), {}, [("f", (4, 3)), ("i", (4,), 3)], True),
    ("CrossEntropyLoss", (), {"weight": _W3, "label_smoothing": 0.1}, [("f", (4, 3)), ("i", (4,), 3)], True),
    ("CrossEntropyLoss", (), {"ignore_index": 1, "reduction": "sum"}, [("f", (5, 3)), ("i", (5,), 3)], True),
    ("NLLLoss", (), {}, [("f", (4, 3)), ("i", (4,), 3)], True),
    ("NLLLoss", (), {"weight": _W3, "reduction": "none"}, [("f", (4, 3)), ("i", (4,), 3)], True),
]

# constructor arguments whose repr is all there is to check (no forward comparison needed)
REPR_ONLY = [
    ("Conv2d", (1, 10, 5), {"stride": 2, "padding": 1, "dilation": 2, "bias": False}),
    ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (0.2, True), {}),
    ("Softmax", (), {}),
    ("Dropout", (0.1, True), {}),
    ("MaxPool2d", ((2, 3),), {"stride": 1, "padding": 1, "return_indices": True, "ceil_mode": True}),
    ("Embedding", (10, 3), {"padding_idx": -1, "max_norm": 1.0, "scale_grad_by_freq": True, "sparse": True}),
    ("Embedding", (10, 3), {"norm_type": 3.0}),
    ("BatchNorm1d", (4,), {"momentum": None, "affine": False}),
    ("CrossEntropyLoss", (), {"ignore_index": 1, "label_smoothing": 0.1}),
]


def _case_id(case) -> str:
    name, args, kwargs = case[:3]
    shown = [repr(a) if not (isinstance(a, tuple) and a[:1] == ("w",)) else "w" for a in args]
    shown += [f"{k}={'w' if isinstance(v, tuple) and v[:1] == ('w',) else repr(v)}"
              for k, v in kwargs.items()]
    mode = "" if len(case) < 5 or case[4] else "-eval"
    return f"{name}({', '.join(shown)}){mode}"


def _convert(value, library: str):
    if isinstance(value, tuple) and value[:1] == ("w",):
        if library == "torch":
            import torch

            return torch.from_numpy(value[1].copy())
        return mm.tensor(value[1])
    return value


def _build(library: str, name: str, args, kwargs):
    if library == "torch":
        import torch

        module_namespace = torch.nn
    else:
        module_namespace = nn
    args = [_convert(a, library) for a in args]
    kwargs = {k: _convert(v, library) for k, v in kwargs.items()}
    return getattr(module_namespace, name)(*args, **kwargs)


def _make_inputs(specs, seed: int, dtype=np.float32) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        if spec[0] == "f":
            arrays.append(rng.standard_normal(spec[1]).astype(dtype))
        else:
            arrays.append(rng.integers(0, spec[2], size=spec[1]).astype(np.int64))
    return arrays


def _copy_state_to_torch(mm_layer, torch_layer) -> None:
    """Give the torch layer minimod's parameters and buffers, so both compute from the same numbers."""
    import torch

    with torch.no_grad():
        for name, value in mm_layer.named_parameters():
            torch_layer.get_parameter(name).copy_(torch.from_numpy(value.numpy().copy()))
        for name, value in mm_layer.named_buffers():
            torch_layer.get_buffer(name).copy_(torch.from_numpy(value.numpy().copy()))


def _close(got, expected, dtype, what: str) -> None:
    rtol, atol = (1e-10, 1e-10) if np.dtype(dtype) == np.float64 else (1e-4, 1e-5)
    got = got.numpy() if isinstance(got, mm.Tensor) else np.asarray(got)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != torch's {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def _compare_with_torch(name, args, kwargs, specs, train=True, dtype=np.float32, seed=0, steps=1):
    """Same weights and inputs in both libraries: outputs, input and parameter grads, buffers agree."""
    torch = pytest.importorskip("torch")
    mm_layer = _build("mm", name, args, kwargs)
    torch_layer = _build("torch", name, args, kwargs)
    if dtype == np.float64:
        mm_layer.double()
        torch_layer.double()
    _copy_state_to_torch(mm_layer, torch_layer)
    mm_layer.train(train)
    torch_layer.train(train)
    for step in range(steps):
        arrays = _make_inputs(specs, seed + step, dtype)
        mm_inputs = [mm.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        torch_inputs = [torch.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in arrays]
        mm_out = mm_layer(*mm_inputs)
        torch_out = torch_layer(*torch_inputs)
        assert mm_out.dtype == np.dtype(str(torch_out.dtype).replace("torch.", "")), "output dtype"
        _close(mm_out, torch_out, dtype, f"step {step}: output")
        weights = np.random.default_rng(100 + step).uniform(0.5, 1.5, size=mm_out.shape).astype(dtype)
        mm_layer.zero_grad()
        torch_layer.zero_grad()
        if torch_out.requires_grad:
            mm_out.backward(mm.tensor(weights))
            torch_out.backward(torch.from_numpy(weights))
        for index, (a, b) in enumerate(zip(mm_inputs, torch_inputs)):
            if b.grad is not None:
                assert a.grad is not None, f"step {step}: input {index} got no gradient"
                _close(a.grad, b.grad, dtype, f"step {step}: gradient of input {index}")
        torch_parameters = dict(torch_layer.named_parameters())
        for param_name, parameter in mm_layer.named_parameters():
            expected = torch_parameters[param_name]
            _close(parameter, expected, dtype, f"step {step}: parameter {param_name}")
            if expected.grad is None:
                assert parameter.grad is None or not np.any(parameter.grad.numpy()), param_name
            else:
                assert parameter.grad is not None, f"step {step}: {param_name} got no gradient"
                _close(parameter.grad, expected.grad, dtype, f"step {step}: gradient of {param_name}")
        torch_buffers = dict(torch_layer.named_buffers())
        assert [n for n, _ in mm_layer.named_buffers()] == list(torch_buffers)
        for buffer_name, buffer in mm_layer.named_buffers():
            expected = torch_buffers[buffer_name]
            assert buffer.dtype == np.dtype(str(expected.dtype).replace("torch.", "")), buffer_name
            _close(buffer, expected, dtype, f"step {step}: buffer {buffer_name}")
    return mm_layer, torch_layer


# --- repr, names and shapes against torch ----------------------------------------------------------


@pytest.mark.parametrize("case", [c[:3] for c in CASES] + REPR_ONLY, ids=_case_id)
def test_repr_parameters_and_buffers_match_torch(case):
    pytest.importorskip("torch")
    name, args, kwargs = case
    mm_layer = _build("mm", name, args, kwargs)
    torch_layer = _build("torch", name, args, kwargs)
    assert repr(mm_layer) == repr(torch_layer)
    assert [(n, tuple(p.shape)) for n, p in mm_layer.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in torch_layer.named_parameters()
    ]
    assert [(n, tuple(b.shape), str(b.dtype)) for n, b in mm_layer.named_buffers()] == [
        (n, tuple(b.shape), str(b.dtype).replace("torch.", "")) for n, b in torch_layer.named_buffers()
    ]
    assert list(mm_layer.state_dict()) == list(torch_layer.state_dict())
    for attribute in ("in_features", "out_features", "kernel_size", "stride", "padding", "dilation", "groups",
                      "num_features", "eps", "momentum", "normalized_shape", "p", "dim", "reduction",
                      "ignore_index", "padding_idx", "output_size", "start_dim", "end_dim"):
        if hasattr(torch_layer, attribute):
            assert getattr(mm_layer, attribute) == getattr(torch_layer, attribute), attribute


# --- outputs and gradients against torch ----------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # torch's own note
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_forward_and_backward_match_torch(case):
    name, args, kwargs, specs, train = case
    _compare_with_torch(name, args, kwargs, specs, train)


@pytest.mark.parametrize("case", [
    ("Linear", (3, 4), {}, [("f", (2, 3))]),
    ("Conv2d", (2, 3, 3), {"padding": 1}, [("f", (2, 2, 5, 5))]),
    ("BatchNorm2d", (3,), {}, [("f", (4, 3, 3, 3))]),
    ("LayerNorm", (4,), {}, [("f", (3, 4))]),
    ("Bilinear", (2, 3, 2), {}, [("f", (4, 2)), ("f", (4, 3))]),
], ids=_case_id)
def test_float64_layers_match_torch(case):
    name, args, kwargs, specs = case
    mm_layer, _ = _compare_with_torch(name, args, kwargs, specs, dtype=np.float64)
    assert all(p.dtype == np.float64 for p in mm_layer.parameters())


@pytest.mark.parametrize("kwargs", [
    {}, {"momentum": None}, {"momentum": 0.5}, {"track_running_stats": False}, {"affine": False},
    {"bias": False}, {"eps": 1e-2},
], ids=repr)
@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                          ("BatchNorm2d", (4, 3, 3, 2))])
def test_batchnorm_running_statistics_follow_torch_over_several_steps(name, shape, kwargs):
    # three training steps (running mean, unbiased running var, num_batches_tracked), then eval
    mm_layer, torch_layer = _compare_with_torch(name, (3,), kwargs, [("f", shape)], steps=3)
    if mm_layer.track_running_stats:
        assert int(mm_layer.num_batches_tracked.item()) == 3
        assert mm_layer.num_batches_tracked.dtype == np.int64
    torch = pytest.importorskip("torch")
    mm_layer.eval()
    torch_layer.eval()
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32) * 3 + 1
    _close(mm_layer(mm.tensor(x)), torch_layer(torch.from_numpy(x)), np.float32, "eval output")


def test_batchnorm_eval_uses_running_statistics():
    layer = nn.BatchNorm1d(2)
    with mm.no_grad():
        layer.running_mean.copy_(np.array([1.0, -2.0], dtype=np.float32))
        layer.running_var.copy_(np.array([4.0, 0.25], dtype=np.float32))
    layer.eval()
    out = layer(mm.tensor([[3.0, -1.0]])).numpy()
    expected = (np.array([3.0, -1.0]) - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(out[0], expected, rtol=1e-5)
    assert int(layer.num_batches_tracked.item()) == 0  # eval steps are not counted


def test_batchnorm_cumulative_average_when_momentum_is_none():
    layer = nn.BatchNorm1d(1, momentum=None)
    batches = [np.array([[1.0], [3.0]]), np.array([[5.0], [9.0]]), np.array([[0.0], [4.0]])]
    for batch in batches:
        layer(mm.tensor(batch.astype(np.float32)))
    means = [b.mean() for b in batches]
    unbiased_vars = [b.var(ddof=1) for b in batches]
    np.testing.assert_allclose(layer.running_mean.numpy(), [np.mean(means)], rtol=1e-6)
    # the initial running_var of 1 is weighted out entirely by the third batch (factor 1/n)
    np.testing.assert_allclose(layer.running_var.numpy(), [np.mean(unbiased_vars)], rtol=1e-6)


def test_embedding_max_norm_renormalises_rows_like_torch():
    mm_layer, torch_layer = _compare_with_torch("Embedding", (6, 4), {"max_norm": 0.5},
                                                [("i", (5,), 6)])
    norms = np.linalg.norm(mm_layer.weight.numpy(), axis=1)
    looked_up = np.unique(_make_inputs([("i", (5,), 6)], 0)[0])
    assert np.all(norms[looked_up] <= 0.5 + 1e-5)


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    layer = nn.Embedding(5, 3, padding_idx=2)
    assert not np.any(layer.weight.numpy()[2])
    layer(mm.tensor([2, 2, 1])).sum().backward()
    assert not np.any(layer.weight.grad.numpy()[2])
    np.testing.assert_allclose(layer.weight.grad.numpy()[1], np.ones(3))


def test_embedding_from_pretrained_is_frozen_by_default():
    weights = mm.tensor(np.arange(6, dtype=np.float32).reshape(3, 2))
    layer = nn.Embedding.from_pretrained(weights)
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(mm.tensor([2, 0])).numpy(), [[4.0, 5.0], [0.0, 1.0]])
    assert nn.Embedding.from_pretrained(weights, freeze=False).weight.requires_grad


# --- torch's reprs, written out (these run without torch) -----------------------------------------


@pytest.mark.parametrize("layer, text", [
    (lambda: nn.Conv2d(1, 10, 5), "Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))"),
    (lambda: nn.Conv2d(2, 4, 3, padding="same", bias=False),
     "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False)"),
    (lambda: nn.MaxPool2d(2, 2),
     "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.AvgPool2d(3), "AvgPool2d(kernel_size=3, stride=3, padding=0)"),
    (lambda: nn.AdaptiveAvgPool2d((1, 1)), "AdaptiveAvgPool2d(output_size=(1, 1))"),
    (lambda: nn.BatchNorm2d(10),
     "BatchNorm2d(10, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (lambda: nn.LayerNorm(8), "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (lambda: nn.Dropout(), "Dropout(p=0.5, inplace=False)"),
    (lambda: nn.ReLU(), "ReLU()"),
    (lambda: nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (lambda: nn.GELU(), "GELU(approximate='none')"),
    (lambda: nn.Softmax(dim=1), "Softmax(dim=1)"),
    (lambda: nn.Linear(320, 50), "Linear(in_features=320, out_features=50, bias=True)"),
    (lambda: nn.Bilinear(2, 3, 4), "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"),
    (lambda: nn.Embedding(10, 3, padding_idx=0), "Embedding(10, 3, padding_idx=0)"),
    (lambda: nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    (lambda: nn.Identity(), "Identity()"),
    (lambda: nn.CrossEntropyLoss(), "CrossEntropyLoss()"),
])
def test_repr_text(layer, text):
    assert repr(layer()) == text


# --- shapes and init statistics (no torch needed) ---------------------------------------------------


def test_conv_and_pool_output_shapes():
    x = mm.randn(2, 3, 28, 28)
    assert nn.Conv2d(3, 8, 5)(x).shape == (2, 8, 24, 24)
    assert nn.Conv2d(3, 8, 3, stride=2, padding=1)(x).shape == (2, 8, 14, 14)
    assert nn.Conv2d(3, 8, 4, padding="same")(x).shape == (2, 8, 28, 28)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 14, 14)
    assert nn.AvgPool2d(3, stride=2)(x).shape == (2, 3, 13, 13)
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)
    assert nn.Flatten()(x).shape == (2, 3 * 28 * 28)


def test_parameter_shapes_follow_torch_conventions():
    assert nn.Linear(3, 4).weight.shape == (4, 3)
    assert nn.Conv2d(4, 6, (3, 2), groups=2).weight.shape == (6, 2, 3, 2)
    assert nn.Bilinear(2, 3, 4).weight.shape == (4, 2, 3)
    assert nn.Embedding(10, 3).weight.shape == (10, 3)
    assert nn.LayerNorm((4, 5)).weight.shape == (4, 5)
    bn = nn.BatchNorm2d(7)
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()


@pytest.mark.parametrize("make, fan_in", [(lambda: nn.Linear(200, 300), 200),
                                          (lambda: nn.Conv2d(16, 32, 3), 16 * 9)])
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(make, fan_in):
    mm.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    # U(-b, b) has standard deviation b/√3 and fills the whole interval
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert np.abs(weight).max() > 0.99 * bound
    assert abs(weight.mean()) < 0.02 * bound


def test_norm_layers_start_as_identity_and_embedding_as_standard_normal():
    bn, ln = nn.BatchNorm2d(4), nn.LayerNorm(4)
    for layer in (bn, ln):
        np.testing.assert_array_equal(layer.weight.numpy(), np.ones(4))
        np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(4))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(4))
    mm.manual_seed(1)
    weight = nn.Embedding(1000, 50).weight.numpy()
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01


def test_manual_seed_makes_initialisation_reproducible():
    mm.manual_seed(123)
    first = nn.Conv2d(3, 4, 3).weight.numpy().copy()
    mm.manual_seed(123)
    second = nn.Conv2d(3, 4, 3).weight.numpy().copy()
    third = nn.Conv2d(3, 4, 3).weight.numpy().copy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, third)


def test_dropout_in_training_zeros_p_and_scales_the_rest():
    mm.manual_seed(0)
    layer = nn.Dropout(0.3)
    out = layer(mm.ones(200, 100)).numpy()
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    mm.manual_seed(0)
    np.testing.assert_array_equal(layer(mm.ones(200, 100)).numpy(), out)
    layer.eval()
    np.testing.assert_array_equal(layer(mm.ones(3, 3)).numpy(), np.ones((3, 3)))


def test_layer_dtype_argument_and_float64_conversion():
    layer = nn.Linear(3, 2, dtype=mm.float64)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    assert nn.BatchNorm1d(3, dtype=mm.float64).running_mean.dtype == np.float64


# --- mistakes get torch's errors ------------------------------------------------------------------------


def test_constructor_mistakes_raise_like_torch():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        nn.Linear(3, 4, device="cuda")


def test_batchnorm_rejects_wrong_input_rank():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(mm.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(mm.randn(2, 3, 4, 4))


def test_legacy_loss_flags_become_a_reduction_with_torch_warning():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.NLLLoss(reduce=False).reduction == "none"


def test_residual_connection_around_a_linear_matches_torch():
    # y + linear(y) with y computed (not a leaf): y's gradient arrives along two paths, and both must
    # be summed before y's own backward runs (a topological-order mistake loses one of them)
    torch = pytest.importorskip("torch")
    layer = nn.Linear(4, 4)
    twin = torch.nn.Linear(4, 4)
    _copy_state_to_torch(layer, twin)
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    mm_x, torch_x = mm.tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    mm_y, torch_y = mm_x * 1.5, torch_x * 1.5
    (mm_y + layer(mm_y)).sum().backward()
    (torch_y + twin(torch_y)).sum().backward()
    _close(mm_x.grad, torch_x.grad, np.float32, "gradient through the residual connection")
    _close(layer.weight.grad, twin.weight.grad, np.float32, "weight gradient")



def test_layers_accept_any_cpu_device_and_refuse_others():
    assert nn.Linear(2, 2, device="cpu:0").weight.shape == (2, 2)
    assert nn.BatchNorm1d(3, device=mm.device("cpu")).running_mean.shape == (3,)
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        nn.Conv2d(1, 1, 3, device="cuda")
