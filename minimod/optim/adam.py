"""Adam (with optional AMSGrad) and AdamW (Adam with decoupled weight decay): PyTorch's update rules, step
for step."""

from __future__ import annotations

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _params_with_grad


class Adam(Optimizer):
    """Adaptive moment estimation.

    For each parameter p with gradient g, at step t (torch.optim.Adam's algorithm):
        g = g + weight_decay · p               (or, decoupled_weight_decay: p = p · (1 - lr · weight_decay))
        m = β₁ · m + (1 - β₁) · g
        v = β₂ · v + (1 - β₂) · g²
        p = p - lr / (1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + eps)

    foreach and fused choose among torch's kernels, not the result; they are accepted and have no effect.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None, maximize: bool = False,
                 fused=None, decoupled_weight_decay: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for param in _params_with_grad(group):
                p = param._data
                grad = param.grad._data
                if group["maximize"]:
                    grad = -grad
                state = self.state[param]
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(p))
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    if group.get("decoupled_weight_decay", False):  # (absent from older state dicts)
                        p *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                exp_avg += (1 - beta1) * (grad - exp_avg)  # torch's lerp(m, g, 1 - β₁)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                if amsgrad:
                    largest = state["max_exp_avg_sq"]._data
                    np.maximum(largest, exp_avg_sq, out=largest)
                    denominator = np.sqrt(largest) / bias_correction2_sqrt + eps
                else:
                    denominator = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
                p -= (lr / bias_correction1) * (exp_avg / denominator)
                param._version.value += 1
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the parameters shrink by lr · weight_decay
    each step, apart from the gradient's moments, instead of weight decay being added to the gradient.
    Its default weight_decay is 0.01 (Adam's is 0)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False, foreach=None,
                 fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         fused=fused, decoupled_weight_decay=True)
