"""Affine layers: Identity, Linear (y = x Wᵀ + b), LazyLinear (a Linear sized by its first input) and
Bilinear (y = x₁ᵀ W x₂ + b)."""

from __future__ import annotations

import math

from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..lazy import LazyModuleMixin
from ..module import Module
from ..parameter import Parameter, UninitializedParameter
from ._utils import _empty


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are accepted and ignored, as in torch."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Affine map y = x @ W.T + b, with W of shape (out_features, in_features)."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a=√5 gives U(-1/√fan_in, 1/√fan_in), the same bound as the bias
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is read from its first input; until then its weight and bias are
    UninitializedParameters, and after that call it is a plain Linear (type and repr included)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """On the first call: in_features from the input's last dim, then Linear's initialisation."""
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        elif self.in_features == 0:  # parameters loaded from a state dict: they give in_features
            self.in_features = self.weight.shape[-1]


class Bilinear(Module):
    """y_k = x₁ᵀ W_k x₂ + b_k, with W of shape (out_features, in1_features, in2_features)."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in1_features, in2_features), device, dtype))
        if bias:
            self.bias = Parameter(_empty((out_features,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return _bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


def _bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """y[n, k] = Σᵢⱼ x₁[n, i] W[k, i, j] x₂[n, j] + b[k], built from matmul, multiply and sum."""
    out_features, in1_features, in2_features = weight.shape
    if input1.shape[-1] != in1_features or input2.shape[-1] != in2_features:
        raise RuntimeError(
            f"Bilinear: expected inputs of sizes (*, {in1_features}) and (*, {in2_features}), "
            f"got {tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"Bilinear: input1 and input2 must have the same leading sizes, "
            f"got {tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    leading = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1_features)
    x2 = input2.reshape(-1, in2_features)
    # (N, in1) @ (in1, out*in2): every x₁ᵀ W_k at once, then the dot product with x₂ per k
    left = x1 @ weight.permute(1, 0, 2).reshape(in1_features, out_features * in2_features)
    output = (left.reshape(-1, out_features, in2_features) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        output = output + bias
    return output.reshape(*leading, out_features)
