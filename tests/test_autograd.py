"""The backward machinery: graph nodes, accumulation, grad mode, guards with clear errors, hooks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import minimod as mm
from minimod.autograd import AccumulateGrad, Function, register_op_observer

# --- graph structure ----------------------------------------------------------------------------


def test_leaves_and_grad_fn():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    c = mm.tensor([3.0, 4.0])
    y = x * c
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn.name() == "MulBackward0"
    (node_x, index_x), (node_c, _) = y.grad_fn.next_functions
    assert isinstance(node_x, AccumulateGrad) and node_x.variable is x and index_x == 0
    assert node_c is None  # a constant gets no edge
    assert y.grad_fn.next_functions[0][0] is x.grad_fn or node_x is AccumulateGrad.of(x)


def test_next_functions_chain_like_torch():
    torch = pytest.importorskip("torch")

    def chain(lib):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([0.5, 0.5], requires_grad=True)
        out = ((lib.tensor([1.0, 1.0]) * w + b).relu().sum())
        names, node = [], out.grad_fn
        while node is not None:
            names.append(node.name().replace("torch::autograd::", ""))
            edges = [n for n, _ in node.next_functions if n is not None]
            node = edges[0] if edges else None
        return names

    assert chain(mm) == chain(torch)


def test_gradients_accumulate_across_backward_calls():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_input_and_diamond_sum_gradients():
    x = mm.tensor(2.0, requires_grad=True)
    a = x * 3
    y = a * a + a.exp() + x  # a feeds two paths; x feeds two nodes
    y.backward()
    expected = 2 * 3 * 6.0 + 3 * np.exp(6.0) + 1
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-6)


def test_a_node_waits_for_every_path_before_running():
    # r = a + 3a: the short path (r -> a) is found before the long one (r -> b -> a)
    x = mm.tensor(1.0, requires_grad=True)
    a = x * 2
    b = a * 3
    (a + b).backward()
    assert x.grad.item() == 8.0


def test_random_dags_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(20):
        plan = [(int(rng.integers(0, i + 1)), int(rng.integers(0, i + 1)), int(rng.integers(0, 3)))
                for i in range(12)]
        grads = []
        for lib in (mm, torch):
            x = lib.tensor([0.3, -0.2], dtype=lib.float64, requires_grad=True)
            nodes = [x]
            for i, j, kind in plan:
                a, b = nodes[i], nodes[j]
                nodes.append(a * b if kind == 0 else a + b.tanh() if kind == 1 else (a - b).sigmoid())
            sum(n.sum() for n in nodes[-4:]).backward()
            grads.append(x.grad.numpy() if lib is mm else x.grad.detach().numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


def test_non_leaf_grad_is_none_unless_retained():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = x * 3
    z.retain_grad()
    (y.sum() + (z * z).sum()).backward()
    assert y.grad is None
    np.testing.assert_allclose(z.grad.numpy(), [6.0, 12.0])


def test_repeated_integer_indices_accumulate():
    x = mm.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mm.tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_max_backward_picks_the_argmax():
    x = mm.tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 0.0]], requires_grad=True)
    x.max(dim=1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


# --- guards --------------------------------------------------------------------------------------


def test_backward_of_non_scalar_needs_a_gradient():
    y = mm.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(mm.tensor([1.0, 0.0, 2.0]))


def test_gradient_shape_must_match():
    y = mm.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of \(2,\)"):
        y.backward(mm.ones(2))


def test_backward_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        mm.ones(2).sum().backward()


def test_second_backward_through_freed_graph_raises():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_inplace_change_of_a_saved_tensor_is_caught():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()  # saves its output
    loss = y.sum()
    with mm.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*SigmoidBackward0.*version 1"):
        loss.backward()


def test_inplace_change_of_a_leaf_after_use_is_caught():
    w = mm.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with mm.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_inplace_through_detach_shares_the_version():
    w = mm.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_inplace_change_through_a_view_is_caught():
    w = mm.ones(4, requires_grad=True)
    loss = (w * w).sum()
    with mm.no_grad():
        w[:2].mul_(3)  # a basic index is a view: it shares w's storage and version counter
    assert w.tolist() == [3.0, 3.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    x = mm.ones(2, 2, requires_grad=True)
    y = x.exp()
    loss = y.sum() * y.sum()
    with mm.no_grad():
        y.view(4).add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_copies_do_not_share_versions():
    w = mm.ones(4, requires_grad=True)
    picked = w[mm.tensor([0, 1])]  # integer-array indexing copies
    assert picked._version is not w._version
    assert w.reshape(2, 2)._version is w._version


def test_inplace_change_of_unsaved_tensor_is_fine():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    c = mm.tensor([5.0, 5.0])
    y = (x + c).sum()  # Add saves nothing
    c.add_(1)
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("expr,shapes", [
    ("a + b", ((2, 3), (2, 4))),
    ("a - b", ((3,), (4,))),
    ("a * b", ((2, 3, 4), (3, 5))),
    ("a / b", ((5, 2), (3, 1, 4))),
])
def test_broadcast_error_names_op_and_both_shapes(expr, shapes):
    a, b = (mm.ones(*s, requires_grad=True) for s in shapes)
    with pytest.raises(RuntimeError) as info:
        eval(expr)
    message = str(info.value)
    assert "must match the size of tensor b" in message
    assert str(shapes[0]) in message and str(shapes[1]) in message
    assert message.split(":")[0] in {"add", "sub", "mul", "div"}


def test_shape_errors_of_where_pow_and_cat_name_the_op_and_the_shapes():
    a, b = mm.ones(2, 3), mm.ones(2, 4)
    with pytest.raises(RuntimeError, match=r"^where: .*tensor a \(3\) must match the size of tensor c \(4\)"):
        mm.where(a > 0, a, b)
    with pytest.raises(RuntimeError, match=r"^pow: .*\(shapes \(2, 3\) and \(2, 4\)\)"):
        a ** b
    with pytest.raises(RuntimeError, match=r"in the list\. \(cat of shapes \(2, 3\) and \(2, 4\)\)"):
        mm.cat([a, b])


def test_broadcast_error_matches_torch_wording():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as expected:
        torch.ones(2, 3) + torch.ones(4)
    with pytest.raises(RuntimeError) as got:
        mm.ones(2, 3) + mm.ones(4)
    assert str(expected.value) in str(got.value)


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(4, 5\)"):
        mm.ones(2, 3) @ mm.ones(4, 5)


def test_matmul_error_uses_torch_wording():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        mm.ones(2, 3) @ mm.ones(4, 5)


def test_cat_errors_like_torch():
    expected = "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor"
    with pytest.raises(RuntimeError, match=expected):
        mm.cat([mm.ones(2, 3), mm.ones(3, 3)], dim=1)
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        mm.cat([mm.ones(2, 3), mm.ones(3)])
    assert mm.cat([mm.ones(2, 3), mm.ones(2, 1)], dim=-1).shape == (2, 4)


def test_reshape_error_like_torch():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 4\]' is invalid for input of size 6"):
        mm.ones(2, 3).reshape(4, 4)


# --- grad mode -----------------------------------------------------------------------------------


def test_no_grad_builds_no_graph():
    x = mm.ones(2, requires_grad=True)
    with mm.no_grad():
        y = x * 2
        assert not mm.is_grad_enabled()
        with mm.enable_grad():
            z = x * 2
            assert mm.is_grad_enabled()
    assert mm.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_decorator_and_exception_safety():
    @mm.no_grad()
    def double(t):
        return t * 2

    x = mm.ones(2, requires_grad=True)
    assert not double(x).requires_grad
    assert mm.is_grad_enabled()
    with pytest.raises(ValueError):
        with mm.no_grad():
            raise ValueError("boom")
    assert mm.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    try:
        mm.set_grad_enabled(False)
        assert not mm.is_grad_enabled()
    finally:
        mm.set_grad_enabled(True)
    with mm.set_grad_enabled(False):
        assert not mm.is_grad_enabled()
    assert mm.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with mm.no_grad():
        thread = threading.Thread(target=lambda: seen.append(mm.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


# --- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [mm.float16, mm.float32, mm.float64])
def test_grads_keep_the_dtype(dtype):
    x = mm.tensor([0.5, 1.5], dtype=dtype, requires_grad=True)
    w = mm.tensor([2.0, 3.0], dtype=dtype, requires_grad=True)
    ((x * w).tanh() + x.exp() / w).sum().backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_mixed_precision_grads_are_cast_back():
    x = mm.tensor([1.0, 2.0], dtype=mm.float32, requires_grad=True)
    y = mm.tensor([3.0, 4.0], dtype=mm.float64, requires_grad=True)
    out = x * y
    assert out.dtype == mm.float64
    out.sum().backward()
    assert x.grad.dtype == mm.float32 and y.grad.dtype == mm.float64


# --- hooks and observers -------------------------------------------------------------------------


def test_tensor_hooks_see_and_replace_gradients():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    handle = y.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: seen.append(("leaf", g.tolist())))
    (y * y).sum().backward()
    assert seen[0] == [4.0, 8.0] and seen[1] == ("leaf", [80.0, 160.0])
    assert x.grad.tolist() == [80.0, 160.0]
    handle.remove()
    x.grad = None
    (x * 2 * 1).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_leaf_hook_runs_once_on_the_total_gradient():
    x = mm.tensor([1.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 2 + x * 3).sum().backward()
    assert calls == [5.0]


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        mm.ones(2).register_hook(lambda g: g)


def test_op_observer_sees_every_op_and_can_be_removed():
    seen = []
    x = mm.ones(2, requires_grad=True)
    with register_op_observer(lambda cls, args, out: seen.append(cls.__name__)):
        (x * 2 + 1).sum()
    (x * 2).sum()
    assert seen == ["Mul", "Add", "Sum"]


# --- custom Functions ----------------------------------------------------------------------------


class Cube(Function):
    """z = x³;  dz/dx = 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


