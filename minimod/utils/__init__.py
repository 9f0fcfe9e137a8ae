"""torch.utils: data loading (minimod.utils.data)."""

from . import data

__all__ = ["data"]
