"""Lesson 8 checks: sgd_step matches optim.SGD, train_step does one full iteration, train_to_zero learns."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn, optim


def _net():
    mm.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))


@check("sgd_step moves each parameter by -lr * grad, in place",
       tip="Change each Parameter itself, in place, without recording gradients; skip those without a "
       "gradient.",
       hint="with mm.no_grad(): for p in parameters: if p.grad is not None: p.sub_(lr * p.grad)")
def manual_sgd(student):
    model, reference = _net(), _net()
    x = mm.randn(5, 4)
    model(x).sum().backward()
    reference(x).sum().backward()
    objects = [p for p in model.parameters()]
    model[2].bias.grad = None  # a parameter without a gradient must be skipped
    reference[2].bias.grad = None
    before = [p.numpy().copy() for p in model.parameters()]
    student.sgd_step(list(model.parameters()), 0.1)
    if all(np.array_equal(p.numpy(), old) for p, old in zip(model.parameters(), before)):
        raise AssertionError("no parameter changed: `p = p - lr * p.grad` only gives the name p a new "
                             "tensor; change the Parameter itself in place with p.sub_(lr * p.grad)")
    optim.SGD([p for p in reference.parameters() if p.grad is not None], lr=0.1).step()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=f"{name} after sgd_step")
    assert all(a is b for a, b in zip(model.parameters(), objects)), \
        "the model's Parameter objects were replaced; update them in place with sub_"


@check("train_step runs forward, zero_grad, backward and step, and returns a float",
       tip="Follow the six steps of step 5's loop, in that order, and return the loss as a Python number.",
       hint="loss = model(x).abs().sum(); optimizer.zero_grad(); loss.backward(); optimizer.step(); "
       "return loss.item()")
def one_step(student):
    model, reference = _net(), _net()
    x = mm.randn(2, 4)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    ref_optimizer = optim.SGD(reference.parameters(), lr=0.05)
    for step in range(2):
        loss = student.train_step(model, optimizer, x)
        assert isinstance(loss, float), \
            f"train_step returned {type(loss).__name__}, expected a float (loss.item())"
        ref_loss = reference(x).abs().sum()
        ref_optimizer.zero_grad()
        ref_loss.backward()
        ref_optimizer.step()
        assert abs(loss - ref_loss.item()) < 1e-4, f"step {step + 1}: loss {loss}, expected {ref_loss.item()}"
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name} after two train_steps (did you zero the gradients?)")


@check("train_to_zero drives the output towards zero",
       tip="Make one optimizer before the loop (momentum needs it to persist), then train and collect each "
       "loss.",
       hint="create optim.SGD(model.parameters(), lr=lr, momentum=0.9) once, before the loop, "
       "and return one loss per step.")
def learns(student):
    mm.manual_seed(1)
    model = _net()
    losses = list(student.train_to_zero(model, 300, 0.01))
    assert len(losses) == 300, f"train_to_zero returned {len(losses)} losses for 300 steps"
    early, late = np.mean(losses[:30]), np.mean(losses[-30:])
    assert late < 0.5 * early, \
        f"the loss did not go down: first 30 steps average {early:.3f}, last 30 {late:.3f}"
