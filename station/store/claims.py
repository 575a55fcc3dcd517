"""Serial claims: at most one station works on a pack at a time, and dead holders are found.

The claim table's primary key is the serial, so of two concurrent claimers exactly one INSERT
succeeds. Taking over a stale claim is a compare-and-swap on the holder's token, so of two
stations taking over the same dead claim exactly one wins too.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.database import Database, check_lengths, rowcount
from station.store.errors import ClaimLostError, SerialBusyError, StoreInputError
from station.store.models import Attempt, AuditLog, Pack, SerialClaim, Step, UTCDateTime
from station.store.records import AttemptOutcome, AuditAction, Claim
from station.store.rows import from_row

_TRIES = 5


def to_claim(row: Any) -> Claim:
    return from_row(Claim, row)


_INSERT_CLAIM = insert(SerialClaim)


def _row(c: SerialClaim) -> dict[str, object]:
    return {col.name: getattr(c, col.name) for col in SerialClaim.__table__.columns}


def stale_reason(
    db: Database,
    held: SerialClaim,
    *,
    host: str,
    now: datetime,
    mine: tuple[str, str, int] | None = None,
) -> str | None:
    """Why ``held`` may be taken over by a claimer on ``host``, or None while its holder lives.

    ``mine`` (station, socket, pid) is the claimer: a socket works on one pack at a time, so a
    claim it holds already is left over from a run that could not give it back (the database was
    unreachable when it ended).
    """
    if mine is not None and (held.station, held.socket, held.pid) == mine and held.host == host:
        return (
            f"it is this station's own earlier claim (station {held.station} socket "
            f"{held.socket}, process {held.pid}), left by a run that could not release it"
        )
    if held.host == host and not db.pid_alive(held.pid, held.claimed_at):
        return f"its process {held.pid} on {host} is no longer running"
    silent = now - held.heartbeat_at
    if silent > db.claim_ttl:
        limit = int(db.claim_ttl.total_seconds())
        return f"no heartbeat for {int(silent.total_seconds())} s (limit {limit} s)"
    return None


def claim(db: Database, serial: str, station: str, socket: str, host: str, pid: int) -> Claim:
    """Take ``serial`` for this station and socket, or raise :class:`SerialBusyError`.

    A claim whose holder is dead (same host and its pid gone, or no heartbeat for the claim
    TTL) is taken over, and the holder's RUNNING attempt becomes INTERRUPTED."""
    if not serial.strip():
        raise StoreInputError("a serial number is needed to claim a pack; scan the pack again")
    values = {"serial": serial, "station": station, "socket": socket, "host": host}
    check_lengths(SerialClaim, values)
    held: SerialClaim | None = None
    for _ in range(_TRIES):
        now = db.now()
        mine = SerialClaim(
            serial=serial,
            token=uuid.uuid4().hex,
            attempt_id=None,
            station=station,
            socket=socket,
            host=host,
            pid=pid,
            claimed_at=now,
            heartbeat_at=now,
        )
        try:
            with db.conn() as conn:
                conn.execute(_INSERT_CLAIM, [_row(mine)])
            return to_claim(mine)
        except IntegrityError:
            pass  # someone holds it: see whether that holder is alive
        with db.tx() as s:
            held = s.get(SerialClaim, serial)
            if held is None:
                continue  # released in the meantime: try again
            reason = stale_reason(db, held, host=host, now=now, mine=(station, socket, pid))
            if reason is None:
                break
            if _take_over(s, held, mine, reason):
                return to_claim(mine)
            # another station took it over first: look again
    if held is None:
        raise SerialBusyError(serial, station="?", socket="?", host="?", since=db.now())
    raise SerialBusyError(
        serial, station=held.station, socket=held.socket, host=held.host, since=held.claimed_at
    )


