"""Lesson 5 reference solution: training_flags, evaluate and NormEvalNet."""

import minimod as mm
import minimod.nn.functional as F
from minimod import nn


def training_flags(model):
    """{name: module.training} for every module in model.named_modules()."""
    return {name: module.training for name, module in model.named_modules()}


def evaluate(model, x):
    """model(x) in eval mode without gradients; every module's mode is restored afterwards."""
    flags = training_flags(model)
    model.eval()
    try:
        with mm.no_grad():
            return model(x)
    finally:
        for name, module in model.named_modules():
            module.training = flags[name]


class NormEvalNet(nn.Module):
    """A small network whose train() keeps BatchNorm layers in eval mode when norm_eval is set."""

    def __init__(self, norm_eval=True):
        super().__init__()
        self.norm_eval = norm_eval
        self.fc = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(F.relu(self.bn(self.fc(x))))

    def train(self, mode=True):
        super().train(mode)
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                    module.eval()
        return self
