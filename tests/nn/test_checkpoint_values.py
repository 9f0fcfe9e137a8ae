"""load_state_dict refuses the values torch refuses (object, string, complex, bool numpy arrays into
float parameters), with torch's message where torch has one; the model is left as it was."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minimod as mm
from minimod.nn.checkpoint_values import TORCH_NUMPY_DTYPES

UNCONVERTIBLE = {  # numpy dtype -> the type name torch's message uses
    "object": "object_", "<U3": "str_", "|S3": "bytes_", "|V8": "void", "datetime64[s]": "datetime64",
    "timedelta64[s]": "timedelta64", "longdouble": "longdouble",
}
TORCH_LIST = ("float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
              "uint16, uint8, and bool")


def _array(dtype: str) -> np.ndarray:
    return np.zeros((2, 2), dtype=dtype) if dtype in ("|V8",) else np.ones((2, 2), dtype=dtype)


def _load(value, assign=False):
    """Load value as a Linear(2, 2)'s weight: (the error's text or None, whether the weight changed)."""
    mm.manual_seed(0)
    linear = mm.nn.Linear(2, 2)
    before = linear.weight.numpy().copy()
    try:
        linear.load_state_dict({"weight": value, "bias": np.zeros(2, np.float32)}, assign=assign)
    except RuntimeError as error:
        unchanged = np.array_equal(linear.weight.numpy(), before) and linear.weight.dtype == mm.float32
        assert unchanged, "a refused load changed the model"
        return str(error)
    return None


def _expected(message: str) -> str:
    return ('Error(s) in loading state_dict for Linear:\n\tWhile copying the parameter named "weight", whose '
            "dimensions in the model are minimod.Size([2, 2]) and whose dimensions in the checkpoint are "
            f"minimod.Size([2, 2]), an exception occurred : ({message!r},).")


@pytest.mark.parametrize("dtype", list(UNCONVERTIBLE))
def test_arrays_torch_cannot_convert_are_refused_with_its_message(dtype):
    message = (f"can't convert np.ndarray of type numpy.{UNCONVERTIBLE[dtype]}. The only supported types "
               f"are: {TORCH_LIST}.")
    assert _load(_array(dtype)) == _expected(message)


def test_a_complex_array_into_a_float_parameter_is_refused_not_truncated():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's ComplexWarning used to be all there was
        message = _load(np.full((2, 2), 1 + 2j, np.complex64))
    assert message == _expected("Casting complex values to real discards the imaginary part")


def test_a_bool_array_into_a_float_parameter_is_refused():
    assert _load(np.ones((2, 2), bool)) == _expected(
        "a bool array would load as 0.0 and 1.0 into a float32 tensor; convert it first "
        "(array.astype(np.float32)) if that is meant")


def test_every_problem_is_reported_together():
    linear = mm.nn.Linear(2, 2)
    with pytest.raises(RuntimeError) as info:
        linear.load_state_dict({"weight": np.ones((2, 2), complex), "bias": np.array(["a", "b"])})
    assert 'named "weight"' in str(info.value) and 'named "bias"' in str(info.value)


@pytest.mark.parametrize("value", [
    np.ones((2, 2), np.int64), np.ones((2, 2), np.float64), np.ones((2, 2), np.float16),
    np.ones((2, 2), np.uint8),
    mm.ones(2, 2, dtype=mm.bool), mm.ones(2, 2, dtype=mm.int64), mm.ones(2, 2, dtype=mm.float64),
], ids=["int64", "float64", "float16", "uint8", "bool-tensor", "int-tensor", "float64-tensor"])
def test_what_torch_takes_still_loads(value):
    assert _load(value) is None


def test_a_bool_array_into_a_bool_buffer_and_an_int_into_num_batches_tracked_load():
    norm = mm.nn.BatchNorm1d(2)
    norm.register_buffer("mask", mm.zeros(2, dtype=mm.bool))
    state = {key: np.array(value) for key, value in norm.state_dict().items()}
    state["mask"] = np.array([True, False])
    state["num_batches_tracked"] = np.array(5)
    norm.load_state_dict(state)
    assert norm.mask.tolist() == [True, False] and int(norm.num_batches_tracked) == 5


@pytest.mark.parametrize("value", [np.ones((2, 2), bool), np.ones((2, 2), np.int64),
                                   mm.ones(2, 2, dtype=mm.bool)], ids=["bool", "int", "bool-tensor"])
def test_assign_refuses_a_non_float_value_for_a_parameter_that_requires_grad(value):
    assert _load(value, assign=True) == _expected(
        "Only Tensors of floating point and complex dtype can require gradients")


def test_assign_refuses_a_complex_parameter_minimod_cannot_have():
    message = _load(np.ones((2, 2), np.complex64), assign=True)
    assert "minimod has no complex parameters" in message


# --- the same cases in the installed torch --------------------------------------------------------------


def test_the_list_of_convertible_dtypes_is_torchs():
    torch = pytest.importorskip("torch")
    for name in TORCH_NUMPY_DTYPES:
        torch.as_tensor(np.ones(2, dtype=name))  # converts
    with pytest.raises(TypeError) as info:
        torch.as_tensor(np.ones(2, dtype=object))
    assert str(info.value).endswith(f"The only supported types are: {TORCH_LIST}.")


@pytest.mark.parametrize("dtype", list(UNCONVERTIBLE))
def test_the_conversion_message_is_torchs(dtype):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError) as info:
        torch.as_tensor(_array(dtype))
    assert _load(_array(dtype)) == _expected(str(info.value))


def test_the_complex_message_is_torchs_warning():
    torch = pytest.importorskip("torch")
    linear = torch.nn.Linear(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        linear.load_state_dict({"weight": torch.ones(2, 2, dtype=torch.complex64), "bias": torch.zeros(2)})
    torch_text = str(caught[0].message).split(" (Triggered internally")[0]
    assert _load(np.ones((2, 2), np.complex64)) == _expected(torch_text)


def test_tensors_behave_as_torchs_tensors():
    """A bool Tensor loads into a float weight in both; a complex one loads with the same warning."""
    torch = pytest.importorskip("torch")
    torch_linear = torch.nn.Linear(2, 2)
    torch_linear.load_state_dict({"weight": torch.ones(2, 2, dtype=torch.bool), "bias": torch.zeros(2)})
    assert _load(mm.ones(2, 2, dtype=mm.bool)) is None
    linear = mm.nn.Linear(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        linear.load_state_dict({"weight": mm.Tensor._wrap(np.full((2, 2), 1 + 2j, np.complex64)),
                                "bias": mm.zeros(2)})
    assert [str(w.message) for w in caught] == ["Casting complex values to real discards the imaginary part"]
    assert linear.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_assign_message_is_torchs():
    torch = pytest.importorskip("torch")
    linear = torch.nn.Linear(2, 2)
    with pytest.raises(RuntimeError) as info:
        linear.load_state_dict({"weight": torch.ones(2, 2, dtype=torch.bool), "bias": torch.zeros(2)},
                               assign=True)
    torch_text = str(info.value).replace("torch.Size", "minimod.Size")
    assert _load(mm.ones(2, 2, dtype=mm.bool), assign=True) == torch_text
