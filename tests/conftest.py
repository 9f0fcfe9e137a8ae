"""Shared test setup: Hypothesis profiles (modest example counts; "ci" when the CI variable is set)."""

import os

from hypothesis import settings

# No deadline: the first call of a numba kernel compiles it, which can take seconds.
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
