"""One pack on one socket: the run loop, from scanned serial to recorded outcome.

The run is a list of steps (:mod:`station.sequence.steps`). Each step either returns normally
(PASS) or raises; the loop here turns what was raised into a :class:`Failure` (in one place),
records the step at once (:mod:`station.sequence.recorder`), skips what follows, names the state
the pack is left in (:mod:`station.sequence.pack_state`), and always finishes the attempt in the
database. Rules that protect the pack:

* nothing is written before a backup of what will be touched is stored;
* a pack whose verify failed is never sealed;
* an operator abort is honoured only at safe points, and an abort after writes began restores
  the backup and re-seals a pack that arrived sealed, so it is never left half-written unsaid.

Durations, the cycle time and the claim's heartbeat are read from the socket's injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from station import __version__
from station.recipe.errors import SerialRejected
from station.recipe.product.recipe_model import Recipe
from station.sequence.events import (
    AttemptOpened,
    CancelToken,
    Event,
    Failure,
    Measurement,
    Outcome,
    RunFinished,
    RunResult,
    RunStarted,
    StepId,
    StepStarted,
)
from station.sequence.failures import (
    AbortRequested,
    FailureCode,
    StepFailed,
    failure_from,
    make_failure,
)
from station.sequence.guards import check_before_run
from station.sequence.pack_state import UNTOUCHED
from station.sequence.readiness import connect_ready
from station.sequence.recorder import HEARTBEAT_S, Recorder
from station.sequence.run import Run
from station.sequence.socket_context import SocketContext
from station.sequence.steps import Step, pack_steps
from station.sequence.steps.finish import KEY_CHANGE_SENT, KEY_CHANGED
from station.store import AttemptStart
from station.store import ReworkAuthorisation as StoredRework
from station.store.errors import SerialBusyError, StoreError

log = logging.getLogger("station.sequence")

__all__ = ["HEARTBEAT_S", "KEY_CHANGED", "KEY_CHANGE_SENT", "PackRun", "steps_for"]


def steps_for(recipe: Recipe) -> tuple[StepId, ...]:
    """Every step a run of ``recipe`` shows: the scan, the pack's steps, the record."""
    return (StepId.SERIAL, *(s.id for s in pack_steps(recipe)), StepId.RECORD)


