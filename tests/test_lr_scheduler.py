"""optim.lr_scheduler: StepLR, ExponentialLR, CosineAnnealingLR and LambdaLR against torch, step by step."""

from __future__ import annotations

import warnings

import pytest

import minimod as mm
from minimod import optim
from minimod.optim import lr_scheduler

SCHEDULES = [
    ("StepLR", (3,), dict(gamma=0.5)),
    ("StepLR", (1,), dict()),
    ("ExponentialLR", (0.9,), dict()),
    ("CosineAnnealingLR", (5,), dict(eta_min=0.01)),
    ("CosineAnnealingLR", (4,), dict()),
    ("LambdaLR", (lambda epoch: 1 / (epoch + 1),), dict()),
]


def _run(lib, name, args, kwargs, steps=14, groups=2):
    params = [lib.ones(1, requires_grad=True) for _ in range(groups)]
    opt = lib.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], lr=0.1)
    scheduler = getattr(lib.optim.lr_scheduler, name)(opt, *args, **kwargs)
    lrs = [scheduler.get_last_lr()]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        assert [group["lr"] for group in opt.param_groups] == lrs[-1]
    return lrs, scheduler, opt


@pytest.mark.parametrize("name,args,kwargs", SCHEDULES,
                         ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(SCHEDULES)])
def test_learning_rates_equal_torchs_to_the_bit(name, args, kwargs):
    ours, scheduler, opt = _run(mm, name, args, kwargs)
    assert ours[0] == [0.1, 0.2] and opt.param_groups[0]["initial_lr"] == 0.1
    torch = pytest.importorskip("torch")
    theirs, their_scheduler, _ = _run(torch, name, args, kwargs)
    assert ours == theirs
    assert scheduler.state_dict() == their_scheduler.state_dict()


def test_step_lr_by_hand_and_the_mnist_example_use():
    lrs, _, _ = _run(mm, "StepLR", (1,), dict(gamma=0.7), steps=3, groups=1)
    assert lrs == [[0.1], [0.1 * 0.7], [0.1 * 0.7 * 0.7], [0.1 * 0.7 * 0.7 * 0.7]]


def test_cosine_reaches_eta_min_at_t_max_and_comes_back():
    lrs, _, _ = _run(mm, "CosineAnnealingLR", (4,), dict(eta_min=0.0), steps=8, groups=1)
    assert lrs[4][0] == pytest.approx(0.0, abs=1e-12) and lrs[8][0] == pytest.approx(0.1)


def test_state_dict_round_trip_continues_the_schedule(tmp_path):
    _, scheduler, trained = _run(mm, "StepLR", (2,), dict(gamma=0.5), steps=3, groups=1)
    # a checkpoint: the scheduler's state is plain numbers and lists, so mm.save writes it
    mm.save({"optimizer": trained.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "ckpt.pth")
    checkpoint = mm.load(tmp_path / "ckpt.pth")
    opt = optim.SGD([mm.ones(1, requires_grad=True)], lr=0.1)
    fresh = lr_scheduler.StepLR(opt, 2, gamma=0.5)  # made before loading the optimizer, as torch advises
    opt.load_state_dict(checkpoint["optimizer"])
    fresh.load_state_dict(checkpoint["scheduler"])
    assert fresh.last_epoch == 3 and fresh.get_last_lr() == scheduler.get_last_lr()
    opt.step()
    fresh.step()
    scheduler.optimizer.step()
    scheduler.step()
    assert fresh.get_last_lr() == scheduler.get_last_lr()


def test_lambda_state_dict_leaves_out_functions():
    _, scheduler, _ = _run(mm, "LambdaLR", (lambda epoch: 0.5**epoch,), dict(), steps=2, groups=1)
    assert scheduler.state_dict()["lr_lambdas"] == [None]


def test_stepping_the_scheduler_before_the_optimizer_warns_as_torch_does():
    opt = optim.SGD([mm.ones(1, requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.ExponentialLR(opt, 0.5)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer"):
        scheduler.step()
    opt = optim.SGD([mm.ones(1, requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], 1)
