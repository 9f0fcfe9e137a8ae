"""The one random generator behind randn, rand, layer initialisation and dropout."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int):
    """Make randn, rand, initialisation and dropout reproducible from here on."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    return _generator
