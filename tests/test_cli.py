"""The `minimod` command line: subcommand dispatch, lazy imports, and one-line errors."""

import argparse
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from minimod import cli
from minimod._version import __version__
from minimod.errors import UserError

REPO = Path(__file__).resolve().parents[1]
HEAVY_MODULES = ("textual", "graphviz", "numba")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter that imports this checkout."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=120
    )


@pytest.fixture
def fake_command(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A command `fake` whose module records what it was given; `behaviour` decides what run does."""
    seen = types.SimpleNamespace(args=None, behaviour=lambda args: 3)
    module = types.ModuleType("fake_minimod_command")

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("target")
        parser.add_argument("--input-shape", default=None)

    def run(args: argparse.Namespace) -> int:
        seen.args = args
        return seen.behaviour(args)

    module.add_arguments = add_arguments
    module.run = run
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(cli.COMMANDS, "fake", (module.__name__, "a fake command for the tests"))
    return seen


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"minimod {__version__}\n"


def test_no_command_prints_help_with_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for name, (_module, summary) in cli.COMMANDS.items():
        assert name in out
        assert summary.split()[0] in out


def test_help_imports_no_command_module(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    # A module that does not exist: listing it in --help must not try to import it.
    monkeypatch.setitem(cli.COMMANDS, "ghost", ("minimod.no_such_command_module", "a ghost command"))
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    assert "a ghost command" in capsys.readouterr().out


def test_chosen_command_gets_its_options_and_exit_status(fake_command) -> None:
    assert cli.main(["fake", "mlp", "--input-shape", "1,3,32,32"]) == 3
    assert fake_command.args.command == "fake"
    assert fake_command.args.target == "mlp"
    assert fake_command.args.input_shape == "1,3,32,32"


def test_command_help_shows_its_own_options(fake_command, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["fake", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "--input-shape" in out and "a fake command for the tests" in out


def test_run_returning_none_is_success(fake_command) -> None:
    fake_command.behaviour = lambda args: None
    assert cli.main(["fake", "mlp"]) == 0


def test_user_error_is_one_line_and_exit_1(fake_command, capsys) -> None:
    def fail(args):
        raise UserError("unknown TARGET 'mlpp': run `minimod zoo` to list the models")

    fake_command.behaviour = fail
    assert cli.main(["fake", "mlpp"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "minimod: error: unknown TARGET 'mlpp': run `minimod zoo` to list the models\n"
    assert captured.out == ""


def test_user_error_subclass_is_caught(fake_command, capsys) -> None:
    class BadShape(UserError):
        pass

    def fail(args):
        raise BadShape("--input-shape '1,x': expected integers separated by commas")

    fake_command.behaviour = fail
    assert cli.main(["fake", "mlp"]) == 1
    assert capsys.readouterr().err.startswith("minimod: error: --input-shape '1,x'")


def test_other_exceptions_are_not_hidden(fake_command) -> None:
    def crash(args):
        raise ZeroDivisionError("a bug, not a user's mistake")

    fake_command.behaviour = crash
    with pytest.raises(ZeroDivisionError):
        cli.main(["fake", "mlp"])


def test_keyboard_interrupt_is_one_line(fake_command, capsys) -> None:
    def interrupt(args):
        raise KeyboardInterrupt

    fake_command.behaviour = interrupt
    assert cli.main(["fake", "mlp"]) == 130
    assert capsys.readouterr().err == "minimod: error: interrupted\n"


def test_unknown_command_is_one_line_and_exit_1(capsys) -> None:
    """argparse's own mistakes are one line and exit 1 too, not its usage text and exit 2."""
    assert cli.main(["inspectt"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minimod: error: argument COMMAND: invalid choice: 'inspectt'")
    assert err.count("\n") == 1 and err.rstrip().endswith("see 'minimod --help'")


def test_a_bad_option_of_a_command_is_one_line_and_exit_1(fake_command, capsys) -> None:
    assert cli.main(["fake", "mlp", "--no-such-option"]) == 1
    err = capsys.readouterr().err
    assert err == "minimod: error: unrecognized arguments: --no-such-option; see 'minimod --help'\n"
    assert fake_command.args is None


def test_missing_command_module_is_one_line_error(monkeypatch, capsys) -> None:
    monkeypatch.setitem(cli.COMMANDS, "ghost", ("minimod.no_such_command_module", "a ghost command"))
    assert cli.main(["ghost"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minimod: error: the 'ghost' command is not available")
    assert "minimod.no_such_command_module" in err
    assert err.count("\n") == 1


def test_missing_dependency_of_a_command_names_the_package(monkeypatch, tmp_path, capsys) -> None:
    (tmp_path / "needs_missing_dependency.py").write_text("import not_a_real_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "needy", ("needs_missing_dependency", "needs a package"))
    assert cli.main(["needy"]) == 1
    err = capsys.readouterr().err
    assert "'not_a_real_dependency_xyz'" in err and "not installed" in err
    assert err.count("\n") == 1


def test_python_dash_m_minimod() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "minimod", "--version"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"minimod {__version__}\n"


def test_cli_imports_no_heavy_module() -> None:
    result = _python(
        "import sys, minimod.cli\n"
        f"print([name for name in {HEAVY_MODULES!r} if name in sys.modules])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_command_module_is_complete_and_cheap_to_import(name: str) -> None:
    """Each real command module exists, defines add_arguments and run, and imports nothing heavy."""
    module_name = cli.COMMANDS[name][0]
    result = _python(
        "import importlib, sys\n"
        f"module = importlib.import_module({module_name!r})\n"
        "assert callable(module.add_arguments) and callable(module.run), 'add_arguments or run missing'\n"
        f"print([name for name in {HEAVY_MODULES!r} if name in sys.modules])\n"
        "from minimod import cli\n"
        f"cli.build_parser({name!r})\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{module_name} imports {result.stdout.strip()} at its top level"


def test_rendering_and_inspecting_a_minimod_model_never_imports_torch(tmp_path) -> None:
    # torch takes seconds to import: only a model written in torch (whose own code imports it) may bring it in
    result = _python(
        "import sys\n"
        "from minimod.cli import main\n"
        f"assert main(['render', 'convnet', '--view', 'flow', '-o', {str(tmp_path / 'c.svg')!r}]) == 0\n"
        "from inspector.session import Session\n"
        "from inspector.targets import resolve\n"
        "target = resolve('convnet')\n"
        "session = Session(target.model, target.example_input, 'convnet')\n"
        "session.backward(); session.compare_modes()\n"
        "print('torch' in sys.modules)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
