"""Plain records the store takes and gives back. No ORM object ever leaves the store.

Input records (:class:`AttemptStart`, :class:`StepRecord`, :class:`MeasurementRecord`,
:class:`ParameterRecord`) are what the sequence engine hands over; :meth:`Store.trace` gives the
same step and measurement records back, so what was kept is what is shown. What reads of many
attempts give back (reports, exports, the shift's summary): :mod:`station.store.report_records`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AttemptOutcome(StrEnum):
    RUNNING = "RUNNING"
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    #: the process holding the attempt died (crash, power loss, kill): found at the next start-up
    INTERRUPTED = "INTERRUPTED"


#: outcomes an attempt can end with (everything but RUNNING)
FINISHED_OUTCOMES = frozenset(AttemptOutcome) - {AttemptOutcome.RUNNING}
#: outcomes that judge the pack or the station (yield counts these); ABORTED and INTERRUPTED say
#: what the operator or the process did, not what the pack is
JUDGED_OUTCOMES = frozenset({AttemptOutcome.PASS, AttemptOutcome.FAIL, AttemptOutcome.ERROR})


class StepOutcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"
    ABORTED = "ABORTED"


class MeasurementOutcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    #: recorded for information: no limits, or a text value
    INFO = "INFO"


class LabelState(StrEnum):
    NOT_PRINTED = "NOT_PRINTED"
    PRINTED = "PRINTED"
    FAILED = "FAILED"


class LabelOutcome(StrEnum):
    PRINTED = "PRINTED"
    FAILED = "FAILED"


class ImageRole(StrEnum):
    #: one image per attempt and role: a whole dump or a set of blocks
    BEFORE = "BEFORE"
    AFTER = "AFTER"
    #: several partial images per attempt, each at its own start address (a set of blocks kept
    #: as one image, linked as BEFORE or AFTER, is smaller)
    BEFORE_PART = "BEFORE_PART"
    AFTER_PART = "AFTER_PART"


class AuditAction(StrEnum):
    # privileged actions, each one row
    RECIPE_RELEASED = "RECIPE_RELEASED"
    REWORK_AUTHORISED = "REWORK_AUTHORISED"
    LABEL_REPRINTED = "LABEL_REPRINTED"
    #: a production key set was sent to a pack (it may hold either set until it is proven) ...
    KEY_SET_CHANGE_SENT = "KEY_SET_CHANGE_SENT"
    #: ... and proven: the pack opens with it
    KEY_SET_CHANGED = "KEY_SET_CHANGED"
    PROFILE_SIGNED_OFF = "PROFILE_SIGNED_OFF"
    #: a line's reference pack was registered for the shift-start self-test
    REFERENCE_REGISTERED = "REFERENCE_REGISTERED"
    PIN_CHANGED = "PIN_CHANGED"
    #: the database was declared a production one: emulated runs are refused from then on
    DATABASE_PRODUCTION = "DATABASE_PRODUCTION"
    # refusals and what the station did by itself
    PIN_REFUSED = "PIN_REFUSED"
    SERIAL_REFUSED = "SERIAL_REFUSED"
    CLAIM_TAKEN_OVER = "CLAIM_TAKEN_OVER"
    ATTEMPTS_INTERRUPTED = "ATTEMPTS_INTERRUPTED"


#: the actions that need a badge with rights (and its PIN)
PRIVILEGED_ACTIONS = frozenset(
    {
        AuditAction.RECIPE_RELEASED,
        AuditAction.REWORK_AUTHORISED,
        AuditAction.LABEL_REPRINTED,
        AuditAction.KEY_SET_CHANGE_SENT,
        AuditAction.KEY_SET_CHANGED,
        AuditAction.PROFILE_SIGNED_OFF,
        AuditAction.REFERENCE_REGISTERED,
        AuditAction.PIN_CHANGED,
        AuditAction.DATABASE_PRODUCTION,
    }
)


#: ``StepRecord.kind`` values the PASS rule looks for: PASS needs one passing step of each
SEAL_STEP = "seal"
VERIFY_STEP = "verify"
#: a label step may fail (printer offline) without unmaking a PASS
LABEL_STEP = "label"


# ---- what the sequence engine hands over -------------------------------------------------------


@dataclass(frozen=True)
class ReworkAuthorisation:
    """A supervisor's permission to work on a pack again; used by exactly one attempt."""

    id: int
    serial: str
    #: the attempt being reworked (the last PASS, else the last attempt)
    rework_of: int
    authorised_by: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class AttemptStart:
    """Everything known about an attempt before the pack is touched. Never a key: only its id."""

    serial: str
    station_id: str
    socket: str
    operator: str
    recipe_name: str
    recipe_version: str
    recipe_hash: str
    software_version: str
    key_set_id: str
    host: str
    pid: int
    work_order: str = ""
    lot: str = ""
    #: defaults to the store's wall clock
    started_at: datetime | None = None
    rework: ReworkAuthorisation | None = None
    #: run on the emulator, not on a real pack
    emulated: bool = False


