"""Fast convolution kernels (the fast backend's, see fast.py): numpy strided copies, BLAS products, recycled
buffers.

Same contracts as reference.im2col / conv2d_forward / conv2d_backward. Measured on the 2-core target,
numpy's strided copies beat every numba loop we tried for gathering patches (each run is short), so
this backend's convolution is numpy written for speed:

- the input is copied once to a padded channels-last array, and the patches are one strided copy
  of its sliding-window view, so each patch row reads runs of kw·C contiguous values;
- every product has the long N·oh·ow side as its rows, which OpenBLAS splits across threads well
  (the other orientation was 2-3x slower at 2 threads);
- the input gradient is accumulated tap by tap (dx[tap's pixels] += dY · W[:, :, i, j]), so the
  (N·oh·ow, C·kh·kw) patch gradient is never materialised;
- stride-1 convolutions with many channels (ResNet's 3x3) run on the padded input grid, where every
  tap is a row shift: backward needs only the padded input, not the patches (see _grid_forward);
- large arrays come from ``scratch``, so a training step reuses last step's pages.

What conv2d_forward returns for backward ("cols") is the patches, as in the reference, or on the grid
the padded input: conv2d_backward tells which from the same geometry test (_on_grid).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import halves, scratch
from .reference import weight_rows


def _padded(x, ph, pw, extent_h, extent_w, channels_last):
    """x (N, C, H, W) with ph/pw zeros before and enough after to cover the extent, as (N, C, Hp, Wp)
    or, channels last, (N, Hp, Wp, C)."""
    n, c, h, w = x.shape
    hp, wp = max(ph + h, extent_h), max(pw + w, extent_w)
    out = scratch.empty((n, hp, wp, c) if channels_last else (n, c, hp, wp), x.dtype)
    _fill_padded(out.transpose(0, 3, 1, 2) if channels_last else out, x, ph, pw)
    return out


def _fill_padded(planes, x, ph, pw):
    """Copy x into the (N, C, Hp, Wp) view planes at offset (ph, pw) and zero the border around it
    (only the border: the interior is overwritten anyway)."""
    h, w = x.shape[2:]
    planes[:, :, :ph] = 0
    planes[:, :, ph + h :] = 0
    planes[:, :, ph : ph + h, :pw] = 0
    planes[:, :, ph : ph + h, pw + w :] = 0
    planes[:, :, ph : ph + h, pw : pw + w] = x


def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups=1):
    """Same contract as reference.im2col.

    The values are gathered in whichever memory order copies the longer contiguous runs: kw·Cg channel
    values per window row (channels last), or ow pixels per output row (pixel-major, returned as the
    transposed view of a (G·kh·kw·Cg, N·oh·ow) array; BLAS reads either order at the same speed)."""
    n, c, _, _ = x.shape
    cg = c // groups
    extent_h, extent_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    if kw * cg >= ow:  # channels last
        cols = scratch.empty((n * oh * ow, groups * kh * kw * cg), x.dtype)
        _patches_into(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups)
        return cols
    xp = _padded(x, ph, pw, span_h + extent_h - 1, span_w + extent_w - 1, False)
    cols_t = scratch.empty((groups * kh * kw * cg, n * oh * ow), x.dtype)
    target = cols_t.reshape(groups, kh, kw, cg, n, oh, ow)
    for i in range(kh):
        for j in range(kw):
            window = xp[:, :, i * dh : i * dh + span_h : sh, j * dw : j * dw + span_w : sw]  # (N, C, oh, ow)
            target[:, i, j] = window.reshape(n, groups, cg, oh, ow).transpose(1, 2, 0, 3, 4)
    return cols_t.T


def _patches_into(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """im2col's channels-last patches of x, written into cols (N·oh·ow, G·kh·kw·Cg)."""
    n, c, _, _ = x.shape
    cg = c // groups
    extent_h, extent_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    xp = _padded(x, ph, pw, span_h + extent_h - 1, span_w + extent_w - 1, True)
    # (N, oh, ow, C, kh, kw): the window of every output pixel, as a view
    windows = sliding_window_view(xp, (extent_h, extent_w), axis=(1, 2))
    windows = windows[:, :span_h:sh, :span_w:sw, :, ::dh, ::dw]
    target = cols.reshape(n, oh, ow, groups, kh, kw, cg)
    target[...] = windows.reshape(n, oh, ow, groups, cg, kh, kw).transpose(0, 1, 2, 3, 5, 6, 4)


