"""Lesson 11 reference solution: nnabla-style names and back, and loading a checkpoint named that way."""

from collections import OrderedDict


def nnabla_names(model):
    """{'@conv1/@conv/weight': parameter, ...} in named_parameters() order."""
    names = OrderedDict()
    for name, parameter in model.named_parameters():
        *modules, own = name.split(".")
        names["/".join([*(f"@{module}" for module in modules), own])] = parameter
    return names


def torch_name(name):
    """'@conv1/@conv/weight' -> 'conv1.conv.weight'."""
    return ".".join(part.removeprefix("@") for part in name.split("/"))


def load_nnabla(model, parameters):
    """Load a dict keyed by nnabla-style names, strictly."""
    return model.load_state_dict(OrderedDict((torch_name(key), value) for key, value in parameters.items()))
