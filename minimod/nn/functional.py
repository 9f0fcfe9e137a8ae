"""minimod.nn.functional: torch.nn.functional's names, arguments and defaults, on minimod Tensors."""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..composites.linear import linear as _linear
from ..functions import activation as A
from ..functions.conv import Convolution, conv2d_geometry
from ..functions.embedding import Embedding
from ..functions.normalization import NativeBatchNorm, NativeLayerNorm
from ..functions.pooling import AdaptiveAvgPool2D, AvgPool2D, MaxPool2DWithIndices, pool2d_geometry
from ..tensor import Tensor
from ._functional_attention import scaled_dot_product_attention  # noqa: F401 - part of F
from ._functional_dropout import dropout  # noqa: F401 - part of F
from ._functional_loss import (  # noqa: F401 - part of F
    _torch_dtype,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)


def _batched(input: Tensor, name: str) -> tuple[Tensor, bool]:
    """A 4-D view of a 3-D (unbatched) or 4-D input, and whether a batch dim was added."""
    if input.ndim == 4:
        return input, False
    if input.ndim == 3:
        return input.unsqueeze(0), True
    raise RuntimeError(
        f"Expected 3D (unbatched) or 4D (batched) input to {name}, but got input of size: {list(input.shape)}"
    )


# --- linear and convolution ----------------------------------------------------------------------


def _expect_tensor(function: str, input: object) -> None:
    """torch's TypeError for a non-tensor input (e.g. the tuple a forward hook returned by mistake)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{function}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias."""
    _expect_tensor("linear", input)
    in_features = input.shape[-1] if input.ndim else 1
    if input.ndim == 0 or weight.ndim != 2 or in_features != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1])) if input.ndim else 1
        w_shape = weight.shape if weight.ndim == 2 else (*weight.shape, 1)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_features} and {w_shape[1]}x{w_shape[0]})"
        )
    return _linear(input, weight, bias)  # torch's graph: AddmmBackward0(bias, input, TBackward0(weight))


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, kh, kw)."""
    x, unbatched = _batched(input, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(
            f"Expected 4-dimensional weight for 4-dimensional input {list(x.shape)}, but got "
            f"{weight.ndim}-dimensional weight of size {list(weight.shape)} instead"
        )
    if x.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_torch_dtype(weight.dtype)} but found {_torch_dtype(x.dtype)}"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
            f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead"
        )
    stride, pad, dilation, output_size = conv2d_geometry(
        x.shape, weight.shape, stride, padding, dilation, int(groups)
    )
    out = Convolution.apply(
        x,
        weight,
        bias,
        stride=stride,
        padding=pad,
        dilation=dilation,
        groups=int(groups),
        output_size=output_size,
    )
    return out.squeeze(0) if unbatched else out


# --- pooling -------------------------------------------------------------------------------------


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over each kernel_size window; with return_indices also where each max was (flat in H·W)."""
    x, unbatched = _pool_input(input)
    kernel, stride, padding, dilation, output_size = pool2d_geometry(
        x.shape, kernel_size, stride, padding, dilation, ceil_mode
    )
    out, indices = MaxPool2DWithIndices.apply(
        x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, output_size=output_size
    )
    if unbatched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each kernel_size window."""
    x, unbatched = _pool_input(input)
    kernel, stride, padding, _, output_size = pool2d_geometry(
        x.shape, kernel_size, stride, padding, 1, ceil_mode
    )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = AvgPool2D.apply(
        x,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        output_size=output_size,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean pooling to a fixed output_size (an int, or a pair where None keeps the input's size)."""
    x, unbatched = _pool_input(input)
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    oh, ow = (
        x.shape[2] if sizes[0] is None else int(sizes[0]),
        x.shape[3] if sizes[1] is None else int(sizes[1]),
    )
    if oh < 0 or ow < 0:
        raise RuntimeError(
            f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
            f"but received {[oh, ow]}"
        )
    if (oh, ow) == (1, 1):  # torch's own shortcut: the spatial mean, recorded as MeanBackward1
        return input.mean((-1, -2), keepdim=True)
    out = AdaptiveAvgPool2D.apply(x, output_size=(oh, ow))
    return out.squeeze(0) if unbatched else out


def _pool_input(input: Tensor) -> tuple[Tensor, bool]:
    if input.ndim not in (3, 4) or input.numel() == 0:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    return _batched(input, "pooling")


