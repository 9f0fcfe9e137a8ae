"""Reusable widgets of the inspector: the module tree, tensor tables, trace table and panels."""
