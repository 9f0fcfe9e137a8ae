"""Whether torch is here, and what a lesson folder recorded from PyTorch 2.13 for when it is not.

What the course needs to run a step written in torch (lessons/course.py) without the recorder that
writes the recordings (lessons/pytorch_facts.py, which runs the course's steps in torch).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

# One line for a step or a check that needs torch where it is not installed.
INSTALL = 'torch is not installed here: install it with pip install -e ".[torch]" in minimod\'s folder'
RECORDINGS = "recorded_in_pytorch.json"


def torch_or_none():
    """torch, if it is installed (its import prints nothing into a lesson's output)."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            import torch
    except ImportError:
        return None
    return torch


def recordings(folder: Path) -> dict[str, Any]:
    """The recordings kept in a lesson folder: {"torch": version, "steps": {number: recording}}."""
    path = folder / RECORDINGS
    if not path.exists():
        return {"torch": "", "steps": {}}
    return json.loads(path.read_text(encoding="utf-8"))
