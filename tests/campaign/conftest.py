"""Campaigns: STATION_FULL_SWEEP=1 runs the full sweeps, and the tests marked ``slow``."""

from __future__ import annotations

import pytest

from tests.campaign.harness import full_sweep


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if full_sweep():
        return
    skip = pytest.mark.skip(reason="slow: set STATION_FULL_SWEEP=1 to run it")
    for item in items:
        if "campaign" in item.nodeid and item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
