"""SGD with momentum, dampening, Nesterov and weight decay: PyTorch's update rule, step for step."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _params_with_grad


class SGD(Optimizer):
    """Stochastic gradient descent.

    For each parameter p with gradient g (torch.optim.SGD's algorithm):
        g = g + weight_decay · p
        b = g                                   (first step)
        b = momentum · b + (1 - dampening) · g  (later steps)
        g = g + momentum · b  if nesterov  else  b
        p = p - lr · g
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        sgd_step = kernels.sgd_step  # the backend's kernel, looked up once a step
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for param in _params_with_grad(group):
                first = False
                buffer = None
                if momentum != 0:
                    state = self.state[param]
                    if state.get("momentum_buffer") is None:  # (a loaded state may hold None, as torch's)
                        # torch starts the buffer as a copy of the gradient: from zeros, one undamped step
                        # (momentum · 0 + grad) gives exactly that
                        state["momentum_buffer"] = Tensor._wrap(np.zeros_like(param._data))
                        first = True
                    buffer = state["momentum_buffer"]._data
                sgd_step(param._data, param.grad._data, buffer, lr, momentum, 0 if first else dampening,
                         weight_decay, nesterov, group["maximize"])
                param._version.value += 1  # an in-place change, as p.add_() would record
        return loss
