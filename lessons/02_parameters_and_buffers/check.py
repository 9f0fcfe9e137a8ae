"""Lesson 2 checks: RunningMean's buffers (persistent and not) and split_state."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


@check("RunningMean has the buffers mean and calls, and no parameters",
       tip="Buffers are registered with register_buffer, not assigned as plain attributes or Parameters "
       "(step 3).",
       hint="self.register_buffer('mean', mm.zeros(num_features)); "
       "self.register_buffer('calls', mm.tensor(0), persistent=False).")
def buffers_registered(student):
    model = student.RunningMean(4)
    buffers = [name for name, _ in model.named_buffers()]
    for name in ("mean", "calls"):
        if name not in buffers and name in vars(model):
            raise AssertionError(f"self.{name} is a plain attribute, not a buffer: create it with "
                                 f"self.register_buffer({name!r}, ...)")
    assert buffers == ["mean", "calls"], f"named_buffers() gives {buffers}, expected ['mean', 'calls']"
    assert list(model.parameters()) == [], "RunningMean should have no parameters: use buffers"
    np.testing.assert_allclose(model.mean.numpy(), np.zeros(4), err_msg="mean should start at zeros")
    assert int(model.calls.item()) == 0, f"calls should start at 0, got {model.calls.item()}"


@check("only mean is in the state dict",
       tip="A buffer that must not be saved is registered as non-persistent (step 5).",
       hint="pass persistent=False when you register 'calls'.")
def persistence(student):
    keys = list(student.RunningMean(4).state_dict().keys())
    assert keys == ["mean"], f"state_dict() keys are {keys}, expected ['mean']"


@check("forward updates the running mean and counts calls",
       tip="Assign new tensors to self.mean and self.calls in forward; assigning to a buffer's name keeps "
       "it a buffer.",
       hint="self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x; "
       "then self.calls = self.calls + 1.")
def forward_updates(student):
    model = student.RunningMean(3, momentum=0.5)
    out = None
    for _ in range(3):
        out = model(mm.tensor([8.0, 0.0, -8.0]))
    expected = np.array([7.0, 0.0, -7.0])  # 8 * (1 - 0.5 ** 3)
    np.testing.assert_allclose(model.mean.numpy(), expected, err_msg="mean after 3 calls with momentum 0.5")
    assert out is not None and np.allclose(out.numpy(), expected), "forward should return the new mean"
    assert int(model.calls.item()) == 3, f"calls is {model.calls.item()} after 3 calls, expected 3"
    assert [name for name, _ in model.named_buffers()] == ["mean", "calls"], \
        "after forward, mean and calls must still be buffers (assign tensors to them)"


@check("split_state separates parameter names from buffer names",
       tip="named_parameters() and named_buffers() each give (name, tensor) pairs; keep the names.",
       hint="return ([n for n, _ in module.named_parameters()], [n for n, _ in module.named_buffers()])")
def splitting(student):
    params, buffers = student.split_state(nn.BatchNorm2d(3))
    assert list(params) == ["weight", "bias"], f"parameter names {params}, expected ['weight', 'bias']"
    expected = ["running_mean", "running_var", "num_batches_tracked"]
    assert list(buffers) == expected, f"buffer names {buffers}, expected {expected}"
    params, buffers = student.split_state(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    assert list(params) == ["0.weight", "0.bias", "1.weight", "1.bias"], f"for a Sequential: {params}"
