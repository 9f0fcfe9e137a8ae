"""A stand-in for matplotlib that draws nothing (see README.md)."""
