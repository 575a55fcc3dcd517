"""The line now: each socket's state, running pack, heartbeat, and its counts this shift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from station.store import AttemptOutcome, Store
from station.store.reader import StoreReader
from station.store.shifts import ShiftPlan
from station.store.views import Liveness, OutcomeCounts
from tests.store.helpers import HOST, PID, WallClock, run_attempt, start_record, step

SHIFT_START = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def _claimed(store: Store, clock: WallClock, serial: str, station: str, socket: str) -> int:
    claim = store.claim(serial, station, socket, HOST, PID)
    attempt = store.start_attempt(
        start_record(serial, station_id=station, socket=socket, started_at=clock()), claim=claim
    )
    store.record_step(attempt, step(clock, 1, "Identify gauge"))
    store.record_step(attempt, step(clock, 2, "Unseal"))
    return attempt


@pytest.fixture
def line(store: Store, clock: WallClock) -> Store:
    clock.t = SHIFT_START - timedelta(hours=3)
    run_attempt(store, clock, "OLD-1", station_id="ST-03")  # silent since
    clock.t = SHIFT_START - timedelta(minutes=30)
    run_attempt(store, clock, "PREV-1")  # the previous shift: not counted
    clock.t = SHIFT_START + timedelta(minutes=5)
    run_attempt(store, clock, "A-1")
    run_attempt(store, clock, "A-2", AttemptOutcome.FAIL, failure_code="CELL_COUNT")
    run_attempt(store, clock, "A-3", AttemptOutcome.ERROR, failure_code="BUS_NACK")
    run_attempt(store, clock, "A-4", AttemptOutcome.ABORTED)
    run_attempt(store, clock, "A-5", AttemptOutcome.INTERRUPTED)
    run_attempt(store, clock, "A-2")  # the retest passes: not a first attempt
    run_attempt(store, clock, "PREV-1")  # a retest of the previous shift's pack
    clock.t = SHIFT_START + timedelta(minutes=40)
    _claimed(store, clock, "STALE-1", "ST-02", "A")  # its station died 5 minutes later
    clock.t = SHIFT_START + timedelta(minutes=90)
    run_attempt(store, clock, "B-1", station_id="ST-02", socket="B")
    clock.t = SHIFT_START + timedelta(minutes=100)
    _claimed(store, clock, "RUN-1", "ST-01", "B")
    clock.t = SHIFT_START + timedelta(minutes=101)
    return store


def test_each_socket_with_its_state(line: Store, store_url: str, clock: WallClock) -> None:
    with StoreReader.open(store_url, plan=ShiftPlan(tz=UTC), now=clock) as reader:
        status = reader.line()
    by_socket = {(s.station, s.socket): s for s in status.sockets}
    assert list(by_socket) == [
        ("ST-01", "A"),
        ("ST-01", "B"),
        ("ST-02", "A"),
        ("ST-02", "B"),
        ("ST-03", "A"),
    ]
    assert status.shift_start == SHIFT_START
    assert status.shift_end == SHIFT_START + timedelta(hours=8)
    assert status.shift_label == "Wed 01 Jul 06:00–14:00"

    working = by_socket[("ST-01", "B")]
    assert working.liveness is Liveness.WORKING
    assert working.running is not None
    assert working.running.serial == "RUN-1"
    assert (working.running.last_step, working.running.last_step_no) == ("Unseal", 2)
    assert working.running.heartbeat_at == SHIFT_START + timedelta(minutes=100)
    assert working.last is None  # its only attempt is the running one: nothing has ended

    stale = by_socket[("ST-02", "A")]
    assert stale.liveness is Liveness.STALE
    assert stale.running is not None
    assert stale.running.serial == "STALE-1"

    assert by_socket[("ST-02", "B")].liveness is Liveness.IDLE
    silent = by_socket[("ST-03", "A")]
    assert silent.liveness is Liveness.SILENT
    assert silent.last is not None
    assert silent.last.serial == "OLD-1"
    assert silent.shift == OutcomeCounts()


def test_shift_counts_keep_aborted_and_interrupted_apart(
    line: Store, store_url: str, clock: WallClock
) -> None:
    with StoreReader.open(store_url, plan=ShiftPlan(tz=UTC), now=clock) as reader:
        status = reader.line()
    a = next(s for s in status.sockets if (s.station, s.socket) == ("ST-01", "A"))
    assert a.shift == OutcomeCounts(
        passed=3,
        failed=1,
        errors=1,
        aborted=1,
        interrupted=1,
        running=0,
        first_judged=3,  # A-1 pass, A-2 fail, A-3 error; judge nothing
        first_pass=1,
    )
    assert a.shift.first_pass_yield == pytest.approx(1 / 3)
    assert a.last is not None
    assert a.last.serial == "PREV-1"
    assert status.shift.attempts == 7 + 1 + 1 + 1  # ST-01 A, ST-02 A and B, ST-01 B
    assert status.shift.running == 2


def test_packs_per_hour_counts_the_attempts_that_ended_in_the_last_hour(
    line: Store, store_url: str, clock: WallClock
) -> None:
    with StoreReader.open(store_url, plan=ShiftPlan(tz=UTC), now=clock) as reader:
        status = reader.line()
        by_socket = {(s.station, s.socket): s.last_hour for s in status.sockets}
        # now 07:41: ST-01 A's seven (06:05) are over an hour old; B-1 (07:30) is recent;
        # running packs have not ended
        assert by_socket == {
            ("ST-01", "A"): 0,
            ("ST-01", "B"): 0,
            ("ST-02", "A"): 0,
            ("ST-02", "B"): 1,
            ("ST-03", "A"): 0,
        }
        assert status.last_hour == 1
        clock.t = SHIFT_START + timedelta(minutes=64)
        assert reader.line().last_hour == 7


def test_thresholds_decide_stale_and_silent(line: Store, store_url: str, clock: WallClock) -> None:
    with StoreReader.open(store_url, plan=ShiftPlan(tz=UTC), now=clock) as reader:
        lenient = reader.line(stale_after=timedelta(hours=2), silent_after=timedelta(hours=6))
    by_socket = {(s.station, s.socket): s.liveness for s in lenient.sockets}
    assert by_socket[("ST-02", "A")] is Liveness.WORKING
    assert by_socket[("ST-03", "A")] is Liveness.IDLE


def test_an_empty_database_shows_no_socket(store: Store, store_url: str, clock: WallClock) -> None:
    with StoreReader.open(store_url, plan=ShiftPlan(tz=UTC), now=clock) as reader:
        status = reader.line()
    assert status.sockets == ()
    assert status.shift == OutcomeCounts()
    assert status.shift.first_pass_yield is None
