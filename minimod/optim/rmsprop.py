"""RMSprop: PyTorch's update rule, step for step."""

from __future__ import annotations

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _params_with_grad


class RMSprop(Optimizer):
    """Divide each gradient by a running root-mean-square of its recent values (Hinton's lecture 6e).

    For each parameter p with gradient g (torch.optim.RMSprop's algorithm):
        g = g + weight_decay · p
        v = α · v + (1 - α) · g²
        d = √v + eps                   (centered: d = √(v - ḡ²) + eps, with ḡ = α · ḡ + (1 - α) · g)
        b = momentum · b + g / d;  p = p - lr · b      (momentum > 0)
        p = p - lr · g / d                             (otherwise)

    foreach chooses among torch's kernels, not the result; it is accepted and has no effect.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, foreach=None,
                 maximize: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for param in _params_with_grad(group):
                p = param._data
                grad = -param.grad._data if group["maximize"] else param.grad._data
                state = self.state[param]
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=np.float32))
                    state["square_avg"] = Tensor._wrap(np.zeros_like(p))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._wrap(np.zeros_like(p))
                    if centered:
                        state["grad_avg"] = Tensor._wrap(np.zeros_like(p))
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if centered:
                    grad_avg = state["grad_avg"]._data
                    grad_avg += (1 - alpha) * (grad - grad_avg)  # torch's lerp(ḡ, g, 1 - α)
                    average = np.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    average = np.sqrt(square_avg)
                average += eps
                if momentum > 0:
                    buffer = state["momentum_buffer"]._data
                    buffer *= momentum
                    buffer += grad / average
                    p -= lr * buffer
                else:
                    p += (-lr * grad) / average
                param._version.value += 1
        return loss
