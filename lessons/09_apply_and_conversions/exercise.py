"""Lesson 9 exercise: whole-model operations. Check it with: minimod lessons --check 9"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def init_weights(m):
    """For model.apply(init_weights): nn.Linear -> weight 1.0, bias 0.0; nn.Conv2d -> weight 0.5,
    bias 0.0 if it has a bias (m.bias is not None). Leave every other module unchanged.
    Changing parameters in place needs `with mm.no_grad():` (or the @mm.no_grad() decorator)."""
    raise NotImplementedError("lesson 9, step 1: check isinstance(m, ...) and fill_ the parameters")


def freeze(model, prefixes):
    """Call requires_grad_(False) on model.get_submodule(path) for each path in `prefixes`;
    return the names of the parameters that still require grad, in named_parameters() order."""
    raise NotImplementedError("lesson 9, step 4: freeze each submodule, then list what still trains")


def half_except_norm(model):
    """Convert `model` to float16 except BatchNorm1d, BatchNorm2d and LayerNorm layers, which stay
    float32 (parameters and buffers). Return the model."""
    raise NotImplementedError("lesson 9, step 3: model.half(), then .float() on the normalisation layers")


_ = (mm, nn)  # imported for you; remove this line once you use them
