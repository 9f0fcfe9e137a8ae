"""Lesson 8 exercise: gradients and the training loop. Check it with: minimod lessons --check 8"""

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def sgd_step(parameters, lr):
    """Plain SGD by hand: p.sub_(lr * p.grad) for every parameter whose .grad is not None,
    inside `with mm.no_grad():`."""
    raise NotImplementedError("lesson 8, step 4: update each parameter in place")


def train_step(model, optimizer, x):
    """One iteration of the learn-to-output-zero loop: loss = model(x).abs().sum(); zero the
    gradients; backward; optimizer.step(). Return the loss as a Python float (loss.item())."""
    raise NotImplementedError("lesson 8, step 5: forward, loss, zero_grad, backward, step")


def train_to_zero(model, steps, lr):
    """Train `model` for `steps` iterations with optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    on random inputs mm.randn(4); return the list of the losses, one per step."""
    raise NotImplementedError("lesson 8, step 5: make the optimizer once, then call train_step in a loop")


_ = (mm, optim)  # imported for you; remove this line once you use them
