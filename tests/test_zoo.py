"""The zoo: registry, every model's forward and backward on its example input, torch twins, `minimod zoo`."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import minimod as mm
from minimod import nn, zoo
from minimod.errors import UserError

NAMES = [
    "simple_model", "nested_net", "convnet", "my_linear", "net", "big_net", "dynamic_net", "running_mean",
    "conv_bn", "res_unit", "mlp", "resnet18", "transformer_block",
]


def test_registry_names_order_and_default():
    assert list(zoo.ZOO) == NAMES
    assert zoo.DEFAULT == "convnet" and zoo.DEFAULT in zoo.ZOO
    for name, entry in zoo.ZOO.items():
        assert isinstance(entry, zoo.ZooEntry)
        assert entry.name == name
        assert entry.description and "\n" not in entry.description
        assert entry.source and callable(entry.build) and callable(entry.example_input)
    assert zoo.get("convnet") is zoo.ZOO["convnet"]


def test_seed_models_name_their_seed():
    expected = {"simple_model": "000", "nested_net": "000", "convnet": "001", "my_linear": "003",
                "net": "003", "big_net": "003", "dynamic_net": "003", "running_mean": "003", "conv_bn": "004",
                "res_unit": "004"}
    for name, seed in expected.items():
        assert f"seed {seed}" in zoo.get(name).source


def test_unknown_name_lists_the_names():
    with pytest.raises(KeyError) as raised:
        zoo.get("resnet19")
    assert isinstance(raised.value, UserError)
    message = str(raised.value)
    assert "'resnet19'" in message and "convnet" in message and "transformer_block" in message
    assert "\n" not in message


def _fresh_args(entry):
    """The example arguments, with floating tensors copied as leaves that require grad."""
    args = []
    for arg in entry.example_args():
        if isinstance(arg, mm.Tensor) and np.issubdtype(arg.dtype, np.floating):
            arg = mm.tensor(arg.numpy(), requires_grad=True)
        args.append(arg)
    return args


@pytest.mark.parametrize("name", NAMES)
def test_every_model_runs_forward_and_backward(name):
    entry = zoo.get(name)
    mm.manual_seed(0)
    model = entry.build()
    assert isinstance(model, nn.Module)
    args = _fresh_args(entry)
    output = model(*args)
    assert isinstance(output, mm.Tensor) and output.requires_grad
    (output * output).sum().backward()
    assert args[0].grad is not None and args[0].grad.shape == args[0].shape
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{name}: {parameter_name} got no gradient"
        assert parameter.grad.shape == parameter.shape
        assert np.all(np.isfinite(parameter.grad.numpy())), parameter_name


@pytest.mark.parametrize("name", NAMES)
def test_builders_make_fresh_models_and_inputs_are_fixed(name):
    entry = zoo.get(name)
    first, second = entry.build(), entry.build()
    assert first is not second
    assert not {id(p) for p in first.parameters()} & {id(p) for p in second.parameters()}
    mm.manual_seed(1)
    a = entry.example_args()
    mm.manual_seed(2)
    b = entry.example_args()
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, mm.Tensor):
            np.testing.assert_array_equal(x.numpy(), y.numpy())
        else:
            assert x == y


def test_output_shapes():
    def run(name):
        entry = zoo.get(name)
        model = entry.build().eval()
        with mm.no_grad():
            return model(*entry.example_args()).shape

    assert run("convnet") == (1, 10)
    assert run("mlp") == (1, 10)
    assert run("resnet18") == (1, 10)
    assert run("transformer_block") == (1, 8, 32)
    assert run("res_unit") == (1, 64, 32, 32)
    assert run("conv_bn") == (1, 16, 32, 32)
    assert run("dynamic_net") == (1,)


def test_resnet18_has_torchvision_names_and_size():
    model = zoo.get("resnet18").build()
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["conv1.weight", "bn1.weight", "bn1.bias"]
    for expected in ["layer1.0.conv1.weight", "layer1.1.bn2.bias", "layer2.0.downsample.0.weight",
                     "layer2.0.downsample.1.weight", "layer4.1.conv2.weight", "fc.weight", "fc.bias"]:
        assert expected in names
    assert "layer1.0.downsample.0.weight" not in names  # the first stage keeps 64 channels and the size
    assert names[-2:] == ["fc.weight", "fc.bias"]
    assert sum(p.numel() for p in model.parameters()) == 11_173_962  # CIFAR ResNet-18, 10 classes
    assert isinstance(model.avgpool, nn.AdaptiveAvgPool2d)
    assert "layer3.1.bn1.num_batches_tracked" in model.state_dict()


def test_transformer_block_structure():
    model = zoo.get("transformer_block").build()
    names = [name for name, _ in model.named_parameters()]
    assert names[:2] == ["ln1.weight", "ln1.bias"]
    for projection in ("q_proj", "k_proj", "v_proj", "out_proj"):
        assert f"attn.{projection}.weight" in names
    kinds = {type(m).__name__ for m in model.modules()}
    assert {"LayerNorm", "Linear", "GELU", "Dropout"} <= kinds


def test_running_mean_model_has_a_non_persistent_buffer():
    model = zoo.get("running_mean").build()
    assert [name for name, _ in model.named_buffers()] == ["mean", "unserialized_thing"]
    assert list(model.state_dict()) == ["mean"]


# --- torch twins: the same architecture in torch, weights copied, outputs and grads compared -----------


def _torch_convnet():
    import torch
    import torch.nn.functional as TF

    class ConvNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 10, 5)
            self.pool1 = torch.nn.MaxPool2d(2, 2)
            self.conv2 = torch.nn.Conv2d(10, 20, 5)
            self.pool2 = torch.nn.MaxPool2d(2, 2)
            self.fc1 = torch.nn.Linear(320, 50)
            self.fc2 = torch.nn.Linear(50, 10)

        def forward(self, input):
            x = self.pool1(TF.relu(self.conv1(input)))
            x = self.pool2(TF.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = TF.relu(self.fc1(x))
            return TF.relu(self.fc2(x))

    return ConvNet()


def _torch_transformer_block():
    import math

    import torch

    class Attention(torch.nn.Module):
        def __init__(self, dim, heads):
            super().__init__()
            self.heads, self.head_dim = heads, dim // heads
            self.q_proj, self.k_proj = torch.nn.Linear(dim, dim), torch.nn.Linear(dim, dim)
            self.v_proj, self.out_proj = torch.nn.Linear(dim, dim), torch.nn.Linear(dim, dim)
            self.attn_dropout = torch.nn.Dropout(0.1)

        def forward(self, x):
            b, t, e = x.shape

            def split(y):
                return y.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)

            q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
            weights = self.attn_dropout(torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.head_dim), -1))
            return self.out_proj((weights @ v).transpose(1, 2).reshape(b, t, e))

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = torch.nn.LayerNorm(32)
            self.attn = Attention(32, 4)
            self.ln2 = torch.nn.LayerNorm(32)
            self.mlp = torch.nn.Sequential(torch.nn.Linear(32, 128), torch.nn.GELU(),
                                           torch.nn.Linear(128, 32))
            self.dropout = torch.nn.Dropout(0.1)

        def forward(self, x):
            x = x + self.dropout(self.attn(self.ln1(x)))
            return x + self.dropout(self.mlp(self.ln2(x)))

    return Block()


def _torch_resnet18():
    import torch

    class BasicBlock(torch.nn.Module):
        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(planes)
            self.relu = torch.nn.ReLU()
            self.conv2 = torch.nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = torch.nn.Sequential(
                    torch.nn.Conv2d(inplanes, planes, 1, stride, bias=False), torch.nn.BatchNorm2d(planes)
                )

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(64)
            self.relu = torch.nn.ReLU()
            widths, inplanes = [64, 128, 256, 512], 64
            for index, width in enumerate(widths):
                stride = 1 if index == 0 else 2
                blocks = [BasicBlock(inplanes, width, stride), BasicBlock(width, width)]
                setattr(self, f"layer{index + 1}", torch.nn.Sequential(*blocks))
                inplanes = width
            self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
            self.fc = torch.nn.Linear(512, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet()


@pytest.mark.parametrize("name, make_twin, train", [
    ("convnet", _torch_convnet, True),
    ("transformer_block", _torch_transformer_block, False),  # eval: dropout masks cannot be shared
    ("resnet18", _torch_resnet18, True),
])
def test_zoo_model_matches_its_torch_twin(name, make_twin, train):
    # float64, so the comparison is exact up to rounding: in float32, train-mode BatchNorm over a
    # batch of one (16 values per channel in layer4) amplifies rounding differences in the gradients
    torch = pytest.importorskip("torch")
    entry = zoo.get(name)
    mm.manual_seed(0)
    model, twin = entry.build().train(train).double(), make_twin().train(train).double()
    state = {key: torch.from_numpy(np.array(value)) for key, value in model.state_dict().items()}
    twin.load_state_dict(state)
    x = entry.example_input().numpy().astype(np.float64)
    mm_input = mm.tensor(x, requires_grad=True)
    torch_input = torch.from_numpy(x.copy()).requires_grad_(True)
    out, expected = model(mm_input), twin(torch_input)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-9, atol=1e-10)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mm_input.grad.numpy(), torch_input.grad.numpy(), rtol=1e-9, atol=1e-10)
    twin_parameters = dict(twin.named_parameters())
    for parameter_name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), twin_parameters[parameter_name].grad.numpy(),
                                   rtol=1e-9, atol=1e-10, err_msg=parameter_name)
    twin_buffers = dict(twin.named_buffers())
    for buffer_name, buffer in model.named_buffers():
        np.testing.assert_allclose(buffer.numpy(), twin_buffers[buffer_name].numpy(), rtol=1e-9, atol=1e-10,
                                   err_msg=buffer_name)


def test_convnet_matches_its_torch_twin_in_float32():
    torch = pytest.importorskip("torch")
    entry = zoo.get("convnet")
    model, twin = entry.build(), _torch_convnet()
    twin.load_state_dict({key: torch.from_numpy(np.array(v)) for key, v in model.state_dict().items()})
    x = entry.example_input().numpy()
    mm_input = mm.tensor(x, requires_grad=True)
    torch_input = torch.from_numpy(x.copy()).requires_grad_(True)
    out, expected = model(mm_input), twin(torch_input)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(mm_input.grad.numpy(), torch_input.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.conv1.weight.grad.numpy(), twin.conv1.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-5)


# --- the command ------------------------------------------------------------------------------------


def test_zoo_command_lists_every_model(capsys):
    from minimod import cli

    assert cli.main(["zoo"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    assert "convnet (default)" in out
    assert "21,840" in out  # ConvNet's parameter count
    assert "seed 001" in out


@pytest.mark.parametrize("width", [80, 160])
def test_zoo_command_rows_name_every_count_and_description_in_full(capsys, monkeypatch, width):
    from minimod import cli, zoo

    monkeypatch.setenv("COLUMNS", str(width))
    assert cli.main(["zoo"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= width
    lines = out.splitlines()
    for name, entry in zoo.ZOO.items():
        model = entry.build()
        row = next(line for line in lines if line.strip("│ ").startswith(name))
        parameters = f"{sum(p.numel() for p in model.parameters()):,}"
        buffers = f"{sum(b.numel() for b in model.buffers()):,}"
        cells = row.replace("│", " ").split()
        assert parameters in cells and buffers in cells, row
        assert entry.description in out  # never cut or wrapped


def test_zoo_command_shows_one_model(capsys):
    from minimod import cli

    assert cli.main(["zoo", "convnet"]) == 0
    out = capsys.readouterr().out
    assert "(1, 1, 28, 28)" in out
    assert "(conv1): Conv2d(1, 10, kernel_size=(5, 5), stride=(1, 1))" in out


def test_zoo_command_bad_name_is_one_line_error(capsys):
    from minimod import cli

    assert cli.main(["zoo", "resnet19"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("minimod: error: no model named 'resnet19' in the zoo; choose one of:")
    assert captured.err.count("\n") == 1


def test_zoo_command_module_imports_lightly():
    code = ("import sys, minimod.zoo.command; "
            "print(sorted(m for m in ('rich', 'numba', 'textual', 'graphviz') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
