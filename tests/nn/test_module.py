"""Module: registration and its errors, traversal order, mode, conversion, and the seeds' examples."""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest

import minimod as mm
from minimod import nn

# --- the seeds' modules ------------------------------------------------------------------------


class SimpleModel(nn.Module):
    """seed 000: parameters defined by hand, no built-in layers."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(mm.tensor([1.0, 2.0, 3.0, 4.0]))
        self.bias = nn.Parameter(mm.tensor([0.0, 0.0, 1.0, 1.0]))

    def forward(self, x):
        return x * self.weight + self.bias


class BaseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return self.linear(x)


class NestedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.base_net = BaseNet()
        self.relu = nn.ReLU()
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(self.relu(self.base_net(x)))


class MyLinear(nn.Module):
    """seed 003."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(mm.randn(in_features, out_features))
        self.bias = nn.Parameter(mm.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0 = MyLinear(4, 3)
        self.l1 = MyLinear(3, 1)

    def forward(self, x):
        return self.l1(self.l0(x).relu())


class BigNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MyLinear(5, 4)
        self.net = Net()

    def forward(self, x):
        return self.net(self.l1(x))


class DynamicNet(nn.Module):
    def __init__(self, num_layers):
        super().__init__()
        self.linears = nn.ModuleList([MyLinear(4, 4) for _ in range(num_layers)])
        self.activations = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
        self.final = MyLinear(4, 1)

    def forward(self, x, act):
        for linear in self.linears:
            x = linear(x)
        x = self.activations[act](x)
        return self.final(x)


# --- seeds -------------------------------------------------------------------------------------


def test_simple_model_parameters_are_generators_in_registration_order():
    model = SimpleModel()
    assert isinstance(model.parameters(), types.GeneratorType)
    assert isinstance(model.named_parameters(), types.GeneratorType)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["weight", "bias"]  # torch's order (MegEngine's seed sorts them)
    assert [p.tolist() for p in model.parameters()] == [[1, 2, 3, 4], [0, 0, 1, 1]]
    out = model(mm.tensor([1.0, 1.0, 1.0, 1.0]))
    assert out.tolist() == [1, 2, 4, 5]


def test_simple_model_members_are_modifiable():
    model = SimpleModel()
    with mm.no_grad():
        model.bias[0] = 1
    assert model.bias.tolist() == [1, 0, 1, 1]
    assert isinstance(model.bias, nn.Parameter)


def test_nested_net_children_modules_parameters():
    net = NestedNet()
    assert [name for name, _ in net.named_children()] == ["base_net", "relu", "linear"]
    assert [name for name, _ in net.named_modules()] == ["", "base_net", "base_net.linear", "relu", "linear"]
    assert [name for name, _ in net.base_net.named_parameters()] == ["linear.weight", "linear.bias"]
    assert [name for name, _ in net.named_parameters()] == [
        "base_net.linear.weight", "base_net.linear.bias", "linear.weight", "linear.bias",
    ]
    assert [n for n, _ in net.named_parameters() if "bias" in n] == ["base_net.linear.bias", "linear.bias"]
    assert net.base_net.linear.bias.shape == (3,)
    assert dict(net.named_parameters())["linear.weight"].shape == (2, 3)


def test_replacing_a_submodule_keeps_its_place():
    net = NestedNet()
    net.base_net = nn.Linear(5, 3)
    assert [name for name, _ in net.named_children()] == ["base_net", "relu", "linear"]
    assert net(mm.randn(2, 5)).shape == (2, 2)
    # a new name goes at the end, as the seed's "basenet" does
    net = NestedNet()
    net.basenet = nn.Linear(5, 3)
    assert [name for name, _ in net.named_children()] == ["base_net", "relu", "linear", "basenet"]


def test_sharing_parameters_between_modules_as_the_seed_does():
    nested_net = NestedNet()
    base_net = BaseNet()
    for name, parameter in base_net.named_parameters():
        if name == "linear.weight":
            nested_net.base_net.linear.weight = parameter
        if name == "linear.bias":
            nested_net.base_net.linear.bias = parameter
    assert nested_net.base_net.linear.weight is base_net.linear.weight
    assert nested_net.base_net.linear.bias is base_net.linear.bias
    # one update reaches both modules
    with mm.no_grad():
        base_net.linear.weight.fill_(0.5)
    assert np.all(nested_net.base_net.linear.weight.numpy() == 0.5)
    # gradients from both uses accumulate into the one parameter
    x = mm.randn(2, 4)
    (nested_net(x).sum() + base_net(x).sum()).backward()
    assert base_net.linear.weight.grad is nested_net.base_net.linear.weight.grad


def test_shared_parameter_and_module_are_yielded_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "2.weight", "2.bias",
    ]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert len(list(seq.modules())) == 3
    assert [n for n, _ in seq.named_children()] == ["0", "1"]
    assert len(list(seq.parameters())) == 2


