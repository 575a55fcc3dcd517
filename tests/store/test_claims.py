"""Serial claims: one station per pack at a time, dead holders detected and taken over."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from station.store import (
    AttemptOutcome,
    AuditAction,
    ClaimLostError,
    SerialBusyError,
    Store,
    StoreInputError,
)
from tests.store.helpers import HOST, PID, Liveness, WallClock, start_record, step

ROOT = Path(__file__).resolve().parents[2]


def test_second_claimer_is_told_who_holds_the_pack(store: Store, clock: WallClock) -> None:
    store.claim("PK-1", "ST-01", "A", "other-pc", 10)
    clock.advance(minutes=3)
    with pytest.raises(SerialBusyError) as caught:
        store.claim("PK-1", "ST-02", "B", HOST, PID)
    err = caught.value
    assert err.failure_code == "SERIAL_BUSY"
    assert (err.station, err.socket, err.host) == ("ST-01", "A", "other-pc")
    assert "station ST-01 socket A" in str(err)
    assert "since 2026-07-01T06:00:00+00:00" in str(err)


def test_release_lets_the_next_station_claim(store: Store) -> None:
    held = store.claim("PK-1", "ST-01", "A", HOST, PID)
    assert store.release(held) is True
    again = store.claim("PK-1", "ST-02", "B", HOST, PID)
    assert again.station == "ST-02"
    assert store.release(held) is False  # an old claim cannot release the new holder's


def test_blank_serial_cannot_be_claimed(store: Store) -> None:
    with pytest.raises(StoreInputError, match="serial"):
        store.claim("  ", "ST-01", "A", HOST, PID)


def test_heartbeat_keeps_a_claim_alive_past_the_ttl(store: Store, clock: WallClock) -> None:
    held = store.claim("PK-1", "ST-01", "A", "other-pc", 10)
    clock.advance(minutes=9)
    held = store.heartbeat(held)
    assert held.heartbeat_at == clock()
    clock.advance(minutes=9)
    with pytest.raises(SerialBusyError):
        store.claim("PK-1", "ST-02", "A", HOST, PID)


def test_claim_without_heartbeat_is_taken_over_and_its_attempt_interrupted(
    store: Store, clock: WallClock
) -> None:
    held = store.claim("PK-1", "ST-01", "A", "other-pc", 10)
    attempt = store.start_attempt(
        start_record("PK-1", host="other-pc", pid=10, started_at=clock()), claim=held
    )
    store.record_step(attempt, step(clock, 1, "identify"))
    last_step_end = clock()
    clock.advance(minutes=11)

    mine = store.claim("PK-1", "ST-02", "B", HOST, PID)

    assert mine.station == "ST-02"
    old = store.get_attempt(attempt)
    assert old.outcome == AttemptOutcome.INTERRUPTED
    assert old.failure_code == "INTERRUPTED"
    assert old.ended_at == last_step_end
    assert old.reason is not None
    assert "taken over by station ST-02" in old.reason
    entries = store.audit_entries(subject="PK-1", action=AuditAction.CLAIM_TAKEN_OVER)
    assert len(entries) == 1
    assert entries[0].detail["from_station"] == "ST-01"
    assert entries[0].detail["interrupted_attempts"] == [attempt]
    with pytest.raises(ClaimLostError):
        store.heartbeat(held)
    assert store.release(held) is False
    assert store.current_claim("PK-1") == mine


def test_dead_process_on_the_same_host_is_taken_over_at_once(
    store: Store, clock: WallClock, liveness: Liveness
) -> None:
    liveness.alive.add(777)
    held = store.claim("PK-1", "ST-01", "A", HOST, 777)
    attempt = store.start_attempt(start_record("PK-1", pid=777), claim=held)
    with pytest.raises(SerialBusyError):  # 777 still runs
        store.claim("PK-1", "ST-01", "B", HOST, PID)
    liveness.alive.discard(777)  # ... and now it is gone
    taken = store.claim("PK-1", "ST-01", "B", HOST, PID)
    assert taken.socket == "B"
    assert store.get_attempt(attempt).outcome == AttemptOutcome.INTERRUPTED


def test_live_process_on_the_same_host_keeps_its_claim(
    store: Store, clock: WallClock, liveness: Liveness
) -> None:
    liveness.alive.add(778)
    store.claim("PK-1", "ST-01", "A", HOST, 778)
    with pytest.raises(SerialBusyError):
        store.claim("PK-1", "ST-01", "B", HOST, PID)


def test_pids_are_not_checked_across_hosts(
    store: Store, clock: WallClock, liveness: Liveness
) -> None:
    store.claim("PK-1", "ST-01", "A", "other-pc", 5)  # pid 5 is "dead" here, but on another host
    with pytest.raises(SerialBusyError):
        store.claim("PK-1", "ST-02", "A", HOST, PID)
    assert 5 not in liveness.asked


def test_claim_attaches_the_attempt(store: Store) -> None:
    held = store.claim("PK-1", "ST-01", "A", HOST, PID)
    attempt = store.start_attempt(start_record("PK-1"), claim=held)
    current = store.current_claim("PK-1")
    assert current is not None
    assert current.attempt_id == attempt


def test_attempt_with_a_lost_claim_is_not_started(store: Store, clock: WallClock) -> None:
    held = store.claim("PK-1", "ST-01", "A", "other-pc", 10)
    clock.advance(minutes=11)
    store.claim("PK-1", "ST-02", "A", HOST, PID)
    with pytest.raises(ClaimLostError):
        store.start_attempt(start_record("PK-1"), claim=held)
    assert store.pack_history("PK-1") == []


def test_threads_racing_for_serials_exactly_one_wins_each(store: Store) -> None:
    serials = [f"PK-{n:03d}" for n in range(25)]
    threads = 4
    barrier = threading.Barrier(threads)
    wins: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def race(n: int) -> None:
        try:
            barrier.wait()
            mine = []
            for serial in serials:
                try:
                    store.claim(serial, f"ST-0{n}", "A", f"pc-{n}", 100 + n)
                    mine.append(serial)
                except SerialBusyError:
                    pass
            wins[n] = mine
        except BaseException as exc:  # reported below: a thread must not fail silently
            errors.append(exc)

    workers = [threading.Thread(target=race, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    won = sorted(s for mine in wins.values() for s in mine)
    assert won == serials  # every serial won exactly once


_RACER = """
import json, os, sys
from station.store import SerialBusyError, Store
url, name = sys.argv[1], sys.argv[2]
serials = sys.argv[3].split(",")
store = Store.open(url, upgrade=False)
print("ready", flush=True)
sys.stdin.readline()
won = []
for serial in serials:
    try:
        store.claim(serial, name, "A", "pc-" + name, os.getpid())
        won.append(serial)
    except SerialBusyError:
        pass