def _on_grid(c, kh, kw, sh, sw, dh, dw, oh, ow, groups):
    """True when the convolution runs on the padded grid (see _grid_forward): stride 1, one group,
    channels last, and a grid at most 30% larger than the output (3x3 on 32x32: 13%)."""
    hp, wp = oh + (kh - 1) * dh, ow + (kw - 1) * dw
    return groups == 1 and sh == sw == 1 and kw * c >= ow and hp * wp <= 1.3 * oh * ow


def forward_variant(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """The numba code conv2d_forward runs for these arguments (see variants.py): "direct" (conv_direct's
    loops) or "blas" (none: numpy and BLAS)."""
    direct = _direct(x.shape, weight.shape, x.dtype, sh, sw, ph, pw, dh, dw, oh, ow, groups)
    return "direct" if direct else "blas"


def backward_variant(
    grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, groups, need_input, need_weight, need_bias
):
    """The numba code conv2d_backward runs after conv2d_forward of this geometry (see variants.py; not told
    by cols, which may be a twin's patches): "direct" (conv_direct's loops), "col2im" (jit's scatter-add
    for the input gradient, on the patch paths) or "blas" (none)."""
    _, _, oh, ow = grad_output.shape
    _, cg, kh, kw = weight.shape
    geometry = (sh, sw, ph, pw, dh, dw, oh, ow, groups)
    if _direct(x_shape, weight.shape, grad_output.dtype, *geometry):
        return "direct"
    # col2im serves the input gradient of channels-last patches (kw·Cg >= ow: not the per-sample ones)
    if not need_input or kw * cg < ow or _on_grid(x_shape[1], kh, kw, sh, sw, dh, dw, oh, ow, groups):
        return "blas"
    return "col2im"


def conv2d_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """Like reference.conv2d_forward; what it returns for backward is im2col's patches, for stride-1
    convolutions on the grid (_on_grid) the padded input (see _grid_forward), and with few input
    channels (_per_sample) one patch matrix per sample. BLAS runs on one thread (halves.py says why)."""
    with halves.one_blas_thread():
        return _conv2d_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow, groups)


def _conv2d_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    n = x.shape[0]
    kh, kw = weight.shape[2:]
    if _direct(x.shape, weight.shape, x.dtype, sh, sw, ph, pw, dh, dw, oh, ow, groups):
        return _direct_forward(x, weight, bias, ph, pw, dh, dw, oh, ow)
    if _on_grid(x.shape[1], kh, kw, sh, sw, dh, dw, oh, ow, groups):
        return _grid_forward(x, weight, bias, ph, pw, dh, dw, oh, ow)
    if _per_sample(x.shape[1], kw, ow, groups):
        return _per_sample_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow)
    if groups == 1 and kw * x.shape[1] >= ow:
        return _patches_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow)
    o, _, kh, kw = weight.shape
    og = o // groups
    cols = im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups)
    w_rows = weight_rows(weight, groups)
    k = w_rows.shape[2]
    out = scratch.empty((n, o, oh, ow), x.dtype)
    if groups == 1 and not cols.flags.c_contiguous:
        # pixel-major patches (few channels): W · colsᵀ is (O, N·oh·ow), whose rows copy into NCHW along
        # runs of oh·ow values instead of O (1.2-1.6x faster for the 1- and 3-channel first layers)
        channels_first = scratch.empty((o, n * oh * ow), x.dtype)
        np.matmul(w_rows[0], cols.T, out=channels_first)
        out[...] = channels_first.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
    else:
        rows = scratch.empty((n * oh * ow, o), x.dtype)
        if groups == 1:
            np.matmul(cols, w_rows[0].T, out=rows)
        else:
            for g in range(groups):
                rows[:, g * og : (g + 1) * og] = cols[:, g * k : (g + 1) * k] @ w_rows[g].T
        out.reshape(n, o, oh * ow)[...] = rows.reshape(n, oh * ow, o).transpose(0, 2, 1)
    if bias is not None:  # added along the long rows of out (rows += bias runs over rows of only O values)
        out += bias[:, None, None]
    return out, cols


