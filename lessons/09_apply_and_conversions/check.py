"""Lesson 9 checks: init_weights through apply, freeze by path, half_except_norm's dtypes."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


def _model():
    mm.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
        nn.Linear(2 * 4 * 4, 3), nn.LayerNorm(3), nn.Linear(3, 2, bias=False),
    )


@check("init_weights sets Linear and Conv2d parameters and nothing else",
       tip="Test each module's type and fill its parameters in place, without recording gradients.",
       hint="@mm.no_grad() above the function; isinstance(m, nn.Linear): m.weight.fill_(1.0), "
       "m.bias.fill_(0.0) when m.bias is not None; likewise Conv2d with 0.5.")
def initialising(student):
    model = _model()
    norm_weight = model[5].weight.numpy().copy()
    result = model.apply(student.init_weights)
    assert result is model, "apply returns the model; init_weights itself should return nothing"
    assert np.all(model[4].weight.numpy() == 1.0) and np.all(model[4].bias.numpy() == 0.0), \
        "Linear layers need weight 1.0 and bias 0.0"
    assert np.all(model[6].weight.numpy() == 1.0), "the bias-free Linear still needs weight 1.0"
    assert np.all(model[0].weight.numpy() == 0.5) and np.all(model[0].bias.numpy() == 0.0), \
        "Conv2d layers need weight 0.5 and bias 0.0"
    np.testing.assert_array_equal(model[5].weight.numpy(), norm_weight,
                                  err_msg="LayerNorm must be left alone")
    assert model[4].weight.requires_grad, "the parameters must still require grad (change values, not flags)"


@check("freeze stops gradients below the given paths",
       tip="Freezing is requires_grad_(False) on the submodule at each path, not eval().",
       hint="model.get_submodule(path).requires_grad_(False) for each path; then "
       "[name for name, p in model.named_parameters() if p.requires_grad]")
def freezing(student):
    model = _model()
    names = list(student.freeze(model, ["0", "1"]))
    if not model[0].training and model[0].weight.requires_grad:
        raise AssertionError("freeze put the modules in eval mode: eval() changes how Dropout and BatchNorm "
                             "behave, not gradients; freeze with requires_grad_(False)")
    expected = ["4.weight", "4.bias", "5.weight", "5.bias", "6.weight"]
    assert names == expected, f"freeze(model, ['0', '1']) returned {names}, expected {expected}"
    model(mm.randn(2, 1, 6, 6)).sum().backward()
    assert model[0].weight.grad is None, "a frozen Conv2d weight should get no gradient"
    assert model[4].weight.grad is not None, "the Linear layers should still get gradients"
    assert list(student.freeze(_model(), [])) == [name for name, _ in _model().named_parameters()], \
        "with no prefixes, every parameter still trains"


@check("half_except_norm keeps normalisation layers in float32",
       tip="Convert the whole model first, then convert the normalisation layers back.",
       hint="model.half() converts everything; then call .float() on each BatchNorm1d/2d "
       "and LayerNorm module.")
def mixed(student):
    model = student.half_except_norm(_model())
    assert model is not None, "return the model"
    dtypes = {name: str(t.dtype) for name, t in model.state_dict(keep_vars=True).items()}
    expected = {
        "0.weight": "float16", "0.bias": "float16",
        "1.weight": "float32", "1.bias": "float32", "1.running_mean": "float32", "1.running_var": "float32",
        "1.num_batches_tracked": "int64",
        "4.weight": "float16", "4.bias": "float16", "5.weight": "float32", "5.bias": "float32",
        "6.weight": "float16",
    }
    wrong = {name: dtype for name, dtype in dtypes.items() if expected.get(name) != dtype}
    assert not wrong, f"wrong dtypes: {wrong} (expected {({k: expected[k] for k in wrong})})"
