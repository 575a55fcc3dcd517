"""Plain records of the line as the dashboard shows it: socket status, yields, Paretos, SPC.

Like :mod:`station.store.records`, these are frozen values built from a few aggregated queries;
no ORM object leaves the store.

Yield counts what the pack did: an attempt ending PASS, FAIL or ERROR judges the pack; ABORTED
(stopped by the operator) and INTERRUPTED (the station died) judge nothing, so they are neither
passes nor first-pass failures. First-pass yield is PASS over PASS + FAIL + ERROR, at the pack's
first attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from station.store.records import AttemptOutcome
from station.store.report_records import ReportFilter

#: outcomes that say something about the pack (the denominators of every yield)
JUDGING_OUTCOMES = (AttemptOutcome.PASS, AttemptOutcome.FAIL, AttemptOutcome.ERROR)
#: outcomes that end an attempt without judging the pack
UNJUDGED_OUTCOMES = (AttemptOutcome.ABORTED, AttemptOutcome.INTERRUPTED)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class OutcomeCounts:
    """Attempts by outcome, and the packs whose first attempt is among them."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    aborted: int = 0
    interrupted: int = 0
    running: int = 0
    #: first attempts that ended PASS, FAIL or ERROR...
    first_judged: int = 0
    #: ... and of those, the ones that passed
    first_pass: int = 0

    @property
    def attempts(self) -> int:
        return (
            self.passed + self.failed + self.errors + self.aborted + self.interrupted + self.running
        )

    @property
    def first_pass_yield(self) -> float | None:
        return ratio(self.first_pass, self.first_judged)

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        return OutcomeCounts(
            self.passed + other.passed,
            self.failed + other.failed,
            self.errors + other.errors,
            self.aborted + other.aborted,
            self.interrupted + other.interrupted,
            self.running + other.running,
            self.first_judged + other.first_judged,
            self.first_pass + other.first_pass,
        )


# ---- the line, now -------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningPack:
    """The pack a socket works on: its attempt is RUNNING."""

    serial: str
    attempt_id: int
    attempt_no: int
    started_at: datetime
    #: the claim's last heartbeat (None: no claim holds the pack any more)
    heartbeat_at: datetime | None
    #: the last step recorded (steps are recorded as they end), and its number
    last_step: str | None
    last_step_no: int | None


@dataclass(frozen=True)
class LastAttempt:
    serial: str
    attempt_id: int
    outcome: AttemptOutcome
    failure_code: str | None
    started_at: datetime
    ended_at: datetime | None


class Liveness(StrEnum):
    #: a pack is running and its station's heartbeat is recent
    WORKING = "WORKING"
    #: no pack running, and the station was heard from recently
    IDLE = "IDLE"
    #: a pack is RUNNING but no heartbeat came for too long: the station may have died
    STALE = "STALE"
    #: nothing heard for a long time (a station switched off, or gone)
    SILENT = "SILENT"


@dataclass(frozen=True)
class SocketStatus:
    station: str
    socket: str
    liveness: Liveness
    #: the latest sign of life: claim heartbeat, attempt start or end
    last_seen: datetime | None
    running: RunningPack | None
    #: the last attempt that ended
    last: LastAttempt | None
    #: attempts started this shift
    shift: OutcomeCounts
    #: attempts started in the last hour that have ended
    last_hour: int


@dataclass(frozen=True)
class LineStatus:
    now: datetime
    shift_start: datetime
    shift_end: datetime
    shift_label: str
    sockets: tuple[SocketStatus, ...]
    #: the whole line this shift
    shift: OutcomeCounts
    last_hour: int


# ---- yields ------------------------------------------------------------------------------


class Bucket(StrEnum):
    HOUR = "hour"
    SHIFT = "shift"
    DAY = "day"


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC, with its label in the dashboard's local time."""

    start: datetime
    end: datetime
    label: str
    #: a few characters, for a chart's axis
    short: str = ""


@dataclass(frozen=True)
class YieldPoint:
    """The packs whose first attempt started in one period, and what became of them."""

    period: Period
    #: first attempts by outcome (first_judged / first_pass: first-pass yield)
    first: OutcomeCounts
    #: packs with a PASS, FAIL or ERROR on any attempt so far...
    final_judged: int
    #: ... and of those, packs that have passed (at the first attempt or a retest)
    final_pass: int

    @property
    def packs(self) -> int:
        return self.first.attempts

    @property
    def first_pass_yield(self) -> float | None:
        return self.first.first_pass_yield

    @property
    def final_yield(self) -> float | None:
        return ratio(self.final_pass, self.final_judged)


@dataclass(frozen=True)
class YieldSeries:
    bucket: Bucket
    filters: ReportFilter
    points: tuple[YieldPoint, ...]
    total: YieldPoint


# ---- failures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoBar:
    key: str
    count: int
    #: share of all failures up to and including this bar (0..1)
    cumulative: float


@dataclass(frozen=True)
class FailurePareto:
    """FAIL and ERROR attempts by failure code and by step, most frequent first."""

    filters: ReportFilter
    failures: int
    by_code: tuple[ParetoBar, ...]
    by_step: tuple[ParetoBar, ...]
    #: not failures of the pack, so not in the Pareto; counted beside it
    aborted: int
    interrupted: int


@dataclass(frozen=True)
class FailedAttempt:
    """One attempt behind a Pareto bar."""

    serial: str
    attempt_id: int
    attempt_no: int
    started_at: datetime
    station: str
    socket: str
    outcome: AttemptOutcome
    failure_code: str | None
    failing_step: str | None
    reason: str | None


# ---- SPC ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurementKind:
    """A numeric measurement seen on recent attempts."""

    name: str
    unit: str
    #: how many of the sampled attempts recorded it
    seen: int
    #: whether it is checked against limits (a recipe's specification)
    has_limits: bool


class RunRule(StrEnum):
    BEYOND_3_SIGMA = "beyond 3σ"
    EIGHT_ON_ONE_SIDE = "8 in a row on one side"


@dataclass(frozen=True)
class SpcPoint:
    attempt_id: int
    serial: str
    started_at: datetime
    value: float
    low: float | None
    high: float | None
    #: outside the specification recorded with the point
    out_of_spec: bool
    #: run rules this point breaks (empty: in control)
    rules: tuple[RunRule, ...]


@dataclass(frozen=True)
class ControlLimits:
    """An individuals chart's figures, from the values in time order.

    Sigma is estimated from the average moving range (MR̄ / 1.128), as for any individuals
    chart; ``overall_sigma`` is the plain standard deviation, for comparison.
    """

    n: int
    mean: float
    sigma: float | None
    ucl: float | None
    lcl: float | None
    overall_sigma: float | None
    lsl: float | None
    usl: float | None
    #: None without a specification limit or without variation
    cpk: float | None


@dataclass(frozen=True)
class SpcChart:
    name: str
    unit: str
    filters: ReportFilter
    points: tuple[SpcPoint, ...]
    #: None when fewer than two points were found
    limits: ControlLimits | None
    #: the specification limits differ between points (several recipes: filter by one)
    mixed_limits: bool
