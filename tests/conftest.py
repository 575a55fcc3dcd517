"""Settings for the whole suite.

Hypothesis never times a test case: the machine running the suite is shared, and a deadline
fails a test for the load, not for the code (the guide: no wall-clock deadlines). Performance
is measured by the benchmarks instead.
"""

from hypothesis import settings

settings.register_profile("station", deadline=None)
settings.load_profile("station")