def conv2d_backward(
    grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, groups, need_input, need_weight, need_bias
):
    """Like reference.conv2d_backward, from what conv2d_forward returned (cols: see conv2d_forward)."""
    with halves.one_blas_thread():
        geometry = (x_shape, sh, sw, ph, pw, dh, dw, groups)
        return _conv2d_backward(grad_output, cols, weight, *geometry, need_input, need_weight, need_bias)


def _conv2d_backward(
    grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, groups, need_input, need_weight, need_bias
):
    n, o, oh, ow = grad_output.shape
    _, cg, kh, kw = weight.shape
    if cols.ndim == 3:  # the direct convolution's padded planes (no other path saves a 3-D array)
        return _direct_backward(grad_output, cols, weight, x_shape, ph, pw, dh, dw, need_input, need_weight,
                                need_bias)
    if _on_grid(x_shape[1], kh, kw, sh, sw, dh, dw, oh, ow, groups):
        return _grid_backward(grad_output, cols, weight, x_shape, ph, pw, dh, dw, need_input, need_weight,
                              need_bias)
    if _per_sample(x_shape[1], kw, ow, groups):
        return _per_sample_backward(grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, need_input,
                                    need_weight, need_bias)
    if groups == 1 and cols.flags.c_contiguous:  # (the grid's own 2-D array was taken above)
        return _patches_backward(grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, need_input,
                                 need_weight, need_bias)
    og = o // groups
    g_rows = scratch.empty((n * oh * ow, o), grad_output.dtype)  # dY with one row per output pixel
    g_rows.reshape(n, oh * ow, o)[...] = grad_output.reshape(n, o, oh * ow).transpose(0, 2, 1)
    grad_x = grad_weight = grad_bias = None
    if need_weight:
        k = kh * kw * cg
        blocks = np.empty((groups, k, og), dtype=grad_output.dtype)
        for g in range(groups):
            np.matmul(cols[:, g * k : (g + 1) * k].T, g_rows[:, g * og : (g + 1) * og], out=blocks[g])
        # (G, kh·kw·Cg, O/G) -> (O, Cg, kh, kw)
        grad_weight = np.ascontiguousarray(
            blocks.reshape(groups, kh, kw, cg, og).transpose(0, 4, 3, 1, 2).reshape(weight.shape)
        )
    if need_input:
        grad_x = _grad_input(g_rows, weight, x_shape, sh, sw, ph, pw, dh, dw, oh, ow, groups)
    if need_bias:  # summed along dY's long rows: 8x faster than down g_rows' columns
        grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


