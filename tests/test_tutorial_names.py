"""CONTRACT.md's "Beyond the first contract: what PyTorch's tutorials use": every name is there, by torch's
spelling, with torch's signature where torch has the same one."""

from __future__ import annotations

import inspect

import pytest

import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim

NAMES = {
    mm: ["float", "double", "half", "long", "int", "int64", "int32", "bool", "FloatTensor", "LongTensor",
         "device", "cuda", "backends", "eye", "multinomial", "argmax", "argmin", "save", "load", "utils"],
    mm.Tensor: ["to", "cpu", "add", "sub", "mul", "div", "add_", "sub_", "mul_", "div_", "argmax", "argmin"],
    F: ["binary_cross_entropy", "binary_cross_entropy_with_logits", "scaled_dot_product_attention"],
    nn: ["BCELoss", "BCEWithLogitsLoss", "LazyLinear", "utils"],
    nn.utils: ["clip_grad_norm_"],
    mm.utils.data: ["Dataset", "TensorDataset", "DataLoader", "random_split"],
    optim: ["AdamW", "RMSprop", "Adadelta", "lr_scheduler"],
    optim.lr_scheduler: ["StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"],
}


PAIRS = [(owner, name) for owner, names in NAMES.items() for name in names]


@pytest.mark.parametrize("owner,name", PAIRS, ids=[f"{getattr(o, '__name__', o)}.{n}" for o, n in PAIRS])
def test_the_name_exists(owner, name):
    assert hasattr(owner, name)


def test_queries_and_scheduler_methods():
    assert mm.cuda.is_available() is False and mm.backends.mps.is_available() is False
    opt = optim.SGD([mm.ones(1, requires_grad=True)], lr=0.1)
    for name in ("StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"):
        scheduler_class = getattr(optim.lr_scheduler, name)
        for method in ("step", "get_last_lr", "state_dict", "load_state_dict"):
            assert callable(getattr(scheduler_class, method))
    assert opt.param_groups[0]["lr"] == 0.1


SIGNATURES = [
    (lambda lib: lib.utils.data.DataLoader.__init__, ("dataset", "batch_size", "shuffle", "sampler",
                                                      "batch_sampler", "num_workers", "collate_fn")),
    (lambda lib: lib.utils.data.random_split, ("dataset", "lengths", "generator")),
    (lambda lib: lib.nn.functional.scaled_dot_product_attention, ("query", "key", "value", "attn_mask",
                                                                  "dropout_p", "is_causal", "scale")),
    (lambda lib: lib.nn.functional.binary_cross_entropy_with_logits, ("input", "target", "weight",
                                                                      "size_average", "reduce", "reduction",
                                                                      "pos_weight")),
    (lambda lib: lib.nn.utils.clip_grad_norm_, ("parameters", "max_norm", "norm_type", "error_if_nonfinite",
                                                "foreach")),
    (lambda lib: lib.nn.LazyLinear.__init__, ("out_features", "bias", "device", "dtype")),
    (lambda lib: lib.optim.lr_scheduler.CosineAnnealingLR.__init__, ("optimizer", "T_max", "eta_min",
                                                                     "last_epoch")),
]


@pytest.mark.parametrize("get,leading", SIGNATURES)
def test_signatures_start_as_torchs(get, leading):
    ours = [name for name in inspect.signature(get(mm)).parameters if name != "self"]
    assert tuple(ours[: len(leading)]) == leading
    torch = pytest.importorskip("torch")
    try:
        theirs = [name for name in inspect.signature(get(torch)).parameters if name != "self"]
    except ValueError:  # a builtin without a signature (scaled_dot_product_attention): its docstring has it
        doc = " ".join(get(torch).__doc__.split())
        inside = doc[doc.index("(") + 1:doc.index(")")]
        theirs = [part.split("=")[0].strip() for part in inside.split(",")]
        assert tuple(theirs[: len(leading)]) == leading
        return
    assert tuple(theirs[: len(leading)]) == leading
    for name in ours:
        if name in theirs:
            mine = inspect.signature(get(mm)).parameters[name].default
            their = inspect.signature(get(torch)).parameters[name].default
            if type(mine).__name__ == type(their).__name__ == "Generator":
                continue  # each library's default generator
            assert mine == their, name
