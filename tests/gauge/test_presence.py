"""Whether a gauge answers at its address: the question behind the socket's ready state."""

from __future__ import annotations

import pytest

from station.bus import BusTimeoutError
from tests.gauge.emu import sim


@pytest.mark.parametrize("scenario", ["default", "unsealed", "shipped", "foreign-keys"])
def test_a_gauge_in_any_mode_answers(scenario: str) -> None:
    with sim(scenario) as s:
        assert s.gauge.answers()
        assert s.device.transaction_count == 1  # one read, no mode change


def test_an_empty_fixture_does_not_answer() -> None:
    with sim("empty") as s:
        assert not s.gauge.answers()


def test_a_pack_whose_answer_is_garbled_still_counts_as_present() -> None:
    with sim("default", pec=True) as s:
        s.device.faults.corrupt_at = {0, 1}  # both tries come back with a bad PEC
        assert s.gauge.answers()


def test_a_stuck_bus_is_not_an_empty_fixture() -> None:
    with sim("bus-stuck") as s, pytest.raises(BusTimeoutError):
        s.gauge.answers()
