"""A hook that returns a wrong value fails with PyTorch's error type and words, checked against torch."""

import pytest

import minimod


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 6), lib.nn.ReLU(), lib.nn.Linear(6, 2))


def _backward(lib, net):
    net(lib.randn(4, 3, requires_grad=True)).sum().backward()


def _full_hook(returns):
    def install(lib, net):
        net[2].register_full_backward_hook(lambda module, grad_input, grad_output: returns(grad_input,
                                                                                            grad_output))
        _backward(lib, net)
    return install


def _pre_hook(returns):
    def install(lib, net):
        net[2].register_full_backward_pre_hook(lambda module, grad_output: returns(grad_output))
        _backward(lib, net)
    return install


def _forward_hook(returns):
    def install(lib, net):
        net[0].register_forward_hook(lambda module, args, output: returns(args, output))
        net(lib.randn(4, 3))
    return install


SIZE = "hook 'hook' has changed the size of value"
NOT_A_TENSOR = "relu(): argument 'input' (position 1) must be Tensor, not tuple"

CASES = [
    pytest.param(_full_hook(lambda gi, go: (go[0],)), RuntimeError, SIZE, id="backward-returns-grad_output"),
    pytest.param(_full_hook(lambda gi, go: (gi[0].sum(),)), RuntimeError,
                 "hook 'hook' has changed the size of value", id="backward-returns-a-number"),
    pytest.param(_full_hook(lambda gi, go: (gi[0].double(),)), RuntimeError,
                 "hook 'hook' has changed the type of value (was {lib}.FloatTensor got {lib}.DoubleTensor)",
                 id="backward-changes-dtype"),
    pytest.param(_full_hook(lambda gi, go: ("grads",)), TypeError,
                 "expected Variable, but hook returned 'str'", id="backward-returns-a-string"),
    pytest.param(_full_hook(lambda gi, go: (gi[0], gi[0])), RuntimeError,
                 "Backward hook returned an invalid number of grad_input, got 2, but expected 1",
                 id="backward-returns-two"),
    pytest.param(_pre_hook(lambda go: (go[0].T,)), RuntimeError, "hook 'hook' has changed the size of value",
                 id="backward-pre-hook-transposes"),
    pytest.param(_forward_hook(lambda args, output: (output,)), TypeError,
                 NOT_A_TENSOR, id="forward-returns-a-tuple"),
    pytest.param(_forward_hook(lambda args, output: args), TypeError,
                 NOT_A_TENSOR, id="forward-returns-args"),
]


@pytest.mark.parametrize(("install", "error", "message"), CASES)
def test_minimod_says_what_torch_says(install, error, message):
    with pytest.raises(error) as caught:
        install(minimod, _net(minimod))
    assert str(caught.value) == message.format(lib="minimod")


@pytest.mark.parametrize(("install", "error", "message"), CASES)
def test_torch_says_it(install, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as caught:
        install(torch, _net(torch))
    assert str(caught.value) == message.format(lib="torch")


def test_a_hook_that_returns_the_same_shape_still_replaces_the_gradient():
    net = _net(minimod)
    net[2].register_full_backward_hook(lambda module, grad_input, grad_output: (grad_input[0] * 0,))
    x = minimod.randn(4, 3, requires_grad=True)
    net(x).sum().backward()
    assert float(x.grad.abs().sum().item()) == 0.0
