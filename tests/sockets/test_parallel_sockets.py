"""Eight sockets behind one mux, twenty packs each, faults on some sockets: every pack ends as it
would alone, with its own record; nothing reaches another socket's pack; no key pair is split.

Virtual time (one worker thread at a time, the earliest wait first): the same interleaving on an
idle machine and under load, and no sleeps.
"""

from __future__ import annotations

from pathlib import Path

from station.sequence.events import Event, Outcome, RunResult, StepId, StepStarted
from station.store import AttemptOutcome
from tests.sockets.fleet import fleet, serial

PACKS = 20
#: socket -> {pack number: scenario}; every other pack is a healthy factory pack
FAULTS: dict[str, dict[int, str]] = {
    "B": {n: "stuck-flash" for n in range(2, PACKS, 5)},  # a write that does not take
    "D": {3: "gone-mid-write", 11: "foreign-keys", 17: "bus-stuck"},
    "F": {n: "nack-mid-write" for n in (0, 19)},
    "G": {7: "empty"},  # nothing in the fixture
}
#: socket -> packs the operator aborts once their reset starts (after the writes)
ABORTS = {"E": {4, 13}}


def scenario(socket: str, n: int) -> str:
    return FAULTS.get(socket, {}).get(n, "default")


def signature(result: RunResult) -> tuple[str, str | None, StepId | None]:
    failure = result.failure
    return (
        result.outcome.value,
        failure.code if failure else None,
        failure.step if failure else None,
    )


def test_eight_sockets_behind_one_mux_each_pack_ends_as_it_would_alone(tmp_path: Path) -> None:
    # Alone: each kind of pack on a one-socket station, for the outcome it must have.
    alone = fleet(tmp_path / "alone", 1, behind_mux=True)
    kinds = sorted({s for faults in FAULTS.values() for s in faults.values()} | {"default"})
    expected_of: dict[str, tuple[str, str | None, StepId | None]] = {}
    results = alone.run(len(kinds), scenario=lambda sock, n: kinds[n])
    for kind, result in zip(kinds, results["A"], strict=True):
        expected_of[kind] = signature(result)
    assert expected_of["default"] == ("PASS", None, None)
    assert all(expected_of[k][0] != "PASS" for k in kinds if k != "default")

    station = fleet(tmp_path / "eight", 8, behind_mux=True)
    current: dict[str, int] = {}  # socket -> the pack it runs

    def seat_and_note(sock: str, n: int) -> str:
        current[sock] = n
        return scenario(sock, n)

    def on_event(socket: str, event: Event) -> None:
        # The operator of socket E aborts two packs once their writes are done.
        resetting = isinstance(event, StepStarted) and event.step is StepId.RESET
        if resetting and current[socket] in ABORTS.get(socket, set()):
            assert station.pool.abort(socket)

    results = station.run(PACKS, scenario=seat_and_note, on_event=on_event)

    store = next(iter(station.stations.values())).socket.store
    for sock, runs in results.items():
        index = station.channel(sock)
        assert len(runs) == PACKS
        for n, result in enumerate(runs):
            assert result.serial == serial(index, n)
            if n in ABORTS.get(sock, set()):
                assert result.outcome is Outcome.ABORTED, (sock, n, result.failure)
                assert result.failure is not None
                assert "restored" in result.failure.pack_state, result.failure.pack_state
            else:
                assert signature(result) == expected_of[scenario(sock, n)], (sock, n)
            # Its own record: the attempt names this pack, this socket, this outcome.
            if result.attempt_id is not None:
                history = store.pack_history(result.serial)
                assert [a.id for a in history] == [result.attempt_id]
                (attempt,) = history
                assert (attempt.socket, attempt.station_id) == (sock, "ST-MULTI")
                assert attempt.outcome is AttemptOutcome(result.outcome.value)
                assert attempt.failure_code == (result.failure.code if result.failure else None)
            else:
                assert store.pack_history(result.serial) == []

    healthy = [
        r
        for sock, runs in results.items()
        for n, r in enumerate(runs)
        if scenario(sock, n) == "default" and n not in ABORTS.get(sock, set())
    ]
    assert all(r.passed for r in healthy)
    assert len(healthy) == 8 * PACKS - sum(map(len, FAULTS.values())) - 2

    # Nothing one socket sent landed on another's pack...
    assert station.mux.stats.stray == 0
    assert station.mux.stats.unrouted == 0
    # ... the sockets did interleave on the shared bus ...
    changes = sum(1 for a, b in zip(station.wire, station.wire[1:], strict=False) if a[0] != b[0])
    assert changes > 8 * PACKS
    # ... and every key word 1 was followed at once by its word 2, from the same socket.
    keys = [i for i, (_, key) in enumerate(station.wire) if key]
    assert keys
    pairs = list(zip(keys[::2], keys[1::2], strict=True))
    for first, second in pairs:
        assert second == first + 1, station.wire[first - 1 : second + 2]
        assert station.wire[first][0] == station.wire[second][0]
