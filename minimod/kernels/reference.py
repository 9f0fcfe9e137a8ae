"""Plain-numpy kernels: the specification every numba twin in jit.py must match.

Kernels take and return C-contiguous ndarrays, ints and tuples, never Tensors. Geometry (output
sizes, paddings) is decided by the caller in minimod/functions; a kernel only computes. Padding is
given as the top/left amount: any window cell outside the input reads as zero (convolution) or is
skipped (pooling), so asymmetric ("same") padding needs no extra argument.
"""

from __future__ import annotations

import math

import numpy as np

# --- convolution: im2col / col2im and a product per group (the GEMM itself is numpy's BLAS) -----


def _padded(x, ph, pw, extent_h, extent_w, fill=0.0):
    """x with ph/pw rows/columns of fill before and enough after to cover extent_h x extent_w."""
    n, c, h, w = x.shape
    bottom, right = max(0, extent_h - h - ph), max(0, extent_w - w - pw)
    out = np.full((n, c, ph + h + bottom, pw + w + right), fill, dtype=x.dtype)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups=1):
    """(N, C, H, W) -> cols (N·oh·ow, G·kh·kw·Cg): row (n, y, x), column (g, i, j, c) holds
    x[n, g·Cg + c, y·sh + i·dh - ph, x·sw + j·dw - pw] (zero outside the input).

    One row per output pixel, so the product with the weights has the long N·oh·ow side as its rows
    (the orientation BLAS runs fastest); each group's columns are one contiguous block."""
    n, c, h, w = x.shape
    cg = c // groups
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    xp = _padded(x, ph, pw, span_h + (kh - 1) * dh, span_w + (kw - 1) * dw)
    cols = np.empty((n, oh, ow, groups, kh, kw, cg), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            window = xp[:, :, i * dh : i * dh + span_h : sh, j * dw : j * dw + span_w : sw]
            cols[:, :, :, :, i, j, :] = window.transpose(0, 2, 3, 1).reshape(n, oh, ow, groups, cg)
    return cols.reshape(n * oh * ow, groups * kh * kw * cg)


def col2im(cols, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups=1):
    """The adjoint of im2col: add every column entry back to the input cell it was read from."""
    cg = c // groups
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    extent_h = max(ph + h, span_h + (kh - 1) * dh)
    extent_w = max(pw + w, span_w + (kw - 1) * dw)
    xp = np.zeros((n, c, extent_h, extent_w), dtype=cols.dtype)
    cols = cols.reshape(n, oh, ow, groups, kh, kw, cg)
    for i in range(kh):
        for j in range(kw):
            window = cols[:, :, :, :, i, j, :].reshape(n, oh, ow, c).transpose(0, 3, 1, 2)
            xp[:, :, i * dh : i * dh + span_h : sh, j * dw : j * dw + span_w : sw] += window
    return np.ascontiguousarray(xp[:, :, ph : ph + h, pw : pw + w])


def weight_rows(weight, groups):
    """(O, Cg, kh, kw) -> (G, O/G, kh·kw·Cg): each group's filters as rows, columns in im2col's order."""
    o, cg, kh, kw = weight.shape
    per_group = weight.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2)
    return per_group.reshape(groups, o // groups, kh * kw * cg)


def conv2d_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """(out (N, O, oh, ow), cols): per group g, out_g = cols_g · W_gᵀ (+ bias), cols = im2col(x)."""
    n = x.shape[0]
    o = weight.shape[0]
    kh, kw = weight.shape[2:]
    cols = im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups)
    w_rows = weight_rows(weight, groups)
    k = w_rows.shape[2]
    out = np.concatenate([cols[:, g * k : (g + 1) * k] @ w_rows[g].T for g in range(groups)], axis=1)
    if bias is not None:
        out += bias
    return np.ascontiguousarray(out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)), cols


def conv2d_backward(
    grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, groups, need_input, need_weight, need_bias
):
    """(grad_x, grad_weight, grad_bias), None where not needed.  With dY as rows (N·oh·ow, O):
    dW_g = dY_gᵀ · cols_g,  dx = col2im(dY_g · W_g for each g),  db = Σ dY."""
    n, o, oh, ow = grad_output.shape
    kh, kw = weight.shape[2:]
    og = o // groups
    g_rows = grad_output.transpose(0, 2, 3, 1).reshape(-1, o)
    w_rows = weight_rows(weight, groups)
    k = w_rows.shape[2]
    grad_x = grad_weight = grad_bias = None
    if need_weight:
        blocks = np.stack([g_rows[:, g * og : (g + 1) * og].T @ cols[:, g * k : (g + 1) * k]
                           for g in range(groups)])
        cg = weight.shape[1]
        grad_weight = np.ascontiguousarray(blocks.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2))
    if need_input:
        dcols = np.concatenate([g_rows[:, g * og : (g + 1) * og] @ w_rows[g] for g in range(groups)], axis=1)
        grad_x = col2im(dcols, *x_shape, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups)
    if need_bias:
        grad_bias = g_rows.sum(axis=0)
    return grad_x, grad_weight, grad_bias


