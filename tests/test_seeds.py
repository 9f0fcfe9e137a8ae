"""The seed documents' snippets, written in minimod: what they print (names, order, shapes) is checked.

Where minimod (following PyTorch) differs from what a seed shows, e.g. MegEngine listing names in
sorted order, the comment says so and the test asserts minimod's behaviour.
"""

from __future__ import annotations

import types
from collections import OrderedDict

import numpy as np
import pytest

import minimod as mm
import minimod.nn.functional as F
from minimod import nn
from minimod.zoo import (
    BaseNet,
    BigNet,
    ConvBn,
    ConvNet,
    DynamicNet,
    MyLinear,
    NestedNet,
    Net,
    ResUnit,
    RunningMean,
    SimpleModel,
)

# --- seed 000: MegEngine, "Module base class concept and interface introduction" --------------------


def test_simple_model_parameters_in_registration_order(capsys):
    model = SimpleModel()
    assert isinstance(model.parameters(), types.GeneratorType)
    assert isinstance(model.named_parameters(), types.GeneratorType)
    for name, parameter in model.named_parameters():
        print(name, parameter.tolist())
    # MegEngine sorts by name (bias, then weight); PyTorch and minimod keep registration order.
    assert capsys.readouterr().out == "weight [1.0, 2.0, 3.0, 4.0]\nbias [0.0, 0.0, 1.0, 1.0]\n"
    assert model(mm.tensor([1.0, 1.0, 1.0, 1.0])).tolist() == [1.0, 2.0, 4.0, 5.0]


def test_simple_model_members_are_modifiable_outside_autograd():
    model = SimpleModel()
    # `model.bias[0] = 1` works in MegEngine; in PyTorch and minimod a parameter is a leaf that
    # requires grad, so an in-place change must happen under no_grad (as optimizers do it).
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        model.bias[0] = 1
    with mm.no_grad():
        model.bias[0] = 1
    assert model.bias.tolist() == [1.0, 0.0, 1.0, 1.0]


def test_nested_net_children_and_modules(capsys):
    nested_net = NestedNet()
    for name, _child in nested_net.named_children():
        print(name)
    # registration order (MegEngine prints sorted: base_net, linear, relu)
    assert capsys.readouterr().out == "base_net\nrelu\nlinear\n"
    for name, _module in nested_net.named_modules():
        print(name)
    # named_modules starts with the root itself, whose name is ""
    assert capsys.readouterr().out == "\nbase_net\nbase_net.linear\nrelu\nlinear\n"


def test_nested_net_parameters(capsys):
    nested_net = NestedNet()
    for name, _parameter in nested_net.base_net.named_parameters():
        print(name)
    assert capsys.readouterr().out == "linear.weight\nlinear.bias\n"
    assert nested_net.base_net.linear.bias.shape == (3,)
    for name, _parameter in nested_net.named_parameters():
        print(name)
    assert capsys.readouterr().out == (
        "base_net.linear.weight\nbase_net.linear.bias\nlinear.weight\nlinear.bias\n"
    )
    for name, _parameter in nested_net.named_parameters():
        if "bias" in name:
            print(name)
    assert capsys.readouterr().out == "base_net.linear.bias\nlinear.bias\n"


def test_nested_net_forward_returns_its_output():
    # the seed's NestedNet.forward forgot `return x` and BaseNet.forward called a missing self.net
    out = NestedNet()(mm.randn(2, 4))
    assert out.shape == (2, 2)


def test_replacing_a_child_module():
    nested_net = NestedNet()
    nested_net.base_net = nn.Linear(5, 3)  # replacing keeps the child's place
    assert repr(nested_net) == (
        "NestedNet(\n"
        "  (base_net): Linear(in_features=5, out_features=3, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (linear): Linear(in_features=3, out_features=2, bias=True)\n"
        ")"
    )
    assert nested_net(mm.randn(1, 5)).shape == (1, 2)
    # the seed writes `nested_net.basenet = ...` (no underscore): that adds a new, fourth child
    nested_net.basenet = nn.Linear(5, 3)
    assert [name for name, _ in nested_net.named_children()] == ["base_net", "relu", "linear", "basenet"]