def test_my_linear_net_big_net_named_modules():
    net = Net()
    assert [(name, type(child).__name__) for name, child in net.named_children()] == [
        ("l0", "MyLinear"), ("l1", "MyLinear"),
    ]
    big = BigNet()
    assert [name for name, _ in big.named_modules()] == ["", "l1", "net", "net.l0", "net.l1"]
    assert repr(dict(big.named_modules())["l1"]) == "MyLinear()"
    assert repr(big) == (
        "BigNet(\n  (l1): MyLinear()\n  (net): Net(\n    (l0): MyLinear()\n    (l1): MyLinear()\n  )\n)"
    )
    assert net(mm.randn(4)).shape == (1,)


def test_dynamic_net_parameter_names_and_shapes():
    net = DynamicNet(3)
    assert [(n, p.shape) for n, p in net.named_parameters()] == [
        ("linears.0.weight", (4, 4)), ("linears.0.bias", (4,)),
        ("linears.1.weight", (4, 4)), ("linears.1.bias", (4,)),
        ("linears.2.weight", (4, 4)), ("linears.2.bias", (4,)),
        ("final.weight", (4, 1)), ("final.bias", (1,)),
    ]
    assert net(mm.randn(4), "relu").shape == (1,)
    net.to(dtype=mm.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net(mm.randn(5, 4, dtype=mm.float64), "lrelu").dtype == np.float64


def test_learn_to_output_zero_with_the_seed_loop():
    optim = pytest.importorskip("minimod.optim")
    mm.manual_seed(0)
    net = Net()
    optimizer = optim.SGD(net.parameters(), lr=1e-2, weight_decay=1e-2, momentum=0.9)
    start = sum(net(mm.randn(4)).abs().item() for _ in range(20))
    for _ in range(300):
        output = net(mm.randn(4))
        loss = output.abs().sum()
        net.zero_grad()
        loss.backward()
        optimizer.step()
    end = sum(net(mm.randn(4)).abs().item() for _ in range(20))
    assert end < start / 4


# --- registration ------------------------------------------------------------------------------


def test_assigning_before_super_init_raises_attribute_error():
    class EarlyParameter(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(mm.zeros(2))

    class EarlyModule(nn.Module):
        def __init__(self):
            self.child = nn.ReLU()

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        EarlyParameter()
    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        EarlyModule()
    with pytest.raises(AttributeError, match=r"cannot assign parameter before Module.__init__\(\) call"):
        nn.Module.__new__(nn.Module).register_parameter("w", None)
    with pytest.raises(AttributeError, match=r"cannot assign buffer before Module.__init__\(\) call"):
        nn.Module.__new__(nn.Module).register_buffer("b", None)


def test_plain_tensor_over_a_parameter_name_raises_type_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError) as info:
        layer.weight = mm.zeros(2, 2)
    assert str(info.value) == (
        "cannot assign 'minimod.FloatTensor' as parameter 'weight' (minimod.nn.Parameter or None expected)"
    )
    with pytest.raises(TypeError, match="'minimod.DoubleTensor' as parameter"):
        layer.weight = mm.zeros(2, 2, dtype=mm.float64)
    layer.weight = None  # None is allowed and keeps the slot
    assert "weight" in layer._parameters and layer.weight is None
    assert [n for n, _ in layer.named_parameters()] == ["bias"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.register_parameter("a.b", None), 'parameter name can\'t contain "."'),
        (lambda m: m.register_parameter("", None), 'parameter name can\'t be empty string ""'),
        (lambda m: m.register_buffer("a.b", None), 'buffer name can\'t contain "."'),
        (lambda m: m.register_buffer("", None), 'buffer name can\'t be empty string ""'),
        (lambda m: m.add_module("a.b", None), 'module name can\'t contain ".", got: a.b'),
        (lambda m: m.add_module("", None), 'module name can\'t be empty string ""'),
        (lambda m: m.register_buffer("weight", mm.zeros(1)), "attribute 'weight' already exists"),
        (lambda m: m.register_parameter("forward", None), "attribute 'forward' already exists"),
    ],
)
def test_bad_names_raise_key_error(call, message):
    with pytest.raises(KeyError) as info:
        call(nn.Linear(2, 2))
    assert info.value.args[0] == message


