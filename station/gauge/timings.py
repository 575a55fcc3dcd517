"""Every wait the driver makes, as data.

The driver never sleeps for a worst case: it polls. These values only bound the polling and set the
few waits the gauge needs before it can be asked anything. They are conservative defaults that a
gauge profile may override (several are UNCONFIRMED in the reference and say so).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class GaugeTimings:
    # -- security transitions (reference §6.1 and field reports: stop polling around them) --
    #: Bus silence before the first key word.
    key_quiet_s: float = 0.100
    #: Wait after the second key word before reading the mode back (reference: ~100 ms is cheap).
    key_settle_s: float = 0.100
    #: The second key word must follow the first within this window (TRM §10.5.2: 4 s).
    key_window_s: float = 4.0
    #: Whole key sequences tried when the bus fails mid-sequence (never on a wrong-key answer).
    key_entry_attempts: int = 2
    seal_poll_s: float = 0.005
    #: How long the gauge is expected to stay busy after MAC 0x0030 (a planning figure from the
    #: profile): the first poll comes then, not every ``seal_poll_s`` from the start.
    seal_busy_s: float = 0.020
    seal_timeout_s: float = 1.0

    # -- reset (reference §9: the reset time is not documented; 300 ms is UNCONFIRMED) --
    reset_min_wait_s: float = 0.300
    reset_poll_s: float = 0.005
    reset_timeout_s: float = 3.0

    # -- shutdown (ship mode) --
    shutdown_poll_s: float = 0.020
    #: The gauge must stay silent this long to count as shut down (one NACK may be a busy gauge).
    shutdown_silent_s: float = 0.200
    shutdown_timeout_s: float = 10.0

    # -- signatures 0x0004/0x0005/0x0008/0x0009 (TRM: result after >= 250 ms) --
    signature_min_wait_s: float = 0.250
    signature_poll_s: float = 0.010
    signature_max_poll_s: float = 0.100
    signature_timeout_s: float = 2.0

    # -- data flash --
    #: Poll interval while the gauge NACKs during a flash write.
    flash_poll_s: float = 0.002
    #: How long a flash write is expected to keep the gauge busy: base + per data byte (planning
    #: figures from the profile). Once the first poll has seen the gauge busy, the next one
    #: comes when the write is expected done: polls in between would only take bus time.
    flash_busy_s: float = 0.008
    flash_busy_per_byte_s: float = 0.0002
    #: Longest a single flash write may keep the gauge busy (reference pauses 100 ms; 1 s bound).
    flash_write_timeout_s: float = 1.0
    #: Attempts per 32-byte data-flash read block (a failed block is re-addressed and read again).
    df_read_attempts: int = 3
    #: Attempts per data-flash write when the write itself is not acknowledged (reference §7.1:
    #: [S6] retries a NACKed write with back-off; the bound is the station's).
    df_write_attempts: int = 5
    #: First back-off before resending a NACKed data-flash write, doubled each time up to the
    #: maximum (reference §7.1: [S6] backs off 10 ms).
    df_write_backoff_s: float = 0.010
    df_write_max_backoff_s: float = 0.080
    #: When a write drew no NACK at all (a gauge that clock-stretches, or answers while it
    #: programs), nothing follows it before this long: the poll proved nothing (reference §7.1:
    #: [S4] paces restore writes 100 ms apart, Linux bq27xxx allows 100 ms; TI's figure is
    #: UNCONFIRMED). A profile sets it from its timing table.
    df_write_min_s: float = 0.100
    #: Back-off before re-addressing a failed data-flash block.
    df_retry_backoff_s: float = 0.005

    # -- reads without PEC --
    #: Reads of one value at most, when two in a row must agree (no PEC): the first two, then
    #: one more each time the last two disagree.
    confirm_reads: int = 6

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and f.name.endswith(("attempts", "reads")):
                if value < 1:
                    raise ValueError(f"GaugeTimings.{f.name} must be at least 1, not {value}")
            elif value < 0:
                raise ValueError(f"GaugeTimings.{f.name} must not be negative, not {value}")

    def flash_busy_for(self, length: int) -> float:
        """How long a flash write of ``length`` bytes is expected to keep the gauge busy."""
        return self.flash_busy_s + self.flash_busy_per_byte_s * length

    def with_overrides(self, **values: Any) -> GaugeTimings:
        """A copy with some values changed (a profile's overrides); unknown names are refused."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown gauge timing(s) {sorted(unknown)}; known: {sorted(known)}")
        return replace(self, **values)