@dataclass(frozen=True)
class MeasurementRecord:
    name: str
    value: float | None = None
    #: for values that are not numbers (a firmware version, a status word as text)
    text: str | None = None
    unit: str = ""
    low: float | None = None
    high: float | None = None
    #: None: judged from the limits (PASS/FAIL), INFO without limits or for a text value
    outcome: MeasurementOutcome | None = None


@dataclass(frozen=True)
class StepRecord:
    ordinal: int
    name: str
    outcome: StepOutcome
    started_at: datetime
    ended_at: datetime
    #: what the step does, for rules that cannot rely on names: ``SEAL_STEP``, ``VERIFY_STEP``...
    kind: str = ""
    #: None: ``ended_at - started_at``
    duration_s: float | None = None
    failure_code: str | None = None
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    measurements: tuple[MeasurementRecord, ...] = ()


@dataclass(frozen=True)
class ParameterRecord:
    """A data-flash parameter as read before and after the attempt, already decoded for people."""

    name: str
    before: str | None
    after: str | None
    unit: str = ""


# ---- what the store gives back ---------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    serial: str
    station: str
    socket: str
    host: str
    pid: int
    claimed_at: datetime
    heartbeat_at: datetime
    #: identifies this holder; a taken-over claim gets a new token
    token: str
    attempt_id: int | None = None


@dataclass(frozen=True)
class AttemptSummary:
    id: int
    serial: str
    #: 1 for the pack's first attempt, 2 for its first retest...
    attempt_no: int
    station_id: str
    socket: str
    operator: str
    work_order: str
    lot: str
    recipe_name: str
    recipe_version: str
    recipe_hash: str
    software_version: str
    key_set_id: str
    started_at: datetime
    ended_at: datetime | None
    outcome: AttemptOutcome
    failure_code: str | None
    failing_step: str | None
    reason: str | None
    rework_of: int | None
    rework_authorised_by: str | None
    cycle_time_s: float | None
    label_state: LabelState
    host: str
    pid: int
    #: run on the emulator, not on a real pack
    emulated: bool = False


@dataclass(frozen=True)
class ImageRef:
    role: ImageRole
    image_id: int
    #: SHA-256 of a dump's bytes, or of a block set's canonical encoding
    sha256: str
    #: a dump's first address, a block set's lowest block
    start: int
    #: data bytes (a block set: 32 per block)
    length: int
    stored_bytes: int
    #: ``(address, bytes)`` of each contiguous run: one for a dump, one or more for a block set
    ranges: tuple[tuple[int, int], ...] = ()
    #: a set of blocks (:meth:`Store.store_blocks`) rather than a contiguous dump
    sparse: bool = False

    @property
    def ranges_text(self) -> str:
        """``0x4040-0x409F, 0x4420-0x443F``: the addresses the image holds."""
        runs = self.ranges or ((self.start, self.length),)
        return ", ".join(f"0x{a:04X}-0x{a + max(n, 1) - 1:04X}" for a, n in runs)


@dataclass(frozen=True)
class ParameterDiff:
    name: str
    before: str | None
    after: str | None
    unit: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class LabelRecord:
    attempt_id: int
    printed_at: datetime
    printer: str
    outcome: LabelOutcome
    error: str | None
    reprint_reason: str | None
    by: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    action: str
    who: str
    station: str
    subject: str
    detail: Mapping[str, Any]


@dataclass(frozen=True)
class BadgePin:
    """A badge's PIN as kept: its argon2 hash, who set it, and the wrong PINs since the last
    right one."""

    code: str
    pin_hash: str = field(repr=False)
    changed_by: str
    changed_at: datetime
    failures: int
    last_failure_at: datetime | None


@dataclass(frozen=True)
class ReleasedRecipe:
    name: str
    version: str
    hash: str
    text: str
    released_by: str
    released_at: datetime
    note: str


@dataclass(frozen=True)
class CalibrationValueRecord:
    """One figure of a calibration (see :class:`station.store.models.CalibrationValue`)."""

    kind: str
    name: str
    value: float | None
    unit: str = ""
    old_value: float | None = None
    tolerance: float | None = None
    passed: bool | None = None
    instrument: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class CalibrationStat:
    """The distribution of one figure over a lot's attempts."""

    lot: str
    kind: str
    name: str
    unit: str
    count: int
    mean: float
    sigma: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class AttemptTrace:
    summary: AttemptSummary
    steps: tuple[StepRecord, ...]
    images: tuple[ImageRef, ...]
    parameters: tuple[ParameterDiff, ...]
    labels: tuple[LabelRecord, ...]
    recipe_released: bool
    #: the pack's calibration figures in this attempt (station.store.calibration)
    calibration: tuple[CalibrationValueRecord, ...] = ()


@dataclass(frozen=True)
class PackTrace:
    serial: str
    first_seen: datetime
    attempts: tuple[AttemptTrace, ...]
    audit: tuple[AuditEntry, ...]
    claim: Claim | None
