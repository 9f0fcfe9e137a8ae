"""d2l.torch's tensor, rand, Module and add_to_class: the book's helpers, as these sections use them."""

from __future__ import annotations

import torch
from torch import nn

tensor = torch.tensor
rand = torch.rand


def add_to_class(Class):  # noqa: N803 - the book's name
    """Register the decorated function as a method of Class (how the book grows a class cell by cell)."""
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper


class Module(nn.Module):
    """The book's base class for its models (only what these sections need)."""

    def __init__(self):
        super().__init__()
