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


def multinomial_indices(weights, num_samples: int, replacement: bool = False,
                        chosen: Generator | None = None) -> np.ndarray:
    """torch.multinomial on an array: int64 category indices drawn with probability proportional to the
    weights of each row (1-D: one distribution; 2-D: one per row); without replacement, none repeats
    within a row."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = weights.reshape(-1, weights.shape[-1])
    categories = rows.shape[1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = generator(chosen)
    if replacement:
        # inverse transform: a uniform draw falls in category i with probability w_i / Σw
        cumulative = np.cumsum(rows, axis=1)
        draws = rng.random((rows.shape[0], num_samples)) * totals[:, None]
        samples = np.stack([np.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
        samples = np.minimum(samples, categories - 1)
    else:
        # without replacement: the num_samples smallest of Exp(1) / w_i (weighted sampling by keys; as in
        # torch, categories of weight 0 come last, once the others are used up)
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=rows.shape) / rows
        samples = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return samples.astype(np.int64).reshape(*weights.shape[:-1], num_samples)
