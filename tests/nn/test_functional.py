"""minimod.nn.functional: values and gradients by central differences (float64) and against torch."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
import minimod.nn.functional as F
from tests.gradcheck import check_gradients, compare_with_torch

RNG = np.random.default_rng(1234)


def randn(*shape):
    return RNG.standard_normal(shape)


def labels(n, classes, *extra):
    return RNG.integers(0, classes, (n, *extra)).astype(np.int64)


def _torch_f():
    torch = pytest.importorskip("torch")
    return torch, torch.nn.functional


# (id, minimod fn, torch fn taking (torch, tF), input arrays, which inputs are differentiable)
CASES = [
    (
        "linear",
        lambda x, w, b: F.linear(x, w, b),
        lambda t, tF: lambda x, w, b: tF.linear(x, w, b),
        [randn(3, 4), randn(5, 4), randn(5)],
        None,
    ),
    (
        "linear_3d_nobias",
        lambda x, w: F.linear(x, w),
        lambda t, tF: lambda x, w: tF.linear(x, w),
        [randn(2, 3, 4), randn(5, 4)],
        None,
    ),
    (
        "conv2d",
        lambda x, w, b: F.conv2d(x, w, b),
        lambda t, tF: lambda x, w, b: tF.conv2d(x, w, b),
        [randn(2, 3, 6, 5), randn(4, 3, 3, 2), randn(4)],
        None,
    ),
    (
        "conv2d_stride_pad_dilation",
        lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        lambda t, tF: lambda x, w: tF.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
        [randn(2, 2, 7, 6), randn(3, 2, 3, 3)],
        None,
    ),
    (
        "conv2d_groups",
        lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
        lambda t, tF: lambda x, w, b: tF.conv2d(x, w, b, padding=1, groups=2),
        [randn(2, 4, 5, 5), randn(6, 2, 3, 3), randn(6)],
        None,
    ),
    (
        "conv2d_same_even_kernel",
        lambda x, w: F.conv2d(x, w, padding="same"),
        lambda t, tF: lambda x, w: tF.conv2d(x, w, padding="same"),
        [randn(1, 2, 5, 6), randn(2, 2, 4, 2)],
        None,
    ),
    (
        "conv2d_unbatched_valid",
        lambda x, w: F.conv2d(x, w, padding="valid"),
        lambda t, tF: lambda x, w: tF.conv2d(x, w, padding="valid"),
        [randn(2, 5, 5), randn(3, 2, 2, 2)],
        None,
    ),
    (
        "max_pool2d",
        lambda x: F.max_pool2d(x, 2),
        lambda t, tF: lambda x: tF.max_pool2d(x, 2),
        [randn(2, 3, 6, 7)],
        None,
    ),
    (
        "max_pool2d_full",
        lambda x: F.max_pool2d(x, (3, 2), stride=2, padding=1, dilation=(1, 2), ceil_mode=True),
        lambda t, tF: (
            lambda x: tF.max_pool2d(x, (3, 2), stride=2, padding=1, dilation=(1, 2), ceil_mode=True)
        ),
        [randn(1, 2, 7, 8)],
        None,
    ),
    (
        "avg_pool2d",
        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
        lambda t, tF: lambda x: tF.avg_pool2d(x, 3, stride=2, padding=1),
        [randn(2, 2, 7, 6)],
        None,
    ),
    (
        "avg_pool2d_options",
        lambda x: F.avg_pool2d(x, 2, padding=1, ceil_mode=True, count_include_pad=False),
        lambda t, tF: lambda x: tF.avg_pool2d(x, 2, padding=1, ceil_mode=True, count_include_pad=False),
        [randn(1, 2, 5, 5)],
        None,
    ),
    (
        "avg_pool2d_divisor",
        lambda x: F.avg_pool2d(x, 2, divisor_override=3),
        lambda t, tF: lambda x: tF.avg_pool2d(x, 2, divisor_override=3),
        [randn(1, 2, 4, 4)],
        None,
    ),
    (
        "adaptive_avg_pool2d",
        lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
        lambda t, tF: lambda x: tF.adaptive_avg_pool2d(x, (2, 3)),
        [randn(2, 2, 5, 7)],
        None,
    ),
    (
        "batch_norm_train_4d",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda t, tF: lambda x, w, b: tF.batch_norm(x, None, None, w, b, training=True),
        [randn(3, 2, 3, 2) * 2 + 1, randn(2), randn(2)],
        None,
    ),
    (
        "batch_norm_train_2d",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda t, tF: lambda x, w, b: tF.batch_norm(x, None, None, w, b, training=True),
        [randn(5, 3), randn(3), randn(3)],
        None,
    ),
    (
        "batch_norm_eval",
        lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, training=False),
        lambda t, tF: lambda x, w, b, m, v: tF.batch_norm(x, m, v, w, b, training=False),
        [randn(3, 2, 2, 2), randn(2), randn(2), randn(2), RNG.uniform(0.5, 2, 2)],
        [True, True, True, False, False],
    ),
    (
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        lambda t, tF: lambda x, w, b: tF.layer_norm(x, (3, 4), w, b),
        [randn(2, 3, 4), randn(3, 4), randn(3, 4)],
        None,
    ),
    (
        "layer_norm_no_affine",
        lambda x: F.layer_norm(x, 5),
        lambda t, tF: lambda x: tF.layer_norm(x, (5,)),
        [randn(4, 5)],
        None,
    ),
    ("relu", lambda x: F.relu(x), lambda t, tF: tF.relu, [randn(3, 4)], None),
    (
        "leaky_relu",
        lambda x: F.leaky_relu(x, 0.2),
        lambda t, tF: lambda x: tF.leaky_relu(x, 0.2),
        [randn(3, 4)],
        None,
    ),
    ("sigmoid", lambda x: F.sigmoid(x), lambda t, tF: tF.sigmoid, [randn(3, 4)], None),
    ("tanh", lambda x: F.tanh(x), lambda t, tF: tF.tanh, [randn(3, 4)], None),
    ("gelu", lambda x: F.gelu(x), lambda t, tF: tF.gelu, [randn(3, 4) * 2], None),
    (
        "gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda t, tF: lambda x: tF.gelu(x, approximate="tanh"),
        [randn(3, 4) * 2],
        None,
    ),
    (
        "softmax_dim1",
        lambda x: F.softmax(x, dim=1),
        lambda t, tF: lambda x: tF.softmax(x, dim=1),
        [randn(2, 4, 3)],
        None,
    ),
    (
        "softmax_last",
        lambda x: F.softmax(x, -1),
        lambda t, tF: lambda x: tF.softmax(x, -1),
        [randn(3, 5)],
        None,
    ),
    (
        "log_softmax",
        lambda x: F.log_softmax(x, dim=0),
        lambda t, tF: lambda x: tF.log_softmax(x, dim=0),
        [randn(4, 3) * 5],
        None,
    ),
    ("flatten", lambda x: F.flatten(x, 1), lambda t, tF: lambda x: t.flatten(x, 1), [randn(2, 3, 2)], None),
    ("mse_loss", lambda x, y: F.mse_loss(x, y), lambda t, tF: tF.mse_loss, [randn(3, 4), randn(3, 4)], None),
    (
        "mse_loss_sum",
        lambda x, y: F.mse_loss(x, y, reduction="sum"),
        lambda t, tF: lambda x, y: tF.mse_loss(x, y, reduction="sum"),
        [randn(5), randn(5)],
        None,
    ),
    (
        "mse_loss_none",
        lambda x, y: F.mse_loss(x, y, reduction="none"),
        lambda t, tF: lambda x, y: tF.mse_loss(x, y, reduction="none"),
        [randn(2, 3), randn(2, 3)],
        None,
    ),
    (
        "cross_entropy",
        lambda x, t: F.cross_entropy(x, t),
        lambda t, tF: tF.cross_entropy,
        [randn(5, 4), labels(5, 4)],
        None,
    ),
    (
        "cross_entropy_weight_ignore",
        lambda x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=1),
        lambda t, tF: lambda x, y, w: tF.cross_entropy(x, y, weight=w, ignore_index=1),
        [randn(6, 3), labels(6, 3), RNG.uniform(0.5, 2, 3)],
        [True, False, False],
    ),
    (
        "cross_entropy_smoothing",
        lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.2, ignore_index=0),
        lambda t, tF: lambda x, y, w: tF.cross_entropy(x, y, weight=w, label_smoothing=0.2, ignore_index=0),
        [randn(6, 3), labels(6, 3), RNG.uniform(0.5, 2, 3)],
        [True, False, False],
    ),
    (
        "cross_entropy_sum_smoothing",
        lambda x, t: F.cross_entropy(x, t, reduction="sum", label_smoothing=0.1),
        lambda t, tF: lambda x, y: tF.cross_entropy(x, y, reduction="sum", label_smoothing=0.1),
        [randn(4, 3), labels(4, 3)],
        None,
    ),
    (
        "cross_entropy_spatial_none",
        lambda x, t: F.cross_entropy(x, t, reduction="none"),
        lambda t, tF: lambda x, y: tF.cross_entropy(x, y, reduction="none"),
        [randn(2, 3, 2, 2), labels(2, 3, 2, 2)],
        None,
    ),
    (
        "cross_entropy_probabilities",
        lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1),
        lambda t, tF: lambda x, p: tF.cross_entropy(x, p, label_smoothing=0.1),
        [randn(4, 3), RNG.dirichlet(np.ones(3), 4)],
        [True, False],
    ),
    (
        "cross_entropy_single_sample",
        lambda x, t: F.cross_entropy(x, t),
        lambda t, tF: tF.cross_entropy,
        [randn(4), np.array(2)],
        None,
    ),
    ("nll_loss", lambda x, t: F.nll_loss(x, t), lambda t, tF: tF.nll_loss, [randn(5, 3), labels(5, 3)], None),
    (
        "nll_loss_weight_sum",
        lambda x, t, w: F.nll_loss(x, t, weight=w, reduction="sum"),
        lambda t, tF: lambda x, y, w: tF.nll_loss(x, y, weight=w, reduction="sum"),
        [randn(5, 3), labels(5, 3), RNG.uniform(0.5, 2, 3)],
        [True, False, False],
    ),
    (
        "embedding",
        lambda i, w: F.embedding(i, w),
        lambda t, tF: lambda i, w: tF.embedding(i, w),
        [np.array([[0, 1, 3], [3, 3, 2]]), randn(4, 3)],
        None,
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("backend", ["jit", "reference"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_by_central_differences(case, backend, monkeypatch):
    if backend == "reference":
        monkeypatch.setenv("MINIMOD_DISABLE_JIT", "1")
    _, mm_fn, _, arrays, differentiable = case
    floating = [np.issubdtype(np.asarray(a).dtype, np.floating) for a in arrays]
    grad_positions = [
        i for i, f in enumerate(floating) if f and (differentiable is None or differentiable[i])
    ]
    fixed = {i: mm.tensor(a) for i, a in enumerate(arrays) if i not in grad_positions}

    def partial(*tensors):
        args, values = [], iter(tensors)
        for i in range(len(arrays)):
            args.append(fixed[i] if i in fixed else next(values))
        return mm_fn(*args)

    check_gradients(partial, *[arrays[i] for i in grad_positions], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_against_torch(case, dtype):
    torch, tF = _torch_f()
    _, mm_fn, torch_factory, arrays, differentiable = case
    compare_with_torch(mm_fn, torch_factory(torch, tF), *arrays, dtype=dtype, differentiable=differentiable)


def test_reference_and_jit_agree_through_autograd(monkeypatch):
    x, w = randn(2, 3, 8, 8), randn(4, 3, 3, 3)

    def run():
        xt, wt = mm.tensor(x, requires_grad=True), mm.tensor(w, requires_grad=True)
        out = F.max_pool2d(F.conv2d(xt, wt, padding=1), 2)
        out = F.log_softmax(F.batch_norm(out, None, None, training=True).flatten(1), 1).sum()
        out.backward()
        return out.item(), xt.grad.numpy(), wt.grad.numpy()

    jit = run()
    monkeypatch.setenv("MINIMOD_DISABLE_JIT", "1")
    reference = run()
    for a, b in zip(jit, reference):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


# --- state and randomness -------------------------------------------------------------------------


def test_batch_norm_updates_running_stats_like_torch():
    torch, tF = _torch_f()
    x = randn(4, 3, 2, 2).astype(np.float32)
    mean, var = mm.zeros(3), mm.ones(3)
    tmean, tvar = torch.zeros(3), torch.ones(3)
    for _ in range(2):
        F.batch_norm(mm.tensor(x), mean, var, training=True, momentum=0.3)
        tF.batch_norm(torch.from_numpy(x), tmean, tvar, training=True, momentum=0.3)
    np.testing.assert_allclose(mean.numpy(), tmean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var.numpy(), tvar.numpy(), rtol=1e-5, atol=1e-6)
    assert mean._version.value == 2


def test_batch_norm_2d_input_updates_running_stats():
    x = randn(6, 2)
    mean, var = mm.zeros(2, dtype=mm.float64), mm.ones(2, dtype=mm.float64)
    F.batch_norm(mm.tensor(x), mean, var, training=True)
    np.testing.assert_allclose(mean.numpy(), 0.1 * x.mean(0))
    np.testing.assert_allclose(var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1))


def test_dropout_is_reproducible_and_scales():
    x = mm.ones(1000)
    mm.manual_seed(3)
    a = F.dropout(x, p=0.25)
    mm.manual_seed(3)
    b = F.dropout(x, p=0.25)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert set(np.unique(a.numpy())) == {0.0, np.float32(1 / 0.75)}
    assert 0.15 < (a.numpy() == 0).mean() < 0.35
    assert F.dropout(x, p=0.5, training=False) is x
    assert not F.dropout(x, p=1.0).numpy().any()


def test_dropout_gradient_is_the_mask():
    x = mm.ones(50, requires_grad=True)
    out = F.dropout(x, p=0.5)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())


def test_max_pool_returns_indices_like_torch():
    torch, tF = _torch_f()
    x = randn(1, 2, 5, 5).astype(np.float32)
    out, indices = F.max_pool2d(mm.tensor(x), 2, return_indices=True)
    t_out, t_indices = tF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())


def test_embedding_padding_idx_gets_no_gradient_like_torch():
    torch, tF = _torch_f()
    indices, weight = np.array([[0, 1, 3], [3, 1, 2]]), randn(4, 3)
    compare_with_torch(
        lambda i, w: F.embedding(i, w, padding_idx=1),
        lambda i, w: tF.embedding(i, w, 1),
        indices,
        weight,
        dtype=np.float64,
    )
    w = mm.tensor(weight, requires_grad=True)
    F.embedding(mm.tensor(indices), w, padding_idx=-3).sum().backward()
    assert not w.grad.numpy()[1].any() and w.grad.numpy()[3].tolist() == [2.0, 2.0, 2.0]


def test_graph_node_names_match_torch():
    x = mm.randn(2, 3, 6, 6, requires_grad=True)
    w = mm.randn(4, 3, 3, 3, requires_grad=True)
    assert F.conv2d(x, w).grad_fn.name() == "ConvolutionBackward0"
    assert F.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.linear(x.flatten(1), mm.randn(2, 108), mm.randn(2)).grad_fn.name() == "AddmmBackward0"
    assert F.cross_entropy(x.flatten(1), mm.tensor([0, 1])).grad_fn.name() == "NllLossBackward0"


# --- errors like torch's --------------------------------------------------------------------------

ERRORS = [
    (
        lambda: F.conv2d(mm.randn(1, 3, 28, 28), mm.randn(10, 1, 5, 5)),
        RuntimeError,
        "Given groups=1, weight of size [10, 1, 5, 5], expected input[1, 3, 28, 28] to have 1 channels, "
        "but got 3 channels instead",
    ),
    (
        lambda: F.linear(mm.randn(4, 6), mm.randn(3, 5)),
        RuntimeError,
        "mat1 and mat2 shapes cannot be multiplied (4x6 and 5x3)",
    ),
    (
        lambda: F.conv2d(mm.randn(1, 1, 3, 3), mm.randn(10, 1, 5, 5)),
        RuntimeError,
        "Calculated padded input size per channel: (3 x 3). Kernel size: (5 x 5). "
        "Kernel size can't be greater "
        "than actual input size",
    ),
    (
        lambda: F.conv2d(mm.randn(28, 28), mm.randn(10, 3, 5, 5)),
        RuntimeError,
        "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [28, 28]",
    ),
    (
        lambda: F.conv2d(mm.randn(1, 4, 8, 8), mm.randn(6, 4, 3, 3), stride=2, padding="same"),
        RuntimeError,
        "padding='same' is not supported for strided convolutions",
    ),
    (
        lambda: F.conv2d(mm.randn(1, 4, 8, 8), mm.randn(4, 2, 3, 3), groups=3),
        RuntimeError,
        "Given groups=3, expected weight to be divisible by 3 at dimension 0",
    ),
    (
        lambda: F.max_pool2d(mm.randn(1, 1, 3, 3), 5),
        RuntimeError,
        "Given input size: (1x3x3). Calculated output size: (1x0x0). Output size is too small",
    ),
    (
        lambda: F.max_pool2d(mm.randn(1, 1, 8, 8), 2, padding=2),
        RuntimeError,
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1",
    ),
    (
        lambda: F.cross_entropy(mm.randn(4, 5), mm.tensor([0, 1, 2, 7])),
        IndexError,
        "Target 7 is out of bounds.",
    ),
    (
        lambda: F.cross_entropy(mm.randn(4, 5), mm.tensor([0, 1, 2])),
        ValueError,
        "Expected input batch_size (4) to match target batch_size (3).",
    ),
    (
        lambda: F.nll_loss(mm.randn(4, 5), mm.tensor([0.0, 1, 2, 3])),
        RuntimeError,
        "expected target dtype to be Long or Byte, but got Float",
    ),
    (
        lambda: F.batch_norm(mm.randn(4, 5), mm.zeros(3), mm.ones(3)),
        RuntimeError,
        "running_mean should contain 5 elements not 3",
    ),
    (
        lambda: F.batch_norm(mm.randn(1, 5), mm.zeros(5), mm.ones(5), training=True),
        ValueError,
        "Expected more than 1 value per channel when training",
    ),
    (
        lambda: F.layer_norm(mm.randn(4, 5), (4,)),
        RuntimeError,
        "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[4, 5]",
    ),
    (
        lambda: F.dropout(mm.randn(3), 1.5),
        ValueError,
        "dropout probability has to be between 0 and 1, but got 1.5",
    ),
    (lambda: F.embedding(mm.tensor([1, 9]), mm.randn(3, 2)), IndexError, "index out of range in self"),
    (
        lambda: F.gelu(mm.randn(3), approximate="foo"),
        RuntimeError,
        "approximate argument must be either none or tanh.",
    ),
    (
        lambda: F.cross_entropy(mm.randn(4, 5), mm.tensor([0, 1, 2, 3]), reduction="foo"),
        ValueError,
        "foo is not a valid value for reduction",
    ),
]


@pytest.mark.parametrize("call, kind, message", ERRORS)
def test_errors_match_torch(call, kind, message):
    with pytest.raises(kind) as info:
        call()
    assert message in str(info.value)


# --- mse_loss(weight=...), the legacy size_average/reduce arguments, embedding(max_norm=...) ------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_mse_loss_matches_torch(reduction, dtype):
    torch, tF = _torch_f()
    x, y, w = randn(3, 4), randn(3, 4), RNG.uniform(0.1, 2.0, size=(3, 4))
    compare_with_torch(
        lambda x, y, w: F.mse_loss(x, y, reduction=reduction, weight=w),
        lambda x, y, w: tF.mse_loss(x, y, reduction=reduction, weight=w),
        x,
        y,
        w,
        dtype=dtype,
    )
    names = {}
    for lib, f in ((mm, F), (torch, tF)):
        x_, y_, w_ = lib.tensor(x, requires_grad=True), lib.tensor(y), lib.tensor(w)
        out = f.mse_loss(x_, y_, reduction=reduction, weight=w_)
        names[lib.__name__] = out.grad_fn.name()
    assert names["minimod"] == names["torch"]  # MulBackward0, SumBackward0, DivBackward0


def test_weighted_mse_loss_mean_divides_by_the_weight_sum():
    x, y = mm.tensor([[1.0, 2.0]]), mm.tensor([[0.0, 0.0]])
    loss = F.mse_loss(x, y, weight=mm.tensor([[3.0, 1.0]]))
    assert loss.item() == pytest.approx((3 * 1 + 1 * 4) / 4)
    assert F.mse_loss(x, y, weight=mm.ones(1, 2)).item() == F.mse_loss(x, y).item()


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (lambda f, lib: f.mse_loss(lib.ones(2, 3), lib.ones(2, 3), weight=lib.ones(3)), ValueError,
         "Weights and input must have the same size."),
        (lambda f, lib: f.mse_loss(lib.ones(2), lib.ones(2), reduction="avg", weight=lib.ones(2)), ValueError,
         "Invalid reduction mode: avg. Expected one of 'none', 'mean', 'sum'."),
        (lambda f, lib: f.mse_loss(lib.ones(2), lib.ones(2), reduction="avg"), ValueError,
         "avg is not a valid value for reduction"),
    ],
)
def test_mse_loss_errors_match_torch(call, kind, message):
    torch, tF = _torch_f()
    for f, lib in ((tF, torch), (F, mm)):
        with pytest.raises(kind) as info:
            call(f, lib)
        assert str(info.value) == message


def test_mse_loss_warns_about_a_broadcast_target_like_torch():
    torch, tF = _torch_f()
    for f, lib in ((tF, torch), (F, mm)):
        message = r"Using a target size \(\w+\.Size\(\[4\]\)\) that is different to the input size"
        with pytest.warns(UserWarning, match=message):
            f.mse_loss(lib.ones(3, 4), lib.zeros(4))


LEGACY = [
    ({"size_average": False}, "sum"),
    ({"reduce": False}, "none"),
    ({"size_average": True, "reduce": True}, "mean"),
    ({"size_average": False, "reduce": False}, "none"),
]


@pytest.mark.parametrize("legacy, reduction", LEGACY, ids=[str(c[0]) for c in LEGACY])
@pytest.mark.parametrize("loss", ["mse_loss", "nll_loss", "cross_entropy"])
def test_legacy_size_average_and_reduce_pick_the_reduction_like_torch(loss, legacy, reduction):
    torch, tF = _torch_f()
    x = randn(4, 3).astype(np.float32)
    target = {"mse_loss": randn(4, 3).astype(np.float32)}.get(loss, labels(4, 3))
    results = {}
    for lib, f in ((torch, tF), (mm, F)):
        with pytest.warns(UserWarning, match=f"please use reduction='{reduction}' instead"):
            results[lib.__name__] = getattr(f, loss)(lib.tensor(x), lib.tensor(target), **legacy)
    ours, theirs = results["minimod"], results["torch"]
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)
    plain = getattr(F, loss)(mm.tensor(x), mm.tensor(target), reduction=reduction)
    np.testing.assert_array_equal(ours.numpy(), plain.numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalises_the_looked_up_rows_like_torch(norm_type):
    torch, tF = _torch_f()
    # its own generator: drawn from the module's shared one, the rows depended on which tests ran first
    # in the same worker, and a looked-up row could come out shorter than max_norm
    weight = (np.random.default_rng(5).normal(size=(6, 3)) * 3).astype(np.float32)
    weight[4] *= 0.01  # a short row: it stays as it is
    assert (np.linalg.norm(weight[[0, 2]], ord=norm_type, axis=1) > 1.5).all()  # rows 0 and 2 are long
    indices = np.array([[0, 4, 2], [2, 0, 4]])
    ours = mm.tensor(weight.copy(), requires_grad=True)
    theirs = torch.tensor(weight.copy(), requires_grad=True)
    version = ours._version.value
    out = F.embedding(mm.tensor(indices), ours, max_norm=1.5, norm_type=norm_type)
    expected = tF.embedding(torch.from_numpy(indices), theirs, max_norm=1.5, norm_type=norm_type)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)  # weight itself changed
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-6)
    changed = ~np.isclose(weight, ours.numpy()).all(axis=1)
    assert changed.tolist() == [True, False, True, False, False, False]  # rows 0 and 2 only
    assert np.linalg.norm(ours.numpy()[[0, 2]], ord=norm_type, axis=1) == pytest.approx([1.5, 1.5], rel=1e-5)
    assert ours._version.value == version + 1 and ours.is_leaf and ours.grad_fn is None
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_embedding_without_long_rows_leaves_weight_and_version_alone():
    weight = mm.tensor(np.full((3, 2), 0.5, dtype=np.float32))
    version = weight._version.value
    F.embedding(mm.tensor([0, 2]), weight, max_norm=1.0)
    assert weight._version.value == version and weight.tolist() == [[0.5, 0.5]] * 3


def test_signatures_match_torch():
    """Every contract function whose torch signature Python can read has the same names and defaults."""
    torch, tF = _torch_f()
    import inspect

    compared = []
    for name in ("linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm",
                 "layer_norm", "dropout", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax",
                 "log_softmax", "mse_loss", "cross_entropy", "nll_loss", "embedding"):
        try:
            theirs = inspect.signature(getattr(tF, name)).parameters
        except ValueError:
            continue  # a builtin without a readable signature
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in theirs.values()):
            continue  # a dispatching wrapper (max_pool2d)
        ours = inspect.signature(getattr(F, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [p.default for p in theirs.values()], name
        compared.append(name)
    assert {"mse_loss", "embedding", "relu", "leaky_relu", "nll_loss", "cross_entropy"} <= set(compared)
