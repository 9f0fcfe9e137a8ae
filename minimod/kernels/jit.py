"""The fast backend: numba twins of reference.py (same contracts, as loops); with conv_direct.py, the only
files importing numba.

Each function compiles on its first call (per dtype) and is cached on disk (cache=True; numba
honours NUMBA_CACHE_DIR). NUMBA_DISABLE_JIT=1 runs these as plain Python, to step through them.
Statistics and reductions accumulate in float64, as the reference does. Where numpy itself is
faster (the softmax family's vectorised exp), the kernel is numpy code instead, and it says why next
to the name. Convolution (strided copies and BLAS products) is in conv_blas.py, which takes col2im
from here; fast.py puts the two together as the fast backend. Large outputs come from scratch.py's pool.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from . import reference, scratch

# Kernels that sum in float64 may reorder their sums (and fuse multiply-adds): without "reassoc"
# LLVM must add one value at a time, and batch norm's loops ran 3-7x slower. NaN and inf still
# propagate (no "nnan"/"ninf" flags); only the rounding of a sum changes, well inside the tolerances.
_SUMS = dict(cache=True, fastmath={"reassoc", "contract"})


def _numpy_for_float16(kernel):
    """kernel, except that float16 arrays (numba has no float16 arithmetic) go to its numpy twin: for
    every kernel here whose first argument is the float array it works on (tensor_stats widens float16
    to float32 itself; adaptive_avg_pool2d_backward is numpy code)."""
    twin = getattr(reference, kernel.__name__)

    def dispatch(first, *args):
        return twin(first, *args) if first.dtype == np.float16 else kernel(first, *args)

    return functools.wraps(kernel)(dispatch)


# --- convolution's scatter-add -------------------------------------------------------------------


@_numpy_for_float16
def col2im(cols, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups=1):
    """Same contract as reference.col2im: every patch entry added back in one pass, into a channels-last
    padded buffer (each entry's Cg values are contiguous there, as in a patch row), then cropped to
    NCHW. conv_blas's input gradient uses it after one product dY · W₂: the ConvNet's second layer took
    0.44 ms as 25 per-tap products and strided adds, 0.24 ms this way."""
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    extent_h = max(ph + h, span_h + (kh - 1) * dh)
    extent_w = max(pw + w, span_w + (kw - 1) * dw)
    padded = scratch.zeros((n, extent_h, extent_w, c), cols.dtype)
    if groups == 1:  # (the group loop's indexing halved the speed of the one-group loop)
        _col2im_channels_last(cols, padded, kh, kw, sh, sw, dh, dw, oh, ow)
    else:
        _col2im_channels_last_groups(cols, padded, kh, kw, sh, sw, dh, dw, oh, ow, groups)
    out = scratch.empty((n, c, h, w), cols.dtype)
    out[...] = padded[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2)
    return out


@njit(cache=True, nogil=True)  # (conv_blas runs it on both halves of a batch at once)
def _col2im_channels_last(cols, padded, kh, kw, sh, sw, dh, dw, oh, ow):
    n, _, _, c = padded.shape
    for b in range(n):
        for y in range(oh):
            for x in range(ow):
                row = (b * oh + y) * ow + x
                for i in range(kh):
                    py = y * sh + i * dh
                    for j in range(kw):
                        px = x * sw + j * dw
                        base = (i * kw + j) * c
                        for ch in range(c):
                            padded[b, py, px, ch] += cols[row, base + ch]


@njit(cache=True)
def _col2im_channels_last_groups(cols, padded, kh, kw, sh, sw, dh, dw, oh, ow, groups):
    n, _, _, c = padded.shape
    cg = c // groups
    for b in range(n):
        for y in range(oh):
            for x in range(ow):
                row = (b * oh + y) * ow + x
                for g in range(groups):
                    for i in range(kh):
                        py = y * sh + i * dh
                        for j in range(kw):
                            px = x * sw + j * dw
                            base = ((g * kh + i) * kw + j) * cg
                            for ch in range(cg):
                                padded[b, py, px, g * cg + ch] += cols[row, base + ch]


# --- pooling ----------------------------------------------------------------------------------


# Each kernel below fills output arrays its Python wrapper took from the scratch pool (numba code
# cannot call the pool), so a training step reuses the previous step's pages.


@_numpy_for_float16
def max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """Same contract as reference.max_pool2d_forward."""
    shape = (*x.shape[:2], oh, ow)
    out, indices = scratch.empty(shape, x.dtype), scratch.empty(shape, np.int64)
    h, w = x.shape[2:]
    inside = (oh - 1) * sh + 2 <= h and (ow - 1) * sw + 2 <= w  # (ceil_mode's last window may not be)
    if kh == kw == 2 and ph == pw == 0 and dh == dw == 1 and inside:  # MaxPool2d(2): the common case
        _max_pool2d_2x2(x, sh, sw, out, indices)
    else:
        _max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out, indices)
    return out, indices


# Both max-pool kernels work in two steps: a window's maximum first (v if v > best else best: a
# conditional move), then where it is, found without a branch on the data. The one-step loop ("if v >
# best: best, where = v, here") is a data-dependent branch that mispredicts about every other tap on real
# data, and LLVM kept it a branch even written as selects: 0.8 ms for the ConvNet's first pool (32x10x
# 24x24) against 0.13 ms in two steps, 8.8 ms for ResNet-18's (64x112x112, 3x3 stride 2) against
# ~1 ms. A window holding a NaN (its taps' sum is NaN; so is inf + -inf) takes the one-step rule of
# _max_window, where a NaN always wins, as in torch.


@njit(cache=True)
def _max_pool2d_2x2(x, sh, sw, out, indices):
    # 2x2 windows without padding or dilation, all inside the plane: the four taps unrolled, and where
    # the maximum is counted with 0/1 integers (the first tap equal to it)
    n, c, h, w = x.shape
    oh, ow = out.shape[2:]
    for b in range(n):
        for ch in range(c):
            plane = x[b, ch]
            for y in range(oh):
                y0 = y * sh
                row0, row1 = plane[y0], plane[y0 + 1]
                for xo in range(ow):
                    x0 = xo * sw
                    a0, a1, a2, a3 = row0[x0], row0[x0 + 1], row1[x0], row1[x0 + 1]
                    total = (a0 + a1) + (a2 + a3)
                    if total != total:
                        best, where = _max_window(plane, y0, x0, 2, 2, 1, 1, w)
                    else:
                        top = a1 if a1 > a0 else a0
                        bottom = a3 if a3 > a2 else a2
                        best = bottom if bottom > top else top
                        not0, not1, not2 = np.int64(a0 != best), np.int64(a1 != best), np.int64(a2 != best)
                        where = y0 * w + x0 + not0 * (1 + not1 * (w - 1 + not2))
                    out[b, ch, y, xo] = best
                    indices[b, ch, y, xo] = where


@njit(cache=True)
def _max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out, indices):
    n, c, h, w = x.shape
    oh, ow = out.shape[2:]
    for b in range(n):
        for ch in range(c):
            plane = x[b, ch]
            for y in range(oh):
                # the window's taps inside the plane: rows iy0, iy0 + dh, ... (rows of them)
                y0 = y * sh - ph
                i_lo = 0 if y0 >= 0 else (dh - 1 - y0) // dh
                rows = min(kh, (h - 1 - y0) // dh + 1) - i_lo
                iy0 = y0 + i_lo * dh
                for xo in range(ow):
                    x0 = xo * sw - pw
                    j_lo = 0 if x0 >= 0 else (dw - 1 - x0) // dw
                    cols = min(kw, (w - 1 - x0) // dw + 1) - j_lo
                    ix0 = x0 + j_lo * dw
                    if rows <= 0 or cols <= 0:  # dilation stepped over the whole plane: torch's -inf, at
                        out[b, ch, y, xo] = -np.inf  # its first tap past the padding (outside the plane)
                        indices[b, ch, y, xo] = iy0 * w + ix0
                        continue
                    best = plane[iy0, ix0]
                    total = 0.0
                    for i in range(rows):
                        for j in range(cols):
                            v = plane[iy0 + i * dh, ix0 + j * dw]
                            best = v if v > best else best
                            total += v
                    if total != total:
                        best, where = _max_window(plane, iy0, ix0, rows, cols, dh, dw, w)
                    else:  # the first tap equal to the maximum: taps last to first, each equal one taking
                        where = 0  # `where` to itself
                        for i in range(rows - 1, -1, -1):
                            for j in range(cols - 1, -1, -1):
                                iy, ix = iy0 + i * dh, ix0 + j * dw
                                where += np.int64(plane[iy, ix] == best) * (iy * w + ix - where)
                    out[b, ch, y, xo] = best
                    indices[b, ch, y, xo] = where


@njit(cache=True)
def _max_window(plane, iy0, ix0, rows, cols, dh, dw, w):
    """(max, flat index of the max) of one window's taps inside the plane, from its first (iy0, ix0), in
    one step: the first maximum, and a NaN always wins, as in torch."""
    best = plane[iy0, ix0]
    where = iy0 * w + ix0
    for i in range(rows):
        for j in range(cols):
            iy, ix = iy0 + i * dh, ix0 + j * dw
            v = plane[iy, ix]
            if v > best or v != v:
                best = v
                where = iy * w + ix
    return best, where


@_numpy_for_float16
def max_pool2d_backward(grad_output, indices, h, w):
    """Same contract as reference.max_pool2d_backward."""
    grad = scratch.zeros((*grad_output.shape[:2], h, w), grad_output.dtype)
    _max_pool2d_backward(grad_output, indices, grad.reshape(grad.shape[0], grad.shape[1], h * w))
    return grad


@njit(cache=True)
def _max_pool2d_backward(grad_output, indices, grad):
    n, c, oh, ow = grad_output.shape
    cells = grad.shape[2]
    for b in range(n):
        for ch in range(c):
            for y in range(oh):
                for xo in range(ow):
                    where = indices[b, ch, y, xo]
                    if 0 <= where < cells:  # (a window with no tap in the plane has nowhere to send it)
                        grad[b, ch, where] += grad_output[b, ch, y, xo]


@njit(cache=True)
def _avg_geometry(y, stride, pad, kernel, limit):
    start = y * stride - pad
    end = min(start + kernel, limit + pad)
    return max(start, 0), min(end, limit), end - start


@_numpy_for_float16
def avg_pool2d_forward(x, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad, divisor_override):
    """Same contract as reference.avg_pool2d_forward."""
    out = scratch.zeros((*x.shape[:2], oh, ow), x.dtype)
    _avg_pool2d_forward(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, out)
    return out


@njit(**_SUMS)
def _avg_pool2d_forward(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, out):
    n, c, h, w = x.shape
    oh, ow = out.shape[2:]
    for y in range(oh):
        y0, y1, size_h = _avg_geometry(y, sh, ph, kh, h)
        for xo in range(ow):
            x0, x1, size_w = _avg_geometry(xo, sw, pw, kw, w)
            if y0 >= y1 or x0 >= x1:
                continue
            if divisor_override:
                divisor = divisor_override
            elif count_include_pad:
                divisor = size_h * size_w
            else:
                divisor = (y1 - y0) * (x1 - x0)
            for b in range(n):
                for ch in range(c):
                    total = 0.0
                    for iy in range(y0, y1):
                        for ix in range(x0, x1):
                            total += x[b, ch, iy, ix]
                    out[b, ch, y, xo] = total / divisor


@_numpy_for_float16
def avg_pool2d_backward(grad_output, h, w, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    """Same contract as reference.avg_pool2d_backward."""
    grad = scratch.zeros((*grad_output.shape[:2], h, w), grad_output.dtype)
    _avg_pool2d_backward(grad_output, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, grad)
    return grad


@njit(cache=True)
def _avg_pool2d_backward(grad_output, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, grad):
    n, c, oh, ow = grad_output.shape
    h, w = grad.shape[2:]
    for y in range(oh):
        y0, y1, size_h = _avg_geometry(y, sh, ph, kh, h)
        for xo in range(ow):
            x0, x1, size_w = _avg_geometry(xo, sw, pw, kw, w)
            if y0 >= y1 or x0 >= x1:
                continue
            if divisor_override:
                divisor = divisor_override
            elif count_include_pad:
                divisor = size_h * size_w
            else:
                divisor = (y1 - y0) * (x1 - x0)
            for b in range(n):
                for ch in range(c):
                    share = grad_output[b, ch, y, xo] / divisor
                    for iy in range(y0, y1):
                        for ix in range(x0, x1):
                            grad[b, ch, iy, ix] += share


adaptive_avg_pool2d_forward = reference.adaptive_avg_pool2d_forward  # a few windows: numpy is enough


def adaptive_avg_pool2d_backward(grad_output, h, w):
    """Same contract as reference.adaptive_avg_pool2d_backward: the same broadcast adds (numpy beat a
    numba loop 2.5x here), into a recycled array."""
    n, c, oh, ow = grad_output.shape
    grad = scratch.zeros((n, c, h, w), grad_output.dtype)
    for y in range(oh):
        y0, y1 = (y * h) // oh, -((-(y + 1) * h) // oh)
        for xo in range(ow):
            x0, x1 = (xo * w) // ow, -((-(xo + 1) * w) // ow)
            size = grad_output.dtype.type((y1 - y0) * (x1 - x0))
            grad[:, :, y0:y1, x0:x1] += (grad_output[:, :, y, xo] / size)[:, :, None, None]
    return grad


# --- normalisation ----------------------------------------------------------------------------


@_numpy_for_float16
def batch_norm_forward(x, weight, bias, eps):
    """Same contract as reference.batch_norm_forward."""
    out = scratch.empty(x.shape, x.dtype)
    mean, var = _batch_norm_forward(x, weight, bias, eps, out)
    return out, mean, var


@njit(**_SUMS)
def _batch_norm_forward(x, weight, bias, eps, out):
    n, c, length = x.shape
    count = n * length
    mean = np.empty(c, dtype=np.float64)
    var = np.empty(c, dtype=np.float64)
    for ch in range(c):
        # one pass for both sums (the reference takes two): the values are shifted by the channel's
        # first one, so Σd² - (Σd)²/count does not cancel away the variance of values far from 0
        offset = float(x[0, ch, 0]) if math.isfinite(x[0, ch, 0]) else 0.0
        total = 0.0
        squares = 0.0
        for b in range(n):
            for i in range(length):
                d = x[b, ch, i] - offset
                total += d
                squares += d * d
        m = offset + total / count
        # (a NaN or inf among the values: NaN, as the reference's x - mean gives)
        v = max((squares - total * total / count) / count, 0.0) if math.isfinite(squares) else squares - total
        mean[ch], var[ch] = m, v
        scale = weight[ch] / math.sqrt(v + eps)
        shift = bias[ch] - m * scale
        for b in range(n):
            for i in range(length):
                out[b, ch, i] = x[b, ch, i] * scale + shift
    return mean, var


@_numpy_for_float16
def batch_norm_backward(grad_output, x, mean, var, weight, eps):
    """Same contract as reference.batch_norm_backward."""
    grad_x = scratch.empty(grad_output.shape, grad_output.dtype)
    grad_weight, grad_bias = _batch_norm_backward(grad_output, x, mean, var, weight, eps, grad_x)
    return grad_x, grad_weight, grad_bias


@njit(**_SUMS)
def _batch_norm_backward(grad_output, x, mean, var, weight, eps, grad_x):
    n, c, length = x.shape
    count = n * length
    grad_weight = np.empty(c, dtype=grad_output.dtype)
    grad_bias = np.empty(c, dtype=grad_output.dtype)
    for ch in range(c):
        m = mean[ch]
        invstd = 1.0 / math.sqrt(var[ch] + eps)
        sum_g = 0.0
        sum_gx = 0.0
        for b in range(n):
            for i in range(length):
                g = grad_output[b, ch, i]
                sum_g += g
                sum_gx += g * (x[b, ch, i] - m)
        sum_gxhat = sum_gx * invstd
        grad_bias[ch] = sum_g
        grad_weight[ch] = sum_gxhat
        scale = weight[ch] * invstd
        mean_g = sum_g / count
        k = sum_gxhat / count * invstd
        for b in range(n):
            for i in range(length):
                grad_x[b, ch, i] = scale * (grad_output[b, ch, i] - mean_g - (x[b, ch, i] - m) * k)
    return grad_weight, grad_bias


@_numpy_for_float16
@njit(**_SUMS)
def layer_norm_forward(x, weight, bias, eps):
    """Same contract as reference.layer_norm_forward."""
    m, d = x.shape
    out = np.empty_like(x)
    mean = np.empty(m, dtype=np.float64)
    rstd = np.empty(m, dtype=np.float64)
    for r in range(m):
        total = 0.0
        for i in range(d):
            total += x[r, i]
        mu = total / d
        squares = 0.0
        for i in range(d):
            diff = x[r, i] - mu
            squares += diff * diff
        s = 1.0 / math.sqrt(squares / d + eps)
        mean[r], rstd[r] = mu, s
        for i in range(d):
            out[r, i] = (x[r, i] - mu) * s * weight[i] + bias[i]
    return out, mean, rstd


@_numpy_for_float16
@njit(**_SUMS)
def layer_norm_backward(grad_output, x, mean, rstd, weight):
    """Same contract as reference.layer_norm_backward."""
    m, d = x.shape
    grad_x = np.empty_like(grad_output)
    grad_weight = np.zeros(d, dtype=np.float64)
    grad_bias = np.zeros(d, dtype=np.float64)
    for r in range(m):
        mu, s = mean[r], rstd[r]
        sum_gw = 0.0
        sum_gwx = 0.0
        for i in range(d):
            g = grad_output[r, i]
            x_hat = (x[r, i] - mu) * s
            gw = g * weight[i]
            sum_gw += gw
            sum_gwx += gw * x_hat
            grad_weight[i] += g * x_hat
            grad_bias[i] += g
        a, b = sum_gw / d, sum_gwx / d
        for i in range(d):
            x_hat = (x[r, i] - mu) * s
            grad_x[r, i] = s * (grad_output[r, i] * weight[i] - a - x_hat * b)
    return grad_x, grad_weight.astype(grad_output.dtype), grad_bias.astype(grad_output.dtype)


# --- softmax family ---------------------------------------------------------------------------


# numpy's exp is SIMD-vectorised while numba's scalar math.exp is not (no SVML here): numpy was 2.6x
# faster on 64 rows of 1000 logits. On small arrays numpy's six calls cost more than the exps: numba was
# 2.8x faster on a batch of 64 rows of 10 classes, the loss of every classifier students train.
_SMALL_ROWS = 4096  # elements; about where the two cross


@_numpy_for_float16
def softmax_forward(x):
    """Same contract as reference.softmax_forward."""
    return _rows_forward(x, False) if x.size <= _SMALL_ROWS else reference.softmax_forward(x)


@_numpy_for_float16
def log_softmax_forward(x):
    """Same contract as reference.log_softmax_forward."""
    return _rows_forward(x, True) if x.size <= _SMALL_ROWS else reference.log_softmax_forward(x)


def _rows_forward(x, log):
    out = np.empty_like(x)
    _softmax_rows(x, out, log)
    return out


@njit(**_SUMS)
def _softmax_rows(x, out, log):
    m, c = x.shape
    for r in range(m):
        top = x[r, 0]
        for j in range(1, c):
            v = x[r, j]
            if v > top or v != v:  # a NaN is the maximum, as numpy's max makes it
                top = v
        total = 0.0
        for j in range(c):
            total += math.exp(float(x[r, j] - top))
        if log:
            shift = math.log(total)
            for j in range(c):
                out[r, j] = (x[r, j] - top) - shift
        else:
            for j in range(c):
                out[r, j] = math.exp(float(x[r, j] - top)) / total


@_numpy_for_float16
def softmax_backward(grad_output, y):
    """Same contract as reference.softmax_backward."""
    if y.size > _SMALL_ROWS:
        return reference.softmax_backward(grad_output, y)
    return _rows_backward(grad_output, y, False)


@_numpy_for_float16
def log_softmax_backward(grad_output, y):
    """Same contract as reference.log_softmax_backward."""
    if y.size > _SMALL_ROWS:
        return reference.log_softmax_backward(grad_output, y)
    return _rows_backward(grad_output, y, True)


def _rows_backward(grad_output, y, log):
    out = np.empty_like(grad_output)
    _softmax_backward_rows(grad_output, y, out, log)
    return out


@njit(**_SUMS)
def _softmax_backward_rows(grad_output, y, out, log):
    m, c = y.shape
    for r in range(m):
        total = 0.0
        for j in range(c):
            total += grad_output[r, j] if log else grad_output[r, j] * y[r, j]
        for j in range(c):
            if log:
                out[r, j] = grad_output[r, j] - math.exp(float(y[r, j])) * total
            else:
                out[r, j] = y[r, j] * (grad_output[r, j] - total)


@njit(cache=True)
def _nll_rows(log_probs, target, weight, ignore_index):
    m, c = log_probs.shape
    losses = np.zeros(m, dtype=log_probs.dtype)
    row_weight = np.zeros(m, dtype=log_probs.dtype)
    for r in range(m):
        t = target[r]
        if t == ignore_index:
            continue
        if t < 0 or t >= c:
            return losses, row_weight, r
        row_weight[r] = weight[t]
        losses[r] = -weight[t] * log_probs[r, t]
    return losses, row_weight, -1


@_numpy_for_float16
def nll_loss_forward(log_probs, target, weight, ignore_index):
    """Same contract as reference.nll_loss_forward."""
    losses, row_weight, bad = _nll_rows(log_probs, target, weight, ignore_index)
    if bad >= 0:
        raise IndexError(f"Target {int(target[bad])} is out of bounds.")
    return losses, row_weight


@_numpy_for_float16
@njit(cache=True)
def nll_loss_backward(grad_rows, target, row_weight, c):
    """Same contract as reference.nll_loss_backward."""
    m = target.shape[0]
    grad = np.zeros((m, c), dtype=grad_rows.dtype)
    for r in range(m):
        if row_weight[r] != 0:
            grad[r, target[r]] = -row_weight[r] * grad_rows[r]
    return grad


# --- elementwise activations ----------------------------------------------------------------------

_NUMBA_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # numba has no float16 arithmetic


def relu_forward(x):
    """Same contract as reference.relu_forward; numpy's maximum took 83 us on a ResNet activation, this
    loop 22 us (a plain copy's time). Other dtypes than float32/64 keep numpy's rules (the twin)."""
    if x.dtype not in _NUMBA_FLOATS:
        return reference.relu_forward(x)
    out = scratch.empty(x.shape, x.dtype)
    _relu_forward(x.reshape(-1), out.reshape(-1))
    return out


@njit(cache=True)
def _relu_forward(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v < 0 else v  # NaN < 0 is False: NaN stays NaN


def relu_backward(grad_output, y):
    """Same contract as reference.relu_backward, in one pass (numpy needs a mask array, then a product:
    np.where took 11 us on a (64, 256)). Mixed shapes or dtypes, and float16, go to the twin."""
    if grad_output.shape != y.shape or grad_output.dtype != y.dtype or y.dtype not in _NUMBA_FLOATS:
        return reference.relu_backward(grad_output, y)
    out = scratch.empty(y.shape, grad_output.dtype)
    _relu_backward(grad_output.reshape(-1), y.reshape(-1), out.reshape(-1))
    return out


@njit(cache=True)
def _relu_backward(grad, y, out):
    for i in range(y.size):
        out[i] = grad[i] if y[i] > 0 else 0


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(cache=True)
def _gelu_forward(x, approximate_tanh):
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for i in range(flat.size):
        v = float(flat[i])
        if approximate_tanh:
            out[i] = 0.5 * v * (1.0 + math.tanh(_SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)))
        else:
            out[i] = 0.5 * v * (1.0 + math.erf(v * _SQRT_HALF))
    return out


@_numpy_for_float16
def gelu_forward(x, approximate_tanh):
    """Same contract as reference.gelu_forward."""
    return _gelu_forward(np.ascontiguousarray(x), bool(approximate_tanh)).reshape(x.shape)


@njit(cache=True)
def _gelu_backward(grad_output, x, approximate_tanh):
    flat_g, flat = grad_output.reshape(-1), x.reshape(-1)
    grad = np.empty_like(flat_g)
    for i in range(flat.size):
        v = float(flat[i])
        if approximate_tanh:
            t = math.tanh(_SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))
            slope = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * v * v)
        else:
            slope = 0.5 * (1.0 + math.erf(v * _SQRT_HALF)) + v * math.exp(-0.5 * v * v) * _INV_SQRT_2PI
        grad[i] = flat_g[i] * slope
    return grad


@_numpy_for_float16
def gelu_backward(grad_output, x, approximate_tanh):
    """Same contract as reference.gelu_backward."""
    g = np.ascontiguousarray(grad_output)
    return _gelu_backward(g, np.ascontiguousarray(x), bool(approximate_tanh)).reshape(x.shape)


# --- statistics -------------------------------------------------------------------------------------

# A float's bits read as a signed integer of its width: the mask of everything but the sign bit, and
# +inf's bits under it (all exponent bits set, no mantissa); above them NaN, below them finite values.
_FLOAT_BITS = {
    np.dtype(np.float32): (np.int32, 0x7FFF_FFFF, 0x7F80_0000),
    np.dtype(np.float64): (np.int64, 0x7FFF_FFFF_FFFF_FFFF, 0x7FF0_0000_0000_0000),
}
# A second pass, centred on the mean, when the first pass's shift lay further than this many standard
# deviations from it: the one-pass variance then loses about FAR² x the rounding error of its sums.
_FAR = 10.0


def tensor_stats(x):
    """Same contract as reference.tensor_stats, in one pass over the values (numpy takes six: isfinite,
    mean, std's three, min, max); a second pass only for values far from their first finite one."""
    x = np.asarray(x)
    if x.dtype == np.float16:  # numba has no float16 arithmetic; each float16 is exactly a float32
        x = x.astype(np.float32)
    if not x.dtype.isnative or (x.dtype.kind == "f" and x.dtype not in _FLOAT_BITS):
        return reference.tensor_stats(x)  # a byte-swapped array or a long double: rare, numpy is enough
    flat = np.ravel(x, order="K")  # a view unless x's layout needs a copy: the order of values is free
    if flat.dtype.kind == "f":
        int_type, magnitude, inf_bits = _FLOAT_BITS[flat.dtype]
        bits = flat.view(int_type)
        count, nans, mean, var, lo, hi = _float_stats(flat, bits, int_type(magnitude), int_type(inf_bits))
    else:
        count, nans, mean, var, lo, hi = _int_stats(flat.view(np.uint8) if flat.dtype.kind == "b" else flat)
    return count, nans, flat.size - count - nans, mean, math.sqrt(var), lo, hi


@njit(**_SUMS)
def _float_stats(x, bits, magnitude, inf_bits):
    # One loop the compiler vectorises: counts, shifted sums, and min/max compared as integers (a float
    # comparison's select is not vectorised without the fast-math "no NaN" flag, which x may break). A
    # float's bits with the magnitude bits flipped for negative values order as the floats do.
    n = x.size
    shift = 0.0
    for i in range(n):  # the first finite value (nearly always x[0]): a shift that keeps the sums small
        if bits[i] & magnitude < inf_bits:
            shift = float(x[i])
            break
    count = 0
    nans = 0
    total = 0.0
    squares = 0.0
    lo = inf_bits  # the keys of +inf and -inf: any finite value's key lies between
    hi = -inf_bits - 1
    for i in range(n):
        b = bits[i]
        size = b & magnitude
        finite = size < inf_bits
        nans += size > inf_bits
        count += finite
        d = float(x[i]) - shift if finite else 0.0
        total += d
        squares += d * d
        key = b ^ magnitude if b < 0 else b
        low = key if finite else inf_bits
        high = key if finite else -inf_bits - 1
        lo = low if low < lo else lo
        hi = high if high > hi else hi
    if count == 0:
        return 0, nans, math.nan, math.nan, math.nan, math.nan
    mean, var = _moments(x, count, shift, total, squares)
    keys = np.empty(2, bits.dtype)
    keys[0] = lo ^ magnitude if lo < 0 else lo
    keys[1] = hi ^ magnitude if hi < 0 else hi
    values = keys.view(x.dtype)
    return count, nans, mean, var, float(values[0]), float(values[1])


@njit(**_SUMS)
def _int_stats(x):
    n = x.size
    if n == 0:
        return 0, 0, math.nan, math.nan, math.nan, math.nan
    shift = float(x[0])
    total = 0.0
    squares = 0.0
    lo = x[0]
    hi = x[0]
    for i in range(n):
        v = x[i]
        d = float(v) - shift
        total += d
        squares += d * d
        lo = v if v < lo else lo
        hi = v if v > hi else hi
    mean, var = _moments(x, n, shift, total, squares)
    return n, 0, mean, var, float(lo), float(hi)


@njit(**_SUMS)
def _moments(x, count, shift, total, squares):
    """Mean and population variance from the sums of d = value - shift and d² over x's finite values;
    when shift lies more than _FAR standard deviations from the mean, the sums again around the mean."""
    centre = total / count
    var = squares / count - centre * centre
    if centre * centre > _FAR * _FAR * var and math.isfinite(squares):  # also var <= 0 from cancellation
        shift += centre
        total = 0.0
        squares = 0.0
        for i in range(x.size):
            v = float(x[i])
            d = v - shift if abs(v) < math.inf else 0.0
            total += d
            squares += d * d
        centre = total / count
        var = squares / count - centre * centre  # the corrected two-pass formula
    return shift + centre, max(var, 0.0)


# --- optimisers ------------------------------------------------------------------------------------


def sgd_step(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """Same contract as reference.sgd_step, in one pass over param, grad and buffer (numpy makes four,
    and a temporary for lr * grad)."""
    dtype = param.dtype
    if (
        dtype not in _FLOATS or grad.dtype != dtype
        or not (param.flags.c_contiguous and grad.flags.c_contiguous)
        or (buffer is not None and (buffer.dtype != dtype or not buffer.flags.c_contiguous))
    ):  # float16 (numba has none), mixed dtypes or strided arrays: numpy's way
        options = (lr, momentum, dampening, weight_decay, nesterov, maximize)
        return reference.sgd_step(param, grad, buffer, *options)
    scalar = dtype.type
    p, g = param.reshape(-1), grad.reshape(-1)
    if buffer is None:
        _sgd_plain(p, g, scalar(lr), scalar(weight_decay), maximize)
    else:
        _sgd_momentum(p, g, buffer.reshape(-1), scalar(lr), scalar(momentum), scalar(1 - dampening),
                      scalar(weight_decay), dampening == 0, nesterov, maximize)
    return None


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@njit(cache=True)
def _sgd_plain(p, g, lr, weight_decay, maximize):
    for i in range(p.size):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        p[i] = p[i] - lr * d


@njit(cache=True)
def _sgd_momentum(p, g, b, lr, momentum, keep, weight_decay, undamped, nesterov, maximize):
    for i in range(p.size):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        v = momentum * b[i] + (d if undamped else keep * d)
        b[i] = v
        d = d + momentum * v if nesterov else v
        p[i] = p[i] - lr * d
