"""The one-step install: what the wheel ships, how an installed copy finds its assets, README and CI agree."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from minimod import cli
from minimod._version import __version__

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("minimod", "inspector", "lessons")
# Left out of the copy that the wheel is built from: caches, environments and earlier builds.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".venv-*", "venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache",
    ".hypothesis",
)


def quickstart_commands() -> list[str]:
    """The command lines in the README's Quickstart code block."""
    readme = (REPO / "README.md").read_text()
    section = re.search(r"^## Quickstart\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quickstart' section"
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section.group(1), re.S)
    assert block, "README.md's Quickstart has no code block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of this checkout, as `pip install <clone>` builds it."""
    source = tmp_path_factory.mktemp("source") / "minimod"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out)]
    result = subprocess.run([*build, str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    [built] = out.glob("minimod-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs it, into a folder away from the checkout."""
    folder = tmp_path_factory.mktemp("site")
    zipfile.ZipFile(wheel).extractall(folder)
    return folder


def _run_installed(site: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the interpreter on the installed copy only: the checkout is neither the cwd nor on the path."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, cwd=site.parent, env=env, timeout=120
    )


@pytest.mark.slow
def test_wheel_ships_every_package_the_assets_and_the_lessons(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in PACKAGES:
        for init in (REPO / package).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                assert init.relative_to(REPO).as_posix() in names
    for asset in (REPO / "assets").rglob("*"):
        relative = asset.relative_to(REPO / "assets")
        if asset.is_file() and relative.parts[0] != "readme":
            assert f"inspector/assets/{relative.as_posix()}" in names, f"assets/{relative} is not shipped"
    for pattern in ("*.md", "*.py", "*.json"):
        for lesson_file in (REPO / "lessons").rglob(pattern):
            if "__pycache__" not in lesson_file.parts:
                assert lesson_file.relative_to(REPO).as_posix() in names
    assert "inspector/assets/inspector.tcss" in names
    assert not any(name.startswith(("tests/", "assets/", "inspector/assets/readme/")) for name in names)


@pytest.mark.slow
def test_wheel_metadata_declares_the_one_step_install(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    info = f"minimod-{__version__}.dist-info"
    metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    requires = set(metadata.get_all("Requires-Dist"))
    for runtime in ("numpy", "numba", "textual==8.2.8", "rich", "graphviz", "graphviz-pure"):
        assert runtime in requires
    assert 'torch==2.13.0; extra == "torch"' in requires
    assert 'pytest<9,>=8; extra == "test"' in requires
    assert metadata["Requires-Python"] == ">=3.11"
    entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert re.search(r"^minimod = minimod\.cli:main$", entry_points, re.M)


@pytest.mark.slow
def test_installed_copy_finds_its_assets_and_runs(site: Path) -> None:
    probe = (
        "import inspector, inspector.resources as r\n"
        "print(inspector.__file__)\n"
        "print(r.asset_path('inspector.tcss'))\n"
    )
    result = _run_installed(site, "-c", probe)
    assert result.returncode == 0, result.stderr
    package_file, stylesheet = result.stdout.splitlines()
    assert Path(package_file) == site / "inspector" / "__init__.py"
    assert Path(stylesheet) == site / "inspector" / "assets" / "inspector.tcss"
    version = _run_installed(site, "-m", "minimod", "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"minimod {__version__}\n"


@pytest.mark.slow
def test_installed_app_finds_its_stylesheet(site: Path) -> None:
    """The inspector App's CSS_PATH, resolved as Textual does (beside app.py), exists in an installed copy."""
    probe = (
        "import inspect\n"
        "from pathlib import Path\n"
        "from textual.app import App\n"
        "import inspector.app as module\n"
        "apps = [value for value in vars(module).values() if isinstance(value, type)\n"
        "        and issubclass(value, App) and value.__module__ == module.__name__]\n"
        "assert apps, 'inspector/app.py defines no App'\n"
        "for app in apps:\n"
        "    paths = app.CSS_PATH if isinstance(app.CSS_PATH, (list, tuple)) else [app.CSS_PATH]\n"
        "    for path in filter(None, paths):\n"
        "        print(Path(inspect.getfile(app)).parent / path)\n"
    )
    result = _run_installed(site, "-c", probe)
    assert result.returncode == 0, result.stderr
    stylesheets = [Path(line) for line in result.stdout.splitlines()]
    assert stylesheets, "the inspector App has no CSS_PATH"
    for stylesheet in stylesheets:
        assert stylesheet.is_file(), f"{stylesheet} is not installed"
        assert stylesheet.resolve().is_relative_to(site.resolve()), f"{stylesheet} is outside the install"


def test_quickstart_is_two_commands_run_and_test() -> None:
    run, test = quickstart_commands()
    assert run.endswith("minimod inspect")
    assert '.[test]"' in test and test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = REPO / ".ci" / "run"
    assert os.access(ci, os.X_OK), ".ci/run is not executable"
    test_command = quickstart_commands()[1]
    assert any(line.startswith(test_command) for line in ci.read_text().splitlines())
    assert subprocess.run(["bash", "-n", str(ci)], capture_output=True).returncode == 0


def test_readme_images_exist() -> None:
    readme = (REPO / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert "assets/readme/convnet.svg" in images and "assets/readme/inspector.png" in images
    for image in images:
        assert (REPO / image).is_file(), f"README.md shows {image}, which does not exist"


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_readme_documents_every_option(name: str) -> None:
    readme = (REPO / "README.md").read_text()
    assert f"### `minimod {name}" in readme, f"README.md has no reference entry for `minimod {name}`"
    subparsers = next(action for action in cli.build_parser(name)._actions if action.dest == "command")
    for action in subparsers.choices[name]._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert f"`{option}" in readme, f"README.md does not document `minimod {name} {option}`"
