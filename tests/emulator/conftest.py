from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from station.clock import VirtualClock
from station.emulator import open_emulator
from tests.emulator.raw import RawHost

Make = Callable[..., RawHost]


@pytest.fixture
def make() -> Make:
    def build(scenario: str = "default", **options: Any) -> RawHost:
        # The raw host checks the PEC of every answer: these packs send it (SBS Configuration
        # HPE set) unless a test asks otherwise.
        options.setdefault("host_pec", True)
        clock = VirtualClock()
        return RawHost(open_emulator(scenario, clock=clock, **options), clock)

    return build


@pytest.fixture
def host(make: Make) -> RawHost:
    return make("default")


@pytest.fixture
def unsealed(make: Make) -> RawHost:
    return make("unsealed")


@pytest.fixture
def full(make: Make) -> RawHost:
    return make("full-access")
