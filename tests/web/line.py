"""A line's database for the dashboard's tests and screenshots: a morning shift of four stations
(synthetic attempts), then, at the moment the dashboard looks, packs running on three sockets
(one station gone quiet mid-pack) and a pack that failed and passed on retest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from station.store import (
    SEAL_STEP,
    VERIFY_STEP,
    AttemptOutcome,
    AttemptStart,
    MeasurementRecord,
    ParameterRecord,
    StepOutcome,
    StepRecord,
    Store,
)
from station.store.models import Attempt
from tests.bench.demo_data import DemoSpec, generate

SPEC = DemoSpec(attempts=2600, stations=4, seed=3, fail_rate=0.07)
RETESTED = "PK4S-900001"
#: the recipe of the packs made here by hand (the synthetic ones use pack-0 to pack-2)
RECIPE = "pk4s3p-3500"
#: (station, socket, serial) running when the dashboard looks; the last one's station is silent
RUNNING = (
    ("ST-01", "A", "PK4S-900101"),
    ("ST-02", "B", "PK4S-900102"),
    ("ST-04", "A", "PK4S-900103"),
)
STALE_SOCKET = ("ST-04", "A")


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@dataclass(frozen=True)
class Line:
    url: str
    #: the moment the dashboard looks at the line
    now: datetime


def _start(serial: str, station: str, socket: str, at: datetime) -> AttemptStart:
    return AttemptStart(
        serial=serial,
        station_id=station,
        socket=socket,
        operator="op07",
        recipe_name=RECIPE,
        recipe_version="1.0",
        recipe_hash="c" * 64,
        software_version="0.1.0",
        key_set_id="line-2026",
        host="line-pc-1",
        pid=4242,
        work_order="WO-0001",
        lot="LOT-0009",
        started_at=at,
    )


def _step(n: int, name: str, at: datetime, **more: object) -> StepRecord:
    return StepRecord(
        ordinal=n,
        name=name,
        outcome=more.pop("outcome", StepOutcome.PASS),  # type: ignore[arg-type]
        started_at=at,
        ended_at=at + timedelta(seconds=2),
        **more,  # type: ignore[arg-type]
    )


def build(url: str) -> Line:
    """Fill the (empty) database at ``url``; the returned ``now`` is when the dashboard looks."""
    clock = Clock(SPEC.start)
    with Store.open(url, now=clock, pid_alive=lambda pid, since: True) as store:
        generate(store.engine, SPEC)
        with store.engine.connect() as conn:
            last = conn.scalar(select(func.max(Attempt.started_at)))
        assert last is not None
        last = last.astimezone(UTC)
        now = last + timedelta(minutes=2)
        # A pack that failed its imbalance check, then passed on a retest.
        for attempt_no, outcome in ((1, AttemptOutcome.FAIL), (2, AttemptOutcome.PASS)):
            at = now - timedelta(minutes=30 - 10 * attempt_no)
            clock.t = at
            attempt = store.start_attempt(_start(RETESTED, "ST-03", "B", at))
            imbalance = 61.0 if outcome == AttemptOutcome.FAIL else 6.0
            store.record_step(
                attempt,
                _step(
                    1,
                    "Verify",
                    at,
                    kind=VERIFY_STEP,
                    outcome=StepOutcome.FAIL
                    if outcome == AttemptOutcome.FAIL
                    else StepOutcome.PASS,
                    measurements=(
                        MeasurementRecord(
                            "cell imbalance", imbalance, unit="mV", low=0.0, high=50.0
                        ),
                        MeasurementRecord("temperature", 25.5, unit="°C", low=10.0, high=45.0),
                    ),
                ),
            )
            store.record_parameters(
                attempt,
                [
                    ParameterRecord("Design Capacity mAh", "4400 mAh", "10500 mAh"),
                    ParameterRecord("CUV Threshold", "2500 mV", "2800 mV"),
                    ParameterRecord("OCD1 Delay", "2 s", "2 s"),
                ],
            )
            if outcome == AttemptOutcome.PASS:
                store.record_step(attempt, _step(2, "Seal", at, kind=SEAL_STEP))
                store.finish_attempt(attempt, outcome, cycle_time_s=41.0)
            else:
                store.finish_attempt(
                    attempt,
                    outcome,
                    failure_code="CELL_IMBALANCE",
                    failing_step="Verify",
                    reason="cell imbalance 61 mV above 50 mV",
                    cycle_time_s=38.0,
                )
        # Packs in the sockets now; the stale one's station stopped beating 6 minutes ago.
        for station, socket, serial in RUNNING:
            stale = (station, socket) == STALE_SOCKET
            at = now - timedelta(minutes=8 if stale else 1)
            clock.t = at
            claim = store.claim(serial, station, socket, "line-pc-1", 4242)
            attempt = store.start_attempt(_start(serial, station, socket, at), claim=claim)
            store.record_step(attempt, _step(1, "Check serial", at))
            store.record_step(attempt, _step(2, "Identify gauge", at))
            clock.t = at + timedelta(seconds=20)
            store.heartbeat(claim)
    return Line(url, now)
