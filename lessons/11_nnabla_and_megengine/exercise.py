"""Lesson 11 exercise: nnabla-style parameter names. Check it with: minimod lessons --check 11"""

from collections import OrderedDict

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def nnabla_names(model):
    """OrderedDict {nnabla-style name: parameter} in named_parameters() order: the dotted name's parts
    joined with '/', every part but the last (a module's name) with '@' in front:
    'conv1.conv.weight' -> '@conv1/@conv/weight'; 'weight' stays 'weight'."""
    raise NotImplementedError("lesson 11, step 2: split each name at '.', put '@' before the module parts")


def torch_name(name):
    """The PyTorch-style name of an nnabla-style one: '@conv1/@conv/weight' -> 'conv1.conv.weight'."""
    raise NotImplementedError("lesson 11, step 2: split at '/', drop the '@', join with '.'")


def load_nnabla(model, parameters):
    """Load {nnabla-style name: array} into model with load_state_dict(..., strict=True); return its result.
    """
    raise NotImplementedError("lesson 11, step 4: convert every key with torch_name, then load_state_dict")


_ = OrderedDict  # imported for you; remove this line once you use it
