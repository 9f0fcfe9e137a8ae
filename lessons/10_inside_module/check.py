"""Lesson 10 checks: home_of, hook_count, and Scale loading old key names (alone and nested)."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn


class _Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0
        self.weight = nn.Parameter(mm.ones(3))
        self.register_buffer("count", mm.tensor(0))
        self.inner = nn.Linear(3, 3, bias=False)


@check("home_of finds each attribute's dictionary",
       tip="Look in the three dictionaries Module.__init__ creates first, then in the plain __dict__.",
       hint="for home in ('_parameters', '_buffers', '_modules'): if name in getattr(module, home): "
       "return home; then return '__dict__' if name in module.__dict__ else None")
def homes(student):
    tiny = _Tiny()
    expected = {"scale": "__dict__", "weight": "_parameters", "count": "_buffers", "inner": "_modules",
                "missing": None}
    got = {name: student.home_of(tiny, name) for name in expected}
    if got["weight"] == "__dict__" or got["inner"] == "__dict__":
        raise AssertionError(f"home_of gave {got}: hasattr() and getattr() find parameters through "
                             "__getattr__, so they cannot tell where a name lives; look in the dictionaries")
    assert got == expected, f"home_of gave {got}, expected {expected}"
    assert student.home_of(tiny.inner, "bias") == "_parameters", \
        "a bias-free Linear keeps the name 'bias' in _parameters (its value is None)"


@check("hook_count counts every kind of hook on every module",
       tip="Four hook dictionaries per module, and every module of the tree (modules()) (step 3).",
       hint="sum(len(m._forward_pre_hooks) + len(m._forward_hooks) + len(m._backward_pre_hooks) "
       "+ len(m._backward_hooks) for m in model.modules())")
def counting(student):
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 2)))
    assert student.hook_count(model) == 0, "a fresh model has no hooks"
    handles = [model.register_forward_pre_hook(lambda module, args: None),
               model[0].register_forward_hook(lambda module, args, output: None),
               model[1][1].register_full_backward_hook(lambda module, grad_input, grad_output: None),
               model[1][0].register_full_backward_pre_hook(lambda module, grad_output: None),
               model[1][1].register_forward_hook(lambda module, args, output: None)]
    got = student.hook_count(model)
    assert got == 5, f"hook_count gave {got} with 5 hooks on 4 modules (count every module, every kind)"
    handles[0].remove()
    handles[4].remove()
    assert student.hook_count(model) == 3, "after removing two handles, 3 hooks are left"


@check("Scale loads its old key names w and b",
       tip="Rename the old entries in the state dict you are given, with the prefix in front, before "
       "super()._load_from_state_dict sees them (step 4).",
       hint="for old, new in {'w': 'weight', 'b': 'bias'}.items(): if prefix + old in state_dict: "
       "state_dict[prefix + new] = state_dict.pop(prefix + old); then super()._load_from_state_dict(...)")
def old_keys(student):
    scale = student.Scale(3)
    old = {"w": np.full(3, 2.0, dtype=np.float32), "b": np.full(3, 0.5, dtype=np.float32)}
    result = scale.load_state_dict(old)
    assert not result.missing_keys and not result.unexpected_keys, f"loading old keys reported {result}"
    np.testing.assert_allclose(scale.weight.numpy(), 2.0, err_msg="weight should come from 'w'")
    np.testing.assert_allclose(scale(mm.ones(3)).numpy(), 2.5, err_msg="bias should come from 'b'")
    assert list(scale.state_dict()) == ["weight", "bias"], "the state dict it saves uses the new names"


@check("Scale loads old keys inside a container and new keys as before",
       tip="Inside a container the keys start with the module's prefix, such as '1.' (step 4).",
       hint="use prefix + 'w', not 'w': the prefix is the module's path plus a dot")
def nested(student):
    model = nn.Sequential(student.Scale(2), student.Scale(2))
    state = {"0.weight": np.full(2, 3.0, dtype=np.float32), "0.bias": np.zeros(2, dtype=np.float32),
             "1.w": np.full(2, 4.0, dtype=np.float32), "1.b": np.ones(2, dtype=np.float32)}
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise AssertionError(
            "loading a Sequential whose second Scale has old keys ('1.w', '1.b') failed: inside a "
            "container the keys start with the module's prefix ('1.'), so rename prefix + 'w', not 'w'. "
            f"The load said: {str(error).splitlines()[-1].strip()}") from None
    np.testing.assert_allclose(model[0].weight.numpy(), 3.0, err_msg="new keys must still load")
    np.testing.assert_allclose(model[1].weight.numpy(), 4.0, err_msg="'1.w' should load into model[1].weight")
    stray = dict(state, **{"1.x": np.ones(2, dtype=np.float32)})
    try:
        model.load_state_dict(stray)
    except RuntimeError as error:
        assert '"1.x"' in str(error), f"the error should name the stray key 1.x: {error}"
    else:
        raise AssertionError("a stray key '1.x' must still be reported as unexpected (strict=True)")