def test_wrong_types_raise_type_error_with_torchs_wording():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'minimod.FloatTensor' object to parameter 'x' "
                                        r"\(minimod.nn.Parameter or None required\)"):
        layer.register_parameter("x", mm.zeros(1))
    with pytest.raises(TypeError, match=r"cannot assign 'list' object to buffer 'x'"):
        layer.register_buffer("x", [1])
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        layer.add_module("x", 3)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module '0'"):
        nn.Sequential(layer)[0] = 5
    with pytest.raises(TypeError, match="buffer name should be a string. Got int"):
        layer.register_buffer(3, None)
    nonleaf = nn.Parameter(mm.zeros(1))
    nonleaf.grad_fn = (nonleaf * 2).grad_fn  # a Parameter with a history cannot be registered
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'y'"):
        layer.register_parameter("y", nonleaf)


def test_setattr_moves_a_name_between_kinds():
    module = nn.Module()
    module.register_buffer("thing", mm.zeros(2))
    module.thing = nn.Parameter(mm.ones(2))
    assert "thing" in module._parameters and "thing" not in module._buffers
    with pytest.raises(TypeError, match="as parameter 'thing'"):  # as in torch: del it first
        module.thing = nn.ReLU()
    del module.thing
    module.thing = nn.ReLU()
    assert "thing" in module._modules and "thing" not in module._parameters
    module.thing = nn.Parameter(mm.ones(2))  # a Parameter may replace a child
    assert "thing" in module._parameters and "thing" not in module._modules
    module.plain = 3
    assert module.__dict__["plain"] == 3
    module.plain = nn.Parameter(mm.ones(1))
    assert "plain" not in module.__dict__ and "plain" in module._parameters


def test_buffers_register_assign_and_persistence():
    module = nn.Module()
    module.register_buffer("mean", mm.zeros(3))
    module.register_buffer("scratch", mm.ones(2), persistent=False)
    module.mean = mm.ones(3)  # a Tensor over a buffer name stays a buffer
    assert module._buffers["mean"].tolist() == [1, 1, 1]
    module.scratch = mm.zeros(2)
    assert "scratch" in module._non_persistent_buffers_set  # reassigning keeps it non-persistent
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'mean' \(minimod.Tensor or None"):
        module.mean = "no"
    assert [n for n, _ in module.named_buffers()] == ["mean", "scratch"]
    assert list(module.state_dict()) == ["mean"]


def test_running_mean_seed_with_non_persistent_buffer():
    class RunningMean(nn.Module):
        def __init__(self, num_features, momentum=0.9):
            super().__init__()
            self.momentum = momentum
            self.register_buffer("mean", mm.zeros(num_features))
            self.register_buffer("unserialized_thing", mm.randn(5), persistent=False)

        def forward(self, x):
            self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
            return self.mean

    m = RunningMean(4)
    for _ in range(10):
        m(mm.randn(4))
    assert list(m.state_dict()) == ["mean"]
    assert [n for n, _ in m.named_buffers()] == ["mean", "unserialized_thing"]
    loaded = RunningMean(4)
    assert repr(loaded.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    assert np.array_equal(loaded.mean.numpy(), m.mean.numpy())
    m.to(mm.float64)
    assert m.mean.dtype == np.float64 and m.unserialized_thing.dtype == np.float64


def test_del_removes_parameters_buffers_and_children():
    module = NestedNet()
    module.register_buffer("count", mm.zeros(1), persistent=False)
    del module.relu
    del module.count
    del module.linear.bias
    assert [n for n, _ in module.named_children()] == ["base_net", "linear"]
    assert "count" not in module._non_persistent_buffers_set
    assert [n for n, _ in module.named_parameters()] == [
        "base_net.linear.weight", "base_net.linear.bias", "linear.weight",
    ]
    module.note = "x"
    del module.note
    with pytest.raises(AttributeError):
        module.note  # noqa: B018
    with pytest.raises(AttributeError):
        del module.nothing


def test_getattr_error_and_dir():
    module = NestedNet()
    with pytest.raises(AttributeError, match="'NestedNet' object has no attribute 'nothing'"):
        module.nothing  # noqa: B018
    names = dir(module)
    assert {"base_net", "relu", "linear", "forward", "training"} <= set(names)
    assert names == sorted(names)
    assert "0" not in dir(nn.Sequential(nn.ReLU()))


def test_add_module_register_module_and_get_submodule():
    root = nn.Module()
    root.add_module("block", nn.Module())
    root.block.register_module("fc", nn.Linear(2, 3))
    root.block.register_buffer("scale", mm.ones(1))
    assert root.get_submodule("") is root
    assert root.get_submodule("block.fc") is root.block.fc
    assert root.get_parameter("block.fc.weight") is root.block.fc.weight
    assert root.get_buffer("block.scale") is root.block.scale
    with pytest.raises(AttributeError, match="^Module has no attribute `missing`$"):
        root.get_submodule("block.missing")
    with pytest.raises(AttributeError, match="^`weight` is not an nn.Module$"):
        root.get_submodule("block.fc.weight")
    with pytest.raises(AttributeError, match="^Linear has no attribute `foo`$"):
        root.get_parameter("block.fc.foo")
    with pytest.raises(AttributeError, match="^`scale` is not an nn.Parameter$"):
        root.get_parameter("block.scale")
    with pytest.raises(AttributeError, match="^`weight` is not a buffer$"):
        root.get_buffer("block.fc.weight")
    root.set_submodule("block.fc", nn.ReLU())
    assert isinstance(root.block.fc, nn.ReLU)


def test_init_rejects_arguments_like_torch():
    with pytest.raises(TypeError, match=r"Module.__init__\(\) takes 1 positional argument but 2 were given"):
        nn.Module(3)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'x'"):
        nn.Module(x=1)


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)


# --- mode, grads, apply, conversion ------------------------------------------------------------


def test_train_eval_recursive_and_checked():
    net = NestedNet()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="^training mode is expected to be boolean$"):
        net.train("yes")
    with pytest.raises(ValueError):
        net.train(1)


