"""Trace, report, export and the shift summary: what engineers, customers and operators see."""

from __future__ import annotations

import statistics
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from station.store import (
    EXPORT_COLUMNS,
    MEASUREMENT_EXPORT_COLUMNS,
    AttemptOutcome,
    AttemptSummary,
    CountBy,
    ExportRow,
    ImageRole,
    LabelOutcome,
    MeasurementExportRow,
    MeasurementOutcome,
    MeasurementRecord,
    ParameterRecord,
    ReportFilter,
    StepOutcome,
    Store,
    reports,
)
from tests.bench.demo_data import DemoSpec, generate
from tests.store.helpers import WallClock, passing_steps, run_attempt, start_record, step

OTHER = {
    "station_id": "ST-02",
    "lot": "LOT-B",
    "recipe_name": "pack-1s1p",
    "recipe_hash": "e" * 64,
}


@pytest.fixture
def line(store: Store, clock: WallClock) -> Store:
    """Six attempts on five packs with known outcomes and cycle times."""
    run_attempt(store, clock, "PK-1", seconds=10)
    clock.advance(minutes=1)
    run_attempt(
        store,
        clock,
        "PK-2",
        AttemptOutcome.FAIL,
        failure_code="BUS_NACK",
        failing_step="identify",
        seconds=20,
    )
    clock.advance(minutes=1)
    run_attempt(
        store,
        clock,
        "PK-3",
        AttemptOutcome.FAIL,
        failure_code="DF_VERIFY_MISMATCH",
        failing_step="verify data flash",
        seconds=40,
    )
    clock.advance(hours=1)  # 07:00: the retest, another station's pack, a running attempt
    run_attempt(store, clock, "PK-2", seconds=30)
    run_attempt(store, clock, "PK-4", seconds=50, **OTHER)
    store.start_attempt(start_record("PK-5", started_at=clock()))
    return store


def test_report_counts_and_first_pass_yield(line: Store) -> None:
    r = line.report()
    assert (r.attempts, r.packs, r.passed, r.failed, r.running) == (6, 5, 3, 2, 1)
    assert r.packs_passed == 3
    # first attempts that finished: PK-1 pass, PK-2 fail, PK-3 fail, PK-4 pass (PK-5 runs)
    assert (r.first_attempts, r.first_pass) == (4, 2)
    assert r.first_pass_yield == pytest.approx(0.5)
    assert r.by_outcome == (CountBy("PASS", 3), CountBy("FAIL", 2), CountBy("RUNNING", 1))
    assert r.failures_by_code == (CountBy("BUS_NACK", 1), CountBy("DF_VERIFY_MISMATCH", 1))
    assert r.failures_by_step == (CountBy("identify", 1), CountBy("verify data flash", 1))
    assert r.median_cycle_time_s == pytest.approx(30.0)  # 10 20 30 40 50


def test_report_median_of_an_even_count(line: Store) -> None:
    r = line.report(station="ST-01")
    assert r.median_cycle_time_s == pytest.approx(25.0)  # 10 20 30 40
    assert (r.attempts, r.packs) == (5, 4)


def test_report_filters(line: Store, clock: WallClock) -> None:
    seven = clock().replace(minute=0, second=0)
    late = line.report(since=seven)
    assert (late.attempts, late.passed, late.running) == (3, 2, 1)
    # In this window only PK-4's first attempt finished: the PK-2 retest is not a first pass.
    assert (late.first_attempts, late.first_pass) == (1, 1)
    early = line.report(until=seven)
    assert (early.attempts, early.failed) == (3, 2)
    assert early.first_pass_yield == pytest.approx(1 / 3)
    assert line.report(lot="LOT-B").attempts == 1
    assert line.report(recipe="pack-1s1p").attempts == 1
    assert line.report(recipe="e" * 64).attempts == 1
    assert line.report(recipe="a" * 64).attempts == 5
    empty = line.report(ReportFilter(station="ST-99"))
    assert (empty.attempts, empty.first_pass_yield, empty.median_cycle_time_s) == (0, None, None)
    assert empty.by_outcome == ()


def test_errors_are_failures_and_interrupted_runs_are_counted_apart(
    store: Store, clock: WallClock
) -> None:
    run_attempt(
        store, clock, "PK-1", AttemptOutcome.ERROR, failure_code="BUS_GONE", failing_step="unseal"
    )
    store.start_attempt(start_record("PK-2", pid=99999, started_at=clock()))
    store.mark_interrupted_stale("line-pc-1")
    r = store.report()
    # The station stopping mid-run says nothing about the pack: not a failure, not a first pass.
    assert (r.failed, r.interrupted, r.aborted, r.running) == (1, 1, 0, 0)
    assert set(r.failures_by_code) == {CountBy("BUS_GONE", 1)}
    assert set(r.failures_by_step) == {CountBy("unseal", 1)}
    assert CountBy("INTERRUPTED", 1) in r.by_outcome
    assert (r.first_attempts, r.first_pass) == (1, 0)
    assert r.median_cycle_time_s is not None  # the interrupted attempt has no cycle time


def test_export_rows(line: Store) -> None:
    rows = list(line.export())
    assert [(r.serial, r.attempt_no, r.outcome) for r in rows] == [
        ("PK-1", 1, "PASS"),
        ("PK-2", 1, "FAIL"),
        ("PK-3", 1, "FAIL"),
        ("PK-2", 2, "PASS"),
        ("PK-4", 1, "PASS"),
        ("PK-5", 1, "RUNNING"),
    ]
    assert rows[1].failure_code == "BUS_NACK"
    assert rows[1].failing_step == "identify"
    assert rows[4].station_id == "ST-02"
    assert rows[0].key_set_id == "line-2026"
    assert [r.serial for r in line.export(lot="LOT-B")] == ["PK-4"]


def test_export_pages_through_everything(line: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "PAGE", 2)
    assert len(list(line.export())) == 6
    assert [r.serial for r in line.export(station="ST-01")] == [
        "PK-1",
        "PK-2",
        "PK-3",
        "PK-2",
        "PK-5",
    ]
    assert len(list(line.export_measurements())) == 3  # one per passing attempt's identify


def test_export_carries_image_hashes(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    before = store.store_image(b"\x01" * 64, 0x4000)
    after = store.store_image(b"\x02" * 64, 0x4000)
    store.link_images(attempt, before=before, after=after)
    (row,) = store.export()
    assert row.before_image_sha256 is not None
    assert row.after_image_sha256 is not None
    assert row.before_image_sha256 != row.after_image_sha256


def test_export_measurements(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_step(
        attempt,
        step(
            clock,
            1,
            "calibrate",
            measurements=(
                MeasurementRecord("Cell 1", 3_702.0, unit="mV", low=3_690, high=3_710),
                MeasurementRecord("Cell 2", 3_750.0, unit="mV", low=3_690, high=3_710),
            ),
        ),
    )
    rows = list(store.export_measurements())
    assert [(r.serial, r.step_name, r.name, r.value, r.outcome) for r in rows] == [
        ("PK-1", "calibrate", "Cell 1", 3_702.0, "PASS"),
        ("PK-1", "calibrate", "Cell 2", 3_750.0, "FAIL"),
    ]
    assert (rows[1].low, rows[1].high, rows[1].unit) == (3_690, 3_710, "mV")


def test_trace_tells_the_whole_story(store: Store, clock: WallClock) -> None:
    store.release_recipe("pack-4s2p", "1.2", "a" * 64, "text", "eve")
    failed = run_attempt(
        store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="SEAL_NOT_CONFIRMED"
    )
    auth = store.authorise_rework("PK-1", "sue", "reseal after repair")
    held = store.claim("PK-1", "ST-01", "A", "line-pc-1", 4242)
    attempt = store.start_attempt(start_record("PK-1", rework=auth), claim=held)
    store.link_images(
        attempt,
        before=store.store_image(b"\xff" * 256, 0x4000),
        after=store.store_image(b"\x00" * 256, 0x4000),
    )
    steps = passing_steps(clock)
    for s in steps:
        store.record_step(attempt, s)
    store.record_parameters(
        attempt,
        [
            ParameterRecord("Design Capacity", "4400", "5000", "mAh"),
            ParameterRecord("Cell Count", "4", "4"),
        ],
    )
    store.finish_attempt(attempt, AttemptOutcome.PASS)
    store.record_label(attempt, "zebra:line1", LabelOutcome.PRINTED, by="alice")

    trace = store.trace("PK-1")
    assert trace is not None
    assert trace.serial == "PK-1"
    assert [a.summary.outcome for a in trace.attempts] == [
        AttemptOutcome.FAIL,
        AttemptOutcome.PASS,
    ]
    first, second = trace.attempts
    assert first.summary.failure_code == "SEAL_NOT_CONFIRMED"
    assert first.steps[0].outcome == StepOutcome.FAIL
    assert second.summary.rework_of == failed.id
    assert second.recipe_released
    assert [s.name for s in second.steps] == [s.name for s in steps]
    (voltage,) = second.steps[0].measurements
    assert (voltage.value, voltage.low, voltage.high, voltage.outcome) == (
        15_120.0,
        14_000,
        16_800,
        MeasurementOutcome.PASS,
    )
    assert [(p.name, p.before, p.after, p.changed) for p in second.parameters] == [
        ("Design Capacity", "4400", "5000", True),
        ("Cell Count", "4", "4", False),
    ]
    assert [i.role for i in second.images] == [ImageRole.BEFORE, ImageRole.AFTER]
    assert [lab.printer for lab in second.labels] == ["zebra:line1"]
    assert [e.action for e in trace.audit] == ["REWORK_AUTHORISED"]
    assert trace.claim is not None
    assert trace.claim.attempt_id == attempt
    assert store.trace("PK-NOPE") is None


def test_shift_summary(line: Store, clock: WallClock) -> None:
    since = clock().replace(hour=0, minute=0)
    s = line.shift_summary("ST-01", since, last=3)
    assert (s.passed, s.failed, s.running) == (2, 2, 1)
    assert (s.first_attempts, s.first_pass) == (3, 1)
    assert s.first_pass_yield == pytest.approx(1 / 3)
    assert [(p.serial, p.outcome) for p in s.recent] == [
        ("PK-5", AttemptOutcome.RUNNING),
        ("PK-2", AttemptOutcome.PASS),
        ("PK-3", AttemptOutcome.FAIL),
    ]
    assert s.recent[1].cycle_time_s == pytest.approx(30.0)
    assert line.shift_summary("ST-02", since).passed == 1


def test_generated_data_reports_what_was_generated(store: Store) -> None:
    spec = DemoSpec(attempts=600, fail_rate=0.2, aborted_rate=0.02, interrupted_rate=0.01, seed=7)
    made = generate(store.engine, spec)
    r = store.report()
    assert r.attempts == made.attempts == 600
    assert r.packs == made.packs
    assert r.first_pass == made.first_pass
    assert r.passed == made.passed
    # An aborted or interrupted first attempt is not a first-pass failure: not in the base.
    assert r.first_attempts == made.first_judged < made.packs
    assert sum(c.count for c in r.failures_by_code) == r.failed
    serial = next(iter(store.export())).serial
    trace = store.trace(serial)
    assert trace is not None
    assert trace.attempts[0].steps
    assert len(trace.attempts[0].images) == 2
    # a second batch appends after the first
    generate(store.engine, DemoSpec(attempts=50, seed=8))
    assert store.report().attempts == 650


def test_export_rows_agree_with_the_attempts_field_by_field(line: Store) -> None:
    assert tuple(f.name for f in fields(ExportRow)) == EXPORT_COLUMNS
    assert tuple(f.name for f in fields(MeasurementExportRow)) == MEASUREMENT_EXPORT_COLUMNS
    shared = [n for n in EXPORT_COLUMNS if n in {f.name for f in fields(AttemptSummary)}]
    for row in line.export():
        summary = line.get_attempt(row.attempt_id)
        for name in shared:
            assert getattr(row, name) == getattr(summary, name), name


@pytest.mark.parametrize(
    "filters",
    [
        ReportFilter(),
        ReportFilter(station="ST-02"),
        ReportFilter(lot="LOT-0003"),
        ReportFilter(recipe="pack-1"),
        ReportFilter(since=datetime(2026, 1, 5, 8, 0, tzinfo=UTC)),
        ReportFilter(
            since=datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
            until=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            station="ST-01",
        ),
    ],
    ids=["all", "station", "lot", "recipe", "since", "window-station"],
)
def test_report_agrees_with_the_exported_attempts(
    store: Store, clock: WallClock, filters: ReportFilter
) -> None:
    # Many retests (fail_rate 0.3), and packs that pass twice (a rework after a pass).
    generate(store.engine, DemoSpec(attempts=800, fail_rate=0.3, stations=3, seed=5))
    clock.t = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    for serial in ("DEMO05000000003", "DEMO05000000004"):
        run_attempt(store, clock, serial, station_id="ST-01")
    rows = list(store.export(filters))
    r = store.report(filters)
    finished = [x for x in rows if x.outcome != "RUNNING"]
    timed = sorted(x.cycle_time_s for x in rows if x.cycle_time_s is not None)
    assert r.attempts == len(rows) > 0
    assert r.packs == len({x.serial for x in rows})
    assert r.passed == sum(x.outcome == "PASS" for x in rows)
    assert r.packs_passed == len({x.serial for x in rows if x.outcome == "PASS"})
    judged = [x for x in finished if x.outcome in ("PASS", "FAIL", "ERROR")]
    assert r.failed == len(judged) - r.passed
    assert r.aborted == sum(x.outcome == "ABORTED" for x in rows)
    assert r.interrupted == sum(x.outcome == "INTERRUPTED" for x in rows)
    assert r.failed + r.aborted + r.interrupted == len(finished) - r.passed
    # First-pass yield is over first attempts that ended PASS, FAIL or ERROR.
    judged_firsts = [x for x in judged if x.attempt_no == 1]
    assert (r.first_attempts, r.first_pass) == (
        len(judged_firsts),
        sum(x.outcome == "PASS" for x in judged_firsts),
    )
    assert r.median_cycle_time_s == pytest.approx(statistics.median(timed))
    assert sum(c.count for c in r.failures_by_code) == r.failed


def test_shift_summary_counts_station_errors_apart(store: Store, clock: WallClock) -> None:
    since = clock().replace(hour=0, minute=0)
    run_attempt(store, clock, "PK-10")
    run_attempt(store, clock, "PK-11", AttemptOutcome.FAIL, failure_code="CELL_COUNT")
    run_attempt(store, clock, "PK-12", AttemptOutcome.ERROR, failure_code="BUS_NACK")
    s = store.shift_summary("ST-01", since)
    assert (s.passed, s.failed, s.errors) == (1, 2, 1)
