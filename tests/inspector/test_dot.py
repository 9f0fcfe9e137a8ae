"""Finding the dot program: $MINIMOD_DOT, then graphviz-pure beside the interpreter, then `dot` on PATH."""

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from inspector import dot
from minimod.errors import UserError


def _program(directory: Path, name: str) -> Path:
    """An executable file `name` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """An empty scripts folder for the interpreter and an empty PATH, with no $MINIMOD_DOT."""
    scripts, path_dir = tmp_path / "venv-bin", tmp_path / "path-bin"
    scripts.mkdir()
    path_dir.mkdir()
    monkeypatch.delenv(dot.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(path_dir))
    monkeypatch.setattr(dot, "_interpreter_script_dirs", lambda: [scripts])
    return {"scripts": scripts, "path": path_dir, "tmp": tmp_path}


def test_bundled_graphviz_pure_comes_first(places) -> None:
    bundled = _program(places["scripts"], "graphviz-pure")
    _program(places["path"], "dot")
    assert dot.find_dot() == str(bundled)


def test_dot_on_path_when_nothing_is_bundled(places) -> None:
    system_dot = _program(places["path"], "dot")
    _program(places["path"], "graphviz-pure")
    assert dot.find_dot() == str(system_dot)


def test_graphviz_pure_on_path_is_the_last_resort(places) -> None:
    on_path = _program(places["path"], "graphviz-pure")
    assert dot.find_dot() == str(on_path)


def test_a_plain_file_is_not_a_program(places) -> None:
    (places["scripts"] / "graphviz-pure").write_text("not executable")
    system_dot = _program(places["path"], "dot")
    assert dot.find_dot() == str(system_dot)


def test_environment_variable_overrides_everything(places, monkeypatch) -> None:
    _program(places["scripts"], "graphviz-pure")
    _program(places["path"], "dot")
    chosen = _program(places["tmp"] / "elsewhere", "my-dot")
    monkeypatch.setenv(dot.ENV_VAR, str(chosen))
    assert dot.find_dot() == str(chosen)


def test_environment_variable_may_name_a_program_on_path(places, monkeypatch) -> None:
    chosen = _program(places["path"], "my-dot")
    monkeypatch.setenv(dot.ENV_VAR, "my-dot")
    assert dot.find_dot() == str(chosen)


def test_bad_environment_variable_is_a_one_line_user_error(places, monkeypatch) -> None:
    _program(places["scripts"], "graphviz-pure")  # must not be used silently instead
    missing = places["tmp"] / "no" / "dot"
    monkeypatch.setenv(dot.ENV_VAR, str(missing))
    with pytest.raises(UserError) as error:
        dot.find_dot()
    message = str(error.value)
    assert "MINIMOD_DOT" in message and str(missing) in message and "\n" not in message


def test_nothing_found_says_how_to_install(places) -> None:
    with pytest.raises(dot.DotNotFoundError) as error:
        dot.find_dot()
    assert isinstance(error.value, UserError)
    message = str(error.value)
    assert "pip install graphviz-pure" in message and "MINIMOD_DOT" in message and "\n" not in message


def test_script_dirs_start_with_the_interpreters_own() -> None:
    assert dot._interpreter_script_dirs()[0] == Path(sysconfig.get_path("scripts"))


def test_real_program_is_the_bundled_one_and_draws_svg(monkeypatch) -> None:
    """graphviz-pure is a dependency: installed beside this interpreter, and called like `dot -Tsvg`."""
    monkeypatch.delenv(dot.ENV_VAR, raising=False)
    expected = shutil.which("graphviz-pure", path=sysconfig.get_path("scripts"))
    assert expected is not None, "graphviz-pure is not installed beside this interpreter"
    program = dot.find_dot()
    assert program == expected
    result = subprocess.run(
        [program, "-Tsvg"], input=b"digraph { conv1 -> relu }", capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    svg = result.stdout.decode()
    assert "<svg" in svg and "conv1" in svg and "relu" in svg