def test_custom_function():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_wrong_number_of_gradients_is_reported():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    a, b = mm.ones(2, requires_grad=True), mm.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="BrokenBackward0 returned an incorrect number of gradients"):
        Broken.apply(a, b).sum().backward()


def test_long_chain_does_not_recurse():
    x = mm.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001**5000, rtol=1e-3)


# --- edges are bound when a node is made ---------------------------------------------------------


def test_next_functions_keep_the_history_a_node_saw_when_it_was_made():
    x = mm.tensor([-1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h + 1
    h.relu_()  # h's grad_fn is now ReluBackward0; y's edge still points at MulBackward0
    assert h.grad_fn.name() == "ReluBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    (y.sum() + h.sum()).backward()
    assert x.grad.tolist() == [2.0, 4.0]  # 2 (through y) + 0 and 2 (through relu'd h)


def test_a_leaf_that_stops_requiring_grad_gets_no_gradient_like_torch():
    a = mm.ones(2, requires_grad=True)
    y = (a * 2).sum()
    a.requires_grad_(False)
    y.backward()
    assert a.grad is None  # torch: None too (AccumulateGrad looks at the leaf when it runs)


# --- leaf gradients own their memory -----------------------------------------------------------------


def _private(grad, *others):
    """grad shares memory with none of others, and writing to it changes none of them."""
    return all(not np.shares_memory(grad.numpy(), np.asarray(o)) for o in others)


def test_one_array_given_to_two_leaves_becomes_two_grads():
    a, b = mm.tensor([1.0, 2.0], requires_grad=True), mm.tensor([3.0, 4.0], requires_grad=True)
    ((a + b) * 2).sum().backward()  # Add hands the same (writable, fresh) gradient array to both inputs
    assert _private(a.grad, b.grad.numpy())
    a.grad.numpy()[:] = 7
    assert b.grad.tolist() == [2.0, 2.0]


def test_a_gradient_kept_by_a_hook_is_not_the_leafs_grad():
    kept = []
    x = mm.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: kept.append(g))
    h = x * 2
    h.register_hook(lambda g: kept.append(g))
    (h * 3).sum().backward()
    assert _private(x.grad, *(g.numpy() for g in kept))
    assert x.grad.tolist() == [6.0, 6.0, 6.0]


def test_the_scratch_pool_never_hands_out_a_grads_memory():
    # large gradients come from the scratch pool, which hands an array out again once only it holds it
    from minimod.kernels import scratch

    x = mm.tensor(np.random.default_rng(0).normal(size=(256, 1024)).astype(np.float32), requires_grad=True)
    mm.nn.functional.relu(x).sum().backward()
    before = x.grad.numpy().copy()
    handed_out = [scratch.empty((256, 1024), np.float32) for _ in range(scratch.PER_SHAPE + 1)]
    assert _private(x.grad, *handed_out)
    other = mm.tensor(np.ones((256, 1024), np.float32), requires_grad=True)
    for _ in range(3):
        (mm.nn.functional.relu(other) * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), before)