def _take_over(s: Session, held: SerialClaim, mine: SerialClaim, reason: str) -> bool:
    """Give ``held`` (whose holder is gone, for ``reason``) to ``mine``: its running attempts
    are interrupted and the audit log says so. False: another station took it over first."""
    gone = to_claim(held)
    taken = s.execute(
        update(SerialClaim)
        .where(SerialClaim.serial == mine.serial, SerialClaim.token == gone.token)
        .values({k: v for k, v in _row(mine).items() if k != "serial"})
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:
        return False
    why = f"taken over by station {mine.station} socket {mine.socket}: {reason}"
    interrupted = interrupt_running(s, mine.serial, mine.claimed_at, why)
    s.add(
        AuditLog(
            at=mine.claimed_at,
            who="station",
            station=mine.station,
            action=AuditAction.CLAIM_TAKEN_OVER,
            subject=mine.serial,
            detail={
                "from_station": gone.station,
                "from_socket": gone.socket,
                "from_host": gone.host,
                "from_pid": gone.pid,
                "reason": reason,
                "interrupted_attempts": interrupted,
            },
        )
    )
    return True


def interrupt_running(s: Session, serial: str, now: datetime, why: str) -> list[int]:
    """Mark the RUNNING attempts of ``serial`` INTERRUPTED; returns their ids."""
    ids = list(
        s.scalars(
            select(Attempt.id)
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(Pack.serial == serial, Attempt.outcome == AttemptOutcome.RUNNING)
        )
    )
    return interrupt_attempts(s, ids, now, why)


def interrupt_attempts(s: Session, ids: list[int], now: datetime, why: str) -> list[int]:
    if not ids:
        return []
    # The attempt ended, at the latest, when its last step was recorded: that is its end.
    last_step = (
        select(func.max(Step.ended_at)).where(Step.attempt_id == Attempt.id).scalar_subquery()
    )
    s.execute(
        update(Attempt)
        .where(Attempt.id.in_(ids), Attempt.outcome == AttemptOutcome.RUNNING)
        .values(
            outcome=AttemptOutcome.INTERRUPTED,
            failure_code="INTERRUPTED",
            ended_at=func.coalesce(last_step, Attempt.started_at),
            reason=(
                f"the process running this attempt stopped before it finished (crash, power "
                f"loss or kill); found at {now.isoformat(timespec='seconds')}, {why}; the pack "
                "may be half programmed: retest it"
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return ids


_HEARTBEAT = (
    update(SerialClaim)
    .where(SerialClaim.serial == bindparam("h_serial"), SerialClaim.token == bindparam("h_token"))
    .values({SerialClaim.heartbeat_at: bindparam("h_at", type_=UTCDateTime())})
    .returning(SerialClaim.attempt_id)
)


def heartbeat(db: Database, held: Claim) -> Claim:
    """One UPDATE: the claim's heartbeat, and the attempt it now holds (set by start_attempt)."""
    now = db.now()
    with db.conn() as conn:
        attempt = conn.execute(
            _HEARTBEAT, {"h_serial": held.serial, "h_token": held.token, "h_at": now}
        ).first()
    if attempt is None:
        raise ClaimLostError(held.serial)
    return replace(held, heartbeat_at=now, attempt_id=attempt[0])


def release(db: Database, held: Claim) -> bool:
    """Give the serial back; False if the claim was no longer ours (taken over)."""
    with db.conn() as conn:
        done = conn.execute(
            delete(SerialClaim).where(
                SerialClaim.serial == held.serial, SerialClaim.token == held.token
            )
        )
        return rowcount(done) == 1


def current_claim(db: Database, serial: str) -> Claim | None:
    with db.tx() as s:
        row = s.get(SerialClaim, serial)
        return to_claim(row) if row is not None else None


def mark_interrupted_stale(db: Database, host: str, *, station: str = "") -> list[int]:
    """At start-up: RUNNING attempts whose holder is dead become INTERRUPTED; returns their ids.

    Dead means: on ``host`` with a process that is gone, or (any host) holding a claim without
    a heartbeat for longer than the claim TTL. Their claims are released.
    """
    now = db.now()
    with db.tx() as s:
        running = s.execute(
            select(Attempt.id, Attempt.host, Attempt.pid, Attempt.started_at, Pack.serial)
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(Attempt.outcome == AttemptOutcome.RUNNING)
        ).all()
        claims = {c.serial: c for c in s.scalars(select(SerialClaim))}
        dead: dict[int, tuple[str, str]] = {}
        for attempt_id, a_host, a_pid, started, serial in running:
            if a_host == host and not db.pid_alive(a_pid, started):
                dead[attempt_id] = (serial, f"its process {a_pid} on {host} is gone")
        for c in claims.values():
            if c.attempt_id is not None and now - c.heartbeat_at > db.claim_ttl:
                dead.setdefault(c.attempt_id, (c.serial, "its claim had no heartbeat"))
        by_reason: dict[str, list[int]] = {}
        for attempt_id, (_serial, why) in dead.items():
            by_reason.setdefault(why, []).append(attempt_id)
        for why, ids in by_reason.items():
            interrupt_attempts(s, ids, now, f"at start-up of {station or host}: {why}")
        for c in claims.values():
            holder_dead = c.host == host and not db.pid_alive(c.pid, c.claimed_at)
            if c.attempt_id in dead or holder_dead:
                s.execute(
                    delete(SerialClaim).where(
                        SerialClaim.serial == c.serial, SerialClaim.token == c.token
                    )
                )
        for attempt_id, (serial, why) in sorted(dead.items()):
            s.add(
                AuditLog(
                    at=now,
                    who="station",
                    station=station,
                    action=AuditAction.ATTEMPTS_INTERRUPTED,
                    subject=serial,
                    detail={"attempt_id": attempt_id, "reason": why},
                )
            )
        return sorted(dead)
