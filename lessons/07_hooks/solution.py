"""Lesson 7 reference solution: record_shapes, clamp_output and grad_output_shapes."""

from minimod import nn


def record_shapes(model, x):
    """[(name, output shape), ...] in hook-firing order; every hook removed afterwards."""
    shapes = []
    handles = []
    for name, module in model.named_modules():
        def record(module, args, output, name=name):
            shapes.append((name, tuple(output.shape)))

        handles.append(module.register_forward_hook(record))
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return shapes


def clamp_output(module, low, high):
    """A forward hook that clamps the module's output; returns its handle."""
    return module.register_forward_hook(lambda module, args, output: output.clamp(low, high))


def grad_output_shapes(model, x):
    """{name: shape of grad_output[0]} for every nn.Linear, from model(x).sum().backward()."""
    shapes = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            def record(module, grad_input, grad_output, name=name):
                shapes[name] = tuple(grad_output[0].shape)

            handles.append(module.register_full_backward_hook(record))
    try:
        model(x).sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    return shapes
