"""Which numba code a fast kernel runs for a call, where the arguments' shapes choose it (numpy only).

warm.py's signature of a call holds its arguments' types, not their shapes, but a few fast kernels pick
their numba code by shape: the convolution takes conv_direct's loops or BLAS (conv_blas._direct), the
max-pool a 2x2 kernel only when every window is inside the plane, softmax numba's rows only on small
arrays. Two calls of one signature could then need different compiled code, and the warm-up process
would compile only the first's: the second compiled in the caller (1.4 s for the direct convolution).
So the router adds the path, as told here, to the signature. Each function takes the kernel's arguments
and returns a short literal (warm.py writes signatures with repr and reads them with ast.literal_eval).
They run at every call of the background mode, so they are cheap, and this module imports no numba (the
router calls them before numba is loaded). The conditions repeat the fast kernels' own (jit.py cannot
be imported here): tests/test_warm.py checks the two agree.
"""

from __future__ import annotations

from . import conv_blas

SMALL_ROWS = 4096  # jit._SMALL_ROWS: softmax's numba loop up to this many elements, numpy's above


def max_pool2d_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    """"2x2" for jit's MaxPool2d(2) kernel (no padding or dilation, every window inside the plane)."""
    h, w = x.shape[2:]
    inside = (oh - 1) * sh + 2 <= h and (ow - 1) * sw + 2 <= w
    return "2x2" if kh == kw == 2 and ph == pw == 0 and dh == dw == 1 and inside else "any"


def softmax_forward(x):
    return "loop" if x.size <= SMALL_ROWS else "numpy"


def softmax_backward(grad_output, y):
    return "loop" if y.size <= SMALL_ROWS else "numpy"


def relu_backward(grad_output, y):
    return "loop" if grad_output.shape == y.shape else "numpy"  # (the twin broadcasts)


# kernel name -> its variant function; a kernel not named here runs the same code for every shape
VARIANTS = {
    "conv2d_forward": conv_blas.forward_variant,
    "conv2d_backward": conv_blas.backward_variant,
    "max_pool2d_forward": max_pool2d_forward,
    "softmax_forward": softmax_forward,
    "log_softmax_forward": softmax_forward,
    "softmax_backward": softmax_backward,
    "log_softmax_backward": softmax_backward,
    "relu_backward": relu_backward,
}
