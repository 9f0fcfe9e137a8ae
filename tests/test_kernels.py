"""Every numba kernel against its numpy twin in kernels/reference.py, on random shapes (hypothesis)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimod import kernels
from minimod.kernels import reference as R

J = pytest.importorskip("minimod.kernels.fast")  # numba kernels (jit.py) and convolution (conv_blas.py)

DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _close(got, expected, dtype):
    np.testing.assert_allclose(got, expected, **TOL[dtype])


@st.composite
def conv_geometry(draw):
    groups = draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 3)), groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    seed = draw(st.integers(0, 2**16))
    return (n, c, h, w), (kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups), seed


@settings(deadline=None, max_examples=25)
@given(conv_geometry(), DTYPES)
def test_im2col_twins(geometry, dtype):
    shape, args, seed = geometry
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    _close(J.im2col(x, *args), R.im2col(x, *args), dtype)


@settings(deadline=None, max_examples=40)
@given(conv_geometry(), DTYPES)
def test_col2im_twins(geometry, dtype):
    shape, args, seed = geometry
    kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups = args
    rows = shape[0] * oh * ow
    cols = np.random.default_rng(seed).standard_normal((rows, kh * kw * shape[1])).astype(dtype)
    got, want = J.col2im(cols, *shape, *args), R.col2im(cols, *shape, *args)
    assert got.shape == want.shape == shape and got.dtype == dtype
    _close(got, want, dtype)


def test_im2col_layout_is_one_row_per_output_pixel():
    x = np.arange(2 * 4 * 3 * 3, dtype=np.float64).reshape(2, 4, 3, 3)
    for backend in (R, J):
        cols = backend.im2col(x, 2, 2, 1, 1, 1, 0, 1, 1, 4, 2, 2)  # pad 1 row; 2 groups of 2 channels
        assert cols.shape == (2 * 4 * 2, 2 * 2 * 2 * 2)
        row = cols.reshape(2, 4, 2, 2, 2, 2, 2)[1, 2, 1]  # n=1, y=2, x=1 -> (g, i, j, c)
        # column (g, i, j, c) holds x[n, g*2 + c, y + i - 1, x + j]
        assert row[1, 0, 1, 0] == x[1, 2, 1, 2] and row[0, 1, 0, 1] == x[1, 1, 2, 1]


@pytest.mark.parametrize(
    ("shape", "pixel_major"),
    [((2, 1, 20, 20), True), ((2, 8, 6, 6), False)],
    ids=["pixel-major", "channels-last"],
)
def test_fast_conv_picks_the_memory_order_with_longer_runs(shape, pixel_major):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    args = (3, 3, 1, 2, 1, 0, 1, 1, shape[2], (shape[3] - 3) // 2 + 1)
    cols = J.im2col(x, *args)
    assert cols.flags.f_contiguous == pixel_major and cols.flags.c_contiguous != pixel_major
    _close(cols, R.im2col(x, *args), np.float32)
    w = np.random.default_rng(2).standard_normal((4, shape[1], 3, 3)).astype(np.float32)
    out, saved = J.conv2d_forward(x, w, None, *args[2:], 1)
    _close(out, R.conv2d_forward(x, w, None, *args[2:], 1)[0], np.float32)
    # the input gradient follows the same choice of memory order (pixel-major: per-sample patches)
    g = np.random.default_rng(3).standard_normal(out.shape).astype(np.float32)
    got = J.conv2d_backward(g, saved, w, shape, *args[2:8], 1, True, True, False)
    want = R.conv2d_backward(g, R.im2col(x, *args), w, shape, *args[2:8], 1, True, True, False)
    for a, b in zip(got[:2], want[:2]):
        _close(a, b, np.float32)


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> == <x, col2im(c)> for any x, c: the backward pass of convolution is exact
    rng = np.random.default_rng(0)
    shape, args = (2, 4, 7, 6), (3, 2, 2, 1, 1, 2, 1, 2, 4, 6, 2)
    x = rng.standard_normal(shape)
    c = rng.standard_normal(R.im2col(x, *args).shape)
    assert np.isclose((R.im2col(x, *args) * c).sum(), (x * R.col2im(c, *shape, *args)).sum())


@settings(deadline=None, max_examples=25)
@given(conv_geometry(), DTYPES, st.booleans(), st.booleans())
def test_conv2d_forward_and_backward_twins(geometry, dtype, with_bias, need_input):
    shape, (kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups), seed = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    o = groups * int(rng.integers(1, 3))
    weight = rng.standard_normal((o, shape[1] // groups, kh, kw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype) if with_bias else None
    geometry_args = (sh, sw, ph, pw, dh, dw)
    out, cols = J.conv2d_forward(x, weight, bias, *geometry_args, oh, ow, groups)
    expected_out, expected_cols = R.conv2d_forward(x, weight, bias, *geometry_args, oh, ow, groups)
    assert out.dtype == dtype and out.flags.c_contiguous
    _close(out, expected_out, dtype)
    # cols is what each backend's backward needs (the fast one may keep the padded input instead of
    # patches); the fast im2col itself must still match
    _close(J.im2col(x, kh, kw, *geometry_args, oh, ow, groups), expected_cols, dtype)
    g = rng.standard_normal(out.shape).astype(dtype)
    got = J.conv2d_backward(g, cols, weight, shape, *geometry_args, groups, need_input, True, with_bias)
    want = R.conv2d_backward(
        g, expected_cols, weight, shape, *geometry_args, groups, need_input, True, with_bias
    )
    for a, b in zip(got, want):
        if b is None:
            assert a is None
        else:
            assert a.dtype == dtype and a.shape == b.shape
            _close(a, b, dtype)


@pytest.mark.parametrize(
    ("channels", "size", "kernel", "pads", "dilation", "groups"),
    [
        (16, 20, 3, (1, 1, 1, 1), 1, 1),  # ResNet's 3x3 conv: on the padded grid
        (24, 32, 3, (2, 2, 2, 2), 2, 1),  # on the grid, dilated
        (24, 32, 3, (2, 2, 2, 2), 2, 2),  # grouped: patches, tap by tap
        (16, 20, 2, (0, 1, 0, 1), 1, 1),  # on the grid, "same" for an even kernel
        (8, 16, 3, (2, 2, 2, 2), 2, 2),  # pixel-major, dilated and grouped
        (6, 18, 2, (0, 1, 0, 1), 1, 1),  # pixel-major, "same" for an even kernel
        (12, 24, (3, 1), (1, 1, 0, 0), 1, 3),
        (1, 28, 5, (0, 0, 0, 0), 1, 1),  # one input channel: pixel-major patches, W · colsᵀ forward
        (3, 16, 3, (1, 1, 1, 1), 1, 1),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_twins_on_layer_sized_inputs(channels, size, kernel, pads, dilation, groups, dtype):
    """The fast backend's layout-dependent paths (picked by channel count and image size) on real layer
    shapes, which the small hypothesis geometries above rarely reach. float32 sums of ~1,000 products
    round differently in another order, hence its looser tolerance here."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    top, bottom, left, right = pads
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((2, channels, size, size)).astype(dtype)
    weight = rng.standard_normal((2 * groups * 2, channels // groups, kh, kw)).astype(dtype)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    oh = size + top + bottom - dilation * (kh - 1)
    ow = size + left + right - dilation * (kw - 1)
    args = (1, 1, top, left, dilation, dilation)
    bias = rng.standard_normal(weight.shape[0]).astype(dtype)
    out, cols = J.conv2d_forward(x, weight, bias, *args, oh, ow, groups)
    expected_out, expected_cols = R.conv2d_forward(x, weight, bias, *args, oh, ow, groups)
    np.testing.assert_allclose(out, expected_out, **tolerance)
    g = rng.standard_normal(out.shape).astype(dtype)
    got = J.conv2d_backward(g, cols, weight, x.shape, *args, groups, True, True, True)
    want = R.conv2d_backward(g, expected_cols, weight, x.shape, *args, groups, True, True, True)
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == dtype
        np.testing.assert_allclose(a, b, **tolerance)


@st.composite
def pool_geometry(draw, dilation=True):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    ph, pw = draw(st.integers(0, (dh * (kh - 1) + 1) // 2)), draw(st.integers(0, (dw * (kw - 1) + 1) // 2))
    # every window must reach the input (torch's pad <= half the kernel, and a kernel that fits)
    h = draw(st.integers(dh * (kh - 1) + 1, 9))
    w = draw(st.integers(dw * (kw - 1) + 1, 9))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    seed = draw(st.integers(0, 2**16))
    return (n, c, h, w), (kh, kw, sh, sw, ph, pw, dh, dw, oh, ow), seed


@settings(deadline=None, max_examples=25)
@given(pool_geometry(), DTYPES, st.booleans())
def test_max_pool_twins(geometry, dtype, with_ties):
    shape, args, seed = geometry
    rng = np.random.default_rng(seed)
    x = (rng.integers(0, 3, shape) if with_ties else rng.standard_normal(shape)).astype(dtype)
    out, indices = R.max_pool2d_forward(x, *args)
    out_j, indices_j = J.max_pool2d_forward(x, *args)
    _close(out_j, out, dtype)
    np.testing.assert_array_equal(indices_j, indices)
    g = rng.standard_normal(out.shape).astype(dtype)
    _close(
        J.max_pool2d_backward(g, indices, *shape[2:]), R.max_pool2d_backward(g, indices, *shape[2:]), dtype
    )


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_fast_path_matches_reference(stride, dtype):
    """jit's dedicated 2x2 kernel (no padding, no dilation): ties, -inf and several NaNs in one window."""
    rng = np.random.default_rng(stride)
    x = rng.integers(0, 3, (2, 3, 7, 8)).astype(dtype)
    x[0, 0, :2, :2] = np.nan
    x[0, 1, 2:4, 2:4] = -np.inf
    x[1, 2, 1, 1] = np.nan
    oh, ow = (7 - 2) // stride + 1, (8 - 2) // stride + 1
    args = (2, 2, stride, stride, 0, 0, 1, 1, oh, ow)
    out, indices = R.max_pool2d_forward(x, *args)
    out_j, indices_j = J.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(out_j, out)
    np.testing.assert_array_equal(indices_j, indices)


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 3), st.integers(0, 2**16), DTYPES)
def test_max_pool_2x2_fast_path_on_nans_and_infinities_anywhere(stride, seed, dtype):
    """The 2x2 kernel finds the maximum, then where it is; a window with a NaN, or with inf and -inf
    (whose sum is NaN too), goes the general way: every mix agrees with the twin."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, (2, 2, 6, 7)).astype(dtype)
    for value, share in ((np.nan, 0.1), (np.inf, 0.08), (-np.inf, 0.08)):
        x[rng.random(x.shape) < share] = value
    args = (2, 2, stride, stride, 0, 0, 1, 1, (6 - 2) // stride + 1, (7 - 2) // stride + 1)
    out, indices = R.max_pool2d_forward(x, *args)
    out_j, indices_j = J.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(out_j, out)
    np.testing.assert_array_equal(indices_j, indices)


def test_max_pool_2x2_with_ceil_mode_reads_nothing_past_the_edge():
    """ceil_mode's last window hangs over the edge: the 2x2 kernel (which reads all four taps) must not
    take it, or it reads the next channel's rows (here 100s) as the 5x5 plane's sixth row."""
    x = np.zeros((1, 2, 5, 5), np.float32)
    x[0, 1] = 100
    args = (2, 2, 2, 2, 0, 0, 1, 1, 3, 3)  # MaxPool2d(2, ceil_mode=True) on 5x5: 3x3 windows
    out, indices = R.max_pool2d_forward(x, *args)
    out_j, indices_j = J.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(out_j, out)
    np.testing.assert_array_equal(indices_j, indices)
    assert not out[0, 0].any()


@pytest.mark.parametrize("backend", [R, J], ids=["reference", "jit"])
@pytest.mark.parametrize(
    "shape, kernel, padding, dilation, expected_index",
    [((1, 1), 2, 1, 2, 2), ((2, 2), 2, 1, 3, 6)],  # torch 2.13's indices for these
)
def test_max_pool_window_with_no_tap_in_the_plane(backend, shape, kernel, padding, dilation, expected_index):
    """Dilation can step a window over the whole plane: torch gives -inf at the window's first tap past
    the padding (an index outside the plane), and its backward sends that gradient nowhere."""
    x = np.full((1, 1, *shape), 7.0, np.float32)
    args = (kernel, kernel, 1, 1, padding, padding, dilation, dilation, 1, 1)
    out, indices = backend.max_pool2d_forward(x, *args)
    assert out.item() == -np.inf and indices.item() == expected_index
    grad = backend.max_pool2d_backward(np.ones((1, 1, 1, 1), np.float32), indices, *shape)
    assert grad.shape == x.shape and not grad.any()


def test_max_pool_propagates_nan_like_torch():
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    for backend in (R, J):
        out, indices = backend.max_pool2d_forward(x, 2, 2, 2, 2, 0, 0, 1, 1, 1, 1)
        assert np.isnan(out).all() and indices.item() == 1


@settings(deadline=None, max_examples=25)
@given(pool_geometry(dilation=False), DTYPES, st.booleans(), st.sampled_from([0, 0, 3]))
def test_avg_pool_twins(geometry, dtype, count_include_pad, divisor):
    shape, (kh, kw, sh, sw, ph, pw, _, _, oh, ow), seed = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    args = (kh, kw, sh, sw, ph, pw)
    out = R.avg_pool2d_forward(x, *args, oh, ow, count_include_pad, divisor)
    _close(J.avg_pool2d_forward(x, *args, oh, ow, count_include_pad, divisor), out, dtype)
    g = rng.standard_normal(out.shape).astype(dtype)
    _close(
        J.avg_pool2d_backward(g, *shape[2:], *args, count_include_pad, divisor),
        R.avg_pool2d_backward(g, *shape[2:], *args, count_include_pad, divisor),
        dtype,
    )


ROWS = st.tuples(st.integers(1, 6), st.integers(1, 12), st.integers(0, 2**16))


@settings(deadline=None, max_examples=25)
@given(st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 9), st.integers(0, 2**16)), DTYPES)
def test_batch_norm_twins(shape, dtype):
    *dims, seed = shape
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(dims) * 3 + 1).astype(dtype)
    weight, bias = rng.standard_normal(dims[1]).astype(dtype), rng.standard_normal(dims[1]).astype(dtype)
    expected = R.batch_norm_forward(x, weight, bias, 1e-5)
    for got, want in zip(J.batch_norm_forward(x, weight, bias, 1e-5), expected):
        _close(got, want, dtype)
    g = rng.standard_normal(dims).astype(dtype)
    _, mean, var = expected
    for got, want in zip(
        J.batch_norm_backward(g, x, mean, var, weight, 1e-5),
        R.batch_norm_backward(g, x, mean, var, weight, 1e-5),
    ):
        assert got.dtype == want.dtype == dtype
        _close(got, want, dtype)


@settings(deadline=None, max_examples=25)
@given(ROWS, DTYPES)
def test_layer_norm_twins(shape, dtype):
    m, d, seed = shape
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((m, d)) * 2 - 1).astype(dtype)
    weight, bias = rng.standard_normal(d).astype(dtype), rng.standard_normal(d).astype(dtype)
    expected = R.layer_norm_forward(x, weight, bias, 1e-5)
    for got, want in zip(J.layer_norm_forward(x, weight, bias, 1e-5), expected):
        _close(got, want, dtype)
    g = rng.standard_normal((m, d)).astype(dtype)
    _, mean, rstd = expected
    for got, want in zip(
        J.layer_norm_backward(g, x, mean, rstd, weight), R.layer_norm_backward(g, x, mean, rstd, weight)
    ):
        _close(got, want, dtype)


@settings(deadline=None, max_examples=25)
@given(ROWS, DTYPES, st.sampled_from(["softmax", "log_softmax"]))
def test_softmax_twins(shape, dtype, name):
    m, d, seed = shape
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((m, d)) * 30).astype(dtype)  # large logits: the max shift must work
    y = getattr(R, f"{name}_forward")(x)
    assert np.isfinite(y).all()
    _close(getattr(J, f"{name}_forward")(x), y, dtype)
    g = rng.standard_normal((m, d)).astype(dtype)
    _close(getattr(J, f"{name}_backward")(g, y), getattr(R, f"{name}_backward")(g, y), dtype)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_twins_on_nan_and_infinite_logits(name, dtype):
    # a NaN anywhere in a row, a +inf, all -inf, a -inf among finite values: the rows come out as numpy's
    x = np.array([[1.0, np.nan, 2.0], [np.nan, 1.0, 3.0], [1.0, np.inf, 0.0], [-np.inf, -np.inf, -np.inf],
                  [-np.inf, 0.0, 1.0], [1e30, -1e30, 0.0]], dtype=dtype)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        y = getattr(R, f"{name}_forward")(x)
        np.testing.assert_allclose(getattr(J, f"{name}_forward")(x), y, **TOL[dtype])
        g = np.ones_like(x)
        want = getattr(R, f"{name}_backward")(g, y)
        np.testing.assert_allclose(getattr(J, f"{name}_backward")(g, y), want, **TOL[dtype])


@settings(deadline=None, max_examples=25)
@given(ROWS, DTYPES)
def test_nll_twins(shape, dtype):
    m, c, seed = shape
    rng = np.random.default_rng(seed)
    log_probs = R.log_softmax_forward(rng.standard_normal((m, c)).astype(dtype))
    target = rng.integers(0, c, m)
    target[rng.random(m) < 0.3] = -100
    weight = rng.uniform(0.5, 2, c).astype(dtype)
    expected = R.nll_loss_forward(log_probs, target, weight, -100)
    for got, want in zip(J.nll_loss_forward(log_probs, target, weight, -100), expected):
        _close(got, want, dtype)
    g = rng.standard_normal(m).astype(dtype)
    _close(
        J.nll_loss_backward(g, target, expected[1], c), R.nll_loss_backward(g, target, expected[1], c), dtype
    )


@pytest.mark.parametrize("backend", [R, J], ids=["reference", "jit"])
def test_nll_rejects_a_target_out_of_range(backend):
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        backend.nll_loss_forward(np.zeros((2, 3)), np.array([0, 5]), np.ones(3), -100)


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 40), st.booleans(), DTYPES, st.integers(0, 2**16))
def test_gelu_twins(size, tanh, dtype, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((2, size)) * 3).astype(dtype)
    _close(J.gelu_forward(x, tanh), R.gelu_forward(x, tanh), dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    _close(J.gelu_backward(g, x, tanh), R.gelu_backward(g, x, tanh), dtype)


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 40), DTYPES, st.integers(0, 2**16))
def test_relu_twins(size, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, size)).astype(dtype)
    x[0, 0] = np.nan
    y = J.relu_forward(x)
    np.testing.assert_array_equal(y, R.relu_forward(x))  # NaN stays NaN
    assert np.isnan(y[0, 0]) and y.dtype == dtype
    # a NaN output passes no gradient, as in torch
    g = rng.standard_normal(y.shape).astype(dtype)
    got, want = J.relu_backward(g, y), R.relu_backward(g, y)
    assert got.dtype == want.dtype == dtype and got[0, 0] == 0
    np.testing.assert_array_equal(got, want)


@settings(deadline=None, max_examples=40)
@given(
    st.integers(1, 300), DTYPES, st.integers(0, 2**16), st.sampled_from([0.0, 0.9]),
    st.sampled_from([0.0, 0.3]), st.sampled_from([0.0, 0.01]), st.booleans(), st.booleans(), st.booleans(),
)
def test_sgd_step_twins(size, dtype, seed, momentum, dampening, weight_decay, nesterov, maximize, transposed):
    # every option, bit for bit: the kernel makes numpy's roundings in numpy's order; a transposed
    # (non C-contiguous) parameter takes the reference inside the fast backend's wrapper
    nesterov = nesterov and momentum != 0 and dampening == 0
    rng = np.random.default_rng(seed)
    param, grad, buffer = (rng.standard_normal((3, size)).astype(dtype) for _ in range(3))
    if transposed:
        param, grad, buffer = param.T, grad.T, buffer.T
    args = (0.05, momentum, dampening, weight_decay, nesterov, maximize)
    results = []
    for kernel in (J.sgd_step, R.sgd_step):
        p, b = param.copy(order="K"), buffer.copy(order="K")
        assert kernel(p, grad, b if momentum else None, *args) is None
        results.append((p, b))
    (p_jit, b_jit), (p_ref, b_ref) = results
    assert p_jit.dtype == dtype
    np.testing.assert_array_equal(p_jit, p_ref)
    np.testing.assert_array_equal(b_jit, b_ref)
    assert not np.array_equal(p_jit, param)  # the update happened


def test_relu_of_a_large_tensor_runs_through_the_kernels():
    import minimod

    rng = np.random.default_rng(0)
    x = minimod.tensor(rng.standard_normal((64, 1024)).astype(np.float32), requires_grad=True)  # 256 KiB
    g = rng.standard_normal((64, 1024)).astype(np.float32)
    y = minimod.relu(x)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(x.detach().numpy(), 0))
    y.backward(minimod.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), np.where(x.detach().numpy() > 0, g, 0))


def test_normalisation_twins_propagate_nan_and_inf_alike():
    # the jit kernels may reorder their float64 sums (fastmath "reassoc"), never drop a NaN or inf
    x = np.random.default_rng(0).standard_normal((3, 2, 5)).astype(np.float32)
    x[1, 0, 2], x[0, 1, 1] = np.nan, np.inf
    w, b = np.ones(2, np.float32), np.zeros(2, np.float32)
    with np.errstate(invalid="ignore"):
        for got, want in zip(J.batch_norm_forward(x, w, b, 1e-5), R.batch_norm_forward(x, w, b, 1e-5)):
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        rows, w5, b5 = x.reshape(6, 5), np.ones(5, np.float32), np.zeros(5, np.float32)
        got, want = J.layer_norm_forward(rows, w5, b5, 1e-5)[0], R.layer_norm_forward(rows, w5, b5, 1e-5)[0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got).any()


@settings(deadline=None, max_examples=20)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 4), DTYPES, st.integers(0, 99))
def test_adaptive_avg_pool_backward_twins(h, w, oh, ow, dtype, seed):
    g = np.random.default_rng(seed).standard_normal((2, 3, oh, ow)).astype(dtype)
    got = J.adaptive_avg_pool2d_backward(g, h, w)
    assert got.dtype == dtype
    _close(got, R.adaptive_avg_pool2d_backward(g, h, w), dtype)


def test_adaptive_pool_uses_the_reference_kernel():
    x = np.arange(2 * 5 * 7, dtype=np.float64).reshape(1, 2, 5, 7)
    out = J.adaptive_avg_pool2d_forward(x, 2, 3)
    assert out[0, 0, 0, 0] == x[0, 0, 0:3, 0:3].mean()
    assert out[0, 1, 1, 2] == x[0, 1, 2:5, 4:7].mean()


# --- statistics -------------------------------------------------------------------------------------

STATS_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.uint64, bool]


@st.composite
def stats_input(draw):
    """An array of any of STATS_DTYPES, 0-3 dimensions (possibly empty), some NaN/±inf among float values,
    an optional large offset (a mean far from 0), and a transposed or strided view half the time."""
    dtype = np.dtype(draw(st.sampled_from(STATS_DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 7), max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if dtype.kind == "f":
        offset = draw(st.sampled_from([0.0, 0.0, 1e3, -1e4]))
        x = (offset + rng.standard_normal(shape) * draw(st.sampled_from([1e-3, 1.0, 1e3]))).astype(dtype)
        flat = x.reshape(-1)  # a view: the NaN/inf land in x
        for value in draw(st.lists(st.sampled_from([np.nan, np.inf, -np.inf]), max_size=4)):
            if flat.size:
                flat[rng.integers(flat.size)] = value
    elif dtype.kind == "b":
        x = rng.integers(0, 2, shape).astype(dtype)
    else:
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    layout = draw(st.sampled_from(["C", "transposed", "strided"]))
    if layout == "transposed":
        x = x.T
    elif layout == "strided" and x.ndim:
        x = x[..., ::-2]
    return x


def _same_stats(got, want):
    count, nan, inf, *moments = got
    assert (count, nan, inf) == want[:3]
    mean, std, low, high = moments
    scale = max(abs(want[5]), abs(want[6]), 1e-300) if want[0] else 1.0
    np.testing.assert_allclose([mean, std], want[3:5], rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_array_equal([low, high], want[5:])  # one of the values, exactly (NaN when none)


@settings(deadline=None, max_examples=80)
@given(stats_input())
def test_tensor_stats_twins(x):
    before = x.copy()
    got = J.tensor_stats(x)
    _same_stats(got, R.tensor_stats(x))
    assert all(isinstance(v, int) for v in got[:3]) and all(isinstance(v, float) for v in got[3:])
    np.testing.assert_array_equal(x, before)  # the input is only read


@pytest.mark.parametrize("backend", [R, J], ids=["reference", "jit"])
def test_tensor_stats_counts_nan_and_inf_and_leaves_them_out(backend):
    x = np.array([[np.nan, 1.0, np.inf], [-np.inf, 3.0, np.nan]], np.float32)
    assert backend.tensor_stats(x) == (2, 2, 2, 2.0, 1.0, 1.0, 3.0)
    count, nan, inf, *moments = backend.tensor_stats(np.full(3, np.nan))
    assert (count, nan, inf) == (0, 3, 0) and np.isnan(moments).all()
    count, nan, inf, *moments = backend.tensor_stats(np.zeros((2, 0), np.float16))
    assert (count, nan, inf) == (0, 0, 0) and np.isnan(moments).all()


@pytest.mark.parametrize("first", [None, 0.0], ids=["mean-near-the-first-value", "first-value-far-off"])
def test_tensor_stats_of_values_with_a_large_mean(first):
    # shifted sums keep the variance of values around 1e9 (std 1) that a plain Σx² - (Σx)²/n loses; a
    # first value far from the rest (the shift) makes the kernel sum again around the mean
    values = 1e9 + np.random.default_rng(0).standard_normal(100_000)
    if first is not None:
        values[0] = first
    centred = values - values.mean()
    want_std = float(np.sqrt(np.mean(centred * centred)))
    count, _nan, _inf, mean, std, low, high = J.tensor_stats(values)
    assert count == values.size and low == values.min() and high == values.max()
    np.testing.assert_allclose([mean, std], [values.mean(), want_std], rtol=1e-12)


# --- the switch ---------------------------------------------------------------------------------


def test_switch_selects_the_backend_at_call_time(monkeypatch):
    monkeypatch.delenv("MINIMOD_DISABLE_JIT", raising=False)
    assert kernels.backend() is J and kernels._find("conv2d_forward") is J.conv2d_forward
    monkeypatch.setenv("MINIMOD_DISABLE_JIT", "1")
    assert kernels.backend() is R and kernels._find("conv2d_forward") is R.conv2d_forward
    assert not kernels.jit_enabled()


def test_unknown_kernel_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no kernel 'nope'"):
        kernels.nope  # noqa: B018


def test_importing_minimod_does_not_import_numba():
    code = "import sys, minimod, minimod.nn.functional; print('numba' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(("size", "loads"), [(3, False), (100_000, True)], ids=["small", "large"])
def test_relu_loads_numba_only_where_it_pays(size, loads):
    # numba's relu saves microseconds on a small array; loading numba for it would cost a second
    code = (f"import sys, minimod as mm; x = mm.randn({size}, requires_grad=True); "
            "x.relu().sum().backward(); "
            "print('numba' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("MINIMOD_DISABLE_JIT", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == str(loads)


@pytest.mark.parametrize("module", ["conv_blas", "halves", "scratch"])
def test_importing_a_kernel_module_first_keeps_the_fast_backend(module):
    # conv_blas imports halves from this package: a package attribute lookup that once went to the
    # backend, imported jit halfway through conv_blas's own import, and left the numpy kernels on for good
    code = f"from minimod.kernels import {module}; from minimod import kernels; print(kernels.jit_enabled())"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("MINIMOD_DISABLE_JIT", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "True"


def _assert_backward_twins(g, fast_saved, twin_saved, weight, x_shape, args, need_bias, check):
    """conv2d_backward of the fast backend (given its forward's saved array) against the twin's, for each
    combination of the gradients asked for: the same gradients missing, check(fast, twin) on the rest."""
    for need_input, need_weight in [(True, True), (True, False), (False, True)]:
        got = J.conv2d_backward(g, fast_saved, weight, x_shape, *args, 1, need_input, need_weight, need_bias)
        want = R.conv2d_backward(g, twin_saved, weight, x_shape, *args, 1, need_input, need_weight, need_bias)
        for a, b in zip(got, want):
            assert (a is None) == (b is None)
            if a is not None:
                check(a, b)


def _same_kind_and_close(dtype, tolerance):
    def check(a, b):
        assert a.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, **tolerance)

    return check


@pytest.mark.parametrize(
    ("channels", "size", "kernel", "pads", "dilation"),
    [
        (16, 20, 3, (1, 1, 1, 1), 1),  # on the grid
        (24, 32, 3, (2, 2, 2, 2), 2),
        (16, 20, 2, (0, 1, 0, 1), 1),
        (3, 20, 3, (1, 1, 1, 1), 1),  # per-sample patches
        (1, 21, 5, (0, 1, 0, 1), 2),
    ],
)
@pytest.mark.parametrize("batch", [1, 3, 4])
def test_conv_in_halves_and_blocks_matches_the_reference(
    monkeypatch, channels, size, kernel, pads, dilation, batch
):
    """Convolutions split into two halves of the batch (two threads when halves.py can run them), the
    grid's backward in small blocks of rows, against the numpy twin: odd batches give unequal halves,
    and a tap's rows reach past the end of a block and of a half."""
    from minimod.kernels import conv_blas

    halves = [(0, batch // 2), (batch // 2, batch)] if batch > 1 else [(0, batch)]
    monkeypatch.setattr(conv_blas, "_parts", lambda *_: halves)
    monkeypatch.setattr(conv_blas, "DIRECT_MIN_CHANNELS", 10**6)  # the grid's path, not the direct loops
    monkeypatch.setattr(conv_blas, "WEIGHT_BLOCK_BYTES", 4096)
    monkeypatch.setattr(conv_blas, "INPUT_BLOCK_BYTES", 6144)
    top, bottom, left, right = pads
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, channels, size, size))
    weight = rng.standard_normal((8, channels, kernel, kernel))
    oh = size + top + bottom - dilation * (kernel - 1)
    ow = size + left + right - dilation * (kernel - 1)
    args = (1, 1, top, left, dilation, dilation)
    assert conv_blas._on_grid(channels, kernel, kernel, 1, 1, dilation, dilation, oh, ow, 1) != (
        conv_blas._per_sample(channels, kernel, ow, 1)
    )
    out, grid = J.conv2d_forward(x, weight, None, *args, oh, ow, 1)
    expected_out, cols = R.conv2d_forward(x, weight, None, *args, oh, ow, 1)
    _close(out, expected_out, np.float64)
    g = rng.standard_normal(out.shape)
    _assert_backward_twins(g, grid, cols, weight, x.shape, args, False, lambda a, b: _close(a, b, np.float64))


@pytest.mark.parametrize(
    ("batch", "channels", "out_channels", "size", "kernel", "pads", "dilation"),
    [
        (3, 16, 16, 9, 3, (1, 1, 1, 1), 1),  # ResNet's 3x3, odd batch and size
        (2, 9, 5, (7, 10), 3, (1, 1, 1, 1), 1),  # channels not a multiple of 4, a non-square image
        (2, 10, 20, 12, 5, (2, 2, 2, 2), 1),  # 5x5 "same"
        (3, 12, 6, (11, 9), (3, 2), (2, 2, 1, 1), (2, 1)),  # dilated rows, an even kernel's "same" columns
        (1, 8, 3, 6, 2, (0, 1, 0, 1), 1),  # an even kernel's "same": padded after only
        (2, 8, 7, 8, 3, (0, 0, 0, 0), 1),  # no padding: the input gradient pads dY by 2 on every side
        (2, 13, 4, 7, 3, (2, 0, 1, 1), 1),  # padding as large as the kernel's extent - 1 on one side
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_direct_conv_twins(monkeypatch, batch, channels, out_channels, size, kernel, pads, dilation, dtype):
    """conv_blas's direct convolution (conv_direct.py's loops) against the numpy twin, on shapes its
    channel blocks of 4 do not divide, odd sizes, one-sided padding and dilation, split into unequal halves
    of the batch; every combination of the gradients asked for."""
    from minimod.kernels import conv_blas

    parts = [(0, batch // 2), (batch // 2, batch)] if batch > 1 else [(0, batch)]
    monkeypatch.setattr(conv_blas, "_parts", lambda *_: parts)
    monkeypatch.setattr(conv_blas, "DIRECT_MAX_GRID", 100.0)  # small images: grids far larger than outputs
    h, w = (size, size) if isinstance(size, int) else size
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    top, bottom, left, right = pads
    oh, ow = h + top + bottom - dh * (kh - 1), w + left + right - dw * (kw - 1)
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((batch, channels, h, w)).astype(dtype)
    weight = rng.standard_normal((out_channels, channels, kh, kw)).astype(dtype)
    bias = rng.standard_normal(out_channels).astype(dtype)
    args = (1, 1, top, left, dh, dw)
    assert conv_blas._direct(x.shape, weight.shape, x.dtype, *args, oh, ow, 1)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    out, planes = J.conv2d_forward(x, weight, bias, *args, oh, ow, 1)
    expected_out, cols = R.conv2d_forward(x, weight, bias, *args, oh, ow, 1)
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_allclose(out, expected_out, **tolerance)
    g = rng.standard_normal(out.shape).astype(dtype)
    _assert_backward_twins(g, planes, cols, weight, x.shape, args, True,
                           _same_kind_and_close(dtype, tolerance))


@pytest.mark.parametrize("pads", [(0, 0, 0, 0), (1, 1, 1, 1)])
@pytest.mark.parametrize("where", [(5, 0), (0, 0), (3, 7), (7, 7)])
def test_direct_conv_weight_grad_with_an_infinite_input(monkeypatch, pads, where):
    """The direct loops compute output columns past ow on the padded grid and drop them; with dY 0 there,
    an inf input read by such a column would make 0 · inf = NaN in dW. dW's inf and NaN must be where
    the twin has them (here: an inf, no NaN), at the first column, the corner, inside and at the edge."""
    from minimod.kernels import conv_blas

    monkeypatch.setattr(conv_blas, "DIRECT_MAX_GRID", 100.0)  # a small image: its grid is far larger
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 8, 8)).astype(np.float32)
    x[(0, 0, *where)] = np.inf
    weight = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    top, bottom, left, right = pads
    oh, ow = 8 + top + bottom - 2, 8 + left + right - 2
    args = (1, 1, top, left, 1, 1)
    assert conv_blas._direct(x.shape, weight.shape, x.dtype, *args, oh, ow, 1)
    out, planes = J.conv2d_forward(x, weight, None, *args, oh, ow, 1)
    _, cols = R.conv2d_forward(x, weight, None, *args, oh, ow, 1)
    g = rng.standard_normal(out.shape).astype(np.float32)
    _, got, _ = J.conv2d_backward(g, planes, weight, x.shape, *args, 1, False, True, False)
    _, want, _ = R.conv2d_backward(g, cols, weight, x.shape, *args, 1, False, True, False)
    assert not np.isnan(want).any() and np.isinf(want).any()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("channels", "size", "kernel", "stride", "pads", "dilation"),
    [
        (10, 12, 5, 1, (0, 0, 0, 0), 1),  # the ConvNet's second layer
        (7, 11, 3, 2, (1, 1, 1, 1), 1),  # strided, odd sizes
        (9, 13, 3, 1, (2, 2, 2, 2), 2),  # dilated, padded
    ],
)
@pytest.mark.parametrize("batch", [1, 3, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channels_last_patches_in_halves_match_the_reference(
    monkeypatch, channels, size, kernel, stride, pads, dilation, batch, dtype
):
    """One group, channels-last patches (neither direct, nor on the grid, nor per sample), split into
    two halves of the batch: the patches, products and col2im of each half against the numpy twin."""
    from minimod.kernels import conv_blas

    parts = [(0, batch // 2), (batch // 2, batch)] if batch > 1 else [(0, batch)]
    monkeypatch.setattr(conv_blas, "_parts", lambda *_: parts)
    monkeypatch.setattr(conv_blas, "DIRECT_MIN_CHANNELS", 10**6)
    top, bottom, left, right = pads
    oh = (size + top + bottom - dilation * (kernel - 1) - 1) // stride + 1
    ow = (size + left + right - dilation * (kernel - 1) - 1) // stride + 1
    assert not conv_blas._on_grid(channels, kernel, kernel, stride, stride, dilation, dilation, oh, ow, 1)
    assert not conv_blas._per_sample(channels, kernel, ow, 1)
    rng = np.random.default_rng(batch + channels)
    x = rng.standard_normal((batch, channels, size, size)).astype(dtype)
    weight = rng.standard_normal((6, channels, kernel, kernel)).astype(dtype)
    bias = rng.standard_normal(6).astype(dtype)
    args = (stride, stride, top, left, dilation, dilation)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    out, cols = J.conv2d_forward(x, weight, bias, *args, oh, ow, 1)
    expected_out, expected_cols = R.conv2d_forward(x, weight, bias, *args, oh, ow, 1)
    np.testing.assert_allclose(out, expected_out, **tolerance)
    np.testing.assert_allclose(cols, expected_cols, **tolerance)
    g = rng.standard_normal(out.shape).astype(dtype)
    _assert_backward_twins(g, cols, expected_cols, weight, x.shape, args, True,
                           _same_kind_and_close(dtype, tolerance))


def test_direct_conv_is_the_small_resnets_path():
    # the benchmark's 3x3 16 -> 16 convolutions take the direct loops; a first layer (3 channels), a
    # strided or grouped convolution, float16 and the ConvNet's 5x5 on 12x12 do not
    from minimod.kernels import conv_blas

    direct = conv_blas._direct
    assert direct((16, 16, 32, 32), (16, 16, 3, 3), np.dtype(np.float32), 1, 1, 1, 1, 1, 1, 32, 32, 1)
    assert not direct((16, 3, 32, 32), (16, 3, 3, 3), np.dtype(np.float32), 1, 1, 1, 1, 1, 1, 32, 32, 1)
    assert not direct((16, 16, 32, 32), (16, 16, 3, 3), np.dtype(np.float32), 2, 2, 1, 1, 1, 1, 16, 16, 1)
    assert not direct((16, 16, 32, 32), (16, 8, 3, 3), np.dtype(np.float32), 1, 1, 1, 1, 1, 1, 32, 32, 2)
    assert not direct((16, 16, 32, 32), (16, 16, 3, 3), np.dtype(np.float16), 1, 1, 1, 1, 1, 1, 32, 32, 1)
    assert not direct((32, 10, 12, 12), (20, 10, 5, 5), np.dtype(np.float32), 1, 1, 0, 0, 1, 1, 8, 8, 1)


# --- float16 ----------------------------------------------------------------------------------------

_TARGET = np.zeros(8, dtype=np.int64)
_tensor = __import__("minimod").tensor
FLOAT16_OPS = {
    "batch_norm": lambda F, x: F.batch_norm(x, None, None, training=True),
    "max_pool2d": lambda F, x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 3, 2, 1),
    "layer_norm": lambda F, x: F.layer_norm(x, (32,)),
    "relu": lambda F, x: F.relu(x),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "nll_loss": lambda F, x: F.nll_loss(F.log_softmax(x.flatten(1), 1), _tensor(_TARGET)),
}


@pytest.mark.parametrize("op", FLOAT16_OPS)
def test_float16_takes_the_numpy_twin_and_agrees_with_float32(op):
    # numba cannot type float16: the fast backend hands float16 arrays to reference.py (large arrays
    # here, so the kernels' large-array paths are the ones asked)
    import minimod as mm

    assert kernels.jit_enabled()
    # multiples of 1/64 in [-4, 4]: exact in float16, so both dtypes see the same values (and ties)
    values = np.clip(np.round(np.random.default_rng(0).normal(size=(8, 16, 32, 32)) * 64) / 64, -4, 4)
    results = {}
    for dtype in (np.float16, np.float32):
        x = mm.tensor(values.astype(dtype), requires_grad=True)
        y = FLOAT16_OPS[op](mm.nn.functional, x)
        y.float().sum().backward()
        assert y.dtype == x.grad.dtype == mm.tensor(values.astype(dtype)).dtype
        results[dtype] = (y.float().numpy(), x.grad.float().numpy())
    for half, single in zip(results[np.float16], results[np.float32]):
        np.testing.assert_allclose(half, single, rtol=2e-2, atol=2e-2)


def test_a_kernel_kept_by_its_caller_follows_the_switch_at_each_call(monkeypatch):
    kernel = kernels.log_softmax_forward  # looked up once, as a caller may keep it
    calls = []
    monkeypatch.setattr(R, "log_softmax_forward", lambda x: calls.append("twin") or x)
    monkeypatch.delenv("MINIMOD_DISABLE_JIT", raising=False)
    x = np.zeros((2, 3), np.float32)
    np.testing.assert_allclose(kernel(x), np.full((2, 3), -np.log(3), np.float32), rtol=1e-6)
    assert calls == []
    monkeypatch.setenv("MINIMOD_DISABLE_JIT", "1")
    assert kernel(x) is x and calls == ["twin"]
    monkeypatch.delenv("MINIMOD_DISABLE_JIT")
    kernel(x)
    assert calls == ["twin"]
