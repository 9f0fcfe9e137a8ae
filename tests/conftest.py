"""Shared test setup: Hypothesis profiles (modest example counts; "ci" when the CI variable is set)."""

import os

from hypothesis import settings

# The tests compile numba's kernels in their own process on the first call (MINIMOD_JIT_COMPILE=inline),
# as numba does alone: every kernel call of a test runs the backend it asked for, whenever it runs (the
# default background compile would switch from the numpy twins mid-test). tests/test_warm.py tests the
# background compile itself.
os.environ.setdefault("MINIMOD_JIT_COMPILE", "inline")

# No deadline: the first call of a numba kernel compiles it, which can take seconds.
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
