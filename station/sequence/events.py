"""What the sequence engine tells the world: outcomes, failures, measurements and events.

The engine emits these plain, immutable records through a callback; the operator terminal and the
headless ``station program`` only render them. Nothing here knows about Textual or the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"  # the pack is not good (wrong keys, verify mismatch, check out of limits)
    ERROR = "ERROR"  # the station could not do its job (bus fault, database, printer)
    ABORTED = "ABORTED"  # the operator stopped the run
    SKIPPED = "SKIPPED"  # a step that did not run because an earlier one ended the run


class Verdict(StrEnum):
    """A measurement's judgement. It is made once, where the value is measured, and every face
    (terminal, ``station program``, ``station trace``, the database) shows it as made."""

    PASS = "PASS"  # judged against a limit or an expected value, and good
    FAIL = "FAIL"  # judged, and not good
    INFO = "INFO"  # recorded, not judged (an identity, a reading without limits)

    @classmethod
    def of(cls, passed: bool) -> Verdict:
        return cls.PASS if passed else cls.FAIL


class StepId(StrEnum):
    SERIAL = "serial"
    IDENTIFY = "identify"
    UNSEAL = "unseal"
    BACKUP = "backup"
    APPLY = "apply"
    RESET = "reset"
    CALIBRATE = "calibrate"
    VERIFY = "verify"
    KEYS = "keys"
    SEAL = "seal"
    LABEL = "label"
    RECORD = "record"


STEP_TITLES: dict[StepId, str] = {
    StepId.SERIAL: "Check serial",
    StepId.IDENTIFY: "Identify gauge",
    StepId.UNSEAL: "Unseal",
    StepId.BACKUP: "Back up data flash",
    StepId.APPLY: "Apply recipe",
    StepId.RESET: "Reset gauge",
    StepId.CALIBRATE: "Calibrate",
    StepId.VERIFY: "Verify",
    StepId.KEYS: "Install keys",
    StepId.SEAL: "Seal",
    StepId.LABEL: "Print label",
    StepId.RECORD: "Record result",
}


@dataclass(frozen=True)
class Failure:
    """Why a run stopped, in words an operator can act on.

    ``code`` is the short code the database, reports and the screen share; ``reason`` says what
    happened, ``action`` what to do next, ``pack_state`` what state the pack was left in.
    """

    step: StepId
    code: str
    reason: str
    action: str
    outcome: Outcome = Outcome.FAIL
    pack_state: str = ""


@dataclass(frozen=True)
class Measurement:
    """One measured value, its limits (numeric) or expected text, and its verdict."""

    name: str
    value: float | None
    unit: str = ""
    low: float | None = None
    high: float | None = None
    #: judged where it is measured; a value nothing judges is INFO
    verdict: Verdict = Verdict.INFO
    text: str | None = None  # for non-numeric values (hex words, firmware versions)

    def describe(self) -> str:
        shown = self.text if self.text is not None else _num(self.value)
        limits = ""
        if self.low is not None or self.high is not None:
            limits = f" [{_num(self.low)}..{_num(self.high)}]"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} = {shown}{unit}{limits} {self.verdict.value}"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


@dataclass(frozen=True)
class StepResult:
    step: StepId
    outcome: Outcome
    duration_s: float
    summary: str = ""
    failure: Failure | None = None
    measurements: tuple[Measurement, ...] = ()


@dataclass(frozen=True)
class LabelResult:
    printed: bool
    printer: str
    detail: str  # files written, "sent to printer", or the error
    failure_code: str = ""  # the printer's code when not printed (PRINTER_OFFLINE, ...)


@dataclass(frozen=True)
class RunResult:
    attempt_id: int | None
    serial: str
    outcome: Outcome
    failure: Failure | None
    steps: tuple[StepResult, ...]
    cycle_time_s: float
    sealed: bool
    label: LabelResult | None = None
    bus_time_s: float | None = None  # virtual bus time when running on the emulator

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


# -- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunStarted:
    serial: str
    recipe_name: str
    recipe_version: str
    recipe_hash: str
    steps: tuple[StepId, ...]
    started_at: datetime
    attempt_id: int | None = None
    rework_of: int | None = None


@dataclass(frozen=True)
class AttemptOpened:
    """The serial was accepted and the attempt's row exists: from here on it has an id."""

    attempt_id: int
    serial: str


@dataclass(frozen=True)
class StepStarted:
    step: StepId
    index: int


@dataclass(frozen=True)
class StepProgress:
    step: StepId
    done: int
    total: int
    detail: str = ""


@dataclass(frozen=True)
class MeasurementTaken:
    step: StepId
    measurement: Measurement


@dataclass(frozen=True)
class StepFinished:
    result: StepResult


@dataclass(frozen=True)
class Notice:
    """A line worth showing that is not a measurement (e.g. "restoring backup after abort")."""

    step: StepId | None
    message: str


@dataclass(frozen=True)
class RunFinished:
    result: RunResult


Event = (
    RunStarted
    | AttemptOpened
    | StepStarted
    | StepProgress
    | MeasurementTaken
    | StepFinished
    | Notice
    | RunFinished
)


@dataclass
class CancelToken:
    """Set by the operator's abort key (any thread); the engine checks it only at safe points."""

    _event: threading.Event = field(default_factory=threading.Event)

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()
