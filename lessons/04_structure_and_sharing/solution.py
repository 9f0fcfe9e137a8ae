"""Lesson 4 reference solution: share_parameters, swap_activations and DynamicNet."""

from minimod import nn


def share_parameters(src, dst):
    """Make every parameter of `dst` whose name is also in `src` the very same object as src's."""
    source = dict(src.named_parameters())
    shared = []
    for name, _ in list(dst.named_parameters()):
        if name in source:
            owner_path, _, attribute = name.rpartition(".")
            setattr(dst.get_submodule(owner_path), attribute, source[name])
            shared.append(name)
    return shared


def swap_activations(model, make_activation):
    """Replace every nn.ReLU anywhere in `model` by make_activation(); return how many were replaced."""
    replaced = 0
    for _, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(module, child_name, make_activation())
                replaced += 1
    return replaced


class DynamicNet(nn.Module):
    """PyTorch's DynamicNet: a ModuleList of linears, a ModuleDict of activations, a final layer."""

    def __init__(self, num_layers):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(4, 4) for _ in range(num_layers)])
        self.activations = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
        self.final = nn.Linear(4, 1)

    def forward(self, x, act="relu"):
        for linear in self.linears:
            x = self.activations[act](linear(x))
        return self.final(x)
