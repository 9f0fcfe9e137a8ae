"""Lesson 8 reference solution: sgd_step by hand, train_step and train_to_zero."""

import minimod as mm
from minimod import optim


def sgd_step(parameters, lr):
    """Plain SGD by hand: p.sub_(lr * p.grad) for every parameter that has a gradient."""
    with mm.no_grad():
        for parameter in parameters:
            if parameter.grad is not None:
                parameter.sub_(lr * parameter.grad)


def train_step(model, optimizer, x):
    """One iteration of the learn-to-output-zero loop; returns the loss as a float."""
    loss = model(x).abs().sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def train_to_zero(model, steps, lr):
    """Train with SGD(lr, momentum=0.9) on random inputs; return the losses."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return [train_step(model, optimizer, mm.randn(4)) for _ in range(steps)]
