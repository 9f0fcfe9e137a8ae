"""A stand-in for torchvision: synthetic datasets and the transforms the tutorials use (see README.md)."""

from . import datasets, io, transforms

__all__ = ["datasets", "io", "transforms"]
