"""Lesson 9 reference solution: init_weights for apply, freeze and half_except_norm."""

import minimod as mm
from minimod import nn


@mm.no_grad()
def init_weights(m):
    """Linear: weight 1.0, bias 0.0; Conv2d: weight 0.5, bias 0.0; other modules unchanged."""
    if isinstance(m, nn.Linear):
        m.weight.fill_(1.0)
        if m.bias is not None:
            m.bias.fill_(0.0)
    elif isinstance(m, nn.Conv2d):
        m.weight.fill_(0.5)
        if m.bias is not None:
            m.bias.fill_(0.0)


def freeze(model, prefixes):
    """Freeze the submodules at `prefixes`; return the names of parameters that still train."""
    for path in prefixes:
        model.get_submodule(path).requires_grad_(False)
    return [name for name, parameter in model.named_parameters() if parameter.requires_grad]


def half_except_norm(model):
    """float16 everywhere except normalisation layers, which stay float32."""
    model.half()
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            module.float()
    return model
