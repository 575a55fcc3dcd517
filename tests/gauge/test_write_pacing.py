"""Data-flash write pacing (reference §7.1): nothing follows a write before the gauge has shown it
finished it, and a refused write is retried with back-off, not given up after two attempts."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from station.bus import NackError
from station.gauge import GaugeTimings
from station.keys import ti_default_keys
from tests.gauge.emu import Sim, sim


def _df_writes(s: Sim) -> list[tuple[float, float, int]]:
    """Log (start, end, address) of every data-flash write the device is sent, taken or not."""
    log: list[tuple[float, float, int]] = []
    device = s.device
    transact = device.i2c_rdwr

    def logged(*msgs: Any) -> None:
        raw = bytes(msgs[0])
        start = s.clock.monotonic()
        is_write = len(msgs) == 1 and raw[0] == 0x44 and len(raw) > 4
        try:
            transact(*msgs)
        finally:
            if is_write:
                log.append((start, s.clock.monotonic(), raw[2] | raw[3] << 8))

    device.i2c_rdwr = logged
    return log


def test_a_refused_write_is_retried_with_growing_back_off() -> None:
    timings = GaugeTimings()
    with sim("unsealed", timings=timings) as s:
        s.gauge.security_mode()
        log = _df_writes(s)
        s.device.faults.df_write_nack_at = {1, 2, 3}  # the first three attempts are refused
        s.gauge.write_df(0x4400, b"\x11\x22")
        assert s.device.df_peek(0x4400, 2) == b"\x11\x22"
        assert len(log) == 4
        gaps = [b[0] - a[1] for a, b in itertools.pairwise(log)]
        assert gaps[0] >= timings.df_write_backoff_s
        assert gaps[0] < gaps[1] < gaps[2]  # back-off grows


def test_a_write_refused_every_time_ends_after_a_bounded_number_of_attempts() -> None:
    timings = GaugeTimings()
    with sim("unsealed", timings=timings) as s:
        s.gauge.security_mode()
        log = _df_writes(s)
        s.device.faults.df_write_nack_from = 1
        with pytest.raises(NackError) as err:
            s.gauge.write_df(0x4400, b"\x11")
        assert "0x4400" in str(err.value)
        assert len(log) == timings.df_write_attempts


def test_a_gauge_that_never_nacks_is_given_the_minimum_flash_write_time() -> None:
    # This gauge acknowledges at once while it writes (no NACK, no clock stretching): only the
    # minimum flash-write time tells the station when the next write is safe.
    timings = GaugeTimings()
    with sim("busy-acks", timings=timings) as s:
        s.gauge.unseal(ti_default_keys())
        log = _df_writes(s)
        s.gauge.write_df(0x4400, bytes(range(32)))
        s.gauge.write_df(0x4420, bytes(range(32, 64)))
        assert log[1][0] - log[0][1] >= timings.df_write_min_s
        assert s.device.df_peek(0x4400, 64) == bytes(range(64))


def test_a_gauge_that_nacks_while_busy_is_not_slowed_by_the_minimum_time() -> None:
    timings = GaugeTimings()
    with sim("unsealed", timings=timings) as s:
        s.gauge.security_mode()
        log = _df_writes(s)
        s.gauge.write_df(0x4400, bytes(32))
        s.gauge.write_df(0x4420, bytes(32))
        # The NACK then ACK on the poll showed the write finished: no 100 ms wait.
        assert log[1][0] - log[0][1] < timings.df_write_min_s / 4


def test_the_pacing_figures_come_from_the_profile_timing_table_with_their_source() -> None:
    from station.recipe.product.recipe_loader import load_recipe
    from station.sequence.socket_context import gauge_timings
    from tests.sequence.conftest import RECIPE_4S

    recipe = load_recipe(RECIPE_4S)
    t = recipe.profile.timing
    assert t.df_write_min_ms == 100.0
    assert "§7.1" in t.source_of("df_write_min_ms")
    assert "[S6]" in t.source_of("df_write_backoff_ms")
    driver = gauge_timings(recipe)
    assert driver.df_write_min_s == t.df_write_min_ms / 1000
    assert driver.df_write_backoff_s == t.df_write_backoff_ms / 1000
    assert driver.df_write_attempts == t.df_write_attempts


def test_a_busy_write_is_polled_again_when_it_is_expected_done_not_all_along() -> None:
    """The first poll sees the gauge busy (the proof the write started); the next comes when the
    planned write time is over, not every 2 ms in between: polls there only take bus time."""
    timings = GaugeTimings()
    with sim("unsealed", timings=timings) as s:
        s.gauge.security_mode()
        before = s.device.stats.transactions
        busy_before = s.device.stats.busy_nacks
        s.gauge.write_df(0x4400, bytes(range(32)))
        assert s.device.df_peek(0x4400, 32) == bytes(range(32))
        assert s.device.stats.busy_nacks - busy_before >= 1  # the write was seen under way
        # the write, a busy poll, and at most two more polls once it is expected done
        assert s.device.stats.transactions - before <= 4
