"""Lesson 4 exercise: change a model's tree and share parameters. Check it with: minimod lessons --check 4"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def share_parameters(src, dst):
    """Make every parameter of `dst` whose name is also in `src` the very same object as src's.

    Return the list of names that were shared, in dst's named_parameters() order.
    Tip: for the name 'base_net.linear.weight', the owner is dst.get_submodule('base_net.linear')
    and the attribute to assign is 'weight' (name.rpartition('.') splits them).
    """
    raise NotImplementedError("lesson 4, step 3: assign src's Parameters into dst's submodules")


def swap_activations(model, make_activation):
    """Replace every nn.ReLU anywhere in `model` by make_activation(); return how many were replaced."""
    raise NotImplementedError(
        "lesson 4, step 1: find ReLU children with named_modules()/named_children() and setattr the new one"
    )


class DynamicNet(nn.Module):
    """PyTorch's DynamicNet: `num_layers` nn.Linear(4, 4) in a ModuleList named `linears`,
    a ModuleDict `activations` with 'relu': nn.ReLU() and 'lrelu': nn.LeakyReLU(),
    and `final` = nn.Linear(4, 1). forward(x, act) applies each linear then activations[act],
    then final."""

    def __init__(self, num_layers):
        super().__init__()
        raise NotImplementedError("lesson 4, step 5: build linears, activations and final")

    def forward(self, x, act="relu"):
        raise NotImplementedError("lesson 4, step 5: loop over self.linears")
