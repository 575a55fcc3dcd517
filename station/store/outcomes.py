"""Counting attempts by outcome in SQL, the same way on every page.

Every read of the line goes through :func:`scope`: the report filters (and whatever attempts the
reports leave out) apply in one place, :func:`station.store.reports.conditions`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func

from station.store.models import Attempt
from station.store.records import AttemptOutcome, ReportFilter
from station.store.reports import conditions
from station.store.views import JUDGING_OUTCOMES, OutcomeCounts


def scope(f: ReportFilter, a: Any = Attempt) -> list[ColumnElement[bool]]:
    """The attempts a dashboard figure is made of."""
    return conditions(f, a)


def base(a: Any = Attempt) -> list[ColumnElement[bool]]:
    """What every read keeps out whatever the filters: the reports' scope with no filter (the
    sockets of the line, a pack's retests, the lists a form offers go through it too)."""
    return scope(ReportFilter(), a)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def outcome_columns(a: Any = Attempt) -> tuple[ColumnElement[int], ...]:
    """Aggregates read back by :func:`to_counts`, in its order."""
    outcome = a.outcome
    first = a.attempt_no == 1
    return (
        _count(outcome == AttemptOutcome.PASS),
        _count(outcome == AttemptOutcome.FAIL),
        _count(outcome == AttemptOutcome.ERROR),
        _count(outcome == AttemptOutcome.ABORTED),
        _count(outcome == AttemptOutcome.INTERRUPTED),
        _count(outcome == AttemptOutcome.RUNNING),
        _count(first & outcome.in_([str(o) for o in JUDGING_OUTCOMES])),
        _count(first & (outcome == AttemptOutcome.PASS)),
    )


#: how many columns :func:`outcome_columns` adds
OUTCOME_COLUMNS = len(outcome_columns())


def to_counts(values: Any) -> OutcomeCounts:
    return OutcomeCounts(*(int(v or 0) for v in values))
