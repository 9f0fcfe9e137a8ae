"""minimod's import contracts (pyproject.toml's [tool.importlinter]) hold: the core's layers point one way,
and no file or package of minimod imports one that imports it back (deferred imports included)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

REPO = Path(__file__).resolve().parent.parent
CONTRACTS = ("minimod-core-layers", "minimod-acyclic")


def _lint_imports(*contracts: str) -> subprocess.CompletedProcess[str]:
    beside_python = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    command = beside_python or shutil.which("lint-imports")
    if command is None:
        pytest.skip("lint-imports is not on PATH")
    arguments = [argument for contract in contracts for argument in ("--contract", contract)]
    return subprocess.run([command, "--no-cache", *arguments], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_minimods_import_contracts_are_kept():
    result = _lint_imports(*CONTRACTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout
