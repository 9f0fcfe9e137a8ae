"""The random generators: the default one behind randn, rand, layer initialisation, dropout and shuffling,
and torch.Generator objects a script makes for itself (random_split(..., generator=g))."""

from __future__ import annotations

import numpy as np

from .device import CPU, check_device


class Generator:
    """torch.Generator: its own stream of random numbers, reproducible after ``manual_seed``.

    Inside is a numpy Generator (the same PCG64 stream for the same seed); minimod's numbers are
    reproducible run to run, not equal to torch's, whose generator is a different algorithm.
    """

    def __init__(self, device="cpu") -> None:
        check_device(device)
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        self._initial_seed = int(seed)
        self.numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Seed from fresh entropy (as torch does) and return that seed."""
        seed = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    @property
    def device(self):
        return CPU

    def __repr__(self) -> str:
        return f"<minimod.Generator object at {id(self):#x}>"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Make randn, rand, initialisation, dropout and shuffling reproducible from here on."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from fresh entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def generator(chosen: Generator | None = None) -> np.random.Generator:
    """The numpy generator to draw from: that of ``chosen`` (a script's own Generator) or the default."""
    if chosen is None:
        return default_generator.numpy
    if not isinstance(chosen, Generator):
        raise TypeError(f"generator must be a minimod.Generator (got {type(chosen).__name__})")
    return chosen.numpy
