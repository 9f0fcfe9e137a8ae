"""Module.type(dst_type): every parameter and buffer cast, integer buffers too (unlike to() and double())."""

import numpy as np
import pytest

import minimod as mm
from minimod import nn


def test_type_casts_integer_buffers_where_double_does_not():
    doubled = nn.BatchNorm1d(3).double()
    typed = nn.BatchNorm1d(3)
    weight = typed.weight
    assert typed.type(mm.float64) is typed
    assert doubled.num_batches_tracked.dtype == np.int64
    assert {str(t.dtype) for t in typed.state_dict(keep_vars=True).values()} == {"float64"}
    assert typed.weight is weight  # the same Parameter object, its data converted


def test_type_accepts_a_tensor_type_name_and_refuses_integers_for_parameters():
    assert nn.Linear(2, 2).type("minimod.DoubleTensor").weight.dtype == np.float64
    with pytest.raises(ValueError, match="invalid type: 'torch.DoubleTensor'"):
        nn.Linear(2, 2).type("torch.DoubleTensor")
    with pytest.raises(RuntimeError, match="must be floating point or complex dtype"):
        nn.Linear(2, 2).type(mm.int64)


def test_type_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = {k: str(v.dtype).removeprefix("torch.")
              for k, v in torch.nn.BatchNorm1d(3).type(torch.float64).state_dict().items()}
    ours = {k: str(v.dtype) for k, v in nn.BatchNorm1d(3).type(mm.float64).state_dict().items()}
    assert ours == theirs
    with pytest.raises(RuntimeError, match="must be floating point or complex dtype"):
        torch.nn.Linear(2, 2).type(torch.int64)