def test_a_gradient_nobody_else_holds_is_taken_without_a_copy():
    # Linear's weight gradient is a fresh product (seen through a transpose): it becomes weight.grad as it
    # is, where a copy of an MLP's weight gradients took 20 us a step
    layer = mm.nn.Linear(4, 3)
    layer(mm.ones(2, 4)).sum().backward()
    grad = layer.weight.grad.numpy()
    assert grad.base is not None and grad.flags.c_contiguous and grad.flags.writeable
    np.testing.assert_allclose(grad, np.full((3, 4), 2.0))
    layer(mm.ones(2, 4)).sum().backward()  # accumulates into it
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.full((3, 4), 4.0))


def test_a_user_gradient_given_to_backward_is_not_a_leafs_grad():
    x = mm.tensor([1.0, 2.0], requires_grad=True)
    seed = mm.tensor([0.5, 0.25])
    x.backward(seed)
    assert _private(x.grad, seed.numpy())
    y = mm.tensor([1.0, 2.0], requires_grad=True)
    (y * 1).backward(seed)
    assert _private(y.grad, seed.numpy()) and y.grad.tolist() == [0.5, 0.25]


# --- graphs recorded as torch records them ----------------------------------------------------------


def test_flatten_of_a_single_dim_returns_the_tensor_itself_as_torch_does():
    x = mm.randn(4, 6, requires_grad=True)
    assert x.flatten(1, 1) is x and x.flatten(-1, -1) is x
    assert x.flatten(0, 1).shape == (24,)


