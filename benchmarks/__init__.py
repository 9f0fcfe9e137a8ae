"""Benchmarks (`python -m benchmarks`): minimod against hand-written numpy and PyTorch, as ratios."""
