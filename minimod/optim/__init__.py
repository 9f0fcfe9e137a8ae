"""Optimizers with PyTorch's names, arguments and update rules: SGD and Adam."""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam"]
