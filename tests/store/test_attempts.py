"""The attempt lifecycle: RUNNING before the pack is touched, steps kept as they end, finished
once, PASS only when proven, and a killed station leaves an INTERRUPTED attempt."""

from __future__ import annotations

import math
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.store import (
    SEAL_STEP,
    VERIFY_STEP,
    AttemptFinishedError,
    AttemptOutcome,
    LabelState,
    MeasurementOutcome,
    MeasurementRecord,
    ParameterRecord,
    PassNotProvenError,
    StepOutcome,
    Store,
    StoreInputError,
    UnknownAttemptError,
)
from station.store.attempts import judge
from tests.store.helpers import WallClock, passing_steps, run_attempt, start_record, step

ROOT = Path(__file__).resolve().parents[2]


def test_attempt_is_running_in_the_database_before_any_step(
    store: Store, store_url: str, clock: WallClock
) -> None:
    attempt = store.start_attempt(start_record("PK-1", started_at=clock()))
    with Store.open(store_url, upgrade=False) as elsewhere:  # another process's view
        seen = elsewhere.get_attempt(attempt)
        assert seen.outcome == AttemptOutcome.RUNNING
        assert seen.serial == "PK-1"
        assert seen.attempt_no == 1
        assert seen.started_at == clock()
        assert seen.label_state == LabelState.NOT_PRINTED
        assert seen.ended_at is None
        store.record_step(attempt, step(clock, 1, "identify"))
        trace = elsewhere.trace("PK-1")
        assert trace is not None
        assert [s.name for s in trace.attempts[0].steps] == ["identify"]


