"""nn.functional.linear on Tensors, recorded node for node as torch 2.13's at::linear records it.

Why a port and not one Function: a student reads the autograd view, which draws a tensor's grad_fn graph;
torch's graph for a Linear is AddmmBackward0 with a TBackward0 on its weight (a 3-D input: views around
it), so minimod records exactly those nodes, and the picture is the same for both libraries.
"""

from __future__ import annotations

import math

from ..functions.elementwise import Add, Clone
from ..functions.matmul import Addmm, Mm
from ..functions.shape import Squeeze, T, UnsafeView, Unsqueeze, View


def linear(input, weight, bias=None):
    """input @ weight.T + bias, recorded as torch 2.13's at::linear records it.

    2-D input with bias: AddmmBackward0(bias, input, TBackward0(weight)). With bias and a contiguous
    input of another rank: the input viewed as rows, addmm, the result viewed back (ViewBackward0
    around it). Otherwise matmul(input, weight.t()) then + bias (AddBackward0): MmBackward0 for 2-D;
    a 1-D input is unsqueezed to one row and squeezed back (SqueezeBackward4); more dims are viewed as
    rows (a copy first when not contiguous) and the result UnsafeViewBackward0.
    """
    weight_t = T.apply(weight, dims=(1, 0))
    if bias is not None and input.ndim == 2:
        return Addmm.apply(bias, input, weight_t)
    rows = (math.prod(input.shape[:-1]), input.shape[-1])
    out_shape = (*input.shape[:-1], weight.shape[0])
    contiguous = input.numpy().flags.c_contiguous
    if bias is not None and contiguous:
        return View.apply(Addmm.apply(bias, View.apply(input, shape=rows), weight_t), shape=out_shape)
    if input.ndim == 1:
        output = Squeeze.apply(Mm.apply(Unsqueeze.apply(input, shape=rows), weight_t), shape=out_shape,
                               node_name="SqueezeBackward4")
    elif input.ndim == 2:
        output = Mm.apply(input, weight_t)
    else:
        copied = input if contiguous else Clone.apply(input)  # torch's reshape copies a strided input
        flat = (View if contiguous else UnsafeView).apply(copied, shape=rows)
        output = UnsafeView.apply(Mm.apply(flat, weight_t), shape=out_shape)
    return output if bias is None else Add.apply(output, bias)
