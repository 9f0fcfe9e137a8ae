"""Models that several lessons build in their first step, written once: the classes (which the lessons'
checks use) and their source (which each step shows whole, as the first lines of its code)."""

import inspect
import textwrap

from minimod import nn


# MegEngine's nesting example (seed 000, its two slips fixed: see lesson 3), first met in lesson 3 and built
# again by lessons 4, 6 and 7.
class BaseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return self.linear(x)


class NestedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.base_net = BaseNet()
        self.relu = nn.ReLU()
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        x = self.base_net(x)
        x = self.relu(x)
        x = self.linear(x)
        return x


# Their source, indented as a step's code is inside its triple quotes, so a step can begin with it:
# Step(NESTED_NET + """ ... """).
NESTED_NET = textwrap.indent(
    "\n" + inspect.getsource(BaseNet) + "\n" + inspect.getsource(NestedNet), " " * 8)
