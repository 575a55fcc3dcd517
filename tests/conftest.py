"""Settings for the whole suite."""

from __future__ import annotations

from hypothesis import settings

# The suite runs on shared, loaded machines: an example's wall-clock time says nothing about the
# code under test, so no example fails for being slow (each test keeps its own example count).
settings.register_profile("station", deadline=None)
settings.load_profile("station")
