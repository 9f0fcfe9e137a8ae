"""torch.backends: which compute backends this build has. minimod has numpy (and numba), nothing else."""

from . import cudnn, mps

__all__ = ["cudnn", "mps"]