def _grad_input(g_rows, weight, x_shape, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """dx = col2im(dY · W₂), in im2col's memory order for this shape (see im2col)."""
    n, c, h, w = x_shape
    o, cg, kh, kw = weight.shape
    og = o // groups
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    hp = max(ph + h, span_h + (kh - 1) * dh)
    wp = max(pw + w, span_w + (kw - 1) * dw)
    if kw * cg >= ow:
        # channels last: the patch gradient dY · W₂ in one product per group, then numba's col2im adds
        # every entry back to its pixel in one pass (25 products and strided adds, one per tap of a 5x5
        # kernel, took twice as long on the ConvNet's second layer)
        from .jit import col2im  # (here: importing this file loads no numba, see variants.py)

        w_rows = weight_rows(weight, groups)
        k = w_rows.shape[2]
        grad_cols = scratch.empty((n * oh * ow, groups * k), g_rows.dtype)
        for g in range(groups):
            np.matmul(g_rows[:, g * og : (g + 1) * og], w_rows[g], out=grad_cols[:, g * k : (g + 1) * k])
        return col2im(grad_cols, n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, groups)
    # pixel-major (few channels): the patch gradient as (G·kh·kw·Cg, N·oh·ow), then each tap's rows are
    # added back along runs of ow pixels (a narrow product per tap would waste BLAS on Cg columns)
    grad_x = scratch.empty((n, c, h, w), g_rows.dtype)
    w_rows = weight_rows(weight, groups)
    k = w_rows.shape[2]
    cols_t = scratch.empty((groups * k, n * oh * ow), g_rows.dtype)
    for g in range(groups):
        np.matmul(w_rows[g].T, g_rows[:, g * og : (g + 1) * og].T, out=cols_t[g * k : (g + 1) * k])
    patches = cols_t.reshape(groups, kh, kw, cg, n, oh, ow)
    grad_padded = scratch.zeros((n, c, hp, wp), g_rows.dtype)
    planes = grad_padded.reshape(n, groups, cg, hp, wp)
    for i in range(kh):
        for j in range(kw):
            pixels = planes[:, :, :, i * dh : i * dh + span_h : sh, j * dw : j * dw + span_w : sw]
            pixels += patches[:, i, j].transpose(2, 0, 1, 3, 4)
    grad_x[...] = grad_padded[:, :, ph : ph + h, pw : pw + w]
    return grad_x



# --- one group, channels-last patches, in halves of the batch -------------------------------------------
#
# The ConvNet's second layer (10 -> 20 channels, 5x5 on 12x12) ran on one thread: forward 0.47 ms,
# backward 0.91 ms. In two halves (products and col2im per half) backward takes 0.62-0.79 ms; forward
# splits only its products (below). A/B on the ConvNet step in one process, 15 interleaved rounds:
# 3.54 ms with neither split, 3.24 with backward's, 3.03 with both (min; the shared machine was slow).


def _patches_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow):
    n = x.shape[0]
    o, _, kh, kw = weight.shape
    pixels = oh * ow
    cols = scratch.empty((n * pixels, weight[0].size), x.dtype)
    out = scratch.empty((n, o, oh, ow), x.dtype)
    w_rows_t = weight_rows(weight, 1)[0].T

    # the patches first, on this thread: numpy's strided copy holds the GIL, and in halves it ran slower
    # than one after the other (0.23 ms instead of 0.15); the products overlap (0.21 instead of 0.26)
    _patches_into(cols, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, 1)

    def part(n0, n1):
        k, rows = n1 - n0, cols[n0 * pixels : n1 * pixels]
        products = scratch.empty((k * pixels, o), x.dtype)
        np.matmul(rows, w_rows_t, out=products)
        out[n0:n1].reshape(k, o, pixels)[...] = products.reshape(k, pixels, o).transpose(0, 2, 1)

    halves.run(part, _parts(n, pixels * weight.size))
    if bias is not None:
        out += bias[:, None, None]
    return out, cols


def _patches_backward(
    grad_output, cols, weight, x_shape, sh, sw, ph, pw, dh, dw, need_input, need_weight, need_bias
):
    n, c, h, w = x_shape
    _, o, oh, ow = grad_output.shape
    kh, kw = weight.shape[2:]
    pixels = oh * ow
    grad_x = scratch.empty(x_shape, grad_output.dtype) if need_input else None

    def part(n0, n1):  # samples n0..n1-1; returns their share of dW as (kh·kw·C, O)
        k = n1 - n0
        g_rows = scratch.empty((k * pixels, o), grad_output.dtype)  # dY with one row per output pixel
        g_rows.reshape(k, pixels, o)[...] = grad_output[n0:n1].reshape(k, o, pixels).transpose(0, 2, 1)
        share = cols[n0 * pixels : n1 * pixels].T @ g_rows if need_weight else None
        if need_input:
            grad_x[n0:n1] = _grad_input(g_rows, weight, (k, c, h, w), sh, sw, ph, pw, dh, dw, oh, ow, 1)
        return share

    shares = halves.run(part, _parts(n, pixels * weight.size))
    grad_weight = grad_bias = None
    if need_weight:
        total = shares[0] if len(shares) == 1 else sum(shares)
        grad_weight = np.ascontiguousarray(total.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))
    if need_bias:
        grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


# --- few input channels: one patch matrix per sample ------------------------------------------------
#
# With few input channels (a first layer: 1 or 3), patches are gathered per sample as (C·kh·kw, oh·ow)
# matrices: each row is a run of ow pixels, and one batched product per direction works on them
# directly in NCHW order:  Y[n] = W₂ · P[n],  dW₂ = Σₙ dY[n] · P[n]ᵀ,  dP[n] = W₂ᵀ · dY[n].
# Neither the output nor dY is transposed into rows (the first ConvNet layer: forward 0.36 -> 0.21 ms,
# weight gradient 0.29 -> 0.11 ms at one thread).


# multiply-adds a convolution needs before its batch is split in halves: ResNet's 3x3 convolutions
# (38 million) are; the ConvNet's first layer (4.6 million) ran no faster split
SPLIT_WORK = 8_000_000


