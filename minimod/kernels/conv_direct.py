"""Direct convolution for stride-1 layers with a few channels (ResNet's 3x3 16 -> 16): numba loops over
padded NCHW planes, no patches and no BLAS. conv_blas.py calls it; the contracts are reference.py's
conv2d_forward / conv2d_backward.

Why: with 16 channels BLAS's products are skinny (K = 144, N = 16 forward; 16x16 per tap backward)
and far from the core's peak, and the patch copies around them cost as much as the products.

How: each sample's input is copied once into zero-padded planes of Wp = ow + (kw-1)·dw columns,
flattened, so tap (i, j) of output pixel r = y·Wp + x reads element r + i·dh·Wp + j·dw of every
plane: one shift for the whole plane (output columns x >= ow are computed and dropped). Then

    out[o, r] = Σ_c Σ_taps W[o, c, i, j] · X[c, r + shift]          (_planes_forward)

is a loop over r for each (tap, block of 4 input channels, block of 4 output channels): every
loaded value of X feeds 4 multiply-adds and every accumulator row is loaded and stored once per 16
(measured: 1.3 ms for a 16x16x3x3 forward on 16x16x32x32 at one thread; BLAS with patches 1.6-2.2
ms; blocks of 1 channel ran at 2.0 ms, the single loads and stores of the accumulators being the
limit). The input gradient is the same loop: a convolution of dY, padded by (k-1)·d - p, with the
flipped, transposed filters. The weight gradient sums products of dY's and X's planes:

    dW[o, c, i, j] = Σ_r dY[o, r] · X[c, r + shift]                 (_planes_weight_grad)

(dY on the same grid, zero in the dropped columns), 16 sums per loop over r for blocks of 4x4. An inf
in the input makes a dropped column's product 0 · inf = NaN, so a NaN in that result is summed again
over the valid columns only, by the plain loop of _valid_weight_grad (conv_blas.py asks for it).

The loops release the GIL, so halves.py runs them on the two halves of a batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# the sums here may be reordered and fused (see jit.py's _SUMS); only their rounding changes
_FAST = dict(cache=True, nogil=True, fastmath={"reassoc", "contract"})


@njit(**_FAST)
def _planes_forward(xp, w, out, n0, n1, wp, dh, dw):
    """out[b] for samples n0..n1-1 (see the module's docstring). xp (N, C, Hp·Wp + spare): padded planes;
    w (O4, C, kh, kw), O4 = O rounded up to 4 (zero filters past O); out (N, O, oh, ow)."""
    _, c, _ = xp.shape
    o4, _, kh, kw = w.shape
    _, o, oh, ow = out.shape
    m = oh * wp
    c4 = c - c % 4
    acc = np.empty((o4, m), dtype=out.dtype)
    for b in range(n0, n1):
        acc[:] = 0
        for oc in range(0, o4, 4):
            a0, a1, a2, a3 = acc[oc], acc[oc + 1], acc[oc + 2], acc[oc + 3]
            for i in range(kh):
                for j in range(kw):
                    s = i * dh * wp + j * dw
                    for ch in range(0, c4, 4):
                        x0, x1 = xp[b, ch, s : s + m], xp[b, ch + 1, s : s + m]
                        x2, x3 = xp[b, ch + 2, s : s + m], xp[b, ch + 3, s : s + m]
                        k = w[oc : oc + 4, ch : ch + 4, i, j]  # this tap's weights, 4 outputs x 4 inputs
                        u0, u1, u2, u3 = k[0, 0], k[0, 1], k[0, 2], k[0, 3]
                        v0, v1, v2, v3 = k[1, 0], k[1, 1], k[1, 2], k[1, 3]
                        q0, q1, q2, q3 = k[2, 0], k[2, 1], k[2, 2], k[2, 3]
                        r0, r1, r2, r3 = k[3, 0], k[3, 1], k[3, 2], k[3, 3]
                        for p in range(m):
                            e0, e1, e2, e3 = x0[p], x1[p], x2[p], x3[p]
                            a0[p] += u0 * e0 + u1 * e1 + u2 * e2 + u3 * e3
                            a1[p] += v0 * e0 + v1 * e1 + v2 * e2 + v3 * e3
                            a2[p] += q0 * e0 + q1 * e1 + q2 * e2 + q3 * e3
                            a3[p] += r0 * e0 + r1 * e1 + r2 * e2 + r3 * e3
                    for ch in range(c4, c):  # the channels past the last block of 4, one at a time
                        x0 = xp[b, ch, s : s + m]
                        u0, v0 = w[oc, ch, i, j], w[oc + 1, ch, i, j]
                        q0, r0 = w[oc + 2, ch, i, j], w[oc + 3, ch, i, j]
                        for p in range(m):
                            e0 = x0[p]
                            a0[p] += u0 * e0
                            a1[p] += v0 * e0
                            a2[p] += q0 * e0
                            a3[p] += r0 * e0
        for oc in range(o):
            for y in range(oh):
                for x in range(ow):
                    out[b, oc, y, x] = acc[oc, y * wp + x]


@njit(**_FAST)
def _planes_weight_grad(dy, offset, xp, n0, n1, oh, wp, kh, kw, dh, dw):
    """Σ over samples n0..n1-1 of dW (see the module's docstring), as (O4, C4, kh, kw) with O and C rounded
    up to 4 (the caller crops). dy (N, O, .): dY's planes on the grid of width Wp, pixel (y, x) at
    offset + y·Wp + x, zero in the columns x >= ow; xp (N, C, .): the padded input planes."""
    _, o, _ = dy.shape
    _, c, _ = xp.shape
    m = oh * wp
    o4, c4 = o + (-o) % 4, c + (-c) % 4
    grad = np.zeros((o4, c4, kh, kw), dtype=np.float64)
    zero = np.zeros(1, dtype=xp.dtype)[0]  # the sums in x's own type (float32 sums vectorise twice as wide)
    for b in range(n0, n1):
        for oc in range(0, o4, 4):
            # rows past O or C read a real row (the last) and their sums are dropped by the caller
            # (slices of one row at a time keep numba's contiguous layout: a 2-D slice's rows ran 5x slower)
            end = offset + m
            g0, g1 = dy[b, oc, offset:end], dy[b, min(oc + 1, o - 1), offset:end]
            g2, g3 = dy[b, min(oc + 2, o - 1), offset:end], dy[b, min(oc + 3, o - 1), offset:end]
            for ch in range(0, c4, 4):
                for i in range(kh):
                    for j in range(kw):
                        s = i * dh * wp + j * dw
                        x0, x1 = xp[b, ch, s : s + m], xp[b, min(ch + 1, c - 1), s : s + m]
                        x2, x3 = xp[b, min(ch + 2, c - 1), s : s + m], xp[b, min(ch + 3, c - 1), s : s + m]
                        s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
                        s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
                        for p in range(m):
                            e0, e1, e2, e3 = x0[p], x1[p], x2[p], x3[p]
                            f0, f1, f2, f3 = g0[p], g1[p], g2[p], g3[p]
                            s00 += f0 * e0
                            s01 += f0 * e1
                            s02 += f0 * e2
                            s03 += f0 * e3
                            s10 += f1 * e0
                            s11 += f1 * e1
                            s12 += f1 * e2
                            s13 += f1 * e3
                            s20 += f2 * e0
                            s21 += f2 * e1
                            s22 += f2 * e2
                            s23 += f2 * e3
                            s30 += f3 * e0
                            s31 += f3 * e1
                            s32 += f3 * e2
                            s33 += f3 * e3
                        grad[oc, ch, i, j] += s00
                        grad[oc, ch + 1, i, j] += s01
                        grad[oc, ch + 2, i, j] += s02
                        grad[oc, ch + 3, i, j] += s03
                        grad[oc + 1, ch, i, j] += s10
                        grad[oc + 1, ch + 1, i, j] += s11
                        grad[oc + 1, ch + 2, i, j] += s12
                        grad[oc + 1, ch + 3, i, j] += s13
                        grad[oc + 2, ch, i, j] += s20
                        grad[oc + 2, ch + 1, i, j] += s21
                        grad[oc + 2, ch + 2, i, j] += s22
                        grad[oc + 2, ch + 3, i, j] += s23
                        grad[oc + 3, ch, i, j] += s30
                        grad[oc + 3, ch + 1, i, j] += s31
                        grad[oc + 3, ch + 2, i, j] += s32
                        grad[oc + 3, ch + 3, i, j] += s33
    return grad


@njit(**_FAST)
def _valid_weight_grad(dy, offset, xp, n0, n1, oh, ow, wp, kh, kw, dh, dw):
    """_planes_weight_grad's result (same arguments, same shape) summed over the valid columns only, one
    product at a time: for the rare input holding an inf (see the module's docstring)."""
    _, o, _ = dy.shape
    _, c, _ = xp.shape
    grad = np.zeros((o + (-o) % 4, c + (-c) % 4, kh, kw), dtype=np.float64)
    for b in range(n0, n1):
        for oc in range(o):
            for ch in range(c):
                for i in range(kh):
                    for j in range(kw):
                        s = i * dh * wp + j * dw
                        total = 0.0
                        for y in range(oh):
                            for x in range(ow):
                                p = y * wp + x
                                total += dy[b, oc, offset + p] * xp[b, ch, s + p]
                        grad[oc, ch, i, j] += total
    return grad
