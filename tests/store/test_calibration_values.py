"""A pack's calibration figures in the store: kept per attempt, shown in the trace, and their
distribution per lot (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from station.store import (
    AttemptOutcome,
    CalibrationValueRecord,
    ReportFilter,
    Store,
    StoreError,
)
from tests.store.helpers import WallClock, passing_steps, start_record


def calibrate(
    store: Store, clock: WallClock, serial: str, lot: str, gain: float, err: float
) -> None:
    attempt = store.start_attempt(start_record(serial, started_at=clock(), lot=lot))
    store.record_calibration(
        attempt,
        [
            CalibrationValueRecord(
                "reference",
                "voltage",
                14800.0,
                "mV",
                instrument="dmm-1: Keysight 34465A s/n MY59001234",
            ),
            CalibrationValueRecord("raw", "voltage cell1", 20164.6, "counts", detail="8 frames"),
            CalibrationValueRecord("constant", "cc_gain", gain, "", old_value=3.58422),
            CalibrationValueRecord(
                "residual",
                "current",
                err,
                "mA",
                old_value=-2000.0,
                tolerance=10.0,
                passed=abs(err) <= 10,
            ),
        ],
    )
    for s in passing_steps(clock):
        store.record_step(attempt, s)
    store.finish_attempt(attempt, AttemptOutcome.PASS, cycle_time_s=30.0)


def test_the_trace_shows_an_attempts_calibration(store: Store, clock: WallClock) -> None:
    calibrate(store, clock, "PK-1", "L1", 3.5694, -1.0)
    trace = store.trace("PK-1")
    assert trace is not None
    cal = trace.attempts[0].calibration
    assert [v.kind for v in cal] == ["reference", "raw", "constant", "residual"]
    assert cal[0].instrument == "dmm-1: Keysight 34465A s/n MY59001234"
    assert cal[2].old_value == pytest.approx(3.58422)
    assert cal[3].passed is True
    assert cal[3].tolerance == 10.0


def test_distribution_per_lot(store: Store, clock: WallClock) -> None:
    for n, (gain, err) in enumerate([(3.50, -1.0), (3.60, 3.0), (3.70, 1.0)]):
        clock.advance(minutes=1)
        calibrate(store, clock, f"PK-{n}", "L1", gain, err)
    clock.advance(minutes=1)
    calibrate(store, clock, "PK-9", "L2", 3.9, 8.0)
    stats = store.calibration_distribution(ReportFilter())
    by = {(s.lot, s.name): s for s in stats}
    gain = by[("L1", "cc_gain")]
    assert gain.count == 3
    assert gain.mean == pytest.approx(3.60)
    assert gain.sigma == pytest.approx(0.1)
    assert (gain.minimum, gain.maximum) == (pytest.approx(3.5), pytest.approx(3.7))
    assert by[("L2", "current")].mean == 8.0
    assert ("L1", "voltage") not in by  # references and raw counts are not distributions
    only_l2 = store.calibration_distribution(ReportFilter(lot="L2"))
    assert {s.lot for s in only_l2} == {"L2"}


def test_a_finished_attempt_takes_no_calibration(store: Store, clock: WallClock) -> None:
    calibrate(store, clock, "PK-1", "L1", 3.6, 0.0)
    trace = store.trace("PK-1")
    assert trace is not None
    with pytest.raises(StoreError):
        store.record_calibration(
            trace.attempts[0].summary.id, [CalibrationValueRecord("constant", "x", 1.0)]
        )


def test_unknown_kinds_are_refused(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1", started_at=clock()))
    with pytest.raises(StoreError, match="kind"):
        store.record_calibration(attempt, [CalibrationValueRecord("guess", "x", 1.0)])