def _parts(n, per_sample_work):
    """The batch ranges a convolution runs on (see halves.py): two halves when the products hold a few
    million multiply-adds, enough to pay for the hand-over to the helper thread."""
    return halves.parts(n, n * per_sample_work >= SPLIT_WORK)


def _per_sample(c, kw, ow, groups):
    """True for the per-sample patch matrices: one group and a window row (kw·C values) shorter than an
    output row, so runs of ow pixels are the longer copies (see im2col's pixel-major order)."""
    return groups == 1 and kw * c < ow


def _per_sample_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow):
    """(out, P): P is (N, C, kh, kw, oh, ow), sample n's patch matrix P[n] as (C·kh·kw, oh·ow)."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    extent_h, extent_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    rows, columns = span_h + extent_h - 1, span_w + extent_w - 1  # what the windows cover
    xp = _padded(x, ph, pw, rows, columns, False) if ph or pw or rows > h or columns > w else x
    windows = sliding_window_view(xp, (extent_h, extent_w), axis=(2, 3))  # (N, C, ., ., extent_h, extent_w)
    windows = windows[:, :, :span_h:sh, :span_w:sw, ::dh, ::dw].transpose(0, 1, 4, 5, 2, 3)
    patches = scratch.empty((n, c, kh, kw, oh, ow), x.dtype)
    out = scratch.empty((n, o, oh, ow), x.dtype)
    w_rows = weight.reshape(o, -1)

    def part(n0, n1):
        patches[n0:n1] = windows[n0:n1]
        b = n1 - n0
        np.matmul(w_rows, patches[n0:n1].reshape(b, -1, oh * ow), out=out[n0:n1].reshape(b, o, oh * ow))

    halves.run(part, _parts(n, oh * ow * weight.size))
    if bias is not None:
        out += bias[:, None, None]
    return out, patches


def _per_sample_backward(
    grad_output, patches, weight, x_shape, sh, sw, ph, pw, dh, dw, need_input, need_weight, need_bias
):
    n, c, h, w = x_shape
    _, o, oh, ow = grad_output.shape
    kh, kw = weight.shape[2:]
    k = c * kh * kw
    g = np.ascontiguousarray(grad_output).reshape(n, o, oh * ow)
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    hp, wp = max(ph + h, span_h + (kh - 1) * dh), max(pw + w, span_w + (kw - 1) * dw)
    grad_x = scratch.empty((n, c, h, w), grad_output.dtype) if need_input else None

    def part(n0, n1):  # samples n0..n1-1; returns their share of dW
        b = n1 - n0
        share = None
        if need_weight:  # one (O, C·kh·kw) product per sample, then their sum
            share = np.matmul(g[n0:n1], patches[n0:n1].reshape(b, k, oh * ow).transpose(0, 2, 1)).sum(axis=0)
        if need_input:  # dP[n] = W₂ᵀ · dY[n], then each tap's rows added back to the pixels it read
            grad_patches = scratch.empty((b, k, oh * ow), grad_output.dtype)
            np.matmul(weight.reshape(o, k).T, g[n0:n1], out=grad_patches)
            taps = grad_patches.reshape(b, c, kh, kw, oh, ow)
            grad_padded = scratch.zeros((b, c, hp, wp), grad_output.dtype)
            for i in range(kh):
                for j in range(kw):
                    pixels = grad_padded[:, :, i * dh : i * dh + span_h : sh, j * dw : j * dw + span_w : sw]
                    pixels += taps[:, :, i, j]
            grad_x[n0:n1] = grad_padded[:, :, ph : ph + h, pw : pw + w]
        return share

    shares = halves.run(part, _parts(n, oh * ow * weight.size))
    grad_weight = grad_bias = None
    if need_weight:
        grad_weight = (shares[0] if len(shares) == 1 else sum(shares)).reshape(weight.shape)
    if need_bias:
        grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


# --- stride-1 convolution on the padded grid --------------------------------------------------------
#
# The padded input, channels last, is one (N·Hp·Wp, C) matrix X. Give every output pixel the row of
# its window's top-left corner on that grid (Hp = oh + (kh-1)·dh rows of Wp = ow + (kw-1)·dw pixels;
# the grid's other rows are output pixels that do not exist). Tap (i, j) of output row r then reads
# row r + i·dh·Wp + j·dw of X: the same shift for every r. So with dY on the grid too (zero where no
# output pixel sits), each tap is a contiguous slice of X and of the input gradient:
#     dW[:, :, i, j] = dYᵀ · X[shift : shift + M],   dX[shift : shift + M] += dY · W[:, :, i, j]
# Backward needs only X (1/(kh·kw) of im2col's patches): the forward pass gathers patches into a
# recycled, cache-warm buffer and saves X. A training step of the small ResNet no longer carries five
# 9 MiB patch matrices from forward to backward, and its convolutions ran 16% faster.


# The grid backward's working set per block of rows, for each gradient in its own loop. Each block costs
# kh·kw BLAS calls, so small blocks pay call overhead, large ones cache misses; the weight gradient's
# (o × c) products favour small blocks, the input gradient's (rows × c) products large ones. The small
# ResNet's 16-channel backward (OpenBLAS's AVX-512 kernels, 2 MiB of L2 per core): one loop of 384 KiB
# blocks 1.8-2.0 ms, one loop of 3 MiB blocks 2.0-2.3 ms, these 1.3-1.6 ms; ResNet-18's 64 channels at
# 56x56 and OpenBLAS's AVX2 kernels are within 5% either way.
WEIGHT_BLOCK_BYTES = 384 * 1024
INPUT_BLOCK_BYTES = 3 * 1024 * 1024


def _grid_parts(n, c, o, oh, ow, kh, kw):
    return _parts(n, oh * ow * kh * kw * c * o)


def _grid_forward(x, weight, bias, ph, pw, dh, dw, oh, ow):
    """(out, X): X is the padded input grid (N·Hp·Wp + spare rows, C), the rows every tap's shift needs."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    hp, wp = oh + (kh - 1) * dh, ow + (kw - 1) * dw
    m = n * hp * wp
    grid = scratch.empty((m + (kh - 1) * dh * wp + (kw - 1) * dw, c), x.dtype)
    grid[m:] = 0
    padded = grid[:m].reshape(n, hp, wp, c)
    out = scratch.empty((n, o, oh, ow), x.dtype)
    w_rows_t = weight_rows(weight, 1)[0].T

    def part(n0, n1):  # samples n0..n1-1: their cells of the grid, their patches, their outputs
        k = n1 - n0
        _fill_padded(padded[n0:n1].transpose(0, 3, 1, 2), x[n0:n1], ph, pw)
        windows = sliding_window_view(padded[n0:n1], ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2))
        cols = scratch.empty((k * oh * ow, kh * kw * c), x.dtype)  # used here only: recycled while warm
        cols.reshape(k, oh, ow, kh, kw, c)[...] = windows[..., ::dh, ::dw].transpose(0, 1, 2, 4, 5, 3)
        rows = scratch.empty((k * oh * ow, o), x.dtype)
        np.matmul(cols, w_rows_t, out=rows)
        del cols
        out[n0:n1].reshape(k, o, oh * ow)[...] = rows.reshape(k, oh * ow, o).transpose(0, 2, 1)

    halves.run(part, _grid_parts(n, c, o, oh, ow, kh, kw))
    if bias is not None:
        out += bias[:, None, None]
    return out, grid


