"""The fast backend, as kernels/__init__.py hands it out: jit.py's numba kernels and conv_blas.py's
convolution (numpy strided copies and BLAS products, which beat numba loops there), under
reference.py's names and contracts."""

from __future__ import annotations

from .conv_blas import conv2d_backward, conv2d_forward, im2col
from .jit import (
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    avg_pool2d_backward,
    avg_pool2d_forward,
    batch_norm_backward,
    batch_norm_forward,
    col2im,
    gelu_backward,
    gelu_forward,
    layer_norm_backward,
    layer_norm_forward,
    log_softmax_backward,
    log_softmax_forward,
    max_pool2d_backward,
    max_pool2d_forward,
    nll_loss_backward,
    nll_loss_forward,
    relu_backward,
    relu_forward,
    sgd_step,
    softmax_backward,
    softmax_forward,
    tensor_stats,
)

__all__ = [
    "adaptive_avg_pool2d_backward",
    "adaptive_avg_pool2d_forward",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_backward",
    "batch_norm_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "gelu_backward",
    "gelu_forward",
    "im2col",
    "layer_norm_backward",
    "layer_norm_forward",
    "log_softmax_backward",
    "log_softmax_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "nll_loss_backward",
    "nll_loss_forward",
    "relu_backward",
    "relu_forward",
    "sgd_step",
    "softmax_backward",
    "softmax_forward",
    "tensor_stats",
]
