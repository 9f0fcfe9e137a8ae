"""SGD, Adam, AdamW, RMSprop, Adadelta: hand-computed updates, several steps against torch, groups,
zero_grad, state dicts."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
from minimod import optim


def _params(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=(2,)).astype(dtype)]


def _grads(step, seed=1, dtype=np.float32):
    rng = np.random.default_rng(seed + step)
    return [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=(2,)).astype(dtype)]


def _run_minimod(make, steps, dtype=np.float32):
    params = [mm.tensor(a, requires_grad=True) for a in _params(dtype=dtype)]
    opt = make(params)
    for step in range(steps):
        for p, g in zip(params, _grads(step, dtype=dtype)):
            p.grad = mm.tensor(g)
        opt.step()
    return [p.numpy() for p in params], opt


def _run_torch(make, steps, dtype=np.float32):
    torch = pytest.importorskip("torch")
    params = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in _params(dtype=dtype)]
    opt = make(params)
    for step in range(steps):
        for p, g in zip(params, _grads(step, dtype=dtype)):
            p.grad = torch.from_numpy(g.copy())
        opt.step()
    return [p.detach().numpy() for p in params], opt


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.02, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_several_steps_match_torch(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    ours, _ = _run_minimod(lambda ps: getattr(optim, name)(ps, **kwargs), 6, dtype)
    theirs, _ = _run_torch(lambda ps: getattr(torch.optim, name)(ps, **kwargs), 6, dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for a, b in zip(ours, theirs):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_sgd_momentum_by_hand():
    p = mm.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = mm.tensor([1.0, 1.0])
    opt.step()  # first step: buffer = g
    np.testing.assert_allclose(p.numpy(), [0.9, -2.1], rtol=1e-6)
    p.grad = mm.tensor([2.0, 0.0])
    opt.step()  # buffer = 0.9 * 1 + 0.5 * g = [1.9, 0.9]
    np.testing.assert_allclose(p.numpy(), [0.9 - 0.19, -2.1 - 0.09], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [1.9, 0.9], rtol=1e-6)


def test_adam_first_step_by_hand():
    # after one step m̂ = g and v̂ = g², so the update is lr · g / (|g| + eps) ≈ lr · sign(g)
    p = mm.tensor([1.0, 1.0, 1.0], dtype=mm.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    p.grad = mm.tensor(np.array([0.5, -3.0, 1e-3]))
    opt.step()
    g = np.array([0.5, -3.0, 1e-3])
    np.testing.assert_allclose(p.numpy(), 1 - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert float(opt.state[p]["step"]) == 1.0


def test_weight_decay_and_skips_params_without_grad():
    a = mm.tensor([2.0], requires_grad=True)
    b = mm.tensor([5.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5, weight_decay=0.1)
    a.grad = mm.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(a.numpy(), [2.0 - 0.5 * (1.0 + 0.1 * 2.0)])
    np.testing.assert_allclose(b.numpy(), [5.0])  # no grad: untouched


def test_training_loop_learns_to_output_zero():
    mm.manual_seed(0)
    w = mm.randn(4, 3, requires_grad=True)
    x = mm.randn(8, 4)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    first = None
    for _ in range(50):
        opt.zero_grad()
        loss = ((x @ w) ** 2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first * 0.05


def test_constructor_errors_match_torch():
    p = mm.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum value"):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        optim.Adam([p], eps=-1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_param_groups_as_dicts_override_defaults():
    a, b = mm.ones(2, requires_grad=True), mm.ones(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0, "momentum": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b
    a.grad, b.grad = mm.ones(2), mm.ones(2)
    opt.step()
    np.testing.assert_allclose(a.numpy(), [0.9, 0.9])
    np.testing.assert_allclose(b.numpy(), [0.0, 0.0])
    opt.add_param_group({"params": [mm.zeros(1, requires_grad=True)], "lr": 0.3})
    assert opt.param_groups[2]["momentum"] == 0 and opt.param_groups[2]["lr"] == 0.3


def test_zero_grad():
    p = mm.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = mm.ones(2)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not np.any(p.grad.numpy())
    opt.zero_grad()
    assert p.grad is None


def test_state_dict_layout_matches_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs in [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)), ("AdamW", dict()),
                         ("RMSprop", dict(momentum=0.9, centered=True)), ("Adadelta", dict())]:
        _, ours = _run_minimod(lambda ps, n=name, k=kwargs: getattr(optim, n)(ps, **k), 2)
        _, theirs = _run_torch(lambda ps, n=name, k=kwargs: getattr(torch.optim, n)(ps, **k), 2)
        mine, reference = ours.state_dict(), theirs.state_dict()
        assert list(mine) == ["state", "param_groups"]
        assert list(mine["state"]) == list(reference["state"]) == [0, 1]
        for index in mine["state"]:
            assert list(mine["state"][index]) == list(reference["state"][index])
            for key, value in mine["state"][index].items():
                assert isinstance(value, np.ndarray) and not value.flags.writeable
                np.testing.assert_allclose(value, reference["state"][index][key].numpy(), rtol=1e-6)
        assert mine["param_groups"][0]["params"] == reference["param_groups"][0]["params"]
        for key, value in mine["param_groups"][0].items():
            assert reference["param_groups"][0][key] == value, key


def test_state_dict_round_trip_continues_identically():
    make = lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True)  # noqa: E731
    full, _ = _run_minimod(make, 5)
    # three steps, save, fresh optimizer on a copy of the parameters, load, two more steps
    params = [mm.tensor(a, requires_grad=True) for a in _params()]
    opt = make(params)
    for step in range(3):
        for p, g in zip(params, _grads(step)):
            p.grad = mm.tensor(g)
        opt.step()
    saved = opt.state_dict()
    copies = [mm.tensor(p.numpy(), requires_grad=True) for p in params]
    fresh = optim.Adam(copies, lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.05 and fresh.param_groups[0]["params"][0] is copies[0]
    for step in range(3, 5):
        for p, g in zip(copies, _grads(step)):
            p.grad = mm.tensor(g)
        fresh.step()
    for a, b in zip(copies, full):
        np.testing.assert_array_equal(a.numpy(), b)
    # training the fresh optimizer did not change the snapshot
    assert float(saved["state"][0]["step"]) == 3.0


def test_load_state_dict_rejects_mismatched_groups():
    a, b = mm.ones(2, requires_grad=True), mm.ones(2, requires_grad=True)
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_step_bumps_version_so_stale_graphs_are_caught():
    p = mm.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    loss = (p * p).sum()
    p.grad = mm.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_repr_lists_groups():
    text = repr(optim.SGD([mm.ones(1, requires_grad=True)], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_on_float16_parameters_takes_numpys_way_and_tracks_float32(momentum):
    # numba has no float16: the fast backend's SGD kernel hands float16 to its numpy twin
    results = []
    for dtype in (np.float16, np.float32):
        p = mm.tensor(np.linspace(-1, 1, 6).astype(dtype), requires_grad=True)
        opt = optim.SGD([p], lr=0.1, momentum=momentum, weight_decay=0.01)
        for _ in range(3):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()
        assert p.dtype == mm.tensor(np.zeros(1, dtype)).dtype
        results.append(p.detach().numpy().astype(np.float32))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-2, atol=1e-3)


def test_sgd_starts_a_momentum_buffer_that_a_loaded_state_left_as_none():
    # torch's SGD keeps momentum_buffer None until a step makes one; a state loaded with None starts it
    p = mm.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.state[p]["momentum_buffer"] = None
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [2.0, 4.0])
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], rtol=1e-6)


@pytest.mark.parametrize("name", ["AdamW", "RMSprop", "Adadelta"])
def test_signatures_defaults_and_constructor_errors_are_torchs(name):
    import inspect

    ours = inspect.signature(getattr(optim, name))
    for parameter in ours.parameters.values():
        assert parameter.name in ("params", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                                  "foreach", "fused", "alpha", "momentum", "centered", "rho")
    torch = pytest.importorskip("torch")
    theirs = inspect.signature(getattr(torch.optim, name))
    for parameter in ours.parameters.values():
        assert parameter.default == theirs.parameters[parameter.name].default, parameter.name
        assert parameter.kind == theirs.parameters[parameter.name].kind, parameter.name
    p = [mm.ones(1, requires_grad=True)]
    for bad in (dict(lr=-1.0), dict(eps=-1.0), dict(weight_decay=-1.0)):
        with pytest.raises(ValueError) as error:
            getattr(optim, name)(p, **bad)
        with pytest.raises(ValueError) as their_error:
            getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **bad)
        assert str(error.value) == str(their_error.value)


def test_adamw_decays_the_weights_apart_from_the_gradient():
    """With a zero gradient, Adam's weight decay still moves p (through the moments); AdamW shrinks p by
    lr · weight_decay exactly."""
    p = mm.tensor([2.0], requires_grad=True)
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = mm.zeros(1)
    opt.step()
    assert p.item() == pytest.approx(2.0 * (1 - 0.1 * 0.5))
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert "fused" in __import__("inspect").signature(optim.AdamW).parameters  # nanoGPT asks
