"""Yields per period and failure Paretos, checked against the exported attempts themselves.

First-pass yield is PASS over PASS + FAIL + ERROR at the pack's first attempt: ABORTED and
INTERRUPTED attempts judge nothing. The final yield follows each pack's retests wherever they ran.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from station.store import AttemptOutcome, ExportRow, ReportFilter, Store
from station.store.failures import NO_STEP
from station.store.reader import StoreReader
from station.store.shifts import ShiftPlan, period_index
from station.store.views import Bucket, OutcomeCounts
from tests.bench.demo_data import DemoSpec, generate
from tests.store.helpers import WallClock, run_attempt, start_record

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
JUDGING = {"PASS", "FAIL", "ERROR"}


@pytest.fixture
def line(store: Store, clock: WallClock) -> Store:
    """Demo attempts with many retests, plus errors, aborts and runs the demo does not make."""
    generate(store.engine, DemoSpec(attempts=900, fail_rate=0.25, stations=3, seed=11))
    clock.t = START + timedelta(hours=2, minutes=7)
    # an ERROR then a PASS elsewhere; an ABORTED then a FAIL; an ABORTED alone; a running pack
    run_attempt(store, clock, "X-ERR", AttemptOutcome.ERROR, failure_code="BUS_NACK")
    clock.advance(minutes=3)
    run_attempt(store, clock, "X-ERR", station_id="ST-09")
    run_attempt(store, clock, "X-ABF", AttemptOutcome.ABORTED)
    clock.advance(minutes=20)
    run_attempt(
        store, clock, "X-ABF", AttemptOutcome.FAIL, failure_code="CELL_COUNT", failing_step="verify"
    )
    run_attempt(store, clock, "X-AB", AttemptOutcome.ABORTED)
    store.start_attempt(start_record("X-RUN", started_at=clock()))
    clock.t = START + timedelta(days=1)
    return store


def _expected(
    rows: list[ExportRow], everything: list[ExportRow], periods: list, f: ReportFilter
) -> list[tuple[OutcomeCounts, int, int]]:
    by_serial: dict[str, list[ExportRow]] = defaultdict(list)
    for r in everything:
        by_serial[r.serial].append(r)
    out = [[Counter(), 0, 0] for _ in periods]
    for r in rows:
        if r.attempt_no != 1:
            continue
        at = period_index(periods, r.started_at)
        if at is None:
            continue
        out[at][0][r.outcome] += 1
        outcomes = {a.outcome for a in by_serial[r.serial]}
        if outcomes & JUDGING:
            out[at][1] += 1
            out[at][2] += "PASS" in outcomes
    expected = []
    for firsts, judged, passed in out:
        counts = OutcomeCounts(
            passed=firsts["PASS"],
            failed=firsts["FAIL"],
            errors=firsts["ERROR"],
            aborted=firsts["ABORTED"],
            interrupted=firsts["INTERRUPTED"],
            running=firsts["RUNNING"],
            first_judged=firsts["PASS"] + firsts["FAIL"] + firsts["ERROR"],
            first_pass=firsts["PASS"],
        )
        expected.append((counts, judged, passed))
    return expected


@pytest.mark.parametrize(
    "extra",
    [{}, {"station": "ST-02"}, {"lot": "LOT-0007"}, {"recipe": "pack-1"}],
    ids=["all", "station", "lot", "recipe"],
)
def test_yields_agree_with_the_attempts(
    line: Store, store_url: str, clock: WallClock, extra: dict[str, str]
) -> None:
    plan = ShiftPlan(tz=ZoneInfo("Europe/Paris"))
    f = ReportFilter(since=START - timedelta(hours=1), until=START + timedelta(hours=9), **extra)
    everything = list(line.export())
    with StoreReader.open(store_url, plan=plan, now=clock) as reader:
        for bucket in Bucket:
            series = reader.yields(bucket, f)
            periods = [p.period for p in series.points]
            window = ReportFilter(periods[0].start, periods[-1].end, f.recipe, f.station, f.lot)
            expected = _expected(list(line.export(window)), everything, periods, f)
            got = [(p.first, p.final_judged, p.final_pass) for p in series.points]
            assert got == expected, bucket
            assert sum(p.packs for p in series.points) > 0
            total = series.total
            assert total.first == sum((p.first for p in series.points), OutcomeCounts())
            assert total.final_pass == sum(p.final_pass for p in series.points)


def test_aborted_and_interrupted_are_neither_passes_nor_failures(
    line: Store, store_url: str, clock: WallClock
) -> None:
    hour = ReportFilter(since=START + timedelta(hours=2), until=START + timedelta(hours=3))
    with StoreReader.open(store_url, plan=ShiftPlan(tz=UTC), now=clock) as reader:
        mine = next(
            p
            for p in reader.yields(Bucket.HOUR, hour).points
            if p.period.start == START + timedelta(hours=2)
        )
    # Of the hand-made packs: X-ERR (ERROR, then PASS), X-ABF (ABORTED, then FAIL), X-AB
    # (ABORTED only), X-RUN (running): only X-ERR's first attempt judges its pack.
    demo = [r for r in line.export(hour) if r.attempt_no == 1 and not r.serial.startswith("X-")]
    demo_pass = sum(r.outcome == "PASS" for r in demo)
    demo_judged = sum(r.outcome in JUDGING for r in demo)
    assert mine.first.errors == sum(r.outcome == "ERROR" for r in demo) + 1
    assert mine.first.aborted == sum(r.outcome == "ABORTED" for r in demo) + 2
    assert mine.first.running == 1
    assert mine.first.first_judged == demo_judged + 1
    assert mine.first.first_pass == demo_pass
    # finally: X-ERR passed at ST-09, X-ABF was judged (FAIL) without passing, X-AB never judged
    assert mine.final_judged - mine.first.first_judged >= 1
    assert mine.final_pass >= demo_pass + 1


def test_failure_pareto_agrees_with_the_attempts(
    line: Store, store_url: str, clock: WallClock
) -> None:
    f = ReportFilter(since=START, until=START + timedelta(hours=6))
    with StoreReader.open(store_url, now=clock) as reader:
        pareto = reader.failures(f)
        rows = list(line.export(f))
        failed = [r for r in rows if r.outcome in ("FAIL", "ERROR")]
        codes = Counter(r.failure_code for r in failed)
        steps = Counter(r.failing_step or NO_STEP for r in failed)
        assert pareto.failures == len(failed) > 0
        assert {b.key: b.count for b in pareto.by_code} == codes
        assert {b.key: b.count for b in pareto.by_step} == steps
        assert [b.count for b in pareto.by_code] == sorted(codes.values(), reverse=True)
        assert pareto.by_code[-1].cumulative == pytest.approx(1.0)
        cumulative = [b.cumulative for b in pareto.by_code]
        assert cumulative == sorted(cumulative)
        assert pareto.aborted == sum(r.outcome == "ABORTED" for r in rows) >= 2
        assert pareto.interrupted == sum(r.outcome == "INTERRUPTED" for r in rows)

        top = pareto.by_code[0].key
        behind = reader.failed_attempts(f, code=top)
        assert len(behind) == codes[top]
        assert {a.failure_code for a in behind} == {top}
        assert [a.started_at for a in behind] == sorted(
            (a.started_at for a in behind), reverse=True
        )
        by_step = reader.failed_attempts(f, step="verify", limit=len(failed))
        verify = sorted((r.serial, r.failure_code) for r in failed if r.failing_step == "verify")
        assert sorted((a.serial, a.failure_code) for a in by_step) == verify
        assert ("X-ABF", "CELL_COUNT") in verify
        unnamed = reader.failed_attempts(f, step=NO_STEP)
        assert len(unnamed) == steps[NO_STEP]
        assert all(a.failing_step is None for a in unnamed)
        assert len(reader.failed_attempts(f, code=top, limit=3)) == 3


def test_a_filter_narrows_the_pareto(line: Store, store_url: str, clock: WallClock) -> None:
    with StoreReader.open(store_url, now=clock) as reader:
        everything = reader.failures(ReportFilter())
        one_station = reader.failures(ReportFilter(station="ST-01"))
    assert 0 < one_station.failures < everything.failures