# --- pooling ------------------------------------------------------------------------------------


def _window(start, size, step, limit):
    """Indices start, start+step, ... (size of them) that fall inside [0, limit)."""
    index = start + step * np.arange(size)
    return index[(index >= 0) & (index < limit)]


def _first_tap(start, step):
    """The first of start, start+step, ... that is not negative."""
    return start if start >= 0 else start + step * ((step - 1 - start) // step)


def max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """(out, indices): the max of each window and its flat index y*W + x in the input plane.

    Ties keep the first cell in scan order; a NaN wins (and propagates), as in torch."""
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    indices = np.empty((n, c, oh, ow), dtype=np.int64)
    for y in range(oh):
        rows = _window(y * sh - ph, kh, dh, h)
        for xo in range(ow):
            columns = _window(xo * sw - pw, kw, dw, w)
            best = np.full((n, c), -np.inf, dtype=x.dtype)
            # torch's index for a window with no tap in the plane (dilation stepped over it): its first
            # tap past the padding, outside the plane
            first_row = rows[0] if len(rows) else _first_tap(y * sh - ph, dh)
            first_column = columns[0] if len(columns) else _first_tap(xo * sw - pw, dw)
            where = np.full((n, c), first_row * w + first_column, dtype=np.int64)
            for iy in rows:
                for ix in columns:
                    value = x[:, :, iy, ix]
                    better = (value > best) | np.isnan(value)
                    best = np.where(better, value, best)
                    where = np.where(better, iy * w + ix, where)
            out[:, :, y, xo] = best
            indices[:, :, y, xo] = where
    return out, indices


def max_pool2d_backward(grad_output, indices, h, w):
    """Send each output gradient to the input cell its max came from (adding where they repeat)."""
    n, c = grad_output.shape[:2]
    grad = np.zeros((n * c, h * w), dtype=grad_output.dtype)
    rows = np.repeat(np.arange(n * c), grad_output[0, 0].size)
    cells = indices.reshape(-1)
    inside = (cells >= 0) & (cells < h * w)  # a window with no tap in the plane has nowhere to send it
    np.add.at(grad, (rows[inside], cells[inside]), grad_output.reshape(-1)[inside])
    return grad.reshape(n, c, h, w)


def _avg_window(y, stride, pad, kernel, limit):
    """torch's avg-pool window: (start, end) clipped to the input, and the padded-window size."""
    start = y * stride - pad
    end = min(start + kernel, limit + pad)
    padded_size = end - start
    return max(start, 0), min(end, limit), padded_size


def avg_pool2d_forward(x, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad, divisor_override):
    """Window means. The divisor is divisor_override if non-zero, else the window's size counting
    padding (count_include_pad) or only the cells inside the input."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for y in range(oh):
        y0, y1, size_h = _avg_window(y, sh, ph, kh, h)
        for xo in range(ow):
            x0, x1, size_w = _avg_window(xo, sw, pw, kw, w)
            if y0 >= y1 or x0 >= x1:
                continue
            divisor = _divisor(y1 - y0, x1 - x0, size_h * size_w, count_include_pad, divisor_override)
            out[:, :, y, xo] = x[:, :, y0:y1, x0:x1].sum(axis=(2, 3)) / x.dtype.type(divisor)
    return out


def avg_pool2d_backward(grad_output, h, w, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    """Spread each output gradient evenly (by the forward's divisor) over its window."""
    n, c, oh, ow = grad_output.shape
    grad = np.zeros((n, c, h, w), dtype=grad_output.dtype)
    for y in range(oh):
        y0, y1, size_h = _avg_window(y, sh, ph, kh, h)
        for xo in range(ow):
            x0, x1, size_w = _avg_window(xo, sw, pw, kw, w)
            if y0 >= y1 or x0 >= x1:
                continue
            divisor = _divisor(y1 - y0, x1 - x0, size_h * size_w, count_include_pad, divisor_override)
            share = grad_output[:, :, y, xo] / grad_output.dtype.type(divisor)
            grad[:, :, y0:y1, x0:x1] += share[:, :, None, None]
    return grad


def _divisor(rows, columns, padded_size, count_include_pad, divisor_override):
    if divisor_override:
        return divisor_override
    return padded_size if count_include_pad else rows * columns


def adaptive_avg_pool2d_forward(x, oh, ow):
    """Mean over window [floor(i*H/oh), ceil((i+1)*H/oh)) in each direction."""
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for y in range(oh):
        y0, y1 = (y * h) // oh, -((-(y + 1) * h) // oh)
        for xo in range(ow):
            x0, x1 = (xo * w) // ow, -((-(xo + 1) * w) // ow)
            out[:, :, y, xo] = x[:, :, y0:y1, x0:x1].mean(axis=(2, 3))
    return out


def adaptive_avg_pool2d_backward(grad_output, h, w):
    n, c, oh, ow = grad_output.shape
    grad = np.zeros((n, c, h, w), dtype=grad_output.dtype)
    for y in range(oh):
        y0, y1 = (y * h) // oh, -((-(y + 1) * h) // oh)
        for xo in range(ow):
            x0, x1 = (xo * w) // ow, -((-(xo + 1) * w) // ow)
            size = grad_output.dtype.type((y1 - y0) * (x1 - x0))
            grad[:, :, y0:y1, x0:x1] += (grad_output[:, :, y, xo] / size)[:, :, None, None]
    return grad


# --- normalisation ------------------------------------------------------------------------------


def batch_norm_forward(x, weight, bias, eps):
    """Training-mode batch norm of x (N, C, L) over N and L per channel.

    Returns (out, mean, var) with var the biased batch variance; statistics accumulate in float64."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(0, 2))
    var = ((x64 - mean[None, :, None]) ** 2).mean(axis=(0, 2))
    invstd = 1.0 / np.sqrt(var + eps)
    scale = weight.astype(np.float64) * invstd
    shift = bias.astype(np.float64) - mean * scale
    out = (x64 * scale[None, :, None] + shift[None, :, None]).astype(x.dtype)
    return out, mean, var


def batch_norm_backward(grad_output, x, mean, var, weight, eps):
    """(grad_x, grad_weight, grad_bias) of training-mode batch norm, x and grad_output (N, C, L).

    dx = w·σ⁻¹·(dy - mean(dy) - x̂·mean(dy·x̂)),  dw = Σ dy·x̂,  db = Σ dy."""
    count = x.shape[0] * x.shape[2]
    g = grad_output.astype(np.float64)
    invstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x.astype(np.float64) - mean[None, :, None]) * invstd[None, :, None]
    grad_bias = g.sum(axis=(0, 2))
    grad_weight = (g * x_hat).sum(axis=(0, 2))
    scale = (weight.astype(np.float64) * invstd)[None, :, None]
    grad_x = scale * (g - grad_bias[None, :, None] / count - x_hat * (grad_weight[None, :, None] / count))
    dtype = grad_output.dtype
    return grad_x.astype(dtype), grad_weight.astype(dtype), grad_bias.astype(dtype)


def layer_norm_forward(x, weight, bias, eps):
    """Layer norm of each row of x (M, D): (out, mean, rstd), statistics in float64."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1)
    var = ((x64 - mean[:, None]) ** 2).mean(axis=1)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = (x64 - mean[:, None]) * rstd[:, None]
    out = x_hat * weight.astype(np.float64)[None, :] + bias.astype(np.float64)[None, :]
    return out.astype(x.dtype), mean, rstd


def layer_norm_backward(grad_output, x, mean, rstd, weight):
    """(grad_x, grad_weight, grad_bias) of layer norm on rows (M, D).

    dx = σ⁻¹·(dy·w - mean(dy·w) - x̂·mean(dy·w·x̂)),  dw = Σ_rows dy·x̂,  db = Σ_rows dy."""
    g = grad_output.astype(np.float64)
    x_hat = (x.astype(np.float64) - mean[:, None]) * rstd[:, None]
    gw = g * weight.astype(np.float64)[None, :]
    grad_x = rstd[:, None] * (
        gw - gw.mean(axis=1, keepdims=True) - x_hat * (gw * x_hat).mean(axis=1, keepdims=True)
    )
    dtype = grad_output.dtype
    return grad_x.astype(dtype), (g * x_hat).sum(axis=0).astype(dtype), g.sum(axis=0).astype(dtype)


# --- softmax family (rows of a 2-D array) --------------------------------------------------------


def softmax_forward(x):
    """exp(x - max) / Σ exp(x - max) along each row of x (M, D)."""
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def softmax_backward(grad_output, y):
    """dx = y·(dy - Σ dy·y) per row."""
    return y * (grad_output - (grad_output * y).sum(axis=1, keepdims=True))


def log_softmax_forward(x):
    """x - max - log Σ exp(x - max) along each row of x (M, D)."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_softmax_backward(grad_output, y):
    """dx = dy - exp(y)·Σ dy per row (y is the log-softmax output)."""
    return grad_output - np.exp(y) * grad_output.sum(axis=1, keepdims=True)


def nll_loss_forward(log_probs, target, weight, ignore_index):
    """Per-row loss -w[t]·x[t] and the row's weight w[t] (both 0 where t == ignore_index).

    log_probs (M, C), target (M,) int64, weight (C,). Raises IndexError for a target out of range."""
    m, c = log_probs.shape
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= c))
    if bad.any():
        raise IndexError(f"Target {int(target[bad][0])} is out of bounds.")
    safe = np.where(keep, target, 0)
    row_weight = np.where(keep, weight[safe], 0).astype(log_probs.dtype)
    losses = -row_weight * log_probs[np.arange(m), safe]
    return losses, row_weight


def nll_loss_backward(grad_rows, target, row_weight, c):
    """d(loss rows)/d(log_probs): -w[t]·g at column t of each row, zero elsewhere."""
    m = target.shape[0]
    grad = np.zeros((m, c), dtype=grad_rows.dtype)
    keep = row_weight != 0
    rows = np.arange(m)[keep]
    grad[rows, target[keep]] = -(row_weight * grad_rows)[keep]
    return grad


# --- elementwise activations -----------------------------------------------------------------------


def relu_forward(x):
    """max(x, 0); NaN stays NaN, as in torch."""
    return np.maximum(x, 0)


def relu_backward(grad_output, y):
    """grad_output where relu's output y is positive, else 0 (a NaN output passes none, as in torch)."""
    return np.where(y > 0, grad_output, 0).astype(grad_output.dtype, copy=False)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu_forward(x, approximate_tanh):
    """x·Φ(x) (exact, with erf) or 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    x64 = x.astype(np.float64)
    if approximate_tanh:
        out = 0.5 * x64 * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x64 + 0.044715 * x64**3)))
    else:
        out = 0.5 * x64 * (1.0 + _erf(x64 * _SQRT_HALF))
    return out.astype(x.dtype)


def gelu_backward(grad_output, x, approximate_tanh):
    """d gelu/dx times grad_output: Φ(x) + x·φ(x) (exact) or the tanh formula's derivative."""
    x64 = x.astype(np.float64)
    if approximate_tanh:
        inner = _SQRT_2_OVER_PI * (x64 + 0.044715 * x64**3)
        t = np.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x64 * x64)
        slope = 0.5 * (1.0 + t) + 0.5 * x64 * (1.0 - t * t) * d_inner
    else:
        cdf = 0.5 * (1.0 + _erf(x64 * _SQRT_HALF))
        pdf = np.exp(-0.5 * x64 * x64) / math.sqrt(2.0 * math.pi)
        slope = cdf + x64 * pdf
    return (grad_output * slope).astype(grad_output.dtype)


# --- statistics -----------------------------------------------------------------------------------


def tensor_stats(x):
    """Summary of the finite values of x (any shape and layout; a bool, integer or float dtype):
    (count, nan, inf, mean, std, min, max). count is the number of finite values, nan and inf the
    number of NaN and ±inf ones (left out of the rest); mean, std (population, ddof=0), min and max are
    Python floats computed in float64, NaN when no value is finite (an empty x)."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        finite = np.isfinite(x)
        if finite.all():  # the common case: no masked copy
            values, nan_count, inf_count = x, 0, 0
        else:
            nan_count = int(np.isnan(x).sum())
            inf_count = int(x.size - nan_count - finite.sum())
            values = x[finite]
    else:
        values, nan_count, inf_count = x.astype(np.float64), 0, 0
    if values.size == 0:
        return 0, nan_count, inf_count, math.nan, math.nan, math.nan, math.nan
    mean = float(values.mean(dtype=np.float64))
    std = float(values.std(dtype=np.float64))
    return int(values.size), nan_count, inf_count, mean, std, float(values.min()), float(values.max())


# --- optimisers ------------------------------------------------------------------------------------


def sgd_step(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One torch.optim.SGD update, in place: param, and buffer (the momentum buffer, None when momentum is
    0) from its previous step; the first momentum step, which starts the buffer as a copy of the
    gradient, is the optimizer's. Scalars act in the arrays' dtype, one rounding per operation, as
    torch's tensor operations round."""
    scalar = param.dtype.type
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + scalar(weight_decay) * param
    if momentum != 0:
        buffer *= scalar(momentum)
        buffer += g if dampening == 0 else scalar(1 - dampening) * g
        g = g + scalar(momentum) * buffer if nesterov else buffer
    param -= scalar(lr) * g


# --- memory: where a result's array comes from (recycling.py's twins) ------------------------------


def add(a, b):
    """a + b (Add's forward), in an array of numpy's own."""
    return a + b


def accumulate(a, b):
    """a + b for two gradients of one tensor (same shape and dtype), in a new array."""
    return a + b


def adopt_grad(entry, like):
    """The array that becomes a leaf's ``.grad`` (entry = [leaf, its total gradient]): a copy of the
    gradient in ``like``'s dtype, so a ``.grad`` never shares memory with anything else."""
    return np.array(entry[1], dtype=like.dtype, copy=True)