def test_sharing_parameters_between_modules():
    nested_net = NestedNet()
    base_net = BaseNet()
    for name, parameter in base_net.named_parameters():
        if name == "linear.weight":
            nested_net.base_net.linear.weight = parameter
        if name == "linear.bias":
            nested_net.base_net.linear.bias = parameter
    assert nested_net.base_net.linear.weight is base_net.linear.weight
    assert nested_net.base_net.linear.bias is base_net.linear.bias
    with mm.no_grad():
        base_net.linear.weight.fill_(0.5)  # one tensor, seen from both modules
    assert np.all(nested_net.base_net.linear.weight.numpy() == 0.5)


def test_train_and_eval_switch_every_submodule():
    nested_net = NestedNet()
    assert all(m.training for m in nested_net.modules())
    nested_net.eval()
    assert not any(m.training for m in nested_net.modules())
    nested_net.train()
    assert all(m.training for m in nested_net.modules())


def test_batchnorm_parameters_buffers_and_state_dict(capsys):
    bn = nn.BatchNorm2d(10)
    for name, _ in bn.named_parameters():
        print(name)
    for name, _ in bn.named_buffers():
        print(name)
    # MegEngine: bias, weight / running_mean, running_var. PyTorch and minimod: registration order,
    # and a third buffer that counts the training batches seen (used when momentum=None).
    assert capsys.readouterr().out == "weight\nbias\nrunning_mean\nrunning_var\nnum_batches_tracked\n"
    state = bn.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state.keys()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    bias = state["bias"]
    assert isinstance(bias, np.ndarray) and bias.dtype == np.float32
    np.testing.assert_array_equal(bias, np.zeros(10, dtype=np.float32))
    print(repr(bn.state_dict()["bias"]))
    assert capsys.readouterr().out == (
        "array([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], dtype=float32)\n"  # as the seed shows it
    )
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        bn.state_dict()["bias"][0] = 1


# --- seed 001: MegEngine, "Defining a model structure with Module" ------------------------------------


def test_convnet_repr_and_output_shape():
    net = ConvNet()
    # the seed shows an older repr; PyTorch 2.13 (and minimod) also print Conv2d's stride and
    # MaxPool2d's dilation and ceil_mode
    assert repr(net) == (
        "ConvNet(\n"
        "  (conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (pool1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (conv2): Conv2d(10, 20, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (pool2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (fc1): Linear(in_features=320, out_features=50, bias=True)\n"
        "  (fc2): Linear(in_features=50, out_features=10, bias=True)\n"
        ")"
    )
    input = mm.tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28)))
    out = net(input.float())
    assert out.shape == (1, 10)
    assert np.all(out.numpy() >= 0)  # the seed's forward ends with a ReLU


# --- seed 003: PyTorch's "Modules" note ---------------------------------------------------------------


def test_my_linear(capsys):
    m = MyLinear(4, 3)
    out = m(mm.randn(4))
    assert out.shape == (3,)
    assert out.grad_fn.name() == "AddBackward0"
    for name, parameter in m.named_parameters():
        print(name, parameter.shape)
    assert capsys.readouterr().out == "weight (4, 3)\nbias (3,)\n"
    assert repr(m) == "MyLinear()"


def test_my_linear_named_parameters_print_like_the_note(capsys):
    mm.manual_seed(0)
    m = MyLinear(4, 3)
    print(m(mm.randn(4)))
    for parameter in m.named_parameters():
        print(parameter)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("tensor([") and lines[0].endswith("], grad_fn=<AddBackward0>)")
    assert lines[1] == "('weight', Parameter containing:"
    assert lines[2].startswith("tensor([[") and len(lines) == 8  # 4 rows of weight, then the bias
    assert lines[5].endswith("]], requires_grad=True))")
    assert lines[6] == "('bias', Parameter containing:"
    assert lines[7].startswith("tensor([") and lines[7].endswith("], requires_grad=True))")


