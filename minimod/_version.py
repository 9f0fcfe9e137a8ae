"""The version of minimod, read by `minimod --version` and by the package build."""

__version__ = "0.1.0"
