"""micrograd's test_engine.py, which checks micrograd's gradients against torch's, with torch = minimod.

Both of its tests must pass on minimod as they do on PyTorch: the same values and gradients in float64.
"""

from __future__ import annotations

import runpy
import sys

import pytest

from minimod.torch_alias import torch_is_minimod
from tests.tutorials.runner import SCRIPTS

MICROGRAD = SCRIPTS / "micrograd"


@pytest.fixture
def test_engine(monkeypatch):
    """test_engine.py's functions, loaded with micrograd importable (as from micrograd's checkout)."""
    monkeypatch.syspath_prepend(str(MICROGRAD))

    def load():
        namespace = runpy.run_path(str(MICROGRAD / "test" / "test_engine.py"))
        return namespace

    yield load
    for name in [name for name in sys.modules if name.split(".")[0] == "micrograd"]:
        del sys.modules[name]


@pytest.mark.parametrize("name", ["test_sanity_check", "test_more_ops"])
def test_micrograd_against_minimod(test_engine, name):
    with torch_is_minimod():
        namespace = test_engine()
        assert namespace["torch"].__name__ == "minimod"
        namespace[name]()


@pytest.mark.parametrize("name", ["test_sanity_check", "test_more_ops"])
def test_micrograd_against_pytorch(test_engine, name):
    pytest.importorskip("torch")
    namespace = test_engine()
    assert namespace["torch"].__name__ == "torch"
    namespace[name]()
