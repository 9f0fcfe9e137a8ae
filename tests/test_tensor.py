"""Tensor basics: factories, dtypes, conversions, in-place methods, storage sharing and reprs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import minimod as mm
from tests.strategies import float_arrays

# --- factories and dtypes ----------------------------------------------------------------------


def test_default_dtypes_follow_torch():
    assert mm.tensor([1.0, 2.0]).dtype == mm.float32
    assert mm.tensor(1.5).dtype == mm.float32
    assert mm.tensor([1, 2]).dtype == mm.int64
    assert mm.tensor([True]).dtype == mm.bool_
    assert mm.tensor(np.zeros(2)).dtype == mm.float64  # an ndarray keeps its dtype
    assert mm.tensor([1, 2], dtype=mm.float16).dtype == mm.float16
    for factory in (mm.zeros, mm.ones, mm.empty, mm.randn, mm.rand):
        assert factory(2, 3).dtype == mm.float32
        assert factory(2, 3).shape == (2, 3)
        assert factory((2, 3)).shape == (2, 3)
        assert factory(2, dtype=mm.float64).dtype == mm.float64
        assert factory(2, requires_grad=True).requires_grad
    assert mm.arange(5).dtype == mm.int64 and mm.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mm.arange(0, 1, 0.25).dtype == mm.float32 and mm.arange(5.0).dtype == mm.float32
    assert mm.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert mm.full((2,), 7.0).tolist() == [7.0, 7.0]


def test_like_factories_and_from_numpy():
    base = mm.tensor(np.ones((2, 3), dtype=np.float64))
    assert mm.zeros_like(base).dtype == mm.float64 and mm.zeros_like(base).shape == (2, 3)
    assert mm.ones_like(base, dtype=mm.float32).dtype == mm.float32
    array = np.zeros(3, dtype=np.float32)
    shared = mm.from_numpy(array)
    array[0] = 5
    assert shared.tolist() == [5.0, 0.0, 0.0]  # from_numpy shares memory
    copied = mm.tensor(array)
    array[1] = 9
    assert copied.tolist() == [5.0, 0.0, 0.0]  # mm.tensor copies
    with pytest.raises(TypeError):
        mm.from_numpy([1, 2])


def test_manual_seed_makes_random_reproducible():
    mm.manual_seed(123)
    first = (mm.randn(3, 2).numpy().copy(), mm.rand(4).numpy().copy())
    mm.manual_seed(123)
    second = (mm.randn(3, 2).numpy(), mm.rand(4).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(mm.randn(3, 2).numpy(), first[0])
    assert 0 <= mm.rand(100).numpy().min() and mm.rand(100).numpy().max() < 1


def test_shape_queries():
    t = mm.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.ndim == 3 and t.dim() == 3 and t.numel() == 24 and len(t) == 2
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4


# --- leaving autograd ----------------------------------------------------------------------------


def test_numpy_is_own_storage_even_with_requires_grad():
    t = mm.tensor([1.0, 2.0], requires_grad=True)
    array = t.numpy()
    array[0] = 10
    assert t.tolist() == [10.0, 2.0]
    assert t.numpy() is array


def test_item_tolist_float_int():
    assert mm.tensor([[2.5]]).item() == 2.5 and isinstance(mm.tensor(3).item(), int)
    assert mm.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(mm.tensor(1.5)) == 1.5 and int(mm.tensor(4)) == 4
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        mm.tensor([1.0, 2.0]).item()


def test_detach_shares_storage_and_leaves_the_graph():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d.numpy()[0] = 7
    assert y.tolist()[0] == 7.0


def test_data_shares_storage_outside_autograd():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    data = x.data
    assert isinstance(data, mm.Tensor) and not data.requires_grad and data is not x
    data.mul_(3)  # allowed: .data is outside autograd
    assert x.tolist() == [3.0, 6.0]
    x.data = mm.tensor([0.5, 0.5])
    assert x.tolist() == [0.5, 0.5] and x.requires_grad


def test_requires_grad_():
    t = mm.zeros(2)
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        mm.tensor([1, 2]).requires_grad_()
    y = mm.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


def test_inplace_methods_change_storage_and_bump_version():
    t = mm.tensor([1.0, 2.0, 3.0])
    storage = t.numpy()
    start = t._version.value
    assert t.zero_() is t and t.tolist() == [0.0, 0.0, 0.0]
    assert t.fill_(2.5) is t and t.tolist() == [2.5, 2.5, 2.5]
    assert t.copy_(mm.tensor([1.0, 2.0, 3.0])) is t and t.tolist() == [1.0, 2.0, 3.0]
    t.copy_(np.array([4.0, 5.0, 6.0]))
    t.add_(1).mul_(2).sub_(mm.ones(3)).div_(2)
    t[0] = 0.0
    assert t.tolist() == [0.0, 5.5, 6.5]
    assert t.numpy() is storage
    assert t._version.value == start + 9


def test_inplace_on_leaf_requiring_grad_needs_no_grad():
    w = mm.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.add_(1)
    with mm.no_grad():
        w.add_(1)
    assert w.tolist() == [2.0, 2.0]


def test_inplace_change_minimod_cannot_record_is_refused_clearly():
    y = mm.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"grad_fn=<MulBackward0>.*add_, sub_, mul_, div_.*y = y \* 0"):
        y.zero_()


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "+=", "-=", "*=", "/=", "add_ alpha"])
def test_arithmetic_in_place_on_a_graph_tensor_is_recorded_like_torch(op):
    """h.mul_(3) and h *= 3 on a tensor in the graph: the same tensor object, its history the new node."""
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (torch, mm):
        w = lib.tensor([0.5, -2.0, 3.0], requires_grad=True)
        h = w * w
        same = h
        operand = lib.tensor([2.0, 4.0, -1.0])
        if op == "add_ alpha":
            h.add_(w, alpha=2)
        elif op.endswith("="):
            h = {"+=": h.__iadd__, "-=": h.__isub__, "*=": h.__imul__, "/=": h.__itruediv__}[op](operand)
        else:
            getattr(h, op)(operand)
            getattr(h, op)(2)  # and a Python number
        assert h is same and not h.is_leaf
        name = h.grad_fn.name() if lib is mm else type(h.grad_fn).__name__
        (h * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results[lib.__name__] = (name, h.tolist(), w.grad.tolist())
    assert results["minimod"][0] == results["torch"][0]
    np.testing.assert_allclose(results["minimod"][1], results["torch"][1], rtol=1e-6)
    np.testing.assert_allclose(results["minimod"][2], results["torch"][2], rtol=1e-6)


def test_in_place_change_of_a_saved_output_fails_backward_like_torch():
    """exp and softmax save their output: changing it in place makes their gradient wrong, so backward
    refuses (softmax saves a view of its output's storage, which the version check must see too)."""
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        for saves_output in ("exp", "softmax"):
            x = lib.tensor([[0.5, -2.0], [1.0, 3.0]], requires_grad=True)
            y = x.exp() if saves_output == "exp" else lib.nn.functional.softmax(x, dim=-1)
            y += 1
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                y.sum().backward()


def test_clone_is_a_copy_in_the_graph():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    c.numpy()[0] = 5
    assert x.tolist() == [1.0, 2.0]
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_comparisons_give_bool_tensors():
    t = mm.tensor([1.0, 2.0, 3.0])
    assert (t > 1.5).tolist() == [False, True, True]
    assert (t == mm.tensor([1.0, 0.0, 3.0])).dtype == mm.bool_
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t > 0)


def test_to_and_dtype_conversions_are_differentiable():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == mm.float64 and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.dtype == mm.float32 and x.grad.tolist() == [2.0, 4.0]
    assert x.float() is x and x.half().dtype == mm.float16
    assert x.to("cpu") is x and x.cpu() is x and x.to(mm.float64).dtype == mm.float64
    assert x.to("cpu", mm.float16).dtype == mm.float16 and x.to(y).dtype == mm.float64
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        x.to("cuda")


def test_std_is_sqrt_of_var():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).normal(size=(3, 4))
    ours = mm.tensor(values).std(1)
    np.testing.assert_allclose(ours.numpy(), torch.tensor(values).std(1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(mm.tensor(values).std(unbiased=False).item(), values.std(), rtol=1e-12)


@given(array=float_arrays(np.float32))
def test_numpy_round_trip(array):
    t = mm.tensor(array)
    assert t.shape == array.shape and t.dtype == array.dtype
    np.testing.assert_array_equal(t.numpy(), array)


def test_python_scalars_keep_the_tensor_dtype():
    for dtype in (mm.float16, mm.float32, mm.float64):
        t = mm.ones(2, dtype=dtype)
        for result in (t + 1, 2 * t, t / 3.0, 1.0 - t, t**2):
            assert result.dtype == dtype
    assert (mm.tensor([1, 2]) * 0.5).dtype == mm.float32  # int tensor times a float: default float
    assert (mm.tensor([1, 2]) * 2).dtype == mm.int64


# --- repr ---------------------------------------------------------------------------------------


def test_repr_literal_cases():
    assert repr(mm.tensor([1.0, 2.0, 3.0])) == "tensor([1., 2., 3.])"
    assert repr(mm.tensor([1.5, -2.25])) == "tensor([ 1.5000, -2.2500])"
    assert repr(mm.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mm.tensor(3.5)) == "tensor(3.5000)"
    assert repr(mm.tensor([1.0], dtype=mm.float64)) == "tensor([1.], dtype=minimod.float64)"
    assert repr(mm.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(mm.tensor([1e-8, 1.0])) == "tensor([1.0000e-08, 1.0000e+00])"
    assert repr(mm.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(mm.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"


REPR_CASES = [
    "[1., 2., 3.]", "[[1.5, -2.25], [3., 4.]]", "3.5", "[]", "[True, False]", "[1e-8, 1.]", "[1e10, 1.]",
    "[0.1, 0.25]", "[[1, 2], [3, 4]]", "[123456.7, 1.]", "7", "[float('nan'), float('inf'), 1.0]",
    "[-0.0, 1.5]", "[0.00012345, 0.1]", "[[[1., 2.]], [[3., 4.]]]",
]


@pytest.mark.parametrize("text", REPR_CASES)
@pytest.mark.parametrize("options", ["", ", dtype=LIB.float64", ", dtype=LIB.float16",
                                     ", requires_grad=True"])
def test_repr_matches_torch(text, options):
    torch = pytest.importorskip("torch")
    try:
        expected = repr(eval(f"LIB.tensor({text}{options})", {"LIB": torch}))
    except (RuntimeError, TypeError):
        pytest.skip("torch refuses this combination")
    with np.errstate(over="ignore"):
        got = repr(eval(f"LIB.tensor({text}{options})", {"LIB": mm}))
    assert got.replace("minimod.", "torch.") == expected


@pytest.mark.parametrize("shape", [(30,), (2000,), (3, 300), (2, 3, 4), (1, 1, 2), (50, 100), (4, 4, 4)])
def test_repr_of_larger_tensors_matches_torch(shape):
    torch = pytest.importorskip("torch")
    array = np.random.default_rng(0).normal(size=shape).astype(np.float32) * 50
    assert repr(mm.tensor(array)) == repr(torch.tensor(array))


def test_repr_of_grad_fn_names_match_torch():
    torch = pytest.importorskip("torch")
    exprs = ["x * 2", "x + 1", "x - y", "x / y", "-x", "x ** 2", "x ** y", "x.sum()", "x.sum(0)",
             "x.mean()", "x.mean(1)", "x.var()", "x.max()", "x.max(0).values", "x.exp()", "x.log()",
             "x.sqrt()", "x.abs()",
             "x.tanh()", "x.sigmoid()", "x.relu()", "x.clamp(0.1, 0.2)", "x @ y.T", "x[0] @ y[0]",
             "x @ y[0]", "x.reshape(4)", "x.view(4)", "x.flatten()", "x.transpose(0, 1)", "x.permute(1, 0)",
             "x.T", "x.unsqueeze(0)", "x.squeeze()", "x.squeeze(0)", "x[0]", "x[:, 1:]", "x.clone()",
             "x.double()", "LIB.cat([x, y])", "LIB.stack([x, y])", "LIB.where(x > 1, x, y)",
             "x.unsqueeze(0).expand(3, 2, 2)", "x.T.reshape(4)", "x.T.flatten()", "x.T.view(2, 2)",
             "x.reshape(1, 4).view(4)", "abs(x)"]
    values = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    for expr in exprs:
        names = {}
        for lib in (mm, torch):
            x = lib.tensor(values, requires_grad=True)
            y = lib.tensor(values + 1, requires_grad=True)
            names[lib.__name__] = eval(expr, {"x": x, "y": y, "LIB": lib}).grad_fn.name()
        assert names["minimod"] == names["torch"], expr


def test_max_dim_returns_named_tuple():
    values, indices = mm.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    result = mm.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
    assert result.values.tolist() == [5.0, 7.0] and result.indices.tolist() == [1, 0]
    assert values.tolist() == [5.0, 7.0] and indices.dtype == mm.int64
    assert repr(result).startswith("minimod.return_types.max(\nvalues=tensor([5., 7.]),\nindices=")


def test_view_never_copies_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (mm, torch):
        x = lib.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
        with pytest.raises(RuntimeError, match=r"view size is not compatible.*Use \.reshape"):
            x.permute(0, 2, 1).view(2, 12)
        assert x.permute(0, 2, 1).reshape(2, 12).shape == (2, 12)
    x = mm.zeros(2, 3)
    v = x.view(3, 2)
    v.numpy()[0, 0] = 5.0
    assert x[0, 0].item() == 5.0  # a view shares storage


def test_each_shape_op_has_its_own_function_class():
    """The inspector's flow view names an op after its Function: flatten must not read "reshape"."""
    ops = []
    with mm.autograd.register_op_observer(lambda cls, inputs, outputs: ops.append(cls.__name__)):
        x = mm.zeros(2, 3, 4)
        x.flatten(1), x.reshape(6, 4), x.view(24), x.unsqueeze(0), x.squeeze(), x.transpose(0, 1)
        x.permute(2, 0, 1)
    assert ops == ["Flatten", "Reshape", "View", "Unsqueeze", "Squeeze", "Transpose", "Permute"]


# --- errors and edge answers side by side with torch ---------------------------------------------

SAME_ERRORS = [
    ("L.ones(2, 3).size(2)", IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("L.tensor(3.0).size(0)", IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    ("float(L.ones(2))", ValueError, "only one element tensors can be converted to Python scalars"),
    ("int(L.ones(2))", ValueError, "only one element tensors can be converted to Python scalars"),
    ("L.cat([])", ValueError, "torch.cat(): expected a non-empty list of Tensors"),
    ("L.stack([L.ones(2), L.ones(2), L.ones(3)])", RuntimeError,
     "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 2"),
    ("L.where(L.tensor([1, 0]), L.ones(2), L.zeros(2))", RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Long"),
    ("L.zeros(2, 2).fill_(L.tensor([1.0, 2.0]))", RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    ("L.zeros(2, 3).copy_(L.ones(4))", RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("L.zeros(2, 3).copy_(L.ones(2, 2, 3))", RuntimeError,
     "output with shape [2, 3] doesn't match the broadcast shape [2, 2, 3]"),
    ("L.arange(-1)", RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ("L.arange(3, 0, 1)", RuntimeError, "upper bound and lower bound inconsistent with step sign"),
    ("L.arange(0, 3, 0)", RuntimeError, "step must be nonzero"),
    ("L.ones(3)[5]", IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    ("L.ones(3)[L.tensor([0, 3])]", IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    ("L.zeros(2, 3)[0, 0, 0]", IndexError, "too many indices for tensor of dimension 2"),
]


@pytest.mark.parametrize("expression, kind, message", SAME_ERRORS, ids=[e[0] for e in SAME_ERRORS])
def test_errors_are_torchs(expression, kind, message):
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        with pytest.raises(kind) as info:
            eval(expression, {"L": lib})
        assert str(info.value).splitlines()[0] == message, lib.__name__


def test_edge_answers_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        t = lib.ones(2, 3)
        assert (t == None) is False and (t != None) is True  # noqa: E711 - the comparison under test
        assert t.size(-1) == 3 and t.size(dim=0) == 2
        assert lib.zeros(2, 3).copy_(lib.tensor([[1.0], [2.0]])).tolist() == [[1.0] * 3, [2.0] * 3]
        assert lib.zeros(2).fill_(lib.tensor(4.0)).tolist() == [4.0, 4.0]
        assert lib.arange(2, 2).tolist() == [] and lib.arange(3, 0, -1).tolist() == [3, 2, 1]
        assert lib.where(lib.tensor([True, False]), lib.ones(2), lib.zeros(2)).tolist() == [1.0, 0.0]


# --- +=, -=, *=, /= and in-place ops that take in a gradient ---------------------------------------


def test_augmented_assignment_under_no_grad_changes_the_tensor_itself_like_torch():
    """The hand-written SGD step `with no_grad(): w -= lr * w.grad` must move w, not rebind the name."""
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        same, storage = w, w.numpy() if lib is mm else None
        with lib.no_grad():
            w -= 0.1 * w.grad
            w *= 2
            w /= 4
            w += 1
        assert w is same and w.requires_grad and w.is_leaf
        assert w.tolist() == pytest.approx([1.4, 1.8])
        assert lib is torch or w.numpy() is storage
        t = lib.tensor([1, 2])
        t += 1
        assert t.tolist() == [2, 3] and t.dtype == lib.int64


def test_augmented_assignment_on_a_leaf_that_requires_grad_is_refused_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used"):
            w += 1
        assert w.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "+=", "-=", "*=", "/="])
def test_a_plain_tensor_taking_in_a_gradient_is_recorded_like_torch(op):
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (torch, mm):
        w = lib.tensor([0.5, -2.0, 3.0], requires_grad=True)
        acc = lib.tensor([2.0, 1.0, -1.0])
        same = acc
        if op == "+=":
            acc += w
        elif op == "-=":
            acc -= w
        elif op == "*=":
            acc *= w
        elif op == "/=":
            acc /= w
        else:
            getattr(acc, op)(w)
        assert acc is same and acc.requires_grad and not acc.is_leaf
        name = acc.grad_fn.name() if lib is mm else type(acc.grad_fn).__name__
        (acc * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results[lib.__name__] = (name, acc.tolist(), w.grad.tolist())
    assert results["minimod"][0] == results["torch"][0]
    np.testing.assert_allclose(results["minimod"][1], results["torch"][1], rtol=1e-6)
    np.testing.assert_allclose(results["minimod"][2], results["torch"][2], rtol=1e-6)


def test_in_place_errors_when_the_result_does_not_fit_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        w = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
            lib.zeros(2, dtype=lib.int64).add_(w)
        with pytest.raises(RuntimeError, match=r"output with shape \[2\] doesn't match the broadcast shape"):
            lib.zeros(2).add_(lib.ones(3, 2, requires_grad=True))


def test_augmented_assignment_on_a_graph_tensor_gives_torchs_gradients():
    """h += w on a tensor in the graph, in place in both; on a view of one, minimod computes a new tensor
    (torch rewrites the base's history, which minimod cannot), with the same values and gradients."""
    torch = pytest.importorskip("torch")
    grads = {}
    for lib in (torch, mm):
        w = lib.tensor([0.5, -2.0], requires_grad=True)
        h = w * w
        h += w
        h *= 3
        h -= 1
        h /= w
        v = (w * 1)[:1]
        v += 1
        (h.sum() + v.sum()).backward()
        grads[lib.__name__] = (h.tolist() + v.tolist(), w.grad.tolist())
    np.testing.assert_allclose(grads["minimod"][0], grads["torch"][0], rtol=1e-6)
    np.testing.assert_allclose(grads["minimod"][1], grads["torch"][1], rtol=1e-6)


def test_device_is_the_cpu_and_creation_takes_device_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        x = lib.ones(2)
        assert str(x.device) == "cpu" and repr(x.device) == "device(type='cpu')" and x.device.type == "cpu"
        assert x.device.index is None and repr(lib.device("cpu", 0)) == "device(type='cpu', index=0)"
        assert lib.device("cpu:0").index == 0 and repr(lib.device("cpu")) == "device(type='cpu')"
        made = [
            lib.tensor([1.0], device=x.device), lib.zeros(2, device="cpu"), lib.ones(2, device=x.device),
            lib.empty(2, device="cpu"), lib.full((2,), 3.0, device="cpu"), lib.zeros_like(x, device="cpu"),
            lib.ones_like(x, device="cpu"), lib.randn(2, device="cpu"), lib.rand(2, device="cpu"),
            lib.randint(0, 3, (2,), device="cpu"), lib.arange(3, device=lib.device("cpu")),
        ]
        assert all(str(t.device) == "cpu" for t in made)
        assert x.to(x.device).tolist() == [1.0, 1.0]
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        mm.zeros(2, device="cuda")
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        mm.ones(2).to(mm.device("cuda"))
    assert mm.nn.Linear(2, 2).to(mm.ones(1).device).weight.dtype == mm.float32


@pytest.mark.parametrize("join", ["cat", "stack"])
@pytest.mark.parametrize(
    "dtypes",
    [("int64", "float32"), ("int32", "int64"), ("bool", "int64"), ("float16", "int64"),
     ("float16", "float32"), ("float32", "float64")],
)
def test_cat_and_stack_promote_dtypes_like_torch(join, dtypes):
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (torch, mm):
        parts = [lib.tensor(np.array([1, 0], dtype=d)) for d in dtypes]
        floats = [p for p in parts if p.dtype in (lib.float16, lib.float32, lib.float64)]
        for p in floats:
            p.requires_grad_()
        out = getattr(lib, join)(parts)
        if floats:
            (out * 2).sum().backward()
        results[lib.__name__] = (str(out.dtype).replace("torch.", ""), out.tolist(),
                                 [(str(p.grad.dtype).replace("torch.", ""), p.grad.tolist()) for p in floats])
    assert results["minimod"] == results["torch"]


def test_comparison_methods_and_value_tests_match_torch():
    torch = pytest.importorskip("torch")
    values = [1.0, float("nan"), float("inf"), -2.0]
    results = {}
    for lib in (torch, mm):
        x = lib.tensor(values)
        y = lib.tensor([1.0, 0.0, 3.0, -3.0])
        results[lib.__name__] = [
            t.tolist() for t in (x.eq(y), x.ne(y), x.lt(y), x.le(y), x.gt(y), x.ge(1.0), x.isnan(), x.isinf(),
                                 x.isfinite(), lib.isnan(x), lib.isfinite(x))
        ]
    assert results["minimod"] == results["torch"]


def test_masks_and_scans_refuse_what_torch_refuses():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        x = lib.ones(2, 3)
        with pytest.raises(RuntimeError, match="only supports boolean masks"):
            x.masked_fill(lib.ones(2, 3), 0.0)
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            lib.ones(3).tril()
        with pytest.raises(RuntimeError, match="only supported on matrices or batches of matrices"):
            _ = lib.ones(3).mT
        with pytest.raises(IndexError, match="Dimension out of range"):
            x.cumsum(2)
        assert x.cumsum(1).tolist() == [[1.0, 2.0, 3.0]] * 2
        assert lib.tensor([True, True]).cumsum(0).dtype == lib.int64
    with pytest.raises(RuntimeError, match=r"mask \(4,\) must broadcast to the tensor's \(2, 3\)"):
        mm.ones(2, 3).masked_fill(mm.tensor([True, False, True, False]), 0.0)
    with pytest.raises(RuntimeError, match="value tensor that requires grad is not in minimod"):
        mm.ones(2).masked_fill(mm.tensor([True, False]), mm.tensor(1.0, requires_grad=True))
    assert mm.ones(2).masked_fill(mm.tensor([True, False]), mm.tensor(5.0)).tolist() == [5.0, 1.0]


def test_chunk_split_and_unbind_give_torchs_pieces():
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (torch, mm):
        x = lib.arange(12.0).reshape(6, 2)
        results[lib.__name__] = [
            [tuple(piece.shape) for piece in pieces]
            for pieces in (x.chunk(4), x.chunk(6), x.chunk(2, dim=1), x.split(4), x.split([1, 5]),
                           x.unbind(1), lib.arange(6.0).chunk(4))
        ]
    assert results["minimod"] == results["torch"]
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to 6"):
        mm.ones(6, 2).split([1, 2])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        mm.ones(6).chunk(0)


def test_a_piece_of_a_split_in_the_graph_is_a_view():
    """Pieces share the tensor's storage and version: an in-place change of one is refused in the graph
    (as for any view, minimod cannot record it), and a change under no_grad is seen by backward."""
    x = mm.ones(4, 2, requires_grad=True)
    h = x * 2
    top, _ = h.chunk(2)
    with pytest.raises(RuntimeError, match="in-place change of a view"):
        top.mul_(2)
    y = x.exp()
    first, _ = y.split(2)
    loss = y.sum()
    with mm.no_grad():
        first.add_(1)
    assert y[0, 0].item() == pytest.approx(np.e + 1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_gather_and_norm_refuse_what_torch_refuses():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        x = lib.ones(3, 4)
        with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions"):
            x.gather(1, lib.tensor([0, 1]))
        with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
            x.gather(1, lib.tensor([[4], [0], [0]]))
        with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input"):
            lib.ones(2, dtype=lib.int64).norm()
        with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be smaller"):
            x.repeat(2)
        assert x.norm().item() == pytest.approx(12 ** 0.5) and lib.zeros(3).norm().item() == 0.0
    with pytest.raises(RuntimeError, match=r"norm with p=3 is not in minimod; use p=2 \(the default\)"):
        mm.ones(3).norm(p=3)
    z = mm.zeros(3, requires_grad=True)
    z.norm().backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]  # torch's subgradient at 0


def test_layout_and_new_tensors_match_torch():
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (torch, mm):
        x = lib.ones(3, 4)
        t = x.t()
        made = [x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2,), 7), x.new_empty(1),
                lib.ones(2, dtype=lib.int64).new_zeros(2)]
        results[lib.__name__] = (
            x.is_contiguous(), t.is_contiguous(), tuple(t.stride()), t.stride(1), t.stride(-1),
            x.element_size(), x.nbytes, x.itemsize, [tuple(m.shape) for m in made],
            [str(m.dtype).replace("torch.", "") for m in made], made[2].tolist(),
            x.new_zeros(2, requires_grad=True).requires_grad, lib.tensor([1, 2]).floor().tolist(),
        )
    assert results["minimod"] == results["torch"]


def test_normal_and_uniform_fill_in_place_from_the_seeded_generator():
    x = mm.empty(1000)
    same = x
    mm.manual_seed(0)
    x.normal_(2.0, 0.5)
    assert x is same and abs(x.mean().item() - 2.0) < 0.1 and abs(x.std().item() - 0.5) < 0.05
    first = x.tolist()
    mm.manual_seed(0)
    assert mm.empty(1000).normal_(2.0, 0.5).tolist() == first
    u = mm.empty(1000).uniform_(-1.0, 3.0)
    assert -1.0 <= u.min().item() and u.max().item() <= 3.0 and abs(u.mean().item() - 1.0) < 0.15
    w = mm.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.normal_()
    with mm.no_grad():
        w.uniform_()
    assert w.requires_grad and w.is_leaf


def test_products_by_rank_refuse_other_ranks_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, mm):
        with pytest.raises(RuntimeError, match="self must be a matrix"):
            lib.ones(3).mm(lib.ones(3, 2))
        with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
            lib.ones(2, 3).bmm(lib.ones(2, 3, 4))
        with pytest.raises(RuntimeError, match="1D tensors expected, but got 1D and 2D tensors"):
            lib.ones(2).dot(lib.ones(2, 2))
        with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x2\)"):
            lib.ones(2, 3).mm(lib.ones(4, 2))
        with pytest.raises(RuntimeError, match="exceeds dimension size"):
            lib.ones(3, 4).narrow(1, 3, 2)
        assert lib.tensor([3.0, 1.0, 2.0]).argsort().tolist() == [1, 2, 0]
        assert lib.tensor([3.0, 1.0, 2.0]).argsort(descending=True).tolist() == [0, 2, 1]
        assert lib.tensor([[3.0, 1.0, 2.0]]).topk(2).indices.tolist() == [[0, 2]]


@pytest.mark.parametrize("left, right", [
    ("float", 2), (2, "float"), ("float", 0.5), (0.5, "int"), ("int", 0.5), ("int", "float"),
    ("float", "int"), ("int", 3), (True, "float"), ("float", "array"), ("bool", "int"),
])
@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's, for a numpy array operand
def test_binary_operators_take_a_tensor_number_or_array_on_either_side_like_torch(left, right, op):
    torch = pytest.importorskip("torch")
    import operator

    def make(lib, kind):
        values = {"float": np.array([1.5, -2.0, 3.0], np.float32), "int": np.array([1, -2, 3]),
                  "bool": np.array([True, False, True]), "array": None}
        if not isinstance(kind, str):
            return kind
        if kind == "array":
            return np.array([0.5, 1.0, -1.0], np.float32)
        return lib.tensor(values[kind])

    if op == "sub" and ("bool" in (left, right) or left is True):
        pytest.skip("torch refuses subtraction of bools")
    function = getattr(operator, op)
    ours = function(make(mm, left), make(mm, right))
    theirs = function(make(torch, left), make(torch, right))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_an_array_on_the_left_of_an_operator_gives_the_tensor_result():
    x = mm.tensor([1.5, -2.0, 3.0], requires_grad=True)
    array = np.array([0.5, 1.0, -1.0], np.float32)
    for result, expected in ((array + x, x + array), (array * x, x * array), (array - x, -(x - array))):
        assert isinstance(result, mm.Tensor) and result.requires_grad
        np.testing.assert_allclose(result.numpy(), expected.numpy())