def test_sequential_of_my_linear():
    net = nn.Sequential(MyLinear(4, 3), nn.ReLU(), MyLinear(3, 1))
    assert net(mm.randn(4)).shape == (1,)


def test_net_named_children(capsys):
    net = Net()
    for child in net.named_children():
        print(child)
    assert capsys.readouterr().out == "('l0', MyLinear())\n('l1', MyLinear())\n"


def test_big_net_named_modules(capsys):
    big_net = BigNet()
    for module in big_net.named_modules():
        print(module)
    assert capsys.readouterr().out == (
        "('', BigNet(\n"
        "  (l1): MyLinear()\n"
        "  (net): Net(\n"
        "    (l0): MyLinear()\n"
        "    (l1): MyLinear()\n"
        "  )\n"
        "))\n"
        "('l1', MyLinear())\n"
        "('net', Net(\n"
        "  (l0): MyLinear()\n"
        "  (l1): MyLinear()\n"
        "))\n"
        "('net.l0', MyLinear())\n"
        "('net.l1', MyLinear())\n"
    )
    assert big_net(mm.randn(5)).shape == (1,)


def test_dynamic_net_parameters_and_dtype_change():
    dynamic_net = DynamicNet(3)
    output = dynamic_net(mm.randn(4), "relu")
    assert output.shape == (1,)
    assert [name for name, _ in dynamic_net.named_parameters()] == [
        "linears.0.weight", "linears.0.bias", "linears.1.weight", "linears.1.bias",
        "linears.2.weight", "linears.2.bias", "final.weight", "final.bias",
    ]
    assert dynamic_net(mm.randn(4), "lrelu").shape == (1,)
    # "Move all parameters to a CUDA device": minimod has the CPU only, and says so
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        dynamic_net.to(device="cuda")
    dynamic_net.to(dtype=mm.float64)
    assert all(p.dtype == np.float64 for p in dynamic_net.parameters())
    assert dynamic_net(mm.randn(4, dtype=mm.float64), "relu").dtype == np.float64


def test_training_teaches_net_to_output_zero(capsys):
    # the note's loop, shortened (10000 -> 3000 steps) with a larger learning rate (1e-4 -> 1e-3)
    mm.manual_seed(0)
    net = Net()
    optimizer = mm.optim.SGD(net.parameters(), lr=1e-3, weight_decay=1e-2, momentum=0.9)
    probe = mm.randn(64, 4)
    with mm.no_grad():
        before = net(probe).abs().mean().item()
    for _ in range(3000):
        input = mm.randn(4)
        output = net(input)
        loss = output.abs()
        net.zero_grad()
        loss.backward()
        optimizer.step()
    with mm.no_grad():
        after = net(probe).abs().mean().item()
    assert after < 0.2 * before
    assert np.abs(net.l1.weight.numpy()).max() < 0.5  # "much closer to 0"
    print(net.l1.weight)
    out = capsys.readouterr().out
    assert out.startswith("Parameter containing:\ntensor([[") and out.endswith("]], requires_grad=True)\n")
    assert out.count("\n") == 4  # a (3, 1) weight: three rows, as the note prints it


def test_saving_and_loading_the_state_dict_as_the_note_does(tmp_path, capsys):
    net = Net()
    mm.save(net.state_dict(), tmp_path / "net.npz")  # the note: torch.save(net.state_dict(), 'net.pt')
    new_net = Net()
    print(new_net.load_state_dict(mm.load(tmp_path / "net.npz")))
    assert capsys.readouterr().out == "<All keys matched successfully>\n"
    for (name, value), (_, loaded) in zip(net.state_dict().items(), new_net.state_dict().items()):
        np.testing.assert_array_equal(value, loaded, err_msg=name)


