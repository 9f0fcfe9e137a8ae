"""Optimizers with PyTorch's names, arguments and update rules (SGD, Adam, AdamW, RMSprop, Adadelta), and
the learning-rate schedulers in optim.lr_scheduler."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "lr_scheduler"]
