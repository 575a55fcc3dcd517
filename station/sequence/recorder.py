"""The run's record: the attempt row, each step with its measurements as it ends, the outcome,
the claim on the serial and its heartbeat. Nothing the engine did goes unrecorded, and the
database never holds a PASS the steps did not prove (the store checks that again).

The store's outcomes and verdicts carry the engine's names: each is stored by its value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from station.clock import Clock
from station.recipe.planning.writes import WritePlan
from station.sequence.events import (
    STEP_TITLES,
    Event,
    Failure,
    Measurement,
    MeasurementTaken,
    Outcome,
    StepFinished,
    StepId,
    StepResult,
    StepStarted,
)
from station.sequence.failures import FailureCode, make_failure
from station.sequence.socket_context import SocketContext
from station.store import (
    AttemptOutcome,
    Claim,
    MeasurementOutcome,
    MeasurementRecord,
    ParameterRecord,
    StepOutcome,
    StepRecord,
)
from station.store.errors import StoreError

log = logging.getLogger("station.sequence")

#: Seconds between claim heartbeats during a run (the store's claim TTL is minutes).
HEARTBEAT_S = 30.0

#: refused scans that are audited (nothing touched the pack, but someone tried)
AUDITED_REFUSALS = frozenset(
    {
        FailureCode.SERIAL_ALREADY_PASSED,
        FailureCode.SERIAL_BUSY,
        FailureCode.CLOCK_IMPLAUSIBLE,
        FailureCode.EMULATED_ON_PRODUCTION,
    }
)


@dataclass
class Recorder:
    """One run's record, kept as the run goes: steps are written the moment they end."""

    socket: SocketContext
    serial: str
    operator: str
    steps: tuple[StepId, ...]
    on_event: Callable[[Event], None]
    clock: Clock
    attempt_id: int | None = None
    claim: Claim | None = None
    results: list[StepResult] = field(default_factory=list)
    pending: list[Measurement] = field(default_factory=list)
    last_beat: float = 0.0

    def __post_init__(self) -> None:
        self.last_beat = self.clock.monotonic()

    @property
    def attempt(self) -> int:
        assert self.attempt_id is not None
        return self.attempt_id

    # -- what happens during a step ------------------------------------------------------------
    def measure(self, m: Measurement) -> None:
        self.pending.append(m)
        self.on_event(MeasurementTaken(self.current_step(), m))

    def current_step(self) -> StepId:
        done = len(self.results)
        return self.steps[min(done, len(self.steps) - 1)]

    def parameters(self, plan: WritePlan) -> None:
        changes = [
            ParameterRecord(name=c.name, before=c.before_text, after=c.after_text)
            for c in plan.changes
        ]
        if changes:
            self.socket.store.record_parameters(self.attempt, changes)

    def heartbeat(self) -> None:
        # The claim's time-to-live is minutes; a beat every HEARTBEAT_S is plenty, and a
        # database write per step is not.
        now = self.clock.monotonic()
        if self.claim is not None and now - self.last_beat >= HEARTBEAT_S:
            self.claim = self.socket.store.heartbeat(self.claim)
            self.last_beat = now

    # -- a step ends ---------------------------------------------------------------------------
    def step(
        self,
        step: StepId,
        index: int,
        started: datetime,
        t0: float,
        outcome: Outcome,
        summary: str,
        failure: Failure | None,
        *,
        emit: bool = True,
    ) -> None:
        """Write the step and its measurements; then tell the faces (``emit``)."""
        duration = self.clock.monotonic() - t0
        measurements = tuple(self.pending)
        self.pending.clear()
        if self.attempt_id is not None:
            self.socket.store.record_step(
                self.attempt_id,
                StepRecord(
                    ordinal=index,
                    name=STEP_TITLES[step],
                    kind=step.value,
                    outcome=StepOutcome(outcome.value),
                    started_at=started,
                    ended_at=self.socket.now(),
                    duration_s=duration,
                    failure_code=failure.code if failure else None,
                    message=summary if failure is None else f"{failure.reason}",
                    details={"pack_state": failure.pack_state} if failure else {},
                    measurements=tuple(_to_record(m) for m in measurements),
                ),
            )
        if emit:
            self.ended(StepResult(step, outcome, duration, summary, failure, measurements))

    def ended(self, result: StepResult) -> None:
        """A step's result as the faces see it (recorded already, or not recordable)."""
        self.results.append(result)
        self.on_event(StepFinished(result))

    def ended_with(
        self, step: StepId, t0: float, failure: Failure, outcome: Outcome | None = None
    ) -> None:
        """A step that ended with ``failure``, told to the faces only: there is no attempt to
        record it against, or recording is what failed (``outcome``: the failure's own unless
        given)."""
        ended_as = failure.outcome if outcome is None else outcome
        duration = self.clock.monotonic() - t0
        self.ended(StepResult(step, ended_as, duration, failure.reason, failure))

    def skipped(self) -> None:
        """Every step after the one that ended the run, as not run."""
        for step in self.steps[len(self.results) :]:
            if step is not StepId.RECORD:
                self.results.append(StepResult(step, Outcome.SKIPPED, 0.0, "not run"))

    # -- the run ends --------------------------------------------------------------------------
    def refused(self, failure: Failure) -> None:
        """A refused scan is not an attempt (nothing touched the pack) but it is audited."""
        if failure.code not in AUDITED_REFUSALS:
            return
        try:
            self.socket.store.audit(
                "SERIAL_REFUSED",
                self.operator,
                self.socket.station_id,
                self.serial,
                {"code": failure.code, "reason": failure.reason},
            )
        except StoreError:
            log.warning("could not audit the refused serial %s", self.serial)

    def finish(
        self, outcome: Outcome, failure: Failure | None, *, run_started: float, left_as: str
    ) -> Failure | None:
        """The RECORD step: finish the attempt. Returns a failure if recording itself failed
        (``left_as``: the pack's state to report then)."""
        if self.attempt_id is None:
            return None
        started = self.socket.now()
        t0 = self.clock.monotonic()
        index = len(self.steps) - 1
        self.on_event(StepStarted(StepId.RECORD, index))
        try:
            self.step(
                StepId.RECORD,
                index,
                started,
                t0,
                Outcome.PASS,
                f"attempt {self.attempt_id}: {outcome.value}",
                None,
                emit=False,
            )
            self.socket.store.finish_attempt(
                self.attempt_id,
                AttemptOutcome(outcome.value),
                failure_code=failure.code if failure else None,
                failing_step=failure.step.value if failure else None,
                reason=(f"{failure.reason} | pack: {failure.pack_state}" if failure else None),
                cycle_time_s=self.clock.monotonic() - run_started,
            )
        except Exception as exc:
            log.exception("could not record attempt %s", self.attempt_id)
            code = FailureCode.DB_UNAVAILABLE
            if isinstance(exc, StoreError):
                code = FailureCode(exc.failure_code)
            recorded = make_failure(
                StepId.RECORD,
                code,
                f"the result could not be recorded ({exc}); the attempt will show as INTERRUPTED",
                f"{left_as}; keep it aside and run it again (rework) once the database is back",
            )
            self.ended_with(StepId.RECORD, t0, recorded, Outcome.ERROR)
            return recorded
        self.ended(
            StepResult(
                StepId.RECORD,
                Outcome.PASS,
                self.clock.monotonic() - t0,
                f"attempt {self.attempt_id} recorded as {outcome.value}",
            )
        )
        return None

    def release(self) -> None:
        if self.claim is not None:
            try:
                self.socket.store.release(self.claim)
            except StoreError:
                log.warning("could not release the claim on %s", self.serial)


def _to_record(m: Measurement) -> MeasurementRecord:
    # Stored as judged: the store never judges an engine measurement again.
    return MeasurementRecord(
        name=m.name,
        value=m.value,
        text=m.text,
        unit=m.unit,
        low=m.low,
        high=m.high,
        outcome=MeasurementOutcome(m.verdict.value),
    )
