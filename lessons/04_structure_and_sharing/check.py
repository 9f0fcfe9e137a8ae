"""Lesson 4 checks: share_parameters, swap_activations and DynamicNet's registered containers."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


def _pair():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), \
        nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))


@check("share_parameters makes dst use src's Parameter objects",
       tip="Assigning a Parameter to an attribute makes the module hold that very object; set it on the "
       "module that owns the name.",
       hint="owner_path, _, attribute = name.rpartition('.'); "
       "setattr(dst.get_submodule(owner_path), attribute, src_parameter)")
def sharing(student):
    src, dst = _pair()
    names = list(student.share_parameters(src, dst))
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"], \
        f"share_parameters returned {names}, expected ['0.weight', '0.bias', '2.weight', '2.bias']"
    for name, parameter in src.named_parameters():
        assert dst.get_parameter(name) is parameter, f"dst's {name} is not the same object as src's"
    x = mm.randn(2, 4)
    np.testing.assert_allclose(dst(x).numpy(), src[2](nn.Tanh()(src[0](x))).numpy(), rtol=1e-5,
                               err_msg="dst should now compute with src's weights")


@check("share_parameters skips names dst does not have",
       tip="Only names present in both models are shared; leave the others alone.",
       hint="only assign names that appear in both models; loop over dst's names and look them up in src.")
def sharing_partial(student):
    src = nn.Sequential(nn.Linear(4, 3))
    dst = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 3))
    names = list(student.share_parameters(src, dst))
    assert names == ["0.weight", "0.bias"], f"share_parameters returned {names}, expected the two 0.* names"
    assert dst[1].weight is not src[0].weight, "dst's second layer must keep its own weight"


@check("swap_activations replaces every ReLU in the tree",
       tip="setattr only sets a direct child: replace each ReLU on the module that holds it.",
       hint="for each module in named_modules(), loop over its named_children() "
       "and setattr(module, name, new).")
def swapping(student):
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Sequential(nn.ReLU(), nn.Linear(2, 2), nn.ReLU()))
    count = student.swap_activations(model, nn.GELU)
    dotted = [name for name, _ in model.named_children() if "." in name]
    if dotted:
        raise AssertionError(
            f"swap_activations added children named {dotted} to the top of the model: setattr(model, "
            f"{dotted[0]!r}, new) does not reach inside; set the attribute on the module that holds the "
            f"ReLU (loop over each module's named_children())")
    assert count == 3, f"swap_activations returned {count}, expected 3 (one ReLU outside, two inside)"
    kinds = [type(module).__name__ for _, module in model.named_modules()]
    assert "ReLU" not in kinds, f"ReLU still in the model: {kinds}"
    assert kinds.count("GELU") == 3, f"expected 3 GELU modules, found {kinds.count('GELU')}"
    gelus = [module for module in model.modules() if isinstance(module, nn.GELU)]
    assert len({id(module) for module in gelus}) == 3, \
        "call make_activation() once per ReLU, not once overall"


@check("DynamicNet registers its layers with ModuleList and ModuleDict",
       tip="A plain list or dict registers nothing; use the containers of step 5.",
       hint="self.linears = nn.ModuleList([...]); self.activations = nn.ModuleDict({...}); "
       "a plain list registers nothing.")
def dynamic_structure(student):
    model = student.DynamicNet(3)
    assert isinstance(model.linears, nn.ModuleList), "self.linears should be an nn.ModuleList"
    assert isinstance(model.activations, nn.ModuleDict), "self.activations should be an nn.ModuleDict"
    names = [name for name, _ in model.named_parameters()]
    expected = [f"linears.{i}.{kind}" for i in range(3) for kind in ("weight", "bias")]
    expected += ["final.weight", "final.bias"]
    assert names == expected, f"named_parameters() gives {names}"
    assert sorted(model.activations.keys()) == ["lrelu", "relu"], "activations needs keys 'relu' and 'lrelu'"


@check("DynamicNet.forward uses every linear, then the chosen activation, then final",
       tip="Loop over the linears, apply the activation chosen by name after each, then the final layer.",
       hint="for linear in self.linears: x = self.activations[act](linear(x)); return self.final(x)")
def dynamic_forward(student):
    mm.manual_seed(3)
    model = student.DynamicNet(2)
    x = mm.randn(5, 4)
    for act, fn in (("relu", lambda a: np.maximum(a, 0)), ("lrelu", lambda a: np.where(a > 0, a, 0.01 * a))):
        h = x.numpy()
        for linear in model.linears:
            h = fn(h @ linear.weight.numpy().T + linear.bias.numpy())
        expected = h @ model.final.weight.numpy().T + model.final.bias.numpy()
        out = model(x, act)
        assert tuple(out.shape) == (5, 1), f"output shape {tuple(out.shape)}, expected (5, 1)"
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-5, err_msg=f"act={act!r}")
