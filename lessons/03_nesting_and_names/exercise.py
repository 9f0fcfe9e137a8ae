"""Lesson 3 exercise: walk a model's tree by name. Check it with: minimod lessons --check 3"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def leaf_names(model):
    """The names (as named_modules gives them) of the modules that have no children, in order.

    For MegEngine's NestedNet: ['base_net.linear', 'relu', 'linear'].
    """
    raise NotImplementedError("lesson 3, step 2: loop over model.named_modules(); keep the childless ones")


def bias_names(model):
    """The full names of all parameters whose own name is 'bias'.

    For NestedNet: ['base_net.linear.bias', 'linear.bias'].
    """
    raise NotImplementedError("lesson 3, step 3: filter model.named_parameters() by the name's last part")


def count_under(model, path):
    """How many numbers the parameters of the submodule at dotted `path` hold ('' means the whole model)."""
    raise NotImplementedError("lesson 3, step 4: model.get_submodule(path), then add up p.numel()")


# A small tree to try your functions on: python exercise.py
if __name__ == "__main__":
    tree = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 2)))
    print(leaf_names(tree), bias_names(tree), count_under(tree, "1"))