@dataclass
class PackRun:
    """Programs one pack. Build one per pack; :meth:`execute` runs it to the end."""

    socket: SocketContext
    recipe: Recipe
    serial: str
    operator: str
    lot: str = ""
    rework: StoredRework | None = None
    on_event: Callable[[Event], None] = lambda event: None
    cancel: CancelToken = field(default_factory=CancelToken)

    def __post_init__(self) -> None:
        self._steps = pack_steps(self.recipe)
        self._ids = steps_for(self.recipe)
        self._clock = self.socket.clock
        self._record = Recorder(
            self.socket, self.serial, self.operator, self._ids, self.on_event, self._clock
        )
        self.run = Run(
            socket=self.socket,
            recipe=self.recipe,
            serial=self.serial,
            operator=self.operator,
            record=self._record,
            on_event=self.on_event,
            cancel=self.cancel,
            key_set_id=self.recipe.security.key_set,
        )
        self._started = self._clock.monotonic()
        self._started_at = self.socket.now()

    # == the run ================================================================================

    def execute(self) -> RunResult:
        failure: Failure | None = None
        try:
            failure = self._open_attempt()
            if failure is None:
                failure = self._run_steps()
        finally:
            result = self._finish(failure)
            self._record.release()
            if self.run.conn is not None:
                self.run.conn.close()
        self.on_event(RunFinished(result))
        return result

    def _open_attempt(self) -> Failure | None:
        """Serial rules, the claim and the RUNNING attempt row: nothing touches the pack first."""
        self.on_event(
            RunStarted(
                serial=self.serial,
                recipe_name=self.recipe.name,
                recipe_version=self.recipe.version,
                recipe_hash=self.recipe.content_hash,
                steps=self._ids,
                started_at=self._started_at,
                rework_of=self.rework.rework_of if self.rework else None,
            )
        )
        started = self.socket.now()
        t0 = self._clock.monotonic()
        self.on_event(StepStarted(StepId.SERIAL, 0))
        try:
            unit = self.recipe.identify(self.serial)
            self._refuse_passed()
            self.run.key_set_id = self._unseal_key_set()
            self._claim_and_start()
        except (StepFailed, SerialRejected, SerialBusyError, StoreError) as exc:
            failure = failure_from(StepId.SERIAL, exc)
            if not failure.pack_state:
                failure = replace(failure, pack_state=UNTOUCHED)
            self._record.refused(failure)
            self._record.ended_with(StepId.SERIAL, t0, failure)
            return failure
        attempt = self._record.attempt
        self.on_event(AttemptOpened(attempt, self.serial))
        conn = self.run.conn
        if conn is not None and self.socket.bus_trace is not None:
            # The bus was opened (and asked whether a gauge answers) before the attempt
            # existed: the run's transactions go on under a header that names the attempt.
            conn.transport.trace = self.socket.trace_session(conn.bus)
        self.run.notice(StepId.SERIAL, f"attempt {attempt} opened for {self.serial}")
        self.run.measure(Measurement("serial", None, text=self.serial))
        if unit.sbs_serial is not None:
            self.run.measure(Measurement("SBS serial number", float(unit.sbs_serial)))
        self._record.step(StepId.SERIAL, 0, started, t0, Outcome.PASS, "serial accepted", None)
        return None

    def _refuse_passed(self) -> None:
        """The station's own checks, then: a pack that passed runs again only as a rework."""
        check_before_run(self.socket)
        previous = self.socket.store.last_pass(self.serial, emulated=self.socket.emulated)
        if previous is None or self.rework is not None:
            return
        ended = previous.ended_at.isoformat(timespec="minutes") if previous.ended_at else ""
        raise StepFailed(
            make_failure(
                StepId.SERIAL,
                FailureCode.SERIAL_ALREADY_PASSED,
                f"pack {self.serial} already passed at station {previous.station_id} "
                f"({ended}, attempt {previous.id})",
                UNTOUCHED,
            )
        )

    def _claim_and_start(self) -> None:
        store, socket = self.socket.store, self.socket
        claim = store.claim(self.serial, socket.station_id, socket.socket, socket.host, socket.pid)
        self._record.claim = claim
        # A bus the station cannot use says nothing about the pack: refused as a station fault
        # before any attempt is written against the serial.
        self.run.conn, ready = connect_ready(socket, self.recipe)
        if self.run.conn is None:
            log.warning("scan of %s refused, %s", self.serial, ready.detail)
            raise StepFailed(ready.refusal(self.serial))
        self._record.attempt_id = store.start_attempt(
            AttemptStart(
                serial=self.serial,
                station_id=socket.station_id,
                socket=socket.socket,
                operator=self.operator,
                recipe_name=self.recipe.name,
                recipe_version=self.recipe.version,
                recipe_hash=self.recipe.content_hash,
                software_version=__version__,
                key_set_id=self.run.key_set_id,
                host=socket.host,
                pid=socket.pid,
                lot=self.lot,
                work_order=self.lot,
                started_at=self._started_at,
                rework=self.rework,
                emulated=socket.emulated,
            ),
            claim=claim,
        )

    def _unseal_key_set(self) -> str:
        """Which key set opens this pack: the production set this station installed on it last
        (rework of a sealed pack), else the recipe's. When the last key change was sent but never
        proven, the pack holds one of two sets: the run's ``fallback_key_set`` keeps the other."""
        store = self.socket.store
        changes = [
            e
            for action in (KEY_CHANGED, KEY_CHANGE_SENT)
            for e in store.audit_entries(subject=self.serial, action=action)
        ]
        if not changes:
            return self.recipe.security.key_set
        last = max(changes, key=lambda e: e.id)
        to, before = last.detail.get("to"), last.detail.get("from")
        if last.action == KEY_CHANGE_SENT and isinstance(before, str) and before:
            self.run.fallback_key_set = before
        return to if isinstance(to, str) and to else self.recipe.security.key_set

    def _run_steps(self) -> Failure | None:
        for index, step in enumerate(self._steps, start=1):
            failure = self._run_step(index, step)
            if failure is not None and not (
                step.id is StepId.LABEL and failure.outcome is Outcome.ERROR
            ):
                return failure
            # A printer fault does not unmake a pass: the pack is sealed and verified.
        return None

    def _run_step(self, index: int, step: Step) -> Failure | None:
        """One step: a safe point, the heartbeat, the step, and its record. Whatever the step
        raises becomes its failure here, and nowhere else."""
        run = self.run
        started = self.socket.now()
        t0 = self._clock.monotonic()
        self.on_event(StepStarted(step.id, index))
        failure: Failure | None = None
        disagreed = self._disagreements()
        try:
            if step.safe_point:
                run.checkpoint()
            self._record.heartbeat()
            summary = step.action(run)
            outcome = Outcome.PASS
        except AbortRequested:
            failure = run.aborted(step.id)
            outcome, summary = Outcome.ABORTED, failure.reason
        except Exception as exc:
            failure = run.left_state(failure_from(step.id, exc))
            outcome, summary = failure.outcome, failure.reason
        self._note_disagreements(step.id, disagreed)
        try:
            self._record.step(step.id, index, started, t0, outcome, summary, failure)
        except Exception as exc:
            # A step that cannot be recorded ends the run: nothing is done to a pack that
            # the database cannot account for, and above all it is not sealed.
            lost = run.left_state(failure_from(step.id, exc))
            self._record.ended_with(step.id, t0, lost, Outcome.ERROR)
            return lost
        return failure

    def _disagreements(self) -> int:
        return self.run.conn.gauge.read_disagreements if self.run.conn is not None else 0

    def _note_disagreements(self, step: StepId, before: int) -> None:
        """Reads that disagreed (no PEC) were read again until two agreed: say so, and count."""
        n = self._disagreements() - before
        if n > 0:
            self.run.measure(Measurement("reads that disagreed and were read again", float(n)))
            self.run.notice(step, f"{n} read(s) disagreed with the read before and were read again")

    # == the end ================================================================================

    def _finish(self, failure: Failure | None) -> RunResult:
        run = self.run
        self._record.skipped()
        outcome = failure.outcome if failure is not None else Outcome.PASS
        if failure is None and not (run.state.verified and run.state.sealed):
            failure = make_failure(
                StepId.RECORD, FailureCode.NOT_PROVEN, "the run ended without verify and seal"
            )
            outcome = Outcome.ERROR
        lost = self._record.finish(
            outcome, failure, run_started=self._started, left_as=run.left_as_now(failure)
        )
        if lost is not None:
            failure, outcome = lost, lost.outcome
        bus_time = None
        virtual = run.conn.virtual_clock if run.conn is not None else None
        if virtual is not None and run.bus_started is not None:
            bus_time = virtual() - run.bus_started
        return RunResult(
            attempt_id=self._record.attempt_id,
            serial=self.serial,
            outcome=outcome,
            failure=failure,
            steps=tuple(self._record.results),
            cycle_time_s=self._clock.monotonic() - self._started,
            sealed=run.state.sealed,
            label=run.label,
            bus_time_s=bus_time,
        )