store.close()
print(json.dumps(won), flush=True)
"""


def test_two_processes_racing_exactly_one_wins_each(store: Store, store_url: str) -> None:
    serials = [f"PK-{n:03d}" for n in range(40)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, store_url, name, ",".join(serials)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name in ("P1", "P2")
    ]
    for p in procs:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
    for p in procs:  # release both at once
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(results[0] + results[1]) == serials
    holders = {s: c.station for s in serials if (c := store.current_claim(s)) is not None}
    assert holders == {s: "P1" for s in results[0]} | {s: "P2" for s in results[1]}


def test_start_up_marks_dead_holders_attempts_interrupted(
    store: Store, clock: WallClock, liveness: Liveness
) -> None:
    dead_here = store.start_attempt(start_record("PK-1", pid=901))
    alive_here = store.start_attempt(start_record("PK-2", pid=PID))
    held = store.claim("PK-3", "ST-09", "A", "other-pc", 5)
    silent_there = store.start_attempt(start_record("PK-3", host="other-pc", pid=5), claim=held)
    fresh = store.claim("PK-4", "ST-09", "B", "other-pc", 6)
    busy_there = store.start_attempt(start_record("PK-4", host="other-pc", pid=6), claim=fresh)
    clock.advance(minutes=8)
    store.heartbeat(fresh)
    clock.advance(minutes=4)  # PK-3's claim is now 12 min silent, PK-4's 4 min

    marked = store.mark_interrupted_stale(HOST, station="ST-01")

    assert marked == sorted([dead_here, silent_there])
    outcome = {a: store.get_attempt(a).outcome for a in (dead_here, alive_here, silent_there)}
    assert outcome == {
        dead_here: AttemptOutcome.INTERRUPTED,
        alive_here: AttemptOutcome.RUNNING,
        silent_there: AttemptOutcome.INTERRUPTED,
    }
    assert store.get_attempt(busy_there).outcome == AttemptOutcome.RUNNING
    assert store.current_claim("PK-3") is None  # released with its dead attempt
    assert store.current_claim("PK-4") is not None
    logged = store.audit_entries(action=AuditAction.ATTEMPTS_INTERRUPTED)
    assert sorted(e.detail["attempt_id"] for e in logged) == marked
    assert store.mark_interrupted_stale(HOST) == []  # nothing twice