def test_requires_grad_and_zero_grad():
    net = NestedNet()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(mm.randn(2, 4)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not np.any(g.numpy()) for p, g in zip(net.parameters(), grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_visits_children_first_then_self():
    net = NestedNet()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BaseNet", "ReLU", "Linear", "NestedNet"]


def test_dtype_conversion_keeps_parameter_objects_and_converts_grads_and_buffers():
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    params = list(net.parameters())
    net(mm.randn(4, 3)).sum().backward()
    assert net.double() is net
    assert list(net.parameters()) == params and all(a is b for a, b in zip(net.parameters(), params))
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert net[1].running_mean.dtype == np.float64
    assert net[1].num_batches_tracked.dtype == np.int64  # not floating: left alone
    net.half()
    assert all(p.dtype == np.float16 for p in params)
    net.float()
    assert all(p.dtype == np.float32 for p in params)
    net.to(mm.float64)
    assert net[0].weight.dtype == np.float64
    net.to(mm.zeros(1))  # to(tensor) takes the tensor's dtype
    assert net[0].weight.dtype == np.float32
    assert net.to("cpu") is net and net.cpu() is net
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes, but got desired "
                                        "dtype=minimod.int64"):
        net.to(mm.int64)
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        net.to(device="cuda")
    assert net(mm.randn(4, 3)).dtype == np.float32


def test_deepcopy_keeps_sharing_and_copies_storage():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, shared)
    clone = copy.deepcopy(net)
    assert clone[0] is clone[1] and clone[0] is not shared
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    with mm.no_grad():
        clone[0].weight.fill_(7.0)
    assert not np.any(shared.weight.numpy() == 7.0)


def test_parameter_basics():
    data = mm.zeros(2, 3)
    param = nn.Parameter(data)
    assert param.requires_grad and param.is_leaf and isinstance(param, mm.Tensor)
    assert param.numpy() is data.numpy()  # shares storage, as torch's Parameter does
    assert nn.Parameter(mm.zeros(1), requires_grad=False).requires_grad is False
    assert nn.Parameter().shape == (0,)
    assert not isinstance(param * 2, nn.Parameter)
    assert nn.Parameter([1.0, 2.0]).tolist() == [1.0, 2.0]


def test_init_weights_with_apply_as_in_the_seed(capsys):
    @mm.no_grad()
    def init_weights(m):
        print(m)
        if type(m) is nn.Linear:
            m.weight.fill_(1.0)
            print(m.weight)

    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    net.apply(init_weights)
    assert capsys.readouterr().out == (
        "Linear(in_features=2, out_features=2, bias=True)\n"
        "Parameter containing:\ntensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
    ) * 2 + "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n" \
        "  (1): Linear(in_features=2, out_features=2, bias=True)\n)\n"


def test_freezing_batchnorm_by_overriding_train_as_mmdetection_does():
    class Backbone(nn.Module):
        def __init__(self, norm_eval=True):
            super().__init__()
            self.norm_eval = norm_eval
            self.conv = nn.Conv2d(1, 2, 3)
            self.bn = nn.BatchNorm2d(2)

        def forward(self, x):
            return self.bn(self.conv(x))

        def train(self, mode=True):
            super().train(mode)
            if mode and self.norm_eval:
                for m in self.modules():
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
            return self

    net = nn.Sequential(Backbone())
    net.train()
    backbone = net[0]
    assert backbone.training and backbone.conv.training and not backbone.bn.training
    before = backbone.bn.running_mean.tolist()
    net(mm.randn(2, 1, 5, 5))
    assert backbone.bn.running_mean.tolist() == before  # frozen statistics
    net.eval()
    assert not any(m.training for m in net.modules())