def _graph_names(output) -> list[str]:
    """Every node's name, breadth first from output's grad_fn (AccumulateGrad included)."""
    names, queue = [], [output.grad_fn]
    while queue:
        node = queue.pop(0)
        names.append(node.name().replace("torch::autograd::", ""))
        queue.extend(n for n, _ in node.next_functions if n is not None)
    return names


def _adaptive(size):
    return lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, size)


GRAPHS = [  # (name, input shapes, the op given the library)
    ("adaptive_avg_pool2d to 1x1", [(2, 3, 4, 4)], _adaptive(1)),  # torch: the spatial mean
    ("adaptive_avg_pool2d to (1, 1), unbatched", [(3, 4, 4)], _adaptive((1, 1))),
    ("adaptive_avg_pool2d to 2x2", [(2, 3, 4, 4)], _adaptive(2)),
    ("t of a matrix", [(4, 6)], lambda lib, x: x.t()),
    ("t of a vector", [(4,)], lambda lib, x: x.t()),
    ("reshape of a contiguous tensor", [(4, 6)], lambda lib, x: x.reshape(3, 8)),
    ("reshape that must copy", [(4, 6)], lambda lib, x: x.t().reshape(-1)),
    ("reshape of a strided view", [(4, 6)], lambda lib, x: x[:, ::2].reshape(12)),
    ("reshape of a transpose, same shape", [(4, 6)], lambda lib, x: x.t().reshape(6, 4)),
    ("flatten that must copy", [(2, 3, 4)], lambda lib, x: x.transpose(0, 2).flatten(1)),
    ("flatten of a strided view", [(4, 6)], lambda lib, x: x[:, ::2].flatten()),
    ("flatten of a scalar", [()], lambda lib, x: x.flatten()),
    ("sin, cos, square", [(2, 3)], lambda lib, x: x.sin() * x.cos() + x.square()),
    ("masked_fill with a causal mask", [(2, 3, 3)],
     lambda lib, x: x.masked_fill(lib.ones(3, 3).triu(1) > 0, 0)),
    ("tril and triu", [(3, 4)], lambda lib, x: x.tril(1) - x.triu()),
    ("cumsum", [(3, 4)], lambda lib, x: x.cumsum(0)),
    ("softmax and log_softmax methods", [(2, 4)], lambda lib, x: x.softmax(1) + x.log_softmax(-1)),
    ("mT, expand_as, reshape_as, view_as", [(3, 1)],
     lambda lib, x: x.mT.expand_as(lib.ones(2, 1, 3)).reshape_as(lib.ones(6)).view_as(lib.ones(2, 3))),
    ("min of a tensor and along a dim", [(3, 4)], lambda lib, x: x.min() + x.min(1).values.sum()),
    ("reciprocal, rsqrt, log1p, expm1", [(2, 3)],
     lambda lib, x: x.reciprocal() + x.abs().rsqrt() + x.abs().log1p() + x.expm1()),
    ("sign, floor, ceil, round", [(2, 3)], lambda lib, x: x.sign() + x.floor() + x.ceil() + x.round()),
    ("clamp_min, clamp_max", [(2, 3)], lambda lib, x: x.clamp_min(0) * x.clamp_max(0.5)),
    ("norm, whole and along a dim", [(3, 4)], lambda lib, x: x.norm() + x.norm(p=1, dim=1).sum()),
    ("flip, roll, repeat", [(2, 3)], lambda lib, x: x.flip(1).roll(1, 0).repeat(2, 2)),
    ("chunk and split", [(5, 2)], lambda lib, x: x.chunk(2)[0] * x.split([2, 3])[1]),
    ("unbind", [(3, 2)], lambda lib, x: x.unbind(0)[2] + x.unbind(0)[0]),
    ("gather", [(3, 4)], lambda lib, x: x.gather(1, lib.tensor([[0, 0], [2, 1], [3, 3]]))),
    ("prod, whole and along a dim", [(3, 4)], lambda lib, x: x.prod() + x.prod(1).sum()),
    ("amax and amin", [(3, 4)], lambda lib, x: x.amax(1) + x.amin(1)),
    ("sort and topk", [(3, 4)], lambda lib, x: x.sort(1).values[:, :2] * x.topk(2, dim=1).values),
    ("narrow", [(3, 4)], lambda lib, x: x.narrow(1, 1, 2)),
    ("dot, mv, mm, bmm, outer", [(3, 4), (4,)],
     lambda lib, x, v: x.mv(v).dot(x.mm(x.t()).sum(1)) + x.reshape(1, 3, 4).bmm(x.t().reshape(1, 4, 3)).sum()
     + v.outer(v).sum()),
]


