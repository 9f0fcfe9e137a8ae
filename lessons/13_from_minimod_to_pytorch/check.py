"""Lesson 13 checks: safe_checkpoint, safe_load and to_numpy, with a minimod TinyNet and (torch installed)
a PyTorch one."""

import numpy as np

import minimod as mm
from lessons.checker import check


def tiny_net(lib, classes=3, seed=0):
    """The lesson's TinyNet in `lib` (minimod or torch), made after lib.manual_seed(seed). It counts its
    own load_state_dict calls, so a check can tell a missing restore from one that put back nothing."""
    nn = lib.nn

    class TinyNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
            self.head = nn.Linear(8, classes)
            self.loads = 0

        def forward(self, x):
            return self.head(self.body(x))

        def load_state_dict(self, *args, **kwargs):
            self.loads += 1
            return super().load_state_dict(*args, **kwargs)

    lib.manual_seed(seed)
    return TinyNet()


def batch(lib):
    return lib.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))


def train_step(net, lib):
    """One SGD step, as in step 4: every parameter and the BatchNorm's buffers change in place."""
    optimizer = lib.optim.SGD(net.parameters(), lr=0.1)
    (net(batch(lib)) ** 2).mean().backward()
    optimizer.step()


def as_array(value):
    """A state dict value (numpy array or tensor of either library) as a numpy array of our own."""
    return np.array(value.detach().numpy() if hasattr(value, "detach") else value)


def values(model):
    return {key: as_array(value) for key, value in model.state_dict().items()}


def changed_keys(model, before):
    now = values(model)
    return [key for key, value in before.items() if not np.array_equal(now[key], value)]


def taking_a_checkpoint(student, net):
    try:
        return student.safe_checkpoint(net)
    except AttributeError as error:
        if "'clone'" in str(error):
            raise AssertionError(
                f"safe_checkpoint raised AttributeError: {error}: minimod's state dict values are numpy "
                "arrays, which have .copy(), not .clone() (torch's tensors have .clone(), not .copy()): "
                "copy them in a way that works for both") from None
        if "'copy'" in str(error):
            raise AssertionError(
                f"safe_checkpoint raised AttributeError: {error}: PyTorch's state dict values are tensors, "
                "which have .clone(), not .copy() (numpy's arrays have .copy(), not .clone()): "
                "copy them in a way that works for both") from None
        raise


def checkpoint_kept(checkpoint, before, library):
    if checkpoint is None:
        raise AssertionError("safe_checkpoint returned None: return the copy")
    assert list(checkpoint) == list(before), \
        f"safe_checkpoint's keys are {list(checkpoint)}, expected the state dict's {list(before)}"
    followed = [key for key, value in before.items() if not np.array_equal(as_array(checkpoint[key]), value)]
    if followed:
        why = ("in PyTorch, state_dict() values share memory with the parameters, and dict(...) copies only "
               "the dictionary" if library == "PyTorch" else
               "it holds the parameters themselves (as state_dict(keep_vars=True) does), not copies")
        raise AssertionError(
            f"after one optimizer step, your checkpoint's {followed[0]!r} holds the trained values, not the "
            f"ones you saved: {why}; copy each value")


@check("safe_checkpoint copies a minimod model's state dict, and loads back",
       tip="minimod's state dict values are numpy arrays and PyTorch's are tensors: copy them in a way that "
       "works for both (step 4).",
       hint="return copy.deepcopy(model.state_dict())")
def checkpoint_minimod(student):
    net = tiny_net(mm)
    before = values(net)
    checkpoint = taking_a_checkpoint(student, net)
    train_step(net, mm)
    checkpoint_kept(checkpoint, before, "minimod")
    net.load_state_dict(checkpoint)
    assert not changed_keys(net, before), "loading your checkpoint back did not restore the saved values"


@check("safe_checkpoint keeps its values while a PyTorch model trains, and loads back", needs="torch",
       tip="In PyTorch a state dict's values share memory with the parameters: copy every value, keeping "
       "tensors as tensors (step 4).",
       hint="return copy.deepcopy(model.state_dict())")
def checkpoint_torch(student):
    import torch

    net = tiny_net(torch)
    before = values(net)
    checkpoint = taking_a_checkpoint(student, net)
    train_step(net, torch)
    checkpoint_kept(checkpoint, before, "PyTorch")
    try:
        net.load_state_dict(checkpoint)
    except RuntimeError as error:
        if "expected torch.Tensor" in str(error):
            raise AssertionError(
                "PyTorch's load_state_dict refused your checkpoint: its values are numpy arrays, and PyTorch "
                "loads tensors only; copy the values and keep their type (tensors stay tensors)"
            ) from None
        raise
    assert not changed_keys(net, before), "loading your checkpoint back did not restore the saved values"


