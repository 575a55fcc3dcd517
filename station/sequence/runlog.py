"""A run's story in the station log, told from the engine's events.

:class:`RunLog` sits between the engine and a face's event callback: it logs each event worth a
line at INFO, with the station, socket, serial, attempt id and step bound to every record the run's
thread logs meanwhile (the gauge driver's retries, a defect's traceback), then passes the event on.
One ``journalctl ATTEMPT=1234`` (or ``station logs --attempt 1234``) then shows one pack's story:
its start, each step's outcome and duration, the failure with the pack's state, and its end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from station.logs import fields
from station.sequence.events import (
    STEP_TITLES,
    AttemptOpened,
    Event,
    MeasurementTaken,
    Notice,
    Outcome,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
    StepId,
    StepResult,
    StepStarted,
    Verdict,
)

log = logging.getLogger("station.run")


def _ignore(event: Event) -> None:
    pass


@dataclass
class RunLog:
    """Logs one run's events, then hands each to ``on_event``. Use inside :meth:`scope`."""

    station_id: str
    socket: str
    operator: str = ""
    lot: str = ""
    on_event: Callable[[Event], None] = _ignore
    _started: RunStarted | None = field(default=None, init=False)

    @contextmanager
    def scope(self, serial: str) -> Iterator[None]:
        """Bind the run's fields for the thread that runs it, until the run is over."""
        with fields.bind(station=self.station_id, socket=self.socket, serial=serial):
            yield

    def __call__(self, event: Event) -> None:
        try:
            self._log(event)
        except Exception:
            # Telling the story must never stop the run it tells.
            log.exception("could not log the event %s", type(event).__name__)
        self.on_event(event)

    def _log(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started = event
            fields.update(serial=event.serial)
            log.debug("run of %s started: %s", event.serial, self._recipe())
        elif isinstance(event, AttemptOpened):
            fields.update(attempt=event.attempt_id, serial=event.serial)
            log.info("attempt %d started: %s", event.attempt_id, self._describe_start(event))
        elif isinstance(event, StepStarted):
            fields.update(step=event.step.value)
            log.debug("step %s started", event.step.value)
        elif isinstance(event, StepFinished):
            self._step(event.result)
        elif isinstance(event, MeasurementTaken):
            level = logging.INFO if event.measurement.verdict is Verdict.FAIL else logging.DEBUG
            log.log(level, "measurement %s", event.measurement.describe())
        elif isinstance(event, Notice):
            # The serial step's notice only repeats "attempt N opened", logged above.
            level = logging.DEBUG if event.step is StepId.SERIAL else logging.INFO
            log.log(level, "note: %s", event.message)
        elif isinstance(event, RunFinished):
            fields.update(step=None)
            self._finished(event.result)

    def _recipe(self) -> str:
        s = self._started
        if s is None:
            return "recipe unknown"
        return f"recipe {s.recipe_name} {s.recipe_version} ({s.recipe_hash[:12]})"

    def _describe_start(self, event: AttemptOpened) -> str:
        parts = [f"pack {event.serial}", self._recipe()]
        if self.operator:
            parts.append(f"operator {self.operator}")
        if self.lot:
            parts.append(f"lot {self.lot}")
        if self._started is not None and self._started.rework_of is not None:
            parts.append(f"rework of attempt {self._started.rework_of}")
        return ", ".join(parts)

    def _step(self, r: StepResult) -> None:
        head = f"step {r.step.value} {r.outcome.value} in {r.duration_s:.3f} s"
        f = r.failure
        if f is None:
            log.info("%s: %s", head, r.summary)
            return
        level = logging.WARNING if r.outcome is Outcome.ERROR else logging.INFO
        pack = f"; pack: {f.pack_state}" if f.pack_state else ""
        log.log(
            level, "%s: [%s] %s%s", head, f.code, f.reason, pack, extra={"failure_code": f.code}
        )

    def _finished(self, r: RunResult) -> None:
        f = r.failure
        if r.attempt_id is None:
            # Refused before an attempt existed (already passed, busy, not a serial of the recipe).
            code = f.code if f else r.outcome.value
            reason = f.reason if f else ""
            log.info(
                "scan of %s refused (%s): [%s] %s",
                r.serial,
                self._recipe(),
                code,
                reason,
                extra={"failure_code": code if f else None},
            )
            return
        head = f"attempt {r.attempt_id} ended {r.outcome.value} in {r.cycle_time_s:.2f} s"
        label = f"; label: {r.label.detail}" if r.label is not None else ""
        if f is None:
            log.info("%s: %s%s", head, "sealed" if r.sealed else "not sealed", label)
            return
        level = logging.WARNING if r.outcome is Outcome.ERROR else logging.INFO
        log.log(
            level,
            "%s: [%s] at %s: %s | pack: %s | next: %s%s",
            head,
            f.code,
            STEP_TITLES[f.step],
            f.reason,
            f.pack_state or "-",
            f.action,
            label,
            extra={"failure_code": f.code},
        )
