"""Module hooks: forward pre/post hooks, full backward (pre-)hooks equal to torch's, global hooks, handles."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minimod as mm
from minimod import nn

# --- forward hooks -----------------------------------------------------------------------------


class Add(nn.Module):
    def forward(self, a, b=0.0, *, scale=1.0):
        return (a + b) * scale


def test_forward_pre_hook_can_replace_args_and_a_non_tuple_is_wrapped():
    module = Add()
    seen = []
    module.register_forward_pre_hook(lambda m, args: seen.append(args))
    module.register_forward_pre_hook(lambda m, args: mm.tensor([10.0]))  # not a tuple: becomes (x,)
    out = module(mm.tensor([1.0]), mm.tensor([2.0]))
    assert out.tolist() == [10.0]
    assert isinstance(seen[0], tuple) and len(seen[0]) == 2
    module2 = Add()
    module2.register_forward_pre_hook(lambda m, args: (args[0], mm.tensor([5.0])))
    assert module2(mm.tensor([1.0]), mm.tensor([2.0])).tolist() == [6.0]


def test_forward_hook_sees_args_and_output_and_can_replace_output():
    module = Add()
    calls = []
    module.register_forward_hook(lambda m, args, out: calls.append((m, args, out.tolist())))
    module.register_forward_hook(lambda m, args, out: out * 2)
    module.register_forward_hook(lambda m, args, out: calls.append(out.tolist()))
    out = module(mm.tensor([1.0]), b=mm.tensor([2.0]))  # keyword args are not in `args`
    assert out.tolist() == [6.0]
    assert calls[0][0] is module and len(calls[0][1]) == 1 and calls[0][2] == [3.0]
    assert calls[1] == [6.0]


def test_hooks_with_kwargs():
    module = Add()
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {**kwargs, "scale": 10.0}),
                                     with_kwargs=True)
    seen = {}
    module.register_forward_hook(lambda m, args, kwargs, out: seen.update(kwargs), with_kwargs=True)
    assert module(mm.tensor([1.0]), scale=2.0).tolist() == [10.0]
    assert seen == {"scale": 10.0}
    bad = Add()
    bad.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got"):
        bad(mm.tensor([1.0]), mm.tensor([1.0]), mm.tensor([1.0]))


def test_registration_order_prepend_and_global_before_local():
    order = []
    module = Add()
    module.register_forward_pre_hook(lambda m, a: order.append("pre local 1"))
    module.register_forward_pre_hook(lambda m, a: order.append("pre local 0"), prepend=True)
    module.register_forward_hook(lambda m, a, o: order.append("fwd local 1"))
    module.register_forward_hook(lambda m, a, o: order.append("fwd local 0"), prepend=True)
    with nn.register_module_forward_pre_hook(lambda m, a: order.append("pre global")), \
            nn.register_module_forward_hook(lambda m, a, o: order.append("fwd global")):
        module(mm.tensor([1.0]))
    assert order == ["pre global", "pre local 0", "pre local 1", "fwd global", "fwd local 0", "fwd local 1"]
    order.clear()
    module(mm.tensor([1.0]))  # the global hooks left with their `with` block
    assert order == ["pre local 0", "pre local 1", "fwd local 0", "fwd local 1"]


def test_handles_remove_and_work_as_context_managers():
    module = Add()
    calls = []
    handle = module.register_forward_hook(lambda m, a, o: calls.append(1), always_call=True)
    module(mm.tensor([1.0]))
    handle.remove()
    handle.remove()  # removing twice is harmless
    module(mm.tensor([1.0]))
    assert calls == [1]
    assert not module._forward_hooks and not module._forward_hooks_always_called
    with module.register_forward_pre_hook(lambda m, a: calls.append(2), with_kwargs=False):
        module(mm.tensor([1.0]))
    module(mm.tensor([1.0]))
    assert calls == [1, 2]
    assert not module._forward_pre_hooks and not module._forward_pre_hooks_with_kwargs


def test_a_hook_may_remove_itself_while_hooks_run():
    module = Add()
    calls = []

    def once(m, args, output):
        calls.append("once")
        handle.remove()

    handle = module.register_forward_hook(once)
    module.register_forward_hook(lambda m, a, o: calls.append("always"))
    module(mm.tensor([1.0]))
    module(mm.tensor([1.0]))
    assert calls == ["once", "always", "always"]


def test_always_call_hooks_run_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    module = Boom()
    calls = []
    module.register_forward_hook(lambda m, a, o: calls.append("always"), always_call=True)
    module.register_forward_hook(lambda m, a, o: calls.append("normal"))
    with nn.register_module_forward_hook(lambda m, a, o: calls.append("global"), always_call=True):
        with pytest.raises(ValueError, match="boom"):
            module(mm.tensor([1.0]))
    assert calls == ["global", "always"]


def test_hooks_fire_on_nested_modules_in_call_order():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    events = []
    def post(module, args, output):
        events.append(("post", type(module).__name__, output.shape))

    with nn.register_module_forward_pre_hook(lambda m, a: events.append(("pre", type(m).__name__))), \
            nn.register_module_forward_hook(post):
        net(mm.randn(5, 3))
    assert events == [
        ("pre", "Sequential"), ("pre", "Linear"), ("post", "Linear", (5, 4)), ("pre", "ReLU"),
        ("post", "ReLU", (5, 4)), ("pre", "Sequential"), ("pre", "Linear"), ("post", "Linear", (5, 2)),
        ("post", "Sequential", (5, 2)), ("post", "Sequential", (5, 2)),
    ]


def test_no_hooks_means_no_extra_graph_nodes():
    layer = nn.Linear(3, 2)
    out = layer(mm.randn(4, 3, requires_grad=True))
    assert out.grad_fn.name() != "BackwardHookFunctionBackward0"
    layer.register_full_backward_hook(lambda m, gi, go: None)
    out = layer(mm.randn(4, 3, requires_grad=True))
    assert out.grad_fn.name() == "BackwardHookFunctionBackward0"


def test_calls_take_the_plain_path_when_no_hook_is_registered(monkeypatch):
    # the inspector hooks every module and removes its hooks afterwards: once they are gone, a call
    # must go straight to forward again (the hook machinery is not entered at all)
    net = nn.Sequential(*[nn.Linear(4, 4) for _ in range(3)])
    x = mm.randn(2, 4)
    entered = []
    original = nn.Module._call_with_hooks

    def counting(self, args, kwargs):
        entered.append(type(self).__name__)
        return original(self, args, kwargs)

    monkeypatch.setattr(nn.Module, "_call_with_hooks", counting)
    net(x)
    assert entered == []
    handles = [m.register_forward_hook(lambda m, a, o: None) for m in net.modules()]
    net(x)
    assert entered == ["Sequential"] + ["Linear"] * 3
    for handle in handles:
        handle.remove()
    entered.clear()
    with nn.register_module_forward_pre_hook(lambda m, a: None):
        net(x)
    assert len(entered) == 4
    entered.clear()
    net(x)
    assert entered == []


# --- full backward hooks against torch ---------------------------------------------------------


def _record(store, name):
    def hook(module, grad_input, grad_output):
        store.append((name, _arrays(grad_input), _arrays(grad_output)))

    return hook


def _arrays(grads):
    assert isinstance(grads, tuple)
    return tuple(None if g is None else np.array(g.detach().numpy() if hasattr(g, "detach") else g)
                 for g in grads)


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for (name_a, gi_a, go_a), (name_b, gi_b, go_b) in zip(ours, theirs):
        assert name_a == name_b
        for a_side, b_side in ((gi_a, gi_b), (go_a, go_b)):
            assert len(a_side) == len(b_side)
            for a, b in zip(a_side, b_side):
                assert (a is None) == (b is None), (name_a, a_side, b_side)
                if a is not None:
                    assert a.shape == b.shape
                    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _linear_pair(torch, in_features=3, out_features=2):
    ours = nn.Linear(in_features, out_features)
    theirs = torch.nn.Linear(in_features, out_features)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    return ours, theirs


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_linear_backward_hooks_match_torch(input_requires_grad):
    torch = pytest.importorskip("torch")
    ours, theirs = _linear_pair(torch)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    got, want = [], []
    ours.register_full_backward_pre_hook(lambda m, go: got.append(("pre", (), _arrays(go))))
    theirs.register_full_backward_pre_hook(lambda m, go: want.append(("pre", (), _arrays(go))))
    ours.register_full_backward_hook(_record(got, "linear"))
    theirs.register_full_backward_hook(_record(want, "linear"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x_ours = mm.tensor(x, requires_grad=input_requires_grad)
        (ours(x_ours) * mm.tensor([1.0, 2.0])).sum().backward()
        x_theirs = torch.tensor(x, requires_grad=input_requires_grad)
        (theirs(x_theirs) * torch.tensor([1.0, 2.0])).sum().backward()
    _same(got, want)
    assert [g[0] for g in got] == ["pre", "linear"]
    warned = [str(w.message) for w in caught if "Full backward hook is firing" in str(w.message)]
    assert len(warned) == (0 if input_requires_grad else 2)  # one from each library
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)


class _TwoInputs:
    """y = a * b + a, written once for both libraries."""

    @staticmethod
    def forward(a, b):
        return a * b + a


class _WithFlags:
    """Non-tensor positional arguments and a keyword argument."""

    @staticmethod
    def forward(a, k, b, flag=None, scale=None):
        out = a * k
        return out * scale if scale is not None else out


class _TwoOutputs:
    """Two outputs, the second often unused; the third is not a tensor."""

    @staticmethod
    def forward(a, b):
        return a * 2, b * 3, "note"


class _PassThrough:
    """Returns one input as it came (like Identity) next to a computed output."""

    @staticmethod
    def forward(a, b):
        return a, b * 2


def _module_pair(torch, spec):
    class Ours(nn.Module):
        def forward(self, *args, **kwargs):
            return spec.forward(*args, **kwargs)

    class Theirs(torch.nn.Module):
        def forward(self, *args, **kwargs):
            return spec.forward(*args, **kwargs)

    Ours.__name__ = Theirs.__name__ = spec.__name__
    return Ours(), Theirs()


CASES = [
    # (spec, positional args as (array name or plain value, requires_grad), kwargs, outputs in the loss)
    (_TwoInputs, [("a", True), ("b", True)], {}, [0]),
    (_TwoInputs, [("a", True), ("b", False)], {}, [0]),
    (_TwoInputs, [("a", False), ("b", True)], {}, [0]),
    (_WithFlags, [("a", True), (3.0, None), ("b", True)], {"flag": "x"}, [0]),
    (_WithFlags, [("a", True), (2.0, None), ("b", False)], {"scale": ("c", True)}, [0]),
    (_TwoOutputs, [("a", True), ("b", True)], {}, [0]),
    (_TwoOutputs, [("a", True), ("b", True)], {}, [0, 1]),
    (_TwoOutputs, [("a", True), ("b", True)], {}, [1]),
    (_PassThrough, [("a", True), ("b", True)], {}, [1]),
    (_PassThrough, [("a", True), ("b", False)], {}, [0]),
    (_PassThrough, [("a", True), ("b", True)], {}, [0, 1]),
]


def _build_args(lib, args, kwargs, arrays):
    def make(name, requires_grad):
        return lib.tensor(arrays[name], requires_grad=requires_grad)

    built = [make(*a) if isinstance(a[0], str) else a[0] for a in args]
    built_kwargs = {k: make(*v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    return built, built_kwargs


@pytest.mark.parametrize(("spec", "args", "kwargs", "used"), CASES)
def test_custom_module_backward_hooks_match_torch(spec, args, kwargs, used):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = {name: rng.standard_normal(3).astype(np.float32) for name in "abc"}
    ours, theirs = _module_pair(torch, spec)
    got, want = [], []
    for module, store in ((ours, got), (theirs, want)):
        module.register_full_backward_pre_hook(
            lambda m, go, store=store: store.append(("pre", (), _arrays(go))))
        module.register_full_backward_hook(_record(store, "hook"))
    results = {}
    for lib, module, name in ((mm, ours, "ours"), (torch, theirs, "theirs")):
        built, built_kwargs = _build_args(lib, args, kwargs, arrays)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs = module(*built, **built_kwargs)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            total = sum(outputs[i].sum() for i in used)
            total.backward()
        results[name] = [None if not hasattr(t, "grad") or t.grad is None else np.array(t.grad.numpy())
                         for t in built]
    _same(got, want)
    assert len(got) == 2
    for a, b in zip(results["ours"], results["theirs"]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_replacement_grads_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    grads = {}
    ours, theirs = _linear_pair(torch)
    first_ours, first_theirs = _linear_pair(torch, 3, 3)
    for first, second, lib, name in ((first_ours, ours, mm, "ours"), (first_theirs, theirs, torch, "theirs")):
        second.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        second.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,))
        first.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
        xt = lib.tensor(x, requires_grad=True)
        second(first(xt)).sum().backward()
        tensors = (xt, first.weight, first.bias, second.weight, second.bias)
        grads[name] = [np.array(t.grad.numpy()) for t in tensors]
    for a, b in zip(grads["ours"], grads["theirs"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_backward_hooks_on_a_whole_network_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [_linear_pair(torch, 3, 4), _linear_pair(torch, 4, 2)]
    ours = nn.Sequential(pairs[0][0], nn.Tanh(), pairs[1][0])
    theirs = torch.nn.Sequential(pairs[0][1], torch.nn.Tanh(), pairs[1][1])
    got, want = [], []
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
    def global_hook(store):
        return lambda m, gi, go: store.append(("global " + type(m).__name__, _arrays(gi), _arrays(go)))

    handles = [nn.register_module_full_backward_hook(global_hook(got)),
               torch.nn.modules.module.register_module_full_backward_hook(global_hook(want))]
    for index, (a, b) in enumerate(zip(ours.modules(), theirs.modules())):
        a.register_full_backward_hook(_record(got, f"local {index}"))
        b.register_full_backward_hook(_record(want, f"local {index}"))
    try:
        ours(mm.tensor(x, requires_grad=True)).sum().backward()
        theirs(torch.tensor(x, requires_grad=True)).sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    assert [g[0] for g in got] == [w[0] for w in want]
    _same(got, want)


def test_global_backward_pre_hook_and_wrong_lengths():
    layer = nn.Linear(3, 2)
    seen = []
    with nn.register_module_full_backward_pre_hook(lambda m, go: seen.append(go[0].shape)):
        layer(mm.randn(4, 3, requires_grad=True)).sum().backward()
    assert seen == [(4, 2)]
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, "
                                           "but expected 1"):
        layer(mm.randn(4, 3, requires_grad=True)).sum().backward()
    other = nn.Linear(3, 2)
    other.register_full_backward_pre_hook(lambda m, go: ())
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output, "
                                           "got 0, but expected 1"):
        other(mm.randn(4, 3)).sum().backward()
    third = nn.Linear(3, 2)
    third.register_full_backward_hook(lambda m, gi, go: (mm.ones(4, 3),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="no input requires gradient should always return None"):
            third(mm.randn(4, 3)).sum().backward()


def test_backward_hook_handle_removal_and_module_reuse():
    layer = nn.Linear(3, 2)
    calls = []
    handle = layer.register_full_backward_hook(lambda m, gi, go: calls.append(gi[0].shape))
    x = mm.randn(4, 3, requires_grad=True)
    out = layer(x) + layer(x)  # one module called twice: the hook fires once per call
    out.sum().backward()
    assert calls == [(4, 3), (4, 3)]
    handle.remove()
    layer(x).sum().backward()
    assert len(calls) == 2
    with mm.no_grad():
        assert layer(x).grad_fn is None  # no wiring without grad mode


def test_backward_through_a_retained_graph_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (mm, torch):
        class Pair(lib.nn.Module):
            def forward(self, a, b):
                return a * 2, b * 3

        module, calls = Pair(), []
        module.register_full_backward_hook(lambda m, gi, go, calls=calls: calls.append(_arrays(gi + go)))
        a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        x, y = module(a, b)
        (x.sum() + y.sum()).backward(retain_graph=True)
        x.sum().backward()  # second pass: y's gradient is missing this time
        results.append((calls, a.grad.tolist(), b.grad.tolist()))
    (ours, *grads_ours), (theirs, *grads_theirs) = results
    assert grads_ours == grads_theirs
    assert len(ours) == len(theirs) == 2
    for got, want in zip(ours, theirs):
        assert [g is None for g in got] == [w is None for w in want]
        for g, w in zip(got, want):
            if g is not None:
                np.testing.assert_array_equal(g, w)


def test_backward_hooks_warn_when_the_output_is_not_a_tensor():
    class Dict(nn.Module):
        def forward(self, x):
            return {"out": x * 2}

    module = Dict()
    module.register_full_backward_hook(lambda m, gi, go: None)
    expected = "module output should be a Tensor or a tuple of Tensors but received <class 'dict'>"
    with pytest.warns(UserWarning, match=expected):
        out = module(mm.ones(2, requires_grad=True))
    assert out["out"].tolist() == [2.0, 2.0]