def loads_and_returns(student, lib):
    net, source = tiny_net(lib), tiny_net(lib, seed=1)
    result = student.safe_load(net, source.state_dict())
    assert not changed_keys(net, values(source)), "safe_load(model, state_dict) did not load the state dict"
    assert result is not None and list(result.missing_keys) == [] and list(result.unexpected_keys) == [], \
        f"safe_load returned {result!r}: return what model.load_state_dict(...) returns"


def failing_load(student, net, lib):
    """safe_load of a 2-class checkpoint into the 3-class net: it must raise RuntimeError (returned)."""
    checkpoint = tiny_net(lib, classes=2, seed=2).state_dict()
    try:
        student.safe_load(net, checkpoint)
    except RuntimeError as error:
        return error
    raise AssertionError("safe_load(model, a 2-class checkpoint) did not raise: after putting the old values "
                         "back, raise the RuntimeError again (a bare `raise`), so the caller knows it failed")


@check("safe_load loads, or raises and changes nothing, for a minimod model",
       tip="Load inside try/except RuntimeError; in the except part put the old values back, then `raise` "
       "(step 5).",
       hint="backup = safe_checkpoint(model); try: return model.load_state_dict(state_dict) "
       "except RuntimeError: model.load_state_dict(backup); raise")
def load_minimod(student):
    loads_and_returns(student, mm)
    net = tiny_net(mm)
    before = values(net)
    failing_load(student, net, mm)
    assert not changed_keys(net, before), "a failed safe_load changed the model"


@check("safe_load changes nothing when a PyTorch load fails", needs="torch",
       tip="PyTorch copies the keys that match before it raises for the others: keep a real copy of the "
       "state dict first, and load it back before raising again (step 5).",
       hint="backup = safe_checkpoint(model); try: return model.load_state_dict(state_dict) "
       "except RuntimeError: model.load_state_dict(backup); raise")
def load_torch(student):
    import torch

    loads_and_returns(student, torch)
    net = tiny_net(torch)
    before = values(net)
    error = failing_load(student, net, torch)
    if "expected torch.Tensor" in str(error):
        raise AssertionError(
            "putting your backup back failed: PyTorch's load_state_dict refused its values, numpy arrays; "
            "PyTorch loads tensors only, so take the backup with a safe_checkpoint that keeps them tensors")
    changed = changed_keys(net, before)
    if changed and net.loads <= 1:
        raise AssertionError(
            f"after the failed load, {changed[0]!r} holds the checkpoint's values: PyTorch had copied the "
            "keys that matched before it raised; put the old values back (a copy taken with safe_checkpoint) "
            "before raising again")
    if changed:
        raise AssertionError(
            f"you put a backup back, but {changed[0]!r} still holds the checkpoint's values: a backup taken "
            "with model.state_dict() follows the model in PyTorch, so it held the half-loaded values; take "
            "it with safe_checkpoint(model)")


@check("to_numpy gives a minimod tensor's values as a numpy array",
       tip="Both libraries have .numpy(); PyTorch allows it only on a tensor outside autograd (step 6).",
       hint="return tensor.detach().numpy()")
def numpy_minimod(student):
    net = tiny_net(mm)
    for name, tensor in (("a parameter", net.head.weight), ("an output", net(batch(mm)))):
        array = student.to_numpy(tensor)
        assert isinstance(array, np.ndarray), \
            f"to_numpy({name}) returned a {type(array).__name__}, expected a numpy.ndarray"
        assert np.array_equal(array, np.array(tensor.detach().numpy())), f"to_numpy({name}) has other values"


@check("to_numpy works on a PyTorch parameter", needs="torch",
       tip="Read PyTorch's error message: it says what to write (step 6).",
       hint="return tensor.detach().numpy()")
def numpy_torch(student):
    import torch

    net = tiny_net(torch)
    try:
        array = student.to_numpy(net.head.weight)
    except RuntimeError as error:
        if "requires grad" in str(error):
            raise AssertionError(
                f"to_numpy(a PyTorch parameter) raised RuntimeError: {error} PyTorch refuses numpy() on a "
                "tensor that requires grad: detach() it first, tensor.detach().numpy(), which works in "
                "minimod too") from None
        raise
    assert isinstance(array, np.ndarray), \
        f"to_numpy(a PyTorch parameter) returned a {type(array).__name__}, expected a numpy.ndarray"
    assert np.array_equal(array, net.head.weight.detach().numpy()), "to_numpy(a parameter) has other values"