def test_running_mean_buffers_and_state_dict(capsys, tmp_path):
    m = RunningMean(4)
    inputs = [mm.randn(4) for _ in range(10)]
    for input in inputs:
        m(input)
    expected = np.zeros(4)
    for input in inputs:
        expected = 0.9 * expected + 0.1 * input.numpy()
    np.testing.assert_allclose(m.mean.numpy(), expected, rtol=1e-5, atol=1e-6)
    print(m.state_dict())
    # the note prints OrderedDict([('mean', tensor([...]))]); minimod's values are numpy arrays, and how an
    # OrderedDict prints depends on Python (3.12 writes OrderedDict({'mean': ...})): compare with Python's own
    assert capsys.readouterr().out == repr(OrderedDict(mean=m.mean.numpy())) + "\n"
    # `unserialized_thing` was registered with persistent=False: a buffer, but not in state_dict
    assert [name for name, _ in m.named_buffers()] == ["mean", "unserialized_thing"]
    assert list(m.state_dict()) == ["mean"]
    mm.save(m.state_dict(), tmp_path / "mean.npz")  # serialized form will contain the 'mean' tensor
    m_loaded = RunningMean(4)
    m_loaded.load_state_dict(mm.load(tmp_path / "mean.npz"))
    assert np.all((m.mean == m_loaded.mean).numpy())  # the note: assert(torch.all(m.mean == m_loaded.mean))
    m.to(dtype=mm.float64)  # buffers, persistent or not, follow the module's dtype changes
    assert m.mean.dtype == np.float64 and m.unserialized_thing.dtype == np.float64


# --- seed 004: nnabla's Module API, written the minimod way ------------------------------------------


def test_conv_bn_parameters(capsys):
    conv_bn = ConvBn(32, 2)
    conv_bn(mm.randn(8, 32, 16, 16))
    for name, value in conv_bn.state_dict().items():
        print(f"{name}:{value.shape}")
    # nnabla prints conv/W, bn/beta, bn/gamma, bn/mean, bn/var, each BN one shaped (1, 2, 1, 1);
    # minimod uses PyTorch's dotted names, registration order and 1-D BatchNorm tensors
    assert capsys.readouterr().out == (
        "conv.weight:(2, 32, 1, 1)\nbn.weight:(2,)\nbn.bias:(2,)\nbn.running_mean:(2,)\nbn.running_var:(2,)\n"
        "bn.num_batches_tracked:()\n"
    )


def test_res_unit_forward_and_training_flag():
    res_unit = ResUnit(3, 64)
    x = mm.tensor(np.random.default_rng(0).random((2, 3, 32, 32), dtype=np.float32))
    train_y = res_unit(x)
    assert train_y.shape == (2, 64, 32, 32)
    assert np.all(train_y.numpy() >= 0)
    res_unit.eval()  # nnabla: conv_bn.training = False
    assert not res_unit.conv1.bn.training
    eval_y = res_unit(x)
    assert not np.allclose(train_y.numpy(), eval_y.numpy())  # batch vs running statistics
    strided = ResUnit(64, 64, stride=2)
    assert strided(train_y).shape == (2, 64, 16, 16)
    plain = ResUnit(64, 64, skip_by_conv=False)
    assert plain.skip is None and plain(train_y).shape == (2, 64, 32, 32)


# --- seed 002: OpenMMLab's walk through nn.Module --------------------------------------------------------


def test_freezing_batchnorm_in_train_mode():
    class FrozenBN(nn.Module):
        """MMDetection's trick: train() as usual, then put every BatchNorm back in eval mode."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, x):
            return self.bn(self.conv(x))

        def train(self, mode=True):
            super().train(mode)
            if mode:
                for m in self.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
            return self

    model = FrozenBN().train()
    assert model.training and model.conv.training and not model.bn.training
    model(mm.randn(2, 3, 6, 6))
    assert int(model.bn.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(model.bn.running_mean.numpy(), np.zeros(4))


def test_apply_with_an_init_weights_function():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    net = NestedNet().apply(init_weights)
    assert np.all(net.base_net.linear.weight.numpy() == 0.5)
    assert np.all(net.linear.bias.numpy() == 0)
    out = F.relu(net(mm.ones(1, 4)))
    np.testing.assert_allclose(out.numpy(), [[3.0, 3.0]])  # 0.5·(3 · (0.5·4)) = 3
