"""The line now: every station and socket, what it works on, and its counts this shift.

Stations and sockets are found by skipping through the ``(station_id, socket, started_at)``
index, one distinct pair per lookup, and each pair's latest attempt is the last entry of its
range there: the cost grows with the number of sockets, not of attempts. Running packs come from
the outcome index (few rows), their heartbeats from the claims, and the shift's counts from the
time index over the shift only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from station.store.database import Database
from station.store.models import Attempt, Pack, SerialClaim, Step
from station.store.outcomes import base, outcome_columns, scope, to_counts, walk_time
from station.store.records import AttemptOutcome
from station.store.report_records import ReportFilter
from station.store.shifts import ShiftPlan
from station.store.views import (
    LastAttempt,
    LineStatus,
    Liveness,
    OutcomeCounts,
    RunningPack,
    SocketStatus,
)

#: a running pack whose claim has not beaten for this long belongs to a station that may be dead
#: (the engine beats every 30 s while it works)
STALE_AFTER = timedelta(minutes=2)
#: a socket not heard from for this long is shown as silent
SILENT_AFTER = timedelta(minutes=30)


def _latest(include_emulated: bool) -> Any:
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
            *base(include_emulated=include_emulated),
            Attempt.station_id == bindparam("station"),
            Attempt.socket == bindparam("socket"),
            Attempt.outcome != AttemptOutcome.RUNNING,
        )
        .order_by(Attempt.started_at.desc())
        .limit(1)
    )


def sockets(conn: Connection, *, include_emulated: bool = False) -> list[tuple[str, str]]:
    """Every (station, socket) that ever recorded an attempt, in order: one index lookup each
    (SQLite seeks a pair of columns by its first only, so stations and sockets are walked
    one column at a time)."""
    kept = base(include_emulated=include_emulated)
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


def _running(conn: Connection, include_emulated: bool) -> dict[tuple[str, str], RunningPack]:
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
        .where(*base(include_emulated=include_emulated), Attempt.outcome == AttemptOutcome.RUNNING)
    )
    running: dict[tuple[str, str], RunningPack] = {}
    ordered = sorted(rows, key=lambda r: r.started_at)  # the newest of a socket wins
    for station, socket, serial, attempt_id, no, started, beat, step, step_no in ordered:
        running[(station, socket)] = RunningPack(
            serial, attempt_id, no, started, beat, step, step_no
        )
    return running


def line_status(
    db: Database,
    plan: ShiftPlan,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    silent_after: timedelta = SILENT_AFTER,
    include_emulated: bool = False,
) -> LineStatus:
    """``include_emulated``: runs on the emulator count as the line's (a demonstration)."""
    now = now or db.now()
    shift = plan.shift_at(now)
    emulated = include_emulated
    in_shift = scope(ReportFilter(since=shift.start, until=shift.end, include_emulated=emulated))
    past_hour = scope(ReportFilter(since=now - timedelta(hours=1), include_emulated=emulated))
    with db.conn() as conn:
        pairs = sockets(conn, include_emulated=emulated)
        last_of = _latest(emulated)
        latest = {
            pair: conn.execute(last_of, {"station": pair[0], "socket": pair[1]}).first()
            for pair in pairs
        }
        running = _running(conn, emulated)
        counted = conn.execute(
            walk_time(
                select(Attempt.station_id, Attempt.socket, *outcome_columns())
                .where(*in_shift)
                .group_by(Attempt.station_id, Attempt.socket),
                ReportFilter(),
            )
        ).all()
        ended = conn.execute(
            walk_time(
                select(Attempt.station_id, Attempt.socket, func.count())
                .where(
                    *past_hour,
                    Attempt.started_at <= now,
                    Attempt.outcome != AttemptOutcome.RUNNING,
                )
                .group_by(Attempt.station_id, Attempt.socket),
                ReportFilter(),
            )
        ).all()
    counts = {(r[0], r[1]): to_counts(r[2:]) for r in counted}
    hourly = {(r[0], r[1]): int(r[2]) for r in ended}
    statuses = []
    for pair in sorted(set(pairs) | set(running)):
        row = latest.get(pair)
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
        pack = running.get(pair)
        if pack is not None and pack.heartbeat_at is not None:
            seen.append(pack.heartbeat_at)
        last_seen = max(seen, default=None)
        statuses.append(
            SocketStatus(
                station=pair[0],
                socket=pair[1],
                liveness=_liveness(pack, last_seen, now, stale_after, silent_after),
                last_seen=last_seen,
                running=pack,
                last=last,
                shift=counts.get(pair, OutcomeCounts()),
                last_hour=hourly.get(pair, 0),
            )
        )
    total = sum((s.shift for s in statuses), OutcomeCounts())
    return LineStatus(
        now=now,
        shift_start=shift.start,
        shift_end=shift.end,
        shift_label=shift.label,
        sockets=tuple(statuses),
        shift=total,
        last_hour=sum(s.last_hour for s in statuses),
    )


def _liveness(
    pack: RunningPack | None,
    last_seen: datetime | None,
    now: datetime,
    stale_after: timedelta,
    silent_after: timedelta,
) -> Liveness:
    if pack is not None:
        beat = pack.heartbeat_at or pack.started_at
        return Liveness.STALE if now - beat > stale_after else Liveness.WORKING
    if last_seen is None or now - last_seen > silent_after:
        return Liveness.SILENT
    return Liveness.IDLE
