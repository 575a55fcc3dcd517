"""The run's time is the socket's injected clock: a slow run keeps its claim on the serial alive
with heartbeats, a fast one does not write a heartbeat per step, and the cycle time is the
clock's."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.sequence.recorder import HEARTBEAT_S
from station.store import Claim, Store
from tests.sequence.conftest import make_bench


class SteppingClock:
    """A station clock on which every look at the time finds ``step_s`` more gone."""

    def __init__(self, step_s: float) -> None:
        self.now = 0.0
        self.step_s = step_s

    def monotonic(self) -> float:
        self.now += self.step_s
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


def _count_heartbeats(monkeypatch: pytest.MonkeyPatch) -> list[Claim]:
    beats: list[Claim] = []
    real = Store.heartbeat

    def counted(self: Store, claim: Claim) -> Claim:
        beats.append(claim)
        return real(self, claim)

    monkeypatch.setattr(Store, "heartbeat", counted)
    return beats


def test_a_slow_run_keeps_its_claim_alive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = make_bench(tmp_path)
    bench.socket.clock = SteppingClock(HEARTBEAT_S)  # a step's worth of time at every look
    beats = _count_heartbeats(monkeypatch)
    result = bench.run()
    assert result.passed
    steps = [s for s in result.steps if s.step.value not in ("serial", "record")]
    assert len(beats) == len(steps)  # one beat at the start of every step that touches the pack
    assert {b.serial for b in beats} == {"PK4S-000123"}
    # the cycle time is the injected clock's (the real run takes well under a second)
    assert result.cycle_time_s >= len(steps) * HEARTBEAT_S
    assert result.cycle_time_s % HEARTBEAT_S == pytest.approx(0.0)


def test_a_quick_run_sends_no_heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = make_bench(tmp_path)
    bench.socket.clock = SteppingClock(0.001)
    beats = _count_heartbeats(monkeypatch)
    assert bench.run().passed
    assert beats == []
