"""The same train steps in plain numpy, gradients written by hand (no autograd; im2col for conv).

This is the floor a numpy-based library can hope for: the arithmetic without any bookkeeping.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

DATA_SEED = 0
LR, MOMENTUM = 0.01, 0.9


def _data(shape, classes):
    rng = np.random.default_rng(DATA_SEED)
    return rng.normal(size=shape).astype(np.float32), rng.integers(0, classes, size=shape[0])


def _uniform(rng, bound, shape):
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


class _SGD:
    """SGD with momentum over a dict of parameters (torch's rule: b = m·b + g; p -= lr·b)."""

    def __init__(self, params):
        self.params, self.buffers = params, {}

    def step(self, grads):
        for name, grad in grads.items():
            buffer = self.buffers.get(name)
            if buffer is None:
                buffer = self.buffers[name] = grad.copy()
            else:
                buffer *= MOMENTUM
                buffer += grad
            self.params[name] -= LR * buffer


def _cross_entropy(logits, target):
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probs = exp / exp.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = -np.log(probs[np.arange(n), target]).mean()
    grad = probs
    grad[np.arange(n), target] -= 1
    return loss, grad / n


def _linear_params(rng, params, name, fan_in, fan_out):
    bound = 1 / np.sqrt(fan_in)
    params[f"{name}.weight"] = _uniform(rng, bound, (fan_out, fan_in))
    params[f"{name}.bias"] = _uniform(rng, bound, (fan_out,))


# --- MLP ------------------------------------------------------------------------------------------


def make_mlp_step():
    return _mlp_step((784, 256, 128, 10), batch=64)


def make_tiny_mlp_step():
    return _mlp_step((4, 4, 4, 3), batch=2)


def _mlp_step(sizes, batch):
    """Linear-ReLU-Linear-ReLU-Linear of these sizes, cross-entropy, SGD with momentum."""
    rng = np.random.default_rng(0)
    params = {}
    for index in range(3):
        _linear_params(rng, params, f"fc{index}", sizes[index], sizes[index + 1])
    optimizer = _SGD(params)
    x, y = _data((batch, sizes[0]), sizes[-1])

    def step():
        p = params
        h0 = x @ p["fc0.weight"].T + p["fc0.bias"]
        a0 = np.maximum(h0, 0)
        h1 = a0 @ p["fc1.weight"].T + p["fc1.bias"]
        a1 = np.maximum(h1, 0)
        logits = a1 @ p["fc2.weight"].T + p["fc2.bias"]
        loss, g = _cross_entropy(logits, y)
        grads = {"fc2.weight": g.T @ a1, "fc2.bias": g.sum(0)}
        g = (g @ p["fc2.weight"]) * (h1 > 0)
        grads.update({"fc1.weight": g.T @ a0, "fc1.bias": g.sum(0)})
        g = (g @ p["fc1.weight"]) * (h0 > 0)
        grads.update({"fc0.weight": g.T @ x, "fc0.bias": g.sum(0)})
        optimizer.step(grads)
        return loss

    return step


# --- convolution, pooling, batch norm ------------------------------------------------------------


def _conv_forward(x, weight, bias, padding):
    """Stride-1 conv by im2col: (N, C, H, W) -> (N, O, Ho, Wo); returns the output and a cache."""
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    o, c, kh, kw = weight.shape
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
    n, _, ho, wo = windows.shape[:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = cols @ weight.reshape(o, -1).T
    if bias is not None:
        out += bias
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), (cols, x.shape, padding)


def _conv_backward(grad, weight, cache, need_input=True):
    cols, padded_shape, padding = cache
    o, c, kh, kw = weight.shape
    n, _, ho, wo = grad.shape
    g = grad.transpose(0, 2, 3, 1).reshape(-1, o)
    grad_weight = (g.T @ cols).reshape(weight.shape)
    grad_bias = g.sum(0)
    if not need_input:
        return None, grad_weight, grad_bias
    dcols = (g @ weight.reshape(o, -1)).reshape(n, ho, wo, c, kh, kw)
    dx = np.zeros(padded_shape, dtype=grad.dtype)
    for i in range(kh):  # col2im: add each kernel offset's contribution back
        for j in range(kw):
            dx[:, :, i : i + ho, j : j + wo] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    if padding:
        dx = dx[:, :, padding:-padding, padding:-padding]
    return dx, grad_weight, grad_bias


def _maxpool2_forward(x):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    mask = blocks == out[:, :, :, None, :, None]
    return out, mask


def _maxpool2_backward(grad, mask):
    n, c, h2, _, w2, _ = mask.shape
    return (mask * grad[:, :, :, None, :, None]).reshape(n, c, h2 * 2, w2 * 2)


def _batchnorm_forward(x, gamma, beta, state, eps=1e-5, momentum=0.1):
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    count = x.size // x.shape[1]
    state["running_mean"] = (1 - momentum) * state["running_mean"] + momentum * mean.ravel()
    unbiased = var.ravel() * count / (count - 1)
    state["running_var"] = (1 - momentum) * state["running_var"] + momentum * unbiased
    inv_std = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    return xhat * gamma[None, :, None, None] + beta[None, :, None, None], (xhat, inv_std, gamma)


def _batchnorm_backward(grad, cache):
    xhat, inv_std, gamma = cache
    m = grad.size // grad.shape[1]
    grad_gamma = (grad * xhat).sum(axis=(0, 2, 3))
    grad_beta = grad.sum(axis=(0, 2, 3))
    dxhat = grad * gamma[None, :, None, None]
    dx = inv_std / m * (m * dxhat - dxhat.sum(axis=(0, 2, 3), keepdims=True)
                        - xhat * (dxhat * xhat).sum(axis=(0, 2, 3), keepdims=True))
    return dx, grad_gamma, grad_beta


# --- ConvNet --------------------------------------------------------------------------------------


def _convnet_params():
    rng = np.random.default_rng(0)
    params = {}
    for name, (c_in, c_out) in {"conv1": (1, 10), "conv2": (10, 20)}.items():
        bound = 1 / np.sqrt(c_in * 25)
        params[f"{name}.weight"] = _uniform(rng, bound, (c_out, c_in, 5, 5))
        params[f"{name}.bias"] = _uniform(rng, bound, (c_out,))
    _linear_params(rng, params, "fc1", 320, 50)
    _linear_params(rng, params, "fc2", 50, 10)
    return params


def _convnet_forward(p, x, stats=None):
    c1, cache1 = _conv_forward(x, p["conv1.weight"], p["conv1.bias"], 0)
    r1 = np.maximum(c1, 0)
    p1, mask1 = _maxpool2_forward(r1)
    c2, cache2 = _conv_forward(p1, p["conv2.weight"], p["conv2.bias"], 0)
    r2 = np.maximum(c2, 0)
    p2, mask2 = _maxpool2_forward(r2)
    flat = p2.reshape(len(x), -1)
    h1 = flat @ p["fc1.weight"].T + p["fc1.bias"]
    a1 = np.maximum(h1, 0)
    h2 = a1 @ p["fc2.weight"].T + p["fc2.bias"]
    out = np.maximum(h2, 0)
    if stats is not None:  # the hooked forward's records: each layer's shape, numpy's mean and std (the
        # minimod and torch hooks record their own statistics: see benchmarks/models.py _hooked)
        for value in (c1, p1, c2, p2, h1, h2, out):
            stats.append((value.shape, float(value.mean()), float(value.std())))
    return out, (cache1, mask1, c1, cache2, mask2, c2, p2.shape, flat, h1, a1, h2)


def make_convnet_step():
    params = _convnet_params()
    optimizer = _SGD(params)
    x, y = _data((32, 1, 28, 28), 10)

    def step():
        p = params
        out, (cache1, mask1, c1, cache2, mask2, c2, p2_shape, flat, h1, a1, h2) = _convnet_forward(p, x)
        loss, g = _cross_entropy(out, y)
        g = g * (h2 > 0)
        grads = {"fc2.weight": g.T @ a1, "fc2.bias": g.sum(0)}
        g = (g @ p["fc2.weight"]) * (h1 > 0)
        grads.update({"fc1.weight": g.T @ flat, "fc1.bias": g.sum(0)})
        g = (g @ p["fc1.weight"]).reshape(p2_shape)
        g = _maxpool2_backward(g, mask2) * (c2 > 0)
        g, grads["conv2.weight"], grads["conv2.bias"] = _conv_backward(g, p["conv2.weight"], cache2)
        g = _maxpool2_backward(g, mask1) * (c1 > 0)
        _, grads["conv1.weight"], grads["conv1.bias"] = _conv_backward(g, p["conv1.weight"], cache1, False)
        optimizer.step(grads)
        return loss

    return step


def make_forward_plain():
    params = _convnet_params()
    x, _ = _data((32, 1, 28, 28), 10)
    return lambda: _convnet_forward(params, x)[0]


def make_forward_hooked():
    params = _convnet_params()
    x, _ = _data((32, 1, 28, 28), 10)
    stats = []

    def step():
        stats.clear()
        return _convnet_forward(params, x, stats)[0]

    return step


# --- small ResNet ---------------------------------------------------------------------------------

_RESNET_CONVS = ["stem", "b0.conv1", "b0.conv2", "b1.conv1", "b1.conv2"]


def make_resnet_step():
    rng = np.random.default_rng(0)
    params, bn_state = {}, {}
    for name in _RESNET_CONVS:
        c_in = 3 if name == "stem" else 16
        params[f"{name}.weight"] = _uniform(rng, 1 / np.sqrt(c_in * 9), (16, c_in, 3, 3))
        params[f"{name}.bn.weight"] = np.ones(16, np.float32)
        params[f"{name}.bn.bias"] = np.zeros(16, np.float32)
        bn_state[name] = {"running_mean": np.zeros(16, np.float32), "running_var": np.ones(16, np.float32)}
    _linear_params(rng, params, "fc", 16, 10)
    optimizer = _SGD(params)
    x, y = _data((16, 3, 32, 32), 10)

    def conv_bn(name, inp):
        out, conv_cache = _conv_forward(inp, params[f"{name}.weight"], None, 1)
        out, bn_cache = _batchnorm_forward(out, params[f"{name}.bn.weight"], params[f"{name}.bn.bias"],
                                           bn_state[name])
        return out, (conv_cache, bn_cache)

    def conv_bn_backward(name, grad, cache, grads, need_input=True):
        conv_cache, bn_cache = cache
        grad, grads[f"{name}.bn.weight"], grads[f"{name}.bn.bias"] = _batchnorm_backward(grad, bn_cache)
        weight = params[f"{name}.weight"]
        grad, grads[f"{name}.weight"], _ = _conv_backward(grad, weight, conv_cache, need_input)
        return grad

    def step():
        caches = {}
        pre, caches["stem"] = conv_bn("stem", x)
        h = np.maximum(pre, 0)
        block_inputs = []
        for b in ("b0", "b1"):
            block_inputs.append(h)
            t, caches[f"{b}.conv1"] = conv_bn(f"{b}.conv1", h)
            caches[f"{b}.relu1"] = t > 0
            t = np.maximum(t, 0)
            t, caches[f"{b}.conv2"] = conv_bn(f"{b}.conv2", t)
            t = t + h
            caches[f"{b}.relu2"] = t > 0
            h = np.maximum(t, 0)
        pooled = h.mean(axis=(2, 3))
        logits = pooled @ params["fc.weight"].T + params["fc.bias"]
        loss, g = _cross_entropy(logits, y)
        grads = {"fc.weight": g.T @ pooled, "fc.bias": g.sum(0)}
        g = g @ params["fc.weight"]
        g = np.broadcast_to(g[:, :, None, None] / (h.shape[2] * h.shape[3]), h.shape)
        for b in ("b1", "b0"):
            g = g * caches[f"{b}.relu2"]
            skip = g
            g = conv_bn_backward(f"{b}.conv2", g, caches[f"{b}.conv2"], grads) * caches[f"{b}.relu1"]
            g = conv_bn_backward(f"{b}.conv1", g, caches[f"{b}.conv1"], grads) + skip
        g = g * (pre > 0)
        conv_bn_backward("stem", g, caches["stem"], grads, need_input=False)
        optimizer.step(grads)
        return loss

    return step


# --- per-op overhead ------------------------------------------------------------------------------

OPS_PER_CALL = 100


def make_op_overhead():
    """a = a * w + b, 100 times on shape (4,), then the hand-written backward of the chain."""
    w = np.full(4, 0.999, np.float32)
    b = np.full(4, 0.001, np.float32)
    start = np.ones(4, np.float32)

    def step():
        a, history = start, []
        for _ in range(OPS_PER_CALL):
            history.append(a)
            a = a * w + b
        grad, grad_w, grad_b = np.ones(4, np.float32), np.zeros(4, np.float32), np.zeros(4, np.float32)
        for previous in reversed(history):
            grad_w += grad * previous
            grad_b += grad
            grad = grad * w
        return grad_w, grad_b

    return step


FRESH_PROCESS_CODE = """
import numpy
from benchmarks.numpy_reference import make_convnet_step
make_convnet_step()()
"""
