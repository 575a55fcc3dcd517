"""Reading a pack's story: its attempts, the full trace, and the operator's shift summary.

A trace is a handful of indexed queries (by pack, then by the pack's attempt ids), whatever the
size of the database.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from station.store import parameters
from station.store.attempts import SUMMARY_COLUMNS, to_summary
from station.store.audit import to_entry
from station.store.calibration import calibration_of
from station.store.claims import to_claim
from station.store.database import Database
from station.store.errors import ImageCorruptError, UnknownAttemptError
from station.store.images import payload_of, ranges_of
from station.store.label_records import to_label
from station.store.models import (
    Attempt,
    AttemptImage,
    AuditLog,
    FlashImage,
    Label,
    Measurement,
    Pack,
    ParameterChanges,
    ReleasedRecipeRow,
    SerialClaim,
    Step,
)
from station.store.outcomes import newest_with_pack
from station.store.records import (
    JUDGED_OUTCOMES,
    AttemptOutcome,
    AttemptSummary,
    AttemptTrace,
    ImageRef,
    ImageRole,
    LabelRecord,
    MeasurementOutcome,
    MeasurementRecord,
    PackTrace,
    ParameterDiff,
    StepOutcome,
    StepRecord,
)
from station.store.report_records import RecentPack, ShiftSummary
from station.store.rows import MEASURED, from_row


def _history(conn: Session | Connection, serial: str) -> list[AttemptSummary]:
    rows = conn.execute(
        select(*SUMMARY_COLUMNS)
        .join(Pack, Pack.id == Attempt.pack_id)
        .where(Pack.serial == serial)
        .order_by(Attempt.attempt_no)
    )
    return [to_summary(r, serial) for r in rows]


def pack_history(db: Database, serial: str) -> list[AttemptSummary]:
    """Every attempt on ``serial``, oldest first."""
    with db.conn() as conn:
        return _history(conn, serial)


_LAST_PASS = (
    select(*SUMMARY_COLUMNS)
    .join(Pack, Pack.id == Attempt.pack_id)
    .where(
        Pack.serial == bindparam("serial"),
        Attempt.outcome == AttemptOutcome.PASS,
        Attempt.emulated == bindparam("emulated"),
    )
    .order_by(Attempt.attempt_no.desc())
    .limit(1)
)


def last_pass(db: Database, serial: str, *, emulated: bool = False) -> AttemptSummary | None:
    """The newest PASS of ``serial`` on real packs (``emulated``: on the emulator): a run on the
    emulator never stands for the real pack with that serial, nor the other way round."""
    with db.conn() as conn:
        row = conn.execute(_LAST_PASS, {"serial": serial, "emulated": emulated}).first()
        return to_summary(row, serial) if row is not None else None


_LAST_ATTEMPT = (
    select(*SUMMARY_COLUMNS)
    .join(Pack, Pack.id == Attempt.pack_id)
    .where(Pack.serial == bindparam("serial"), Attempt.emulated == bindparam("emulated"))
    .order_by(Attempt.attempt_no.desc())
    .limit(1)
)


def last_attempt(db: Database, serial: str, *, emulated: bool = False) -> AttemptSummary | None:
    """The newest attempt of ``serial`` (real packs, or the emulator's with ``emulated``)."""
    with db.conn() as conn:
        row = conn.execute(_LAST_ATTEMPT, {"serial": serial, "emulated": emulated}).first()
        return to_summary(row, serial) if row is not None else None


def get_attempt(db: Database, attempt_id: int) -> AttemptSummary:
    with db.conn() as conn:
        row = conn.execute(
            select(*SUMMARY_COLUMNS, Pack.serial)
            .join(Pack, Pack.id == Attempt.pack_id)
            .where(Attempt.id == attempt_id)
        ).first()
        if row is None:
            raise UnknownAttemptError(attempt_id)
        return to_summary(row, row.serial)


def trace(db: Database, serial: str) -> PackTrace | None:
    """Everything recorded about ``serial``; None if the pack was never seen."""
    with db.conn() as conn:
        first_seen = conn.scalar(select(Pack.first_seen).where(Pack.serial == serial))
        if first_seen is None:
            return None
        attempts = _history(conn, serial)
        ids = [a.id for a in attempts]
        steps = _steps(conn, ids)
        images = _images(conn, ids)
        params: dict[int, list[ParameterDiff]] = {
            attempt_id: parameters.decode(attempt_id, blob)
            for attempt_id, blob in conn.execute(
                select(ParameterChanges.attempt_id, ParameterChanges.compressed).where(
                    ParameterChanges.attempt_id.in_(ids)
                )
            )
        }
        labels: dict[int, list[LabelRecord]] = defaultdict(list)
        for label in conn.execute(
            select(*Label.__table__.c)
            .where(Label.attempt_id.in_(ids))
            .order_by(Label.printed_at, Label.id)
        ):
            labels[label.attempt_id].append(to_label(label))
        cal = calibration_of(conn, ids)
        hashes = {a.recipe_hash for a in attempts}
        released = set(
            conn.scalars(select(ReleasedRecipeRow.hash).where(ReleasedRecipeRow.hash.in_(hashes)))
        )
        audit = conn.execute(
            select(*AuditLog.__table__.c)
            .where(AuditLog.subject == serial)
            .order_by(AuditLog.at, AuditLog.id)
        ).all()
        claim = conn.execute(
            select(*SerialClaim.__table__.c).where(SerialClaim.serial == serial)
        ).first()
        return PackTrace(
            serial=serial,
            first_seen=first_seen,
            attempts=tuple(
                AttemptTrace(
                    summary=a,
                    steps=tuple(steps[a.id]),
                    images=tuple(sorted(images[a.id], key=_image_order)),
                    parameters=tuple(params.get(a.id, ())),
                    labels=tuple(labels[a.id]),
                    recipe_released=a.recipe_hash in released,
                    calibration=tuple(cal.get(a.id, ())),
                )
                for a in attempts
            ),
            audit=tuple(to_entry(e) for e in audit),
            claim=to_claim(claim) if claim is not None else None,
        )


_ROLE_ORDER = {role: n for n, role in enumerate(ImageRole)}


def _image_order(ref: ImageRef) -> tuple[int, int]:
    return _ROLE_ORDER[ref.role], ref.start


def _images(s: Connection, ids: list[int]) -> dict[int, list[ImageRef]]:
    images: dict[int, list[ImageRef]] = defaultdict(list)
    base = aliased(FlashImage)
    query = (
        select(
            AttemptImage.attempt_id,
            AttemptImage.role,
            FlashImage.id,
            FlashImage.sha256,
            FlashImage.start_address,
            FlashImage.length,
            func.length(FlashImage.compressed),
            FlashImage.sparse,
            # A block set's runs are in its encoding (a few hundred bytes to inflate), which
            # may be compressed against its base's.
            case((FlashImage.sparse, FlashImage.compressed)),
            case((FlashImage.sparse, base.compressed)),
            base.base_id,
        )
        .join(FlashImage, FlashImage.id == AttemptImage.image_id)
        .outerjoin(base, base.id == FlashImage.base_id)
        .where(AttemptImage.attempt_id.in_(ids))
    )
    for row in s.execute(query):
        attempt_id, role, image_id, digest, start, length, stored, sparse = row[:8]
        ranges: tuple[tuple[int, int], ...] = ((start, length),)
        if sparse:
            ranges = _block_ranges(s, image_id, *row[8:])
        images[attempt_id].append(
            ImageRef(
                ImageRole(role),
                image_id,
                digest,
                start,
                length,
                int(stored),
                ranges=ranges,
                sparse=bool(sparse),
            )
        )
    return images


def _block_ranges(
    s: Connection, image_id: int, blob: bytes, base_blob: bytes | None, base_of_base: int | None
) -> tuple[tuple[int, int], ...]:
    """The runs of a block set, read from its encoding's headers (the hash is checked when the
    image itself is loaded; a damaged one shows no runs here)."""
    try:
        if base_blob is None:
            return ranges_of(zlib.decompress(blob))
        if base_of_base is None:
            unpacker = zlib.decompressobj(zdict=zlib.decompress(base_blob))
        else:  # a longer chain of bases: let the loader walk it
            return ranges_of(payload_of(s, image_id))
        return ranges_of(unpacker.decompress(blob) + unpacker.flush())
    except (zlib.error, ImageCorruptError):
        return ()


def _steps(s: Connection, ids: list[int]) -> dict[int, list[StepRecord]]:
    measured: dict[tuple[int, int], list[MeasurementRecord]] = defaultdict(list)
    for attempt_id, ordinal, name, value, text, unit, low, high, outcome in s.execute(
        select(Measurement.attempt_id, Measurement.step_ordinal, *MEASURED)
        .where(Measurement.attempt_id.in_(ids))
        .order_by(Measurement.attempt_id, Measurement.step_ordinal, Measurement.seq)
    ):
        record = MeasurementRecord(name, value, text, unit, low, high, MeasurementOutcome(outcome))
        measured[(attempt_id, ordinal)].append(record)
    steps: dict[int, list[StepRecord]] = defaultdict(list)
    for st in s.execute(
        select(*Step.__table__.c)
        .where(Step.attempt_id.in_(ids))
        .order_by(Step.attempt_id, Step.ordinal)
    ):
        steps[st.attempt_id].append(
            from_row(
                StepRecord,
                st,
                outcome=StepOutcome(st.outcome),
                details=dict(st.details),
                measurements=tuple(measured[(st.attempt_id, st.ordinal)]),
            )
        )
    return steps


def shift_summary(db: Database, station: str, since: datetime, *, last: int = 20) -> ShiftSummary:
    """What the operator screen shows: counters since ``since`` and the last ``last`` packs."""
    judged = Attempt.outcome.in_([str(o) for o in JUDGED_OUTCOMES])
    is_pass = Attempt.outcome == AttemptOutcome.PASS
    where = (Attempt.station_id == station, Attempt.started_at >= since)
    with db.tx() as s:
        counts = s.execute(
            select(
                func.count(case((is_pass, 1))),
                func.count(case((judged & ~is_pass, 1))),
                func.count(case((Attempt.outcome == AttemptOutcome.RUNNING, 1))),
                func.count(case((judged & (Attempt.attempt_no == 1), 1))),
                func.count(case((is_pass & (Attempt.attempt_no == 1), 1))),
                func.count(case((Attempt.outcome == AttemptOutcome.ERROR, 1))),
                func.count(case((Attempt.outcome == AttemptOutcome.ABORTED, 1))),
                func.count(case((Attempt.outcome == AttemptOutcome.INTERRUPTED, 1))),
            ).where(*where)
        ).one()
        recent = s.execute(
            newest_with_pack(
                select(
                    Pack.serial,
                    Attempt.id,
                    Attempt.outcome,
                    Attempt.failure_code,
                    Attempt.started_at,
                    Attempt.cycle_time_s,
                )
            )
            .where(*where)
            .limit(last)
        ).all()
    passed, failed, running, first, first_pass, errors, aborted, interrupted = (
        int(c) for c in counts
    )
    return ShiftSummary(
        station=station,
        since=since,
        passed=passed,
        failed=failed,
        running=running,
        errors=errors,
        aborted=aborted,
        interrupted=interrupted,
        first_attempts=first,
        first_pass=first_pass,
        first_pass_yield=first_pass / first if first else None,
        recent=tuple(
            RecentPack(serial, attempt_id, AttemptOutcome(outcome), code, started, cycle)
            for serial, attempt_id, outcome, code, started, cycle in recent
        ),
    )
