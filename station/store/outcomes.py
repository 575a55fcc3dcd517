"""Counting attempts by outcome in SQL, the same way on every page, and the one way the
dashboard's reads choose their attempts.

Every read of the line goes through :func:`scope`: the report filters (and whatever attempts the
reports leave out) apply in one place, :func:`station.store.reports.conditions`.

Reads of a window of time walk ``ix_attempts_started_at``, which holds every column a dashboard
filter or count looks at (:func:`walk_time`): the cost is the window's size, whatever the
filter. SQLite plans without statistics and would otherwise take the outcome or recipe index
and read far more rows; PostgreSQL plans from its statistics.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, case, func

from station.store.models import Attempt, Pack
from station.store.records import AttemptOutcome
from station.store.report_records import ReportFilter
from station.store.reports import conditions
from station.store.views import JUDGING_OUTCOMES, OutcomeCounts

Ts = TypeVarTuple("Ts")

#: a recipe hash as the station writes it (SHA-256, lower-case hex)
_HASH = re.compile(r"[0-9a-f]{64}")


def scope(f: ReportFilter, a: Any = Attempt) -> list[ColumnElement[bool]]:
    """The attempts a dashboard figure is made of.

    A recipe is named or given by its hash; which one is plain from its form, so the condition
    compares one column (the time index holds the name, not the 64-character hash).
    """
    if not f.recipe:
        return conditions(f, a)
    column = a.recipe_hash if _HASH.fullmatch(f.recipe) else a.recipe_name
    return [*conditions(replace(f, recipe=None), a), column == f.recipe]


def walk_time(query: Select[*Ts], f: ReportFilter) -> Select[*Ts]:
    """``query`` over ``attempts`` reading ``ix_attempts_started_at`` on SQLite (not when one
    pack is asked for: its own index finds it at once)."""
    if f.serial:
        return query
    return query.with_hint(Attempt, "INDEXED BY ix_attempts_started_at", "sqlite")


def newest_with_pack(query: Select[*Ts]) -> Select[*Ts]:
    """``query``'s attempts joined to their pack, the newest first. The id orders attempts that
    started at the same instant, so a list never reorders and pages never overlap."""
    return query.join(Pack, Pack.id == Attempt.pack_id).order_by(
        Attempt.started_at.desc(), Attempt.id.desc()
    )


def base(a: Any = Attempt) -> list[ColumnElement[bool]]:
    """What every read keeps out whatever the filters: the reports' scope with no filter (a
    pack's retests go through it too)."""
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
