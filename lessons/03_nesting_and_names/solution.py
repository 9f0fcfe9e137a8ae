"""Lesson 3 reference solution: leaf_names, bias_names and count_under."""

from minimod import nn


def leaf_names(model):
    """The names of the modules that have no children, in named_modules order."""
    return [name for name, module in model.named_modules() if not list(module.children())]


def bias_names(model):
    """The full names of all parameters whose own name is 'bias'."""
    return [name for name, _ in model.named_parameters() if name.rsplit(".", 1)[-1] == "bias"]


def count_under(model, path):
    """How many numbers the parameters of the submodule at dotted `path` hold."""
    return sum(p.numel() for p in model.get_submodule(path).parameters())


if __name__ == "__main__":
    tree = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 2)))
    print(leaf_names(tree), bias_names(tree), count_under(tree, "1"))
