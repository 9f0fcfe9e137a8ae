"""Lesson 3 checks: leaf_names, bias_names and count_under on NestedNet and a Sequential tree."""

from lessons.checker import check
from lessons.step_models import NestedNet
from minimod import nn


def _tree():
    return nn.Sequential(nn.Linear(4, 3, bias=False), nn.Sequential(nn.ReLU(), nn.Linear(3, 2)))


@check("leaf_names lists the modules without children",
       tip="Walk named_modules() and keep the names of modules whose children() is empty.",
       hint="a module is a leaf when list(module.children()) is empty; use named_modules() for the names.")
def leaves(student):
    got = list(student.leaf_names(NestedNet()))
    assert got == ["base_net.linear", "relu", "linear"], \
        f"leaf_names(NestedNet()) = {got}, expected ['base_net.linear', 'relu', 'linear']"
    got = list(student.leaf_names(_tree()))
    assert got == ["0", "1.0", "1.1"], f"leaf_names(Sequential tree) = {got}, expected ['0', '1.0', '1.1']"
    got = list(student.leaf_names(nn.ReLU()))
    assert got == [""], f"a lone ReLU is its own leaf, named '': got {got}"


@check("bias_names keeps only parameters named bias",
       tip="Compare only the last part of each dotted name with 'bias'.",
       hint="name.rsplit('.', 1)[-1] == 'bias' looks at the last part only ('bias' in name is too loose).")
def biases(student):
    got = list(student.bias_names(NestedNet()))
    assert got == ["base_net.linear.bias", "linear.bias"], \
        f"bias_names(NestedNet()) = {got}, expected ['base_net.linear.bias', 'linear.bias']"
    got = list(student.bias_names(_tree()))
    assert got == ["1.1.bias"], f"bias_names(tree) = {got}; the first Linear has bias=False"

    class Tricky(nn.Module):
        def __init__(self):
            super().__init__()
            self.bias_layer = nn.Linear(2, 2, bias=False)

    got = list(student.bias_names(Tricky()))
    assert got == [], f"'bias_layer.weight' is a weight, not a bias, but bias_names returned {got}"


@check("count_under counts the numbers below a path",
       tip="Find the submodule by its dotted path first, then count the numbers of its parameters.",
       hint="sum(p.numel() for p in model.get_submodule(path).parameters())")
def counting(student):
    net = NestedNet()
    for path, expected in [("base_net", 15), ("linear", 8), ("relu", 0), ("", 23)]:
        got = student.count_under(net, path)
        assert got == expected, f"count_under(NestedNet(), {path!r}) = {got}, expected {expected}"
    assert student.count_under(_tree(), "1.1") == 8, "count_under(tree, '1.1') should be 3 * 2 + 2 = 8"
