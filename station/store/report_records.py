"""What the store's reads give back for a set of attempts: report filters, counts, the shift's
summary, and the flat rows of the CSV exports."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TypedDict

from station.store.records import AttemptOutcome


@dataclass(frozen=True)
class ReportFilter:
    """Attempts started in ``[since, until)``; ``recipe`` matches a recipe name or hash;
    ``serial``: one pack's attempts only."""

    since: datetime | None = None
    until: datetime | None = None
    recipe: str | None = None
    station: str | None = None
    lot: str | None = None
    #: attempts run on the emulator are left out unless asked for
    include_emulated: bool = False
    serial: str | None = None


class FilterCriteria(TypedDict, total=False):
    """:class:`ReportFilter`'s fields, for calls that take them as keywords."""

    since: datetime | None
    until: datetime | None
    recipe: str | None
    station: str | None
    lot: str | None
    include_emulated: bool
    serial: str | None


@dataclass(frozen=True)
class CountBy:
    key: str
    count: int


@dataclass(frozen=True)
class Report:
    filters: ReportFilter
    #: attempts matching the filters, and the packs they belong to
    attempts: int
    packs: int
    passed: int
    #: attempts judged not good (FAIL, and the station's own ERROR)
    failed: int
    running: int
    by_outcome: tuple[CountBy, ...]
    #: packs with a PASS among the matching attempts
    packs_passed: int
    #: packs whose very first attempt matches the filters and ended PASS, FAIL or ERROR...
    first_attempts: int
    #: ... and of those, the packs whose first attempt passed
    first_pass: int
    first_pass_yield: float | None
    #: FAIL and ERROR attempts by failure code and by failing step (a Pareto, most first)
    failures_by_code: tuple[CountBy, ...]
    failures_by_step: tuple[CountBy, ...]
    #: over finished attempts that have a cycle time
    median_cycle_time_s: float | None
    #: attempts per socket ("STATION/SOCKET"), most first: which fixture did the work
    attempts_by_socket: tuple[CountBy, ...] = ()
    #: stopped by the operator / by the death of the process: neither PASS nor FAIL
    aborted: int = 0
    interrupted: int = 0


@dataclass(frozen=True)
class ExportRow:
    """One attempt, flat, for customers and MES."""

    serial: str
    attempt_id: int
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
    cycle_time_s: float | None
    outcome: str
    failure_code: str | None
    failing_step: str | None
    reason: str | None
    rework_of: int | None
    label_state: str
    before_image_sha256: str | None
    after_image_sha256: str | None
    emulated: bool


@dataclass(frozen=True)
class MeasurementExportRow:
    """One measurement, flat, with the attempt it belongs to."""

    serial: str
    attempt_id: int
    attempt_outcome: str
    started_at: datetime
    step_ordinal: int | None
    step_name: str | None
    name: str
    value: float | None
    text: str | None
    unit: str
    low: float | None
    high: float | None
    outcome: str


#: the CSV headers: the rows' fields, in order (a new field is a new column, never one forgotten)
EXPORT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExportRow))
MEASUREMENT_EXPORT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(MeasurementExportRow))


@dataclass(frozen=True)
class RecentPack:
    serial: str
    attempt_id: int
    outcome: AttemptOutcome
    failure_code: str | None
    started_at: datetime
    cycle_time_s: float | None


@dataclass(frozen=True)
class ShiftSummary:
    station: str
    since: datetime
    passed: int
    #: attempts judged not good (FAIL and ERROR)
    failed: int
    running: int
    #: first attempts that ended PASS, FAIL or ERROR (the first-pass yield's denominator)
    first_attempts: int
    first_pass: int
    first_pass_yield: float | None
    #: newest first
    recent: tuple[RecentPack, ...]
    #: of ``failed``, the station's own faults (ERROR)
    errors: int = 0
    aborted: int = 0
    interrupted: int = 0
