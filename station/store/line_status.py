"""The line now: every station and socket, what it works on, and its counts this shift.

Stations and sockets are found by skipping through the ``(station_id, socket, started_at)``
index, one distinct pair per lookup, and each pair's latest attempt is the last entry of its
range there: the cost grows with the number of sockets, not of attempts. Running packs come from
the outcome index (few rows), their heartbeats from the claims, and the shift's counts from the
time index over the shift only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Connection, Select, bindparam, func, select

from station.store.database import Database
from station.store.models import Attempt, Pack, SerialClaim, Step
from station.store.outcomes import outcome_columns, scope, to_counts, walk_time
from station.store.records import AttemptOutcome
from station.store.report_records import ReportFilter
from station.store.shifts import ShiftPlan
from station.store.views import (
    LastAttempt,
    LineStatus,
    Liveness,
    OutcomeCounts,
    Period,
    RunningPack,
    SocketStatus,
)

Ts = TypeVarTuple("Ts")

#: a running pack whose claim has not beaten for this long belongs to a station that may be dead
#: (the engine beats every 30 s while it works)
STALE_AFTER = timedelta(minutes=2)
#: a socket not heard from for this long is shown as silent
SILENT_AFTER = timedelta(minutes=30)


def _kept(filters: ReportFilter) -> list[ColumnElement[bool]]:
    """The attempts of the line the filters keep, at any time (the line page's times are the
    shift's and the last hour's, not the filters')."""
    return scope(replace(filters, since=None, until=None))


def _latest(filters: ReportFilter) -> Any:
    """The last attempt of one socket that ended (a running pack is shown as such)."""
    return (
        select(
            Pack.serial,
            Attempt.id,
            Attempt.outcome,
            Attempt.failure_code,
            Attempt.started_at,
            Attempt.ended_at,
        )
        .join(Pack, Pack.id == Attempt.pack_id)
        .where(
            *_kept(filters),
            Attempt.station_id == bindparam("station"),
            Attempt.socket == bindparam("socket"),
            Attempt.outcome != AttemptOutcome.RUNNING,
        )
        .order_by(Attempt.started_at.desc())
        .limit(1)
    )


def sockets(conn: Connection, filters: ReportFilter) -> list[tuple[str, str]]:
    """Every (station, socket) that ever recorded an attempt the filters keep, in order: one
    index lookup each (SQLite seeks a pair of columns by its first only, so stations and sockets
    are walked one column at a time)."""
    kept = _kept(filters)
    first_station = select(Attempt.station_id).where(*kept).order_by(Attempt.station_id).limit(1)
    next_station = first_station.where(Attempt.station_id > bindparam("station"))
    first_socket = (
        select(Attempt.socket)
        .where(*kept, Attempt.station_id == bindparam("station"))
        .order_by(Attempt.socket)
        .limit(1)
    )
    next_socket = first_socket.where(Attempt.socket > bindparam("socket"))
    found: list[tuple[str, str]] = []
    station = conn.scalar(first_station)
    while station is not None:
        socket = conn.scalar(first_socket, {"station": station})
        while socket is not None:
            found.append((station, socket))
            socket = conn.scalar(next_socket, {"station": station, "socket": socket})
        station = conn.scalar(next_station, {"station": station})
    return found


def _running(conn: Connection, filters: ReportFilter) -> dict[tuple[str, str], RunningPack]:
    """The newest RUNNING attempt of each socket, with its claim's heartbeat and last step."""
    last_step = (
        select(Step.ordinal, Step.name)
        .where(Step.attempt_id == Attempt.id)
        .order_by(Step.ordinal.desc())
        .limit(1)
    )
    rows = conn.execute(
        select(
            Attempt.station_id,
            Attempt.socket,
            Pack.serial,
            Attempt.id,
            Attempt.attempt_no,
            Attempt.started_at,
            SerialClaim.heartbeat_at,
            last_step.with_only_columns(Step.name).scalar_subquery(),
            last_step.with_only_columns(Step.ordinal).scalar_subquery(),
        )
        .join(Pack, Pack.id == Attempt.pack_id)
        .outerjoin(SerialClaim, SerialClaim.attempt_id == Attempt.id)
        # No ORDER BY: SQLite would walk the time index for it instead of the outcome index.
        .where(*_kept(filters), Attempt.outcome == AttemptOutcome.RUNNING)
    )
    running: dict[tuple[str, str], RunningPack] = {}
    ordered = sorted(rows, key=lambda r: r.started_at)  # the newest of a socket wins
    for station, socket, serial, attempt_id, no, started, beat, step, step_no in ordered:
        running[(station, socket)] = RunningPack(
            serial, attempt_id, no, started, beat, step, step_no
        )
    return running


def _per_socket(conn: Connection, query: Select[*Ts]) -> dict[tuple[str, str], Any]:
    """``query``'s aggregates grouped by socket (walking the time index), keyed by socket."""
    grouped = query.group_by(Attempt.station_id, Attempt.socket)
    rows: list[Any] = list(conn.execute(walk_time(grouped, ReportFilter())))
    return {(r[0], r[1]): r[2:] for r in rows}


def _counts(
    conn: Connection, filters: ReportFilter, shift: Period, now: datetime
) -> tuple[dict[tuple[str, str], OutcomeCounts], dict[tuple[str, str], int]]:
    """Each socket's outcome counts this shift, and its attempts ended in the past hour."""
    in_shift = scope(replace(filters, since=shift.start, until=shift.end))
    past_hour = scope(replace(filters, since=now - timedelta(hours=1), until=None))
    pair = (Attempt.station_id, Attempt.socket)
    counted = _per_socket(conn, select(*pair, *outcome_columns()).where(*in_shift))
    ended = _per_socket(
        conn,
        select(*pair, func.count()).where(
            *past_hour, Attempt.started_at <= now, Attempt.outcome != AttemptOutcome.RUNNING
        ),
    )
    return (
        {key: to_counts(values) for key, values in counted.items()},
        {key: int(values[0]) for key, values in ended.items()},
    )


@dataclass(frozen=True)
class _Window:
    """What a socket's liveness is judged against."""

    now: datetime
    stale_after: timedelta
    silent_after: timedelta


def _socket_status(
    pair: tuple[str, str],
    row: Any,
    pack: RunningPack | None,
    shift: OutcomeCounts,
    last_hour: int,
    window: _Window,
) -> SocketStatus:
    last = None
    seen: list[datetime] = []
    if row is not None:
        last = LastAttempt(
            row.serial,
            row.id,
            AttemptOutcome(row.outcome),
            row.failure_code,
            row.started_at,
            row.ended_at,
        )
        seen += [t for t in (last.started_at, last.ended_at) if t is not None]
    if pack is not None and pack.heartbeat_at is not None:
        seen.append(pack.heartbeat_at)
    last_seen = max(seen, default=None)
    return SocketStatus(
        station=pair[0],
        socket=pair[1],
        liveness=_liveness(pack, last_seen, window),
        last_seen=last_seen,
        running=pack,
        last=last,
        shift=shift,
        last_hour=last_hour,
    )


def line_status(
    db: Database,
    plan: ShiftPlan,
    filters: ReportFilter | None = None,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    silent_after: timedelta = SILENT_AFTER,
) -> LineStatus:
    """The line's sockets and counts over the attempts ``filters`` keep (by default the real
    packs': ``include_emulated`` counts runs on the emulator as the line's, for a demonstration).
    The filters' own dates do not apply: the line is shown now, over its shift."""
    filters = filters or ReportFilter()
    now = now or db.now()
    shift = plan.shift_at(now)
    with db.conn() as conn:
        pairs = sockets(conn, filters)
        last_of = _latest(filters)
        latest = {
            pair: conn.execute(last_of, {"station": pair[0], "socket": pair[1]}).first()
            for pair in pairs
        }
        running = _running(conn, filters)
        counts, hourly = _counts(conn, filters, shift, now)
    window = _Window(now, stale_after, silent_after)
    statuses = [
        _socket_status(
            pair,
            latest.get(pair),
            running.get(pair),
            counts.get(pair, OutcomeCounts()),
            hourly.get(pair, 0),
            window,
        )
        for pair in sorted(set(pairs) | set(running))
    ]
    return LineStatus(
        now=now,
        shift_start=shift.start,
        shift_end=shift.end,
        shift_label=shift.label,
        sockets=tuple(statuses),
        shift=sum((s.shift for s in statuses), OutcomeCounts()),
        last_hour=sum(s.last_hour for s in statuses),
    )


def _liveness(pack: RunningPack | None, last_seen: datetime | None, window: _Window) -> Liveness:
    if pack is not None:
        beat = pack.heartbeat_at or pack.started_at
        return Liveness.STALE if window.now - beat > window.stale_after else Liveness.WORKING
    if last_seen is None or window.now - last_seen > window.silent_after:
        return Liveness.SILENT
    return Liveness.IDLE
