"""Lesson 5 checks: training_flags, evaluate (eval mode, no grad, modes restored) and NormEvalNet.train."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


def _model():
    mm.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))


@check("training_flags maps every module name to its flag",
       tip="Every module has a training flag; named_modules() gives each module with its name.",
       hint="{name: module.training for name, module in model.named_modules()}")
def flags(student):
    model = _model()
    model[1].eval()
    got = dict(student.training_flags(model))
    expected = {"": True, "0": True, "1": False, "2": True, "3": True, "4": True}
    assert got == expected, f"training_flags gave {got}, expected {expected}"


@check("evaluate computes in eval mode, without gradients",
       tip="Switch to eval mode and compute the output without recording gradients (step 4).",
       hint="call model.eval() before model(x), inside `with mm.no_grad():`.")
def evaluates(student):
    model = _model()
    model(mm.randn(8, 4))  # give BatchNorm some running statistics
    x = mm.randn(4, 4)
    out = student.evaluate(model, x)
    assert isinstance(out, mm.Tensor), f"evaluate returned {type(out).__name__}, expected the output Tensor"
    model.eval()
    with mm.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6,
                               err_msg="evaluate's output differs from the model's output in eval mode")
    assert not out.requires_grad, "the output requires grad: compute it inside `with mm.no_grad():`"
    again = student.evaluate(model, x)
    np.testing.assert_allclose(again.numpy(), out.numpy(), err_msg="two evaluations of the same input differ")


@check("evaluate leaves running statistics alone and restores every module's mode",
       tip="Remember each module's own flag before switching, and put every flag back afterwards, even "
       "when they differed.",
       hint="save {name: module.training} first and set each module.training back afterwards "
       "(model.train() alone would unfreeze a frozen BatchNorm).")
def restores(student):
    model = _model()
    model[1].eval()  # a frozen BatchNorm inside a training model
    before = model[1].running_mean.numpy().copy()
    student.evaluate(model, mm.randn(4, 4))
    got = {name: module.training for name, module in model.named_modules()}
    expected = {"": True, "0": True, "1": False, "2": True, "3": True, "4": True}
    assert got == expected, f"after evaluate the modes are {got}, expected {expected}"
    np.testing.assert_array_equal(model[1].running_mean.numpy(), before,
                                  err_msg="evaluate changed running_mean: the model was in training mode")
    model.eval()
    student.evaluate(model, mm.randn(4, 4))
    assert not any(module.training for module in model.modules()), \
        "a model in eval mode must stay in eval mode"


@check("NormEvalNet.train keeps BatchNorm in eval mode",
       tip="Let nn.Module's own train do the recursive switch first, then put BatchNorm layers back in "
       "eval, and return self (step 5).",
       hint="super().train(mode); if mode and self.norm_eval: set every BatchNorm module to eval(); "
       "return self.")
def norm_eval(student):
    net = student.NormEvalNet()
    result = net.train()
    assert result is net, "train() must return self, like nn.Module.train"
    assert net.training and net.fc.training and net.head.training, "fc, head and the net itself should train"
    assert not net.bn.training, "bn should stay in eval mode when norm_eval is True"
    net.eval()
    assert not any(m.training for m in net.modules()), \
        "eval() should still put everything in eval mode (eval() calls your train(False), so train must " \
        "call super().train(mode) in every case)"
    plain = student.NormEvalNet(norm_eval=False).train()
    assert plain.bn.training, "with norm_eval=False, train() should put bn in training mode as usual"
    before = net.bn.running_mean.numpy().copy()
    net.train()(mm.randn(6, 4))
    np.testing.assert_array_equal(net.bn.running_mean.numpy(), before,
                                  err_msg="a frozen BatchNorm must not update running_mean during training")