def _matmul(a, b):
    return lambda lib, x, y: x @ y


# at::matmul's every branch: dot, mv, 1-D @ 2-D, mm, the batch folded into rows (mm or mv, either side,
# with and without a copy), the batch broadcast into bmm; which branch can hang on which side needs a
# gradient, so each shape pair runs with both, only the left and only the right operand requiring it
MATMUL_SHAPES = [
    ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 2, 3, 4), (2, 2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 5)), ((1, 3, 4), (2, 2, 4, 5)), ((5,), (2, 3, 5, 4)), ((2, 2, 3, 4), (4,)),
]
GRAPHS += [
    (f"matmul {a} @ {b}, grad {which}", [a, b], _matmul(a, b), grads)
    for a, b in MATMUL_SHAPES
    for which, grads in (("both", (True, True)), ("left", (True, False)), ("right", (False, True)))
]
GRAPHS += [
    ("matmul of a transposed batch @ matrix", [(3, 2, 4), (4, 5)], lambda lib, x, y: x.transpose(0, 1) @ y),
    ("matmul of a transposed batch @ matrix, no weight grad", [(3, 2, 4), (4, 5)],
     lambda lib, x, y: x.transpose(0, 1) @ y, (True, False)),
    ("matmul of a transposed batch @ vector, no vector grad", [(3, 2, 4), (4,)],
     lambda lib, x, y: x.transpose(0, 1) @ y, (True, False)),
    ("attention scores q @ kT", [(2, 2, 3, 4), (2, 2, 3, 4)], lambda lib, q, k: q @ k.transpose(-2, -1)),
]


