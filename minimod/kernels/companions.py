"""The backward call a training step makes after a forward kernel, asked for with the forward (numpy only).

Why: a backward given a forward output that only numba's kernels can read (conv2d_forward's patches or
padded input, see _BOUND_TO_FORWARD in __init__.py) runs numba's kernel once the forward has switched to
numba, compiling here if its signature is new. The inspector's user presses f a few times (forwards only,
which switch to numba), then b: ResNet-18's first backward then compiled here for 2.5 s. So with a forward
signature, warm.py's warm-up process is asked for the backward that will follow it, given its own output
of that forward: every gradient asked for, and an output gradient of the output's kind (a C-ordered
array). The two are compiled before either switches (warm.py adopts them together), and a real backward
that differs (a first layer's, needing no input gradient) loads the numba code compiled for this one.

Each function takes the forward's arguments and the twin's result, and returns (backward name, its
arguments) as the Function's backward would call it (functions/conv.py).
"""

from __future__ import annotations

import numpy as np


def conv2d_forward(args, result):
    x, weight, bias, sh, sw, ph, pw, dh, dw, _oh, _ow, groups = args
    out, cols = result
    grad_output = np.zeros_like(out, order="C")
    return "conv2d_backward", (grad_output, cols, weight, x.shape, sh, sw, ph, pw, dh, dw, groups, True, True,
                               bias is not None)


COMPANIONS = {"conv2d_forward": conv2d_forward}
