"""What the real engine records, run once per outcome on the emulator: the bench's synthetic
attempts are copies of these (new serials, times and measured values), so the demo database holds
only steps, measurements, messages and failure codes the engine itself writes.

Each template is one real attempt: a pass, a failure per emulator fault (the engine's own codes,
judged FAIL or ERROR as the engine judges them), runs the operator aborted at several steps. An
interrupted attempt is what the store makes of a run whose process died: the steps recorded until
then, ended INTERRUPTED at start-up (``station.store.claims.interrupt_attempts``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from station.sequence.events import CancelToken, Event
from station.store import AttemptOutcome, AttemptTrace, ImageRole, ParameterDiff, StepRecord
from tests.sequence.conftest import make_bench

#: the serial the templates are recorded under (replaced by each synthetic pack's)
SERIAL = "PK4S-000123"
#: (emulator scenario, how often among a line's failures): a few causes, one more common than
#: the next
FAILING_SCENARIOS: tuple[tuple[str, float], ...] = (
    ("stuck-flash", 0.38),
    ("imbalance", 0.27),
    ("nack-mid-write", 0.18),
    ("hot", 0.11),
    ("foreign-keys", 0.06),
)
#: events after which the operator aborts (early, in identify, in unseal)
_ABORT_AFTER = (3, 14)


@dataclass(frozen=True)
class RunTemplate:
    """One attempt as the store kept it."""

    outcome: AttemptOutcome
    failure_code: str | None
    failing_step: str | None
    reason: str | None
    steps: tuple[StepRecord, ...]
    parameters: tuple[ParameterDiff, ...]
    images: frozenset[ImageRole]
    label_state: str
    key_set_id: str
    #: how often among the failures (failures only)
    weight: float = 0.0


@dataclass(frozen=True)
class RecordedRuns:
    passed: RunTemplate
    failures: tuple[RunTemplate, ...]
    aborted: tuple[RunTemplate, ...]

    def interrupted(self, steps: int) -> RunTemplate:
        """A pass's first ``steps`` steps, then the process died."""
        kept = self.passed.steps[: max(1, min(steps, len(self.passed.steps) - 1))]
        return RunTemplate(
            outcome=AttemptOutcome.INTERRUPTED,
            failure_code="INTERRUPTED",
            failing_step=None,
            reason=(
                "the process running this attempt stopped before it finished (crash, power loss "
                "or kill); found at the next start-up; the pack may be half programmed: retest it"
            ),
            steps=kept,
            parameters=self.passed.parameters if len(kept) > _applied(self.passed) else (),
            images=frozenset(),
            label_state="NOT_PRINTED",
            key_set_id=self.passed.key_set_id,
        )


def _applied(t: RunTemplate) -> int:
    """The ordinal of the step that writes the recipe."""
    return next(s.ordinal for s in t.steps if s.kind == "apply")


@cache
def recorded_runs() -> RecordedRuns:
    """Run the real engine on the emulator once per outcome (a fraction of a second each)."""
    failures = tuple(
        replace(_record(scenario), weight=weight) for scenario, weight in FAILING_SCENARIOS
    )
    return RecordedRuns(
        passed=_record("default"),
        failures=failures,
        aborted=tuple(_record("default", abort_after=n) for n in _ABORT_AFTER),
    )


def _record(scenario: str, *, abort_after: int | None = None) -> RunTemplate:
    with tempfile.TemporaryDirectory() as tmp:
        bench = make_bench(Path(tmp), scenario, printer=f"file:{tmp}/labels")
        cancel = CancelToken()
        seen: list[Event] = []

        def on_event(e: Event) -> None:
            seen.append(e)
            if len(seen) == abort_after:
                cancel.request()

        try:
            bench.run(serial=SERIAL, cancel=cancel, on_event=on_event)
            trace = bench.store.trace(SERIAL)
        finally:
            bench.store.close()
        assert trace is not None
        (attempt,) = trace.attempts
        return _template(attempt, f"{tmp}/")


def _template(a: AttemptTrace, temporary: str) -> RunTemplate:
    s = a.summary
    # the label file's temporary folder is this recording's, not part of what a line records
    steps = tuple(replace(st, message=st.message.replace(temporary, "")) for st in a.steps)
    return RunTemplate(
        outcome=s.outcome,
        failure_code=s.failure_code,
        failing_step=s.failing_step,
        reason=s.reason,
        steps=steps,
        parameters=a.parameters,
        images=frozenset(i.role for i in a.images),
        label_state=str(s.label_state),
        key_set_id=s.key_set_id,
    )
