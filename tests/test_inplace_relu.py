"""Tensor.relu_, F.relu(inplace=True) and nn.ReLU(inplace=True) (and leaky_relu, abs_, clamp_): in place,
recorded by autograd as torch records them and refused where torch refuses, side by side with torch."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
import minimod.nn.functional as F
from minimod import nn
from tests.gradcheck import compare_with_torch

VALUES = np.array([[-1.5, 2.0, 0.25], [3.0, -0.5, -2.0]])


def _torch():
    return pytest.importorskip("torch")


def test_relu_on_a_plain_tensor_changes_its_storage_and_version_like_torch():
    torch = _torch()
    for lib in (mm, torch):
        t = lib.tensor(VALUES.copy())
        storage = t.numpy()
        before = t._version if lib is torch else t._version.value
        assert t.relu_() is t
        after = t._version if lib is torch else t._version.value
        assert after == before + 1 and t.grad_fn is None
        np.testing.assert_array_equal(storage, np.maximum(VALUES, 0))  # the same memory changed
        ints = lib.tensor([-1, 2])
        assert ints.relu_().tolist() == [0, 2] and ints.dtype == lib.int64


@pytest.mark.parametrize("form", ["method", "functional", "F_inplace", "module"])
def test_each_spelling_refuses_a_leaf_that_requires_grad_like_torch(form):
    torch = _torch()
    calls = {
        "method": lambda lib, functional, module, leaf: leaf.relu_(),
        "functional": lambda lib, functional, module, leaf: lib.relu_(leaf),
        "F_inplace": lambda lib, functional, module, leaf: functional.relu(leaf, inplace=True),
        "module": lambda lib, functional, module, leaf: module.ReLU(inplace=True)(leaf),
    }
    for lib, functional, module in ((torch, torch.nn.functional, torch.nn), (mm, F, nn)):
        leaf = lib.tensor([-1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used"):
            calls[form](lib, functional, module, leaf)
        assert leaf.tolist() == [-1.0, 2.0]  # unchanged


def test_a_view_of_a_leaf_is_refused_like_torch():
    torch = _torch()
    for lib in (torch, mm):
        leaf = lib.tensor([-1.0, 2.0, -3.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad"):
            leaf[:2].relu_()


def test_under_no_grad_a_leaf_changes_without_history_like_torch():
    torch = _torch()
    for lib in (torch, mm):
        leaf = lib.tensor([-1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            leaf.relu_()
        assert leaf.tolist() == [0.0, 2.0] and leaf.grad_fn is None and leaf.is_leaf


def test_recorded_relu_is_relubackward0_after_the_old_history():
    torch = _torch()
    for lib in (torch, mm):
        x = lib.tensor(VALUES, requires_grad=True)
        h = x * 2
        assert h.relu_() is h
        assert h.grad_fn.name() == "ReluBackward0" and not h.is_leaf
        assert h.grad_fn.next_functions[0][0].name() == "MulBackward0"
        assert h._version == 1 if lib is torch else h._version.value == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "name, call",
    [
        ("method", lambda lib, x, w: (x @ w).relu_() * 3),
        ("function", lambda lib, x, w: lib.relu_(x @ w).sum(1)),
        ("after_a_shift", lambda lib, x, w: (x @ w - 0.5).relu_()),
        ("then_used_twice", lambda lib, x, w: (lambda h: h * h + h)((x @ w).relu_())),
    ],
)
def test_gradients_through_relu_in_place_match_torch(name, call, dtype):
    torch = _torch()
    w = np.random.default_rng(3).normal(size=(3, 4))
    compare_with_torch(lambda x, w: call(mm, x, w), lambda x, w: call(torch, x, w), VALUES, w, dtype=dtype)


def test_a_node_that_saved_the_old_values_sees_the_change_like_torch():
    torch = _torch()
    for lib in (torch, mm):
        x = lib.tensor(VALUES, requires_grad=True)
        h = x * 1
        square = h * h  # saves h's values for backward
        h.relu_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            square.sum().backward()


@pytest.mark.parametrize("change", ["mul_under_no_grad", "relu_again"])
def test_a_later_change_of_the_relu_output_is_caught_like_torch(change):
    torch = _torch()
    for lib in (torch, mm):
        x = lib.tensor(VALUES, requires_grad=True)
        h = (x * 1).relu_()
        if change == "relu_again":
            h.relu_()  # torch too refuses to backward through the first relu_ (its output moved on)
        else:
            with lib.no_grad():
                h.mul_(-1)  # relu's backward reads its output, which is now wrong
        with pytest.raises(RuntimeError, match="inplace operation.*is at version 2; expected version 1"):
            h.sum().backward()


def test_retain_grad_follows_the_new_values_like_torch():
    torch = _torch()
    grads = {}
    for lib in (torch, mm):
        x = lib.tensor(VALUES, requires_grad=True)
        h = x * 1
        h.retain_grad()
        h.relu_()
        (h * 3).sum().backward()
        grads[lib.__name__] = (h.grad.numpy().copy(), x.grad.numpy().copy())
    for ours, theirs in zip(grads["minimod"], grads["torch"]):
        np.testing.assert_array_equal(ours, theirs)
    assert grads["minimod"][0].tolist() == [[3.0] * 3] * 2  # the gradient of the values after relu


def test_a_view_of_a_graph_tensor_is_refused_clearly():
    x = mm.tensor(VALUES, requires_grad=True)
    h = x * 1
    with pytest.raises(RuntimeError, match=r"view \(grad_fn=<SliceBackward0>\).*x = x.relu\(\)"):
        h[:, :2].relu_()
    assert h.tolist() == (x * 1).tolist()  # unchanged: refused before writing


def test_F_relu_inplace_returns_its_input_and_plain_relu_does_not():
    x = mm.tensor(VALUES.copy())
    assert F.relu(x) is not x and x.tolist() == VALUES.tolist()
    assert F.relu(x, inplace=True) is x and x.tolist() == np.maximum(VALUES, 0).tolist()


def test_relu_module_in_place_trains_like_torch():
    """Linear -> ReLU(inplace=True) -> Linear: the same output and parameter gradients as torch."""
    torch = _torch()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    ours = nn.Sequential(nn.Linear(4, 6), nn.ReLU(inplace=True), nn.Linear(6, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(inplace=True), torch.nn.Linear(6, 2))
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    assert repr(ours) == repr(theirs)
    out, expected = ours(mm.tensor(x)), theirs(torch.from_numpy(x))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    expected.sum().backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_relu_module_in_place_returns_the_same_tensor():
    module = nn.ReLU(inplace=True)
    x = mm.tensor(VALUES.copy())
    assert module(x) is x and x.tolist() == np.maximum(VALUES, 0).tolist()
    assert repr(module) == "ReLU(inplace=True)"


def test_a_node_made_before_relu_keeps_the_old_history_like_torch():
    x = mm.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 1
    shifted = h + 1  # made before the in-place change, saves nothing
    h.relu_()
    shifted.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]  # torch: the gradient of h + 1 does not pass through relu


# --- F.leaky_relu(inplace=True) and nn.LeakyReLU(inplace=True) ------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_leaky_relu_in_place_gradients_match_torch(dtype):
    torch = _torch()
    w = np.random.default_rng(4).normal(size=(3, 4))
    compare_with_torch(
        lambda x, w: F.leaky_relu(x @ w, 0.2, inplace=True) * 2,
        lambda x, w: torch.nn.functional.leaky_relu(x @ w, 0.2, inplace=True) * 2,
        VALUES,
        w,
        dtype=dtype,
    )


def test_leaky_relu_in_place_is_in_place_and_named_like_torch():
    torch = _torch()
    for lib, functional, module in ((torch, torch.nn.functional, torch.nn), (mm, F, nn)):
        x = lib.tensor(VALUES, requires_grad=True)
        h = x * 1
        assert functional.leaky_relu(h, 0.1, inplace=True) is h
        name = h.grad_fn.name() if lib is mm else type(h.grad_fn).__name__
        assert name == "LeakyReluBackward1"
        np.testing.assert_allclose(h.detach().numpy(), np.where(VALUES > 0, VALUES, 0.1 * VALUES), rtol=1e-6)
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used"):
            module.LeakyReLU(inplace=True)(x)
        plain = lib.tensor(VALUES.copy())
        assert module.LeakyReLU(0.5, inplace=True)(plain) is plain and plain.tolist()[0][0] == -0.75
        with pytest.raises(NotImplementedError, match="\"leaky_relu_cpu\" not implemented for 'Long'"):
            functional.leaky_relu(lib.tensor([-1, 2]))


# --- abs_ and clamp_ ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "name, call",
    [
        ("abs_", lambda lib, x, w: (x @ w).abs_() * 2),
        ("clamp_", lambda lib, x, w: (x @ w).clamp_(-0.5, 0.5) * 2),
        ("clamp_min", lambda lib, x, w: (x @ w).clamp_(min=0.1).sum(0)),
        ("clip_max", lambda lib, x, w: (x @ w).clip_(max=0.2)),
    ],
)
def test_abs_and_clamp_in_place_gradients_match_torch(name, call, dtype):
    torch = _torch()
    w = np.random.default_rng(5).normal(size=(3, 4))
    compare_with_torch(lambda x, w: call(mm, x, w), lambda x, w: call(torch, x, w), VALUES, w, dtype=dtype)


def test_abs_and_clamp_in_place_like_torch():
    torch = _torch()
    for lib in (torch, mm):
        x = lib.tensor(VALUES, requires_grad=True)
        h = x * 1
        assert h.abs_() is h
        assert (h.grad_fn.name() if lib is mm else type(h.grad_fn).__name__) == "AbsBackward0"
        h = x * 1
        assert h.clamp_(min=0) is h
        assert (h.grad_fn.name() if lib is mm else type(h.grad_fn).__name__) == "ClampBackward1"
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used"):
            x.clamp_(0, 1)
        with lib.no_grad():
            x.clamp_(-1, 1)
        assert x.is_leaf and x.detach().numpy().max() <= 1 and x.detach().numpy().min() >= -1
        t = lib.tensor([-1, 3])
        assert t.clamp_(0, 2).tolist() == [0, 2] and t.abs_().tolist() == [0, 2]
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
            t.clamp_(0.5, 2)


@pytest.mark.parametrize("backend", ["jit", "reference"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("size", [4, 100_000], ids=["small", "large"])
def test_relu_passes_no_nan_gradient_where_it_is_zero_at_every_size(size, dtype, backend, monkeypatch):
    # small and large float32/64 take numba's one-pass kernels once numba is loaded; float16 (which numba
    # cannot do) and MINIMOD_DISABLE_JIT=1 take numpy's
    from minimod import kernels

    if backend == "reference":
        monkeypatch.setenv("MINIMOD_DISABLE_JIT", "1")
    else:
        assert kernels.jit_enabled()  # loads numba, as the first convolution would
    x = mm.tensor(np.where(np.arange(size) % 2 == 0, -1.0, 1.0).astype(dtype), requires_grad=True)
    y = F.relu(x)
    assert y.dtype == x.dtype and (y.numpy()[0::2] == 0).all()
    y.backward(mm.tensor(np.full(size, np.nan, dtype=dtype)))
    grad = x.grad.numpy()
    assert grad.dtype == dtype
    assert (grad[0::2] == 0).all() and np.isnan(grad[1::2]).all()  # torch: 0 where x <= 0, else NaN
