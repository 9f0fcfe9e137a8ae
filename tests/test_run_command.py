"""`minimod run SCRIPT.py`: torch's names alias minimod's for one run, one-line errors for what is missing."""

from __future__ import annotations

import sys
import textwrap
import types

import pytest

import minimod
from minimod import cli
from minimod.errors import UserError
from minimod.run_command import run_script
from minimod.torch_alias import ALIASES, MissingFromMinimod, torch_is_minimod


def _script(tmp_path, code: str, name: str = "script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def test_torch_names_are_minimods_modules_inside_the_block_only(monkeypatch):
    real = types.ModuleType("torch")  # whatever `torch` was before (the real one, when installed)
    monkeypatch.setitem(sys.modules, "torch", real)
    before = {name: module for name, module in sys.modules.items() if name.startswith("torch.")}
    with torch_is_minimod():
        import torch
        import torch.nn.functional as F
        from torch.utils.data import DataLoader

        assert torch is minimod and F is minimod.nn.functional and DataLoader is minimod.utils.data.DataLoader
        for alias, name in ALIASES.items():
            assert sys.modules[alias] is sys.modules[name]
    assert sys.modules["torch"] is real
    assert {name: module for name, module in sys.modules.items() if name.startswith("torch.")} == before


def test_a_torch_module_minimod_lacks_is_an_import_error_naming_it():
    with torch_is_minimod():
        with pytest.raises(MissingFromMinimod) as error:
            import torch.distributed  # noqa: F401
        assert error.value.name == "torch.distributed" and isinstance(error.value, ImportError)
        try:  # a script's own fallback still works
            import torch._dynamo  # noqa: F401
            fell_back = False
        except ImportError:
            fell_back = True
        assert fell_back


def test_the_script_runs_as_main_with_its_arguments_and_folder(tmp_path, capsys):
    script = _script(tmp_path, """
        import sys
        import torch
        import helper
        print(__name__, sys.argv[1:], sys.path[0] == __file__.rsplit("/", 1)[0], helper.VALUE, torch.__name__)
    """)
    (tmp_path / "helper.py").write_text("import torch\nVALUE = torch.ones(2).sum().item()\n")
    argv = list(sys.argv)
    assert run_script(str(script), ["--epochs", "2"]) == 0
    assert capsys.readouterr().out == "__main__ ['--epochs', '2'] True 2.0 minimod\n"
    # the run left nothing behind: argv, and no module that saw `torch` as minimod
    assert sys.argv == argv and "helper" not in sys.modules and sys.modules.get("torch") is not minimod


@pytest.mark.parametrize("line,name", [
    ("torch.compile(torch.nn.Linear(2, 2))", "torch.compile"),
    ("from torch.nn import TransformerEncoder", "torch.nn.TransformerEncoder"),
    ("import torch.distributed", "torch.distributed"),
    ("torch.ones(2).nonexistent_method()", "torch.Tensor.nonexistent_method"),
    ("torch.nn.functional.no_such_function(1)", "torch.nn.functional.no_such_function"),
])
def test_a_missing_name_stops_the_script_with_one_line(tmp_path, line, name):
    script = _script(tmp_path, f"import torch\nprint('before')\n{line}\n")
    with pytest.raises(UserError) as error:
        run_script(str(script))
    message = str(error.value)
    assert message.startswith(f"{name} is not in minimod; ") and "\n" not in message
    assert "script.py line 3" in message and "run this script with PyTorch" in message


def test_the_scripts_own_errors_keep_their_traceback(tmp_path, capsys):
    script = _script(tmp_path, """
        import torch

        def step():
            raise ValueError("the script's own mistake")

        step()
    """)
    assert run_script(str(script)) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n") and f'File "{script}", line 7' in err
    assert err.rstrip().endswith("ValueError: the script's own mistake")
    assert "runpy" not in err and "run_command" not in err


def test_a_missing_attribute_of_the_scripts_own_class_is_its_own_error(tmp_path, capsys):
    script = _script(tmp_path, """
        from torch import nn

        class Net(nn.Module):
            pass

        Net().fc3
    """)
    assert run_script(str(script)) == 1
    assert "AttributeError: 'Net' object has no attribute 'fc3'" in capsys.readouterr().err


def test_minimods_one_line_errors_stay_one_line_with_the_place(tmp_path):
    script = _script(tmp_path, "import torch\ntorch.save(torch.nn.Linear(2, 2), 'model.pth')\n")
    with pytest.raises(UserError, match=r"save its state_dict\(\) instead.*script.py line 2\)$"):
        run_script(str(script))


@pytest.mark.parametrize("code,status,stderr", [
    ("", 0, ""), ("sys.exit(3)", 3, ""), ("sys.exit('bye')", 1, "bye\n"), ("sys.exit()", 0, "")])
def test_exit_status_is_pythons(tmp_path, capsys, code, status, stderr):
    script = _script(tmp_path, f"import sys\n{code}\n")
    assert run_script(str(script)) == status
    assert capsys.readouterr().err == stderr


def test_a_missing_script_is_one_line(tmp_path):
    with pytest.raises(UserError, match="cannot run 'nowhere.py': no such file"):
        run_script("nowhere.py")
    with pytest.raises(UserError, match="it is a directory"):
        run_script(str(tmp_path))


def test_the_command_line_passes_the_scripts_arguments_and_prints_one_line_errors(tmp_path, capsys):
    script = _script(tmp_path, "import sys, torch\nprint(sys.argv[1:])\nif '--fail' in sys.argv: torch.jit\n")
    assert cli.main(["run", str(script), "--lr", "0.1", "-v"]) == 0
    assert capsys.readouterr().out == "['--lr', '0.1', '-v']\n"
    assert cli.main(["run", str(script), "--fail"]) == 1
    assert capsys.readouterr().err.startswith("minimod: error: torch.jit is not in minimod; ")


def test_inspect_opens_the_inspector_on_the_scripts_model(tmp_path, monkeypatch):
    from inspector.commands import run_command

    opened = []
    monkeypatch.setattr(run_command, "_open_inspector", lambda *args: opened.append(args))
    script = _script(tmp_path, """
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 1)

        model = Net()
        example_input = torch.ones(1, 2)
    """)
    assert cli.main(["run", "--inspect", "model", str(script)]) == 0
    (title, model, example), = opened
    assert title.endswith("script.py:model") and type(model).__name__ == "Net" and example.shape == (1, 2)
    assert cli.main(["run", "--inspect", "Net", str(script)]) == 0  # a class is built
    assert isinstance(opened[-1][1], minimod.nn.Module)
    with pytest.raises(UserError, match="cannot inspect 'net': .* has no variable of that name when it ends; "
                                        "its models: Net, model"):
        run_command.run(types.SimpleNamespace(script=str(script), args=[], inspect="net"))
    with pytest.raises(UserError, match="cannot inspect 'example_input': it is a Tensor, not an nn.Module"):
        run_command.run(types.SimpleNamespace(script=str(script), args=[], inspect="example_input"))


def test_the_inspector_receives_the_trained_model(tmp_path, monkeypatch):
    """The real hand-over (the app's run, which would take the terminal, is replaced)."""
    pytest.importorskip("textual")
    from inspector.app import InspectorApp

    apps = []
    monkeypatch.setattr(InspectorApp, "run", lambda self, *args, **kwargs: apps.append(self))
    script = _script(tmp_path, "import torch\nmodel = torch.nn.Sequential(torch.nn.Linear(3, 2))\n")
    assert cli.main(["run", "--inspect", "model", str(script)]) == 0
    (app,) = apps
    assert app.target.name.endswith("script.py:model") and repr(app.target.model).startswith("Sequential(")
    assert app.target.example_input is None
