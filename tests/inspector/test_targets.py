"""Tests for inspector.targets: zoo names, file and module TARGETs, example inputs, one-line errors."""

import textwrap

import pytest

import minimod as mm
import minimod.zoo as zoo
from inspector.targets import TargetError, check_forward, parse_input_shape, resolve
from minimod import nn
from minimod.errors import UserError

MODEL_FILE = """
import minimod as mm
from minimod import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x)

def build():
    return Net()

def example_input():
    return mm.randn(3, 4)

class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()

class Exploding(nn.Module):
    def __init__(self):
        raise ValueError("no weights\\nfor you")

class NotAModule:
    pass

def returns_int():
    return 3

number = 7
"""


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "my_models.py"
    path.write_text(MODEL_FILE)
    return path


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and isinstance(error.value, UserError)
    return message


def test_no_spec_is_the_zoo_default():
    target = resolve(None)
    assert target.name == zoo.DEFAULT
    assert isinstance(target.model, nn.Module) and target.example_input is not None


@pytest.mark.parametrize("name", list(zoo.ZOO))
def test_every_zoo_name_resolves_and_runs(name):
    target = resolve(name)
    assert target.name == name
    check_forward(target)


def test_file_target_class_and_function_with_example_input_beside_it(model_file):
    target = resolve(f"{model_file}:Net")
    assert type(target.model).__name__ == "Net" and target.name == f"{model_file}:Net"
    assert target.example_input.shape == (3, 4)
    assert check_forward(target).shape == (3, 2)
    assert type(resolve(f"{model_file}:build").model).__name__ == "Net"


def test_input_shape_overrides_and_feeds_a_random_tensor(model_file):
    target = resolve(f"{model_file}:Net", "5,4")
    assert target.example_input.shape == (5, 4) and target.example_input.dtype == mm.float32


def test_module_target(tmp_path, monkeypatch):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODEL_FILE)
    monkeypatch.syspath_prepend(str(tmp_path))
    target = resolve("mypkg.models:Net")
    assert type(target.model).__name__ == "Net" and target.example_input.shape == (3, 4)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("{dir}/missing.py:Net", "missing.py does not exist"),
        ("{file}:Nope", "has no name 'Nope'; models found there: Exploding, NeedsArgs, Net"),
        ("{file}:NotAModule", "is a class but not a Module subclass"),
        ("{file}:number", "is an int, not a Module subclass"),
        ("{file}:returns_int", "returns_int() returned an int, not a Module"),
        ("{file}:NeedsArgs", "NeedsArgs(width) needs arguments"),
        ("{file}:Exploding", "Exploding() raised ValueError: no weights for you"),
        ("{file}", "names a file but not the model in it"),
        ("no_such_model", "unknown TARGET 'no_such_model': not a zoo model (simple_model,"),
        ("no_such_pkg_xyz.models:Net", "no Python module named 'no_such_pkg_xyz'"),
    ],
)
def test_bad_targets_are_one_line_errors(model_file, spec, expected):
    spec = spec.format(dir=model_file.parent, file=model_file)
    with pytest.raises(TargetError) as error:
        resolve(spec)
    assert expected in _one_line(error)


def test_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("x = 1\ndef oops(:\n")
    with pytest.raises(TargetError) as error:
        resolve(f"{path}:Net")
    assert f"syntax error in {path} line 2" in _one_line(error)


def test_import_time_error_is_reported(tmp_path):
    path = tmp_path / "raises.py"
    path.write_text("import minimod\nraise KeyError('weights.npz')\n")
    with pytest.raises(TargetError) as error:
        resolve(f"{path}:Net")
    assert "raised KeyError: 'weights.npz'" in _one_line(error)


@pytest.mark.parametrize("text", ["", "1,x,3", "0,3", "-1,4", "1.5,2", ",,"])
def test_malformed_input_shape(text):
    with pytest.raises(TargetError) as error:
        parse_input_shape(text)
    assert "bad --input-shape" in _one_line(error) and "1,3,32,32" in str(error.value)


def test_input_shape_forms():
    assert parse_input_shape("1,3,32,32") == (1, 3, 32, 32)
    assert parse_input_shape(" (2, 4) ") == (2, 4)
    assert parse_input_shape("8,") == (8,)


def test_wrong_input_shape_is_caught_by_check_forward():
    target = resolve("convnet", "1,3,32,32")
    with pytest.raises(TargetError) as error:
        check_forward(target)
    message = _one_line(error)
    assert message.startswith("running convnet on input of shape (1, 3, 32, 32) failed: RuntimeError")
    assert message.endswith("pass a matching --input-shape")


def test_missing_example_input_is_explained(tmp_path):
    path = tmp_path / "plain.py"
    source = "from minimod import nn\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n"
    path.write_text(source, encoding="utf-8")
    target = resolve(f"{path}:M")
    assert target.example_input is None
    with pytest.raises(TargetError) as error:
        check_forward(target)
    assert "has no example input: pass --input-shape" in _one_line(error)


def test_example_input_of_the_wrong_kind(tmp_path):
    path = tmp_path / "odd.py"
    path.write_text(textwrap.dedent("""
        from minimod import nn
        class M(nn.Module):
            pass
        example_input = "a string"
    """))
    with pytest.raises(TargetError) as error:
        resolve(f"{path}:M")
    assert "example_input is a str" in _one_line(error)


def test_a_target_importing_torch_when_torch_is_missing_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    # runs with and without torch: None in sys.modules makes `import torch` fail as if torch were missing
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    path = tmp_path / "needs_torch.py"
    path.write_text("import torch\n\nclass Net(torch.nn.Module):\n    pass\n")
    with pytest.raises(TargetError) as caught:
        resolve(f"{path}:Net")
    message = str(caught.value)
    assert "imports torch, but torch is not installed" in message and 'pip install -e ".[torch]"' in message
    assert "\n" not in message