def _grid_backward(grad_output, grid, weight, x_shape, ph, pw, dh, dw, need_input, need_weight, need_bias):
    """Backward on the grid, part by part (see halves.py) and, within a part, block by block of rows:
    every tap of a block reads the same rows of dY and X, so they are read from the cache kh·kw times,
    not from memory, on large grids."""
    n, c, h, w = x_shape
    _, o, oh, ow = grad_output.shape
    kh, kw = weight.shape[2:]
    hp, wp = oh + (kh - 1) * dh, ow + (kw - 1) * dw
    spare = (kh - 1) * dh * wp + (kw - 1) * dw
    shifts = [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]
    taps = np.ascontiguousarray(weight.transpose(2, 3, 0, 1)).reshape(kh * kw, o, c)  # W[:, :, i, j]
    # rows per block: dY and X for the weight gradient, dY, a tap and dX for the input gradient
    weight_block = max(16, WEIGHT_BLOCK_BYTES // (grad_output.itemsize * (o + c)))
    input_block = max(16, INPUT_BLOCK_BYTES // (grad_output.itemsize * (o + 2 * c)))
    grad_x = scratch.empty((n, c, h, w), grad_output.dtype) if need_input else None

    def part(n0, n1):  # samples n0..n1-1: their rows of the grid; returns their share of dW
        k = n1 - n0
        m = k * hp * wp
        first = n0 * hp * wp  # the part's first row of X
        dy = scratch.empty((m, o), grad_output.dtype)  # dY on the part's grid
        cells = dy.reshape(k, hp, wp, o)
        cells[:, oh:] = 0
        cells[:, :oh, ow:] = 0
        cells[:, :oh, :ow] = grad_output[n0:n1].transpose(0, 2, 3, 1)
        share = None
        if need_weight:
            # each block's dW per tap, summed over the blocks at the end (one call, not one per product)
            products = np.empty((-(-m // weight_block), kh * kw, o, c), grad_output.dtype)
            for index, r0 in enumerate(range(0, m, weight_block)):
                r1 = min(m, r0 + weight_block)
                dy_block, x_rows = dy[r0:r1], grid[first + r0 :]
                for t, shift in enumerate(shifts):
                    np.matmul(dy_block.T, x_rows[shift : shift + r1 - r0], out=products[index, t])
            share = products.sum(axis=0)
        if need_input:  # the part's own input gradient grid: a tap's rows may reach past the part
            grad_grid = scratch.zeros((m + spare, c), grad_output.dtype)
            tap = scratch.empty((min(m, input_block), c), grad_output.dtype)
            for r0 in range(0, m, input_block):
                r1 = min(m, r0 + input_block)
                dy_block = dy[r0:r1]
                for t, shift in enumerate(shifts):
                    np.matmul(dy_block, taps[t], out=tap[: r1 - r0])
                    grad_grid[r0 + shift : r1 + shift] += tap[: r1 - r0]
            padded = grad_grid[:m].reshape(k, hp, wp, c)
            grad_x[n0:n1] = padded[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2)
        return share

    shares = halves.run(part, _grid_parts(n, c, o, oh, ow, kh, kw))
    grad_weight = grad_bias = None
    if need_weight:
        total = shares[0] if len(shares) == 1 else sum(shares)
        grad_weight = np.ascontiguousarray(total.reshape(kh, kw, o, c).transpose(2, 3, 0, 1))
    if need_bias:
        grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


# --- stride-1 convolution with few channels: direct loops (conv_direct.py) ---------------------------
#
# For the small ResNet's 3x3 16 -> 16 convolutions BLAS's products are skinny and the patch copies
# around them cost as much: conv_direct's numba loops over padded planes do the whole convolution
# (forward 1.3 ms instead of 1.6-2.2 ms at one thread, batch 16 at 32x32). Saved for backward: the
# padded planes, a 3-D array (N, C, Hp·Wp + spare), which tells conv2d_backward the path.

DIRECT_MIN_CHANNELS = 8  # fewer input channels (a first layer): the per-sample patches are faster
DIRECT_MAX_GRID = 1.3  # the padded grid's size over the output's (see _direct)


def _direct(x_shape, w_shape, dtype, sh, sw, ph, pw, dh, dw, oh, ow, groups):
    """True for the direct convolution: stride 1, one group, float32/64, DIRECT_MIN_CHANNELS input channels
    or more, a padded grid at most DIRECT_MAX_GRID times the output (the loops compute its dropped
    columns too: the ConvNet's 5x5 on 12x12, a grid 2.25x its output, ran slower backward than BLAS),
    and every side's padding (the bottom and right ones implied by oh, ow) at most the kernel's
    extent - 1, so that the input gradient is a convolution of dY padded by extent - 1 - padding."""
    n, c, h, w = x_shape
    kh, kw = w_shape[2:]
    eh, ew = (kh - 1) * dh, (kw - 1) * dw
    bottom, right = oh + eh - h - ph, ow + ew - w - pw
    return (
        groups == 1 and sh == sw == 1 and c >= DIRECT_MIN_CHANNELS and dtype in _DIRECT_FLOATS
        and (oh + eh) * (ow + ew) <= DIRECT_MAX_GRID * oh * ow
        and 0 <= min(ph, bottom) and max(ph, bottom) <= eh and 0 <= min(pw, right) and max(pw, right) <= ew
    )


_DIRECT_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # numba has no float16 arithmetic


def _plane_buffer(n, c, hp, wp, spare, dtype):
    """(buffer (N, C, Hp·Wp + spare), its (N, C, Hp, Wp) view); the spare elements are zeroed."""
    buffer = scratch.empty((n, c, hp * wp + spare), dtype)
    buffer[:, :, hp * wp :] = 0
    return buffer, buffer[:, :, : hp * wp].reshape(n, c, hp, wp)


def _filters_by_4(weight):
    """weight (O, C, kh, kw) with zero filters appended up to a multiple of 4 (conv_direct's blocks)."""
    o = weight.shape[0]
    if o % 4 == 0:
        return np.ascontiguousarray(weight)
    blocks = np.zeros((o + (-o) % 4, *weight.shape[1:]), weight.dtype)
    blocks[:o] = weight
    return blocks


def _direct_forward(x, weight, bias, ph, pw, dh, dw, oh, ow):
    # (imported here: only a process that runs a direct convolution loads its loops, compiled on first
    # use: 1.4 s forward, 1.1 s weight gradient per dtype without a cache, 0.4 s from numba's cache)
    from .conv_direct import _planes_forward

    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    hp, wp = oh + (kh - 1) * dh, ow + (kw - 1) * dw
    buffer, planes = _plane_buffer(n, c, hp, wp, (kw - 1) * dw, x.dtype)
    out = scratch.empty((n, o, oh, ow), x.dtype)
    filters = _filters_by_4(weight)

    def part(n0, n1):
        _fill_padded(planes[n0:n1], x[n0:n1], ph, pw)
        _planes_forward(buffer, filters, out, n0, n1, wp, dh, dw)

    halves.run(part, _grid_parts(n, c, o, oh, ow, kh, kw))
    if bias is not None:
        out += bias[:, None, None]
    return out, buffer


def _direct_backward(
    grad_output, buffer, weight, x_shape, ph, pw, dh, dw, need_input, need_weight, need_bias
):
    """dx: the direct forward loop on dY padded by extent - 1 - padding, with the filters flipped and
    transposed; dW: conv_direct's sums over the planes (dY on the input's grid)."""
    from .conv_direct import _planes_forward, _planes_weight_grad, _valid_weight_grad

    n, c, h, w = x_shape
    _, o, oh, ow = grad_output.shape
    kh, kw = weight.shape[2:]
    eh, ew = (kh - 1) * dh, (kw - 1) * dw
    wp = ow + ew  # the input planes' width
    hq, wq = h + eh, w + ew  # dY's padded planes for the input gradient
    dtype = grad_output.dtype
    grad_x = grad_weight = grad_bias = None
    if need_input:
        dy_buffer, dy_planes = _plane_buffer(n, o, hq, wq, ew, dtype)
        flipped = _filters_by_4(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        grad_x = scratch.empty((n, c, h, w), dtype)
    own_grid = need_weight and not (need_input and wq == wp)
    if need_weight:
        if not own_grid:  # ("same" padding) dY's padded planes serve, from the first pixel on
            dy_grid, offset = dy_buffer, (eh - ph) * wq + ew - pw
        else:  # dY on the input's grid, zero in the columns past ow
            dy_grid, offset = scratch.empty((n, o, oh * wp), dtype), 0
            cells = dy_grid.reshape(n, o, oh, wp)

    def part(n0, n1):  # samples n0..n1-1; returns their share of dW
        share = None
        if need_input:
            _fill_padded(dy_planes[n0:n1], grad_output[n0:n1], eh - ph, ew - pw)
            _planes_forward(dy_buffer, flipped, grad_x, n0, n1, wq, dh, dw)
        if need_weight:
            if own_grid:
                cells[n0:n1, :, :, ow:] = 0
                cells[n0:n1, :, :, :ow] = grad_output[n0:n1]
            share = _planes_weight_grad(dy_grid, offset, buffer, n0, n1, oh, wp, kh, kw, dh, dw)
            if np.isnan(share).any():  # maybe 0 · inf in a dropped column (conv_direct.py's docstring)
                share = _valid_weight_grad(dy_grid, offset, buffer, n0, n1, oh, ow, wp, kh, kw, dh, dw)
        return share

    shares = halves.run(part, _grid_parts(n, c, o, oh, ow, kh, kw))
    if need_weight:
        total = shares[0] if len(shares) == 1 else sum(shares)
        grad_weight = total[:o, :c].astype(dtype)
    if need_bias:
        grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias
