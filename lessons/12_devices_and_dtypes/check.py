"""Lesson 12 checks: device_of (with and without parameters), to_dtype converts both, memory_bytes."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


@check("device_of names the device of the first parameter",
       tip="next() takes the first item of parameters(); give it a default for a model without any.",
       hint="first = next(model.parameters(), None); "
       "return mm.device('cpu') if first is None else first.device")
def devices(student):
    assert student.device_of(nn.Linear(2, 2)) == "cpu", "a minimod model lives on the CPU"
    try:
        device = student.device_of(nn.ReLU())
    except StopIteration:
        raise AssertionError("device_of(nn.ReLU()) raised StopIteration: a model without parameters "
                             "should give mm.device('cpu'), not raise StopIteration; give next() a default"
                             ) from None
    assert device == "cpu", f"device_of(nn.ReLU()) gave {device!r}, expected mm.device('cpu')"


@check("to_dtype converts the model and the input",
       tip="Module.to converts in place, but Tensor.to returns a new tensor: return that one (step 2).",
       hint="return model.to(dtype), x.to(dtype)")
def converting(student):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    x = mm.randn(4, 3)
    result = student.to_dtype(model, x, mm.float64)
    assert isinstance(result, tuple) and len(result) == 2, "return the pair (model, x)"
    new_model, new_x = result
    assert new_x.dtype == np.float64, (
        f"the input is still {new_x.dtype}: x.to(dtype) returns a new tensor, which you have to keep "
        "(x = x.to(dtype))")
    assert new_model[0].weight.dtype == np.float64, "the model's parameters should be float64"
    assert new_model[1].num_batches_tracked.dtype == np.int64, \
        "to(dtype) keeps integer buffers as they are; type() would convert them too"
    assert new_model(new_x).dtype == np.float64


@check("memory_bytes adds up every parameter and buffer",
       tip="Each tensor takes numel() numbers of element_size() bytes; buffers count too (step 4).",
       hint="sum(t.numel() * t.element_size() for t in model.state_dict(keep_vars=True).values())")
def memory(student):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    expected = (12 + 3 + 3 + 3 + 3 + 3) * 4 + 8  # float32 numbers, and one int64 counter
    got = student.memory_bytes(model)
    if got == 15 * 4 + 6 * 4:
        raise AssertionError(f"memory_bytes gave {got}: buffers take memory too (state_dict has them)")
    assert got == expected, f"memory_bytes gave {got}, expected {expected}"
    model.half()
    assert student.memory_bytes(model) == (expected - 8) // 2 + 8, "after half() the floats take half"