def test_attempt_keeps_its_context(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1", operator="bob", lot="LOT-9"))
    a = store.get_attempt(attempt)
    assert (a.station_id, a.socket, a.operator, a.lot, a.work_order) == (
        "ST-01",
        "A",
        "bob",
        "LOT-9",
        "WO-17",
    )
    assert (a.recipe_name, a.recipe_version, a.recipe_hash) == ("pack-4s2p", "1.2", "a" * 64)
    assert (a.software_version, a.key_set_id, a.pid) == ("0.1.0", "line-2026", 4242)


def test_pass_with_seal_and_verify_steps(store: Store, clock: WallClock) -> None:
    t0 = clock()
    attempt = store.start_attempt(start_record("PK-1", started_at=t0))
    for s in passing_steps(clock):
        store.record_step(attempt, s)
    done = store.finish_attempt(attempt, AttemptOutcome.PASS)
    assert done.outcome == AttemptOutcome.PASS
    assert done.ended_at == clock()
    assert done.cycle_time_s == pytest.approx((clock() - t0).total_seconds())
    assert store.last_pass("PK-1") == done


@pytest.mark.parametrize(
    ("kinds", "missing"),
    [
        ((), ["seal", "verify"]),
        ((VERIFY_STEP,), ["seal"]),
        ((SEAL_STEP,), ["verify"]),
    ],
)
def test_pass_is_refused_without_passing_seal_and_verify(
    store: Store, clock: WallClock, kinds: tuple[str, ...], missing: list[str]
) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_step(attempt, step(clock, 1, "program"))
    for n, kind in enumerate(kinds, start=2):
        store.record_step(attempt, step(clock, n, kind, kind=kind))
    with pytest.raises(PassNotProvenError) as caught:
        store.finish_attempt(attempt, AttemptOutcome.PASS)
    assert caught.value.failure_code == "PASS_NOT_PROVEN"
    for kind in missing:
        assert f"no passing {kind} step" in str(caught.value)
    # Nothing was written: the attempt can still be finished truthfully.
    assert store.get_attempt(attempt).outcome == AttemptOutcome.RUNNING
    store.finish_attempt(attempt, AttemptOutcome.FAIL, failure_code="SEAL_NOT_CONFIRMED")
    assert store.last_pass("PK-1") is None


def test_pass_is_refused_when_a_seal_step_failed_or_any_step_failed(
    store: Store, clock: WallClock
) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_step(attempt, step(clock, 1, "verify", kind=VERIFY_STEP))
    store.record_step(attempt, step(clock, 2, "seal", kind=SEAL_STEP, outcome=StepOutcome.FAIL))
    with pytest.raises(PassNotProvenError, match="no passing seal step"):
        store.finish_attempt(attempt, AttemptOutcome.PASS)
    store.record_step(attempt, step(clock, 3, "seal again", kind=SEAL_STEP))
    with pytest.raises(PassNotProvenError, match="step 2 'seal' ended FAIL"):
        store.finish_attempt(attempt, AttemptOutcome.PASS)


def test_attempt_is_finished_once(store: Store, clock: WallClock) -> None:
    done = run_attempt(store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="BUS_NACK")
    with pytest.raises(AttemptFinishedError) as caught:
        store.finish_attempt(done.id, AttemptOutcome.PASS)
    assert caught.value.failure_code == "ATTEMPT_FINISHED"
    assert "already finished as FAIL" in str(caught.value)
    assert store.get_attempt(done.id).outcome == AttemptOutcome.FAIL


def test_nothing_is_added_to_a_finished_attempt(store: Store, clock: WallClock) -> None:
    done = run_attempt(store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="BUS_NACK")
    with pytest.raises(AttemptFinishedError):
        store.record_step(done.id, step(clock, 2, "late"))
    with pytest.raises(AttemptFinishedError):
        store.record_parameters(done.id, [ParameterRecord("p", "1", "2")])
    image = store.store_image(b"\x01" * 32)
    with pytest.raises(AttemptFinishedError):
        store.link_images(done.id, after=image)


def test_fail_needs_a_failure_code_and_pass_has_none(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    with pytest.raises(StoreInputError, match="failure code"):
        store.finish_attempt(attempt, AttemptOutcome.FAIL)
    with pytest.raises(StoreInputError, match="finished with PASS, FAIL"):
        store.finish_attempt(attempt, AttemptOutcome.RUNNING)
    for s in passing_steps(clock):
        store.record_step(attempt, s)
    with pytest.raises(StoreInputError, match="no failure code"):
        store.finish_attempt(attempt, AttemptOutcome.PASS, failure_code="X")


def test_aborted_attempt_gets_a_code_by_default(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    done = store.finish_attempt(attempt, AttemptOutcome.ABORTED, reason="operator pressed stop")
    assert done.failure_code == "ABORTED"
    assert done.reason == "operator pressed stop"


def test_unknown_attempt(store: Store, clock: WallClock) -> None:
    with pytest.raises(UnknownAttemptError):
        store.record_step(12345, step(clock, 1, "x"))
    with pytest.raises(UnknownAttemptError):
        store.finish_attempt(12345, AttemptOutcome.ERROR, failure_code="X")
    with pytest.raises(UnknownAttemptError):
        store.get_attempt(12345)


def test_retests_are_numbered(store: Store, clock: WallClock) -> None:
    first = run_attempt(store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="BUS_NACK")
    second = run_attempt(store, clock, "PK-1")
    other = run_attempt(store, clock, "PK-2")
    assert (first.attempt_no, second.attempt_no, other.attempt_no) == (1, 2, 1)
    assert [a.id for a in store.pack_history("PK-1")] == [first.id, second.id]
    assert store.last_pass("PK-1") == second


def test_step_numbers_are_unique(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    store.record_step(attempt, step(clock, 1, "identify"))
    with pytest.raises(StoreInputError, match="step number 1"):
        store.record_step(attempt, step(clock, 1, "again"))


finite = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(value=finite, low=st.none() | finite, high=st.none() | finite)
def test_measurement_outcome_follows_its_limits(
    value: float, low: float | None, high: float | None
) -> None:
    outcome = judge(MeasurementRecord("m", value, low=low, high=high))
    if low is None and high is None:
        assert outcome == MeasurementOutcome.INFO
    elif (low is None or value >= low) and (high is None or value <= high):
        assert outcome == MeasurementOutcome.PASS
    else:
        assert outcome == MeasurementOutcome.FAIL


def test_measurement_outcome_edge_cases() -> None:
    assert judge(MeasurementRecord("m", math.nan, low=0, high=1)) == MeasurementOutcome.FAIL
    assert judge(MeasurementRecord("m", None, low=0, high=1)) == MeasurementOutcome.INFO
    stated = MeasurementRecord("m", 5.0, low=0, high=1, outcome=MeasurementOutcome.PASS)
    assert judge(stated) == MeasurementOutcome.PASS  # the engine's own verdict is kept


def test_too_long_values_are_refused_not_truncated(store: Store) -> None:
    with pytest.raises(StoreInputError, match=r"attempts.lot is 65 characters"):
        store.start_attempt(start_record("PK-1", lot="L" * 65))
    with pytest.raises(StoreInputError, match=r"packs.serial"):
        store.start_attempt(start_record("S" * 65))
    assert store.pack_history("PK-1") == []


_CRASHER = """
import os, signal, socket, sys
from datetime import UTC, datetime
from station.store import AttemptStart, StepOutcome, StepRecord, Store
store = Store.open(sys.argv[1], upgrade=False)
attempt = store.start_attempt(AttemptStart(
    serial="PK-CRASH", station_id="ST-01", socket="A", operator="alice",
    recipe_name="pack", recipe_version="1", recipe_hash="b" * 64, software_version="0.1.0",
    key_set_id="line-2026", host=socket.gethostname(), pid=os.getpid()))
now = datetime.now(UTC)
store.record_step(attempt, StepRecord(1, "program data flash", StepOutcome.PASS, now, now))
print(attempt, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_killed_station_leaves_an_interrupted_attempt_and_the_pack_can_be_retested(
    store_url: str,
) -> None:
    Store.open(store_url).close()
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASHER, store_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    attempt = int(crashed.stdout.strip())

    # The station starts again: real wall clock, real process table.
    with Store.open(store_url) as store:
        assert store.get_attempt(attempt).outcome == AttemptOutcome.RUNNING
        assert store.mark_interrupted_stale(socket.gethostname(), station="ST-01") == [attempt]
        lost = store.get_attempt(attempt)
        assert lost.outcome == AttemptOutcome.INTERRUPTED
        assert lost.ended_at is not None
        assert lost.reason is not None
        assert "stopped before it finished" in lost.reason

        clock = WallClock(lost.ended_at + timedelta(minutes=1))
        retest = run_attempt(store, clock, "PK-CRASH")
        assert retest.attempt_no == 2
        assert retest.outcome == AttemptOutcome.PASS
        assert [a.outcome for a in store.pack_history("PK-CRASH")] == [
            AttemptOutcome.INTERRUPTED,
            AttemptOutcome.PASS,
        ]
