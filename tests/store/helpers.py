"""Builders for store tests: a wall clock that moves only when told, a fake process table, and
attempts and steps as the sequence engine would hand them over."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from station.store import (
    SEAL_STEP,
    VERIFY_STEP,
    AttemptOutcome,
    AttemptStart,
    AttemptSummary,
    MeasurementRecord,
    StepOutcome,
    StepRecord,
    Store,
)

HOST = "line-pc-1"
PID = 4242


class WallClock:
    """The store's wall clock, moved by the test (never by real time)."""

    def __init__(self, start: datetime = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **delta: float) -> datetime:
        self.t += timedelta(**delta)
        return self.t


class Liveness:
    """Which pids are running on this host, as the store's liveness probe sees them."""

    def __init__(self) -> None:
        self.alive: set[int] = {PID}
        self.asked: list[int] = []

    def __call__(self, pid: int, since: datetime) -> bool:
        self.asked.append(pid)
        return pid in self.alive


def start_record(serial: str = "PK-0001", **changes: Any) -> AttemptStart:
    base = AttemptStart(
        serial=serial,
        station_id="ST-01",
        socket="A",
        operator="alice",
        recipe_name="pack-4s2p",
        recipe_version="1.2",
        recipe_hash="a" * 64,
        software_version="0.1.0",
        key_set_id="line-2026",
        host=HOST,
        pid=PID,
        work_order="WO-17",
        lot="LOT-A",
    )
    return replace(base, **changes)


def step(
    clock: WallClock,
    ordinal: int,
    name: str,
    *,
    kind: str = "",
    outcome: StepOutcome = StepOutcome.PASS,
    seconds: float = 2.0,
    **changes: Any,
) -> StepRecord:
    started = clock()
    ended = clock.advance(seconds=seconds)
    return StepRecord(
        ordinal=ordinal,
        name=name,
        outcome=outcome,
        started_at=started,
        ended_at=ended,
        kind=kind,
        **changes,
    )


def passing_steps(clock: WallClock) -> list[StepRecord]:
    return [
        step(
            clock,
            1,
            "identify",
            measurements=(
                MeasurementRecord("Voltage", 15_120.0, unit="mV", low=14_000, high=16_800),
            ),
        ),
        step(clock, 2, "verify data flash", kind=VERIFY_STEP),
        step(clock, 3, "seal", kind=SEAL_STEP),
    ]


def run_attempt(
    store: Store,
    clock: WallClock,
    serial: str,
    outcome: AttemptOutcome = AttemptOutcome.PASS,
    *,
    failure_code: str | None = None,
    failing_step: str | None = None,
    seconds: float = 6.0,
    **start_changes: Any,
) -> AttemptSummary:
    """One whole attempt; a PASS records the steps that prove it, others one failing step."""
    attempt = store.start_attempt(start_record(serial, started_at=clock(), **start_changes))
    if outcome == AttemptOutcome.PASS:
        for s in passing_steps(clock):
            store.record_step(attempt, s)
    else:
        store.record_step(
            attempt,
            step(clock, 1, failing_step or "identify", outcome=StepOutcome.FAIL, seconds=1.0),
        )
    return store.finish_attempt(
        attempt,
        outcome,
        failure_code=failure_code,
        failing_step=failing_step,
        cycle_time_s=seconds,
    )
