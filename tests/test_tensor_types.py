"""torch's dtype aliases, legacy typed constructors (FloatTensor, ...), Tensor.type() and formatting."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm

ALIASES = {"float": np.float32, "double": np.float64, "half": np.float16, "long": np.int64, "int": np.int32,
           "short": np.int16, "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32,
           "int64": np.int64, "uint8": np.uint8, "float16": np.float16, "float32": np.float32,
           "float64": np.float64}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_dtype_aliases(name):
    dtype = getattr(mm, name)
    assert np.dtype(dtype) == np.dtype(ALIASES[name]) and isinstance(np.dtype(dtype), mm.dtype)
    assert mm.zeros(2, dtype=dtype).dtype == ALIASES[name]
    torch = pytest.importorskip("torch")
    assert str(getattr(torch, name)) == f"torch.{np.dtype(ALIASES[name]).name}"


def test_default_dtype_and_floating_point():
    assert mm.get_default_dtype() == np.float32 and mm.tensor(1.5).dtype == mm.get_default_dtype()
    assert mm.is_floating_point(mm.ones(1)) and not mm.ones(1, dtype=mm.long).is_floating_point()


LEGACY = [("FloatTensor", np.float32), ("DoubleTensor", np.float64), ("HalfTensor", np.float16),
          ("LongTensor", np.int64), ("IntTensor", np.int32), ("ShortTensor", np.int16),
          ("CharTensor", np.int8), ("ByteTensor", np.uint8), ("BoolTensor", np.bool_)]


@pytest.mark.parametrize("name,dtype", LEGACY)
def test_legacy_constructors(name, dtype):
    make = getattr(mm, name)
    from_data = make([1.7, 0.0, 2.0])
    assert from_data.dtype == dtype and from_data.tolist() == np.array([1.7, 0.0, 2.0]).astype(dtype).tolist()
    assert make(2, 3).shape == (2, 3) and make(2, 3).dtype == dtype  # sizes: uninitialised values
    assert make().shape == (0,)
    assert isinstance(from_data, make) and isinstance(from_data, mm.Tensor)
    assert not isinstance(mm.zeros(1, dtype=np.complex64), make)
    assert repr(make) == f"<class 'minimod.{name}'>"
    torch = pytest.importorskip("torch")
    theirs = getattr(torch, name)([1.7, 0.0, 2.0])
    assert from_data.tolist() == theirs.tolist()
    assert tuple(make(2, 3).shape) == tuple(getattr(torch, name)(2, 3).shape)


def test_tensor_type_names_and_converts():
    x = mm.tensor([1.5, 2.5])
    assert x.type() == "minimod.FloatTensor" and x.long().type() == "minimod.LongTensor"
    assert x.type(mm.long).tolist() == [1, 2] and x.type(mm.LongTensor).dtype == mm.int64
    assert x.type("torch.DoubleTensor").dtype == mm.float64 and x.type("minimod.IntTensor").dtype == mm.int32
    assert (mm.tensor([1, 0]) == mm.tensor([1, 1])).type(mm.float).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="invalid type: 'torch.NoTensor'"):
        x.type("torch.NoTensor")
    torch = pytest.importorskip("torch")
    assert torch.tensor([1.5, 2.5]).type(torch.long).tolist() == x.type(mm.long).tolist()


def test_a_0d_tensor_formats_as_its_number_as_in_torch():
    loss = mm.tensor(2.302585)
    assert f"{loss:.4f}" == "2.3026" and f"{loss:>7f}" == "2.302585" and f"{loss}" == str(loss.item())
    assert f"{mm.tensor(3):d}" == "3"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{mm.ones(2):.2f}"
    assert f"{mm.ones(2)}" == repr(mm.ones(2))
    torch = pytest.importorskip("torch")
    assert f"{torch.tensor(2.302585):.4f}" == "2.3026" and f"{torch.tensor(2.302585)}" == f"{loss}"
