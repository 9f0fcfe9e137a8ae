"""Lesson 5 exercise: training and evaluation modes. Check it with: minimod lessons --check 5"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def training_flags(model):
    """{name: module.training} for every module in model.named_modules(), e.g. {'': True, '0': True}."""
    raise NotImplementedError("lesson 5, step 3: build the dict from model.named_modules()")


def evaluate(model, x):
    """Return model(x) computed in eval mode without gradients, then put every module back in the
    mode it had before (the model may mix modes, e.g. frozen BatchNorm layers)."""
    raise NotImplementedError(
        "lesson 5, step 4: remember the flags, model.eval(), `with mm.no_grad():`, then restore each flag"
    )


class NormEvalNet(nn.Module):
    """fc = nn.Linear(4, 8), bn = nn.BatchNorm1d(8), head = nn.Linear(8, 2); forward: head(relu(bn(fc(x)))).

    train(mode=True) works as usual, except that when mode is True and self.norm_eval is True,
    every BatchNorm layer stays in eval mode. Like every train(), it returns self.
    """

    def __init__(self, norm_eval=True):
        super().__init__()
        self.norm_eval = norm_eval
        self.fc = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(F.relu(self.bn(self.fc(x))))

    def train(self, mode=True):
        raise NotImplementedError("lesson 5, step 5: super().train(mode), then put BatchNorm layers in eval")