@pytest.mark.parametrize(("shapes", "op", "grads"), [(*case[1:3], case[3] if len(case) > 3 else None)
                                                     for case in GRAPHS], ids=[case[0] for case in GRAPHS])
def test_graph_nodes_are_named_and_linked_like_torchs(shapes, op, grads):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    grads = grads or (True,) * len(shapes)
    results = {}
    for lib in (mm, torch):
        inputs = [lib.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
        out = op(lib, *inputs)
        out.sum().backward()
        results[lib.__name__] = (
            _graph_names(out), [t.grad.numpy() for t in inputs if t.requires_grad], out.detach().numpy()
        )
    (mm_names, mm_grads, mm_out), (torch_names, torch_grads, torch_out) = results.values()
    assert mm_names == torch_names
    np.testing.assert_allclose(mm_out, torch_out, rtol=1e-5, atol=1e-6)
    for got, want in zip(mm_grads, torch_grads):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# --- execution order ------------------------------------------------------------------------------


def _ready_heap_order(root):
    """The specification of _execution_order: Kahn's algorithm that runs, of the nodes whose gradients are
    all in, the newest first (torch's engine)."""
    import heapq

    dependencies = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent, _ in node.parents:
            if parent is None:
                continue
            if parent not in dependencies:
                dependencies[parent] = 0
                stack.append(parent)
            dependencies[parent] += 1
    order, ready = [], [(-root.sequence_nr, root)]
    while ready:
        node = heapq.heappop(ready)[1]
        order.append(node)
        for parent, _ in node.parents:
            if parent is None:
                continue
            dependencies[parent] -= 1
            if dependencies[parent] == 0:
                heapq.heappush(ready, (-parent.sequence_nr, parent))
    return order


@pytest.mark.parametrize("seed", range(20))
def test_execution_order_is_the_ready_heap_order_on_random_graphs(seed):
    from minimod.autograd import _execution_order

    rng = np.random.default_rng(seed)
    leaves = [mm.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True) for _ in range(3)]
    values = list(leaves) + [mm.tensor(np.ones(3, np.float32))]
    for _ in range(int(rng.integers(5, 40))):
        a, b = (values[int(i)] for i in rng.integers(0, len(values), 2))
        op = int(rng.integers(0, 4))
        out = a + b if op == 0 else a * b if op == 1 else (a - b).relu() if op == 2 else a.sum() * b
        if out.requires_grad and rng.random() < 0.2:
            out = out * 1.0
            out.add_(leaves[0])  # an in-place op: the tensor takes a newer node
        values.append(out)
    root = sum((v.sum() for v in values[-4:] if v.requires_grad), mm.tensor(0.0)).grad_fn
    assert _execution_order(root) == _ready_heap_order(root)
