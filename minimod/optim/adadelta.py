"""Adadelta: PyTorch's update rule, step for step."""

from __future__ import annotations

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _params_with_grad


class Adadelta(Optimizer):
    """Steps scaled by the ratio of two running root-mean-squares, of past updates and of past gradients
    (Zeiler 2012), so the step size needs little tuning (lr = 1.0 by default).

    For each parameter p with gradient g (torch.optim.Adadelta's algorithm):
        g = g + weight_decay · p
        v = ρ · v + (1 - ρ) · g²
        Δ = √(u + eps) / √(v + eps) · g
        u = ρ · u + (1 - ρ) · Δ²
        p = p - lr · Δ

    foreach chooses among torch's kernels, not the result; it is accepted and has no effect.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach=None, *, maximize: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for param in _params_with_grad(group):
                p = param._data
                grad = -param.grad._data if group["maximize"] else param.grad._data
                state = self.state[param]
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
                    state["square_avg"] = Tensor._wrap(np.zeros_like(p))
                    state["acc_delta"] = Tensor._wrap(np.zeros_like(p))
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                std = np.sqrt(square_avg + eps)
                delta = np.sqrt(acc_delta + eps)
                delta /= std
                delta *= grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                p -= lr * delta
                param._version.value += 1
        return loss
