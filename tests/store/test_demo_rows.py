"""The bench's demo attempts are copies of what the real engine records on the emulator: the
same steps, outcomes, failure codes and measurements, judged against their limits the same way."""

from __future__ import annotations

from typing import Any

from station.store import AttemptTrace, Store
from tests.bench.demo_data import DemoSpec, generate
from tests.bench.demo_runs import RunTemplate, recorded_runs

SPEC = DemoSpec(
    attempts=300, fail_rate=0.3, aborted_rate=0.03, interrupted_rate=0.03, seed=3, images="none"
)


def _shape(steps: Any) -> list[tuple[Any, ...]]:
    return [
        (s.name, s.kind, str(s.outcome), s.failure_code, [m.name for m in s.measurements])
        for s in steps
    ]


def _verdicts_follow_limits(attempt: AttemptTrace) -> bool:
    for step in attempt.steps:
        for m in step.measurements:
            if m.value is None or (m.low is None and m.high is None):
                continue
            inside = (m.low is None or m.value >= m.low) and (m.high is None or m.value <= m.high)
            if str(m.outcome) != ("PASS" if inside else "FAIL"):
                return False
    return True


def test_every_demo_attempt_is_a_copy_of_a_real_run(store: Store) -> None:
    generate(store.engine, SPEC)
    runs = recorded_runs()
    real: dict[tuple[str, str | None], RunTemplate] = {
        (str(t.outcome), t.failure_code): t for t in (runs.passed, *runs.failures)
    }
    aborted = [_shape(t.steps) for t in runs.aborted]
    seen: set[str] = set()
    for row in store.export():
        trace = store.trace(row.serial)
        assert trace is not None
        (attempt,) = (a for a in trace.attempts if a.summary.id == row.attempt_id)
        assert _verdicts_follow_limits(attempt)
        shape = _shape(attempt.steps)
        seen.add(row.outcome)
        if row.outcome == "INTERRUPTED":
            assert shape == _shape(runs.passed.steps)[: len(shape)]
        elif row.outcome == "ABORTED":
            assert shape in aborted
        else:
            template = real[(row.outcome, row.failure_code)]
            assert shape == _shape(template.steps)
            assert row.failing_step == template.failing_step
            assert row.label_state == template.label_state
    assert seen == {"PASS", "FAIL", "ERROR", "ABORTED", "INTERRUPTED"}