# --- normalisation -----------------------------------------------------------------------------------


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) by the batch statistics (training) or the running ones; in training
    the running statistics are updated in place (running_var with the unbiased batch variance)."""
    if input.ndim < 2:
        raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
    channels = input.shape[1]
    for name, tensor in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if tensor is not None and tensor.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {tensor.numel()}")
    if training:
        if input.numel() // channels <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {_size(input.shape)}"
            )
    elif running_mean is None or running_var is None:
        raise RuntimeError(
            f"{'running_mean' if running_mean is None else 'running_var'} must be defined in evaluation mode"
        )
    update = training and running_mean is not None and running_var is not None
    out = NativeBatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=None if running_mean is None else running_mean._data,
        running_var=None if running_var is None else running_var._data,
        training=bool(training),
        momentum=0.1 if momentum is None else momentum,
        eps=eps,
    )
    if update:  # the running statistics changed in place
        running_mean._version.value += 1
        running_var._version.value += 1
    return out


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last len(normalized_shape) dimensions, then scale by weight and shift by bias."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[input.ndim - len(shape) :]) != shape or len(shape) > input.ndim:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], "
            f"but got input of size{list(input.shape)}"
        )
    for name, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tuple(tensor.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"{list(tensor.shape)} and normalized_shape = {list(shape)}"
            )
    return NativeLayerNorm.apply(input, weight, bias, normalized_shape=shape, eps=eps)


# --- activations --------------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); inplace=True overwrites input and returns it (Tensor.relu_)."""
    _expect_tensor("relu", input)
    return input.relu_() if inplace else input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x; inplace=True overwrites input and returns it."""
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"leaky_relu_cpu" not implemented for \'{_torch_dtype(input.dtype)}\'')
    if inplace:  # LeakyRelu saves its input, so the recorded node gets a copy of the old values
        return input._apply_inplace(
            A.LeakyRelu, copy_input=True, node_name="LeakyReluBackward1", negative_slope=negative_slope
        )
    return A.LeakyRelu.apply(input, negative_slope=negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return A.Gelu.apply(input, approximate=approximate)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim (Tensor.softmax)."""
    return _softmax_input(input, dim, dtype).softmax(_softmax_dim(input, dim))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along dim, computed stably (Tensor.log_softmax)."""
    return _softmax_input(input, dim, dtype).log_softmax(_softmax_dim(input, dim))


def _softmax_dim(input: Tensor, dim) -> int:
    return (0 if input.ndim in (0, 1, 3) else 1) if dim is None else dim  # torch's legacy choice for None


def _softmax_input(input: Tensor, dim, dtype) -> Tensor:
    if dtype is None:
        return input
    input._softmax_dim(_softmax_dim(input, dim))  # torch checks dim before converting
    return input.to(dtype)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """torch.flatten: merge dims start_dim..end_dim into one."""
    return input.flatten(start_dim, end_dim)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of weight picked by the integer indices in input; padding_idx's row gets no gradient.

    With max_norm, the rows about to be looked up whose norm_type-norm exceeds max_norm are first scaled
    down to it, in weight itself and outside autograd, as torch's embedding_renorm_ does.
    """
    if not np.issubdtype(input.dtype, np.integer):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {_torch_dtype(input.dtype)} instead (while checking arguments for embedding)"
        )
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= rows
    indices = input.numpy()
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, indices, float(max_norm), float(norm_type))
    return Embedding.apply(input, weight, padding_idx=padding_idx)


def _renorm_rows(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: each looked-up row with norm > max_norm is scaled by
    max_norm / (norm + 1e-7), in place under no_grad (one version bump), so the lookup sees the new rows."""
    rows = np.unique(indices.astype(np.int64, copy=False))
    table = weight.numpy()
    norms = np.linalg.norm(table[rows].astype(np.float64), ord=norm_type, axis=1)
    too_long = norms > max_norm
    if np.any(too_long):
        scale = max_norm / (norms[too_long] + 1e-7)
        with no_grad():
            weight[rows[too_long]] = table[rows[too_long]] * scale[:, None].astype(table.dtype)


def _size(shape) -> str:
    return f"minimod.Size({list(shape)})"


__all__ = [
    "linear",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "batch_norm",
    "layer_norm",
    "dropout",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softmax",
    "log_softmax",
    "flatten",
    "mse_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "scaled_dot_product_attention",
    "embedding",
]
