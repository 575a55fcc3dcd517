"""Bring-up records: the reference pack behind a profile sign-off, a line's registered reference
pack, and the shift-start self-tests made with it.

A sign-off is an audit row (``PROFILE_SIGNED_OFF``); the pack it was read from (serial, firmware,
data-flash image) is kept beside it, in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from station.store import images
from station.store.audit import add_entry
from station.store.database import Database, check_lengths, plain_json
from station.store.errors import StoreInputError
from station.store.models import PackEvidence, ReferenceCheck, ReferencePack
from station.store.records import AuditAction, AuditEntry
from station.store.rows import from_row


@dataclass(frozen=True)
class PackRead:
    """A reference pack as the station read it: identity and whole data-flash image."""

    serial: str
    device_type: int
    firmware: str
    image: bytes = field(repr=False)
    image_start: int = 0x4000
    chem_id: int = 0

    @property
    def image_sha256(self) -> str:
        return hashlib.sha256(self.image).hexdigest()


@dataclass(frozen=True)
class SignOffRecord:
    """What a profile sign-off leaves in the database."""

    audit: AuditEntry
    evidence_id: int | None


@dataclass(frozen=True)
class ReferencePackRecord:
    id: int
    at: datetime
    by: str
    station: str
    serial: str
    device_type: int
    firmware: str
    chem_id: int
    image_id: int
    image_sha256: str
    readings: Mapping[str, Any]


@dataclass(frozen=True)
class ReferenceCheckRecord:
    id: int
    at: datetime
    station: str
    socket: str
    operator: str
    reference_id: int | None
    passed: bool
    detail: Mapping[str, Any]


def record_signoff(
    db: Database,
    *,
    profile_id: str,
    by: str,
    station: str,
    detail: Mapping[str, Any],
    export_name: str,
    export_sha256: str,
    confirmed: int,
    pack: PackRead | None,
) -> SignOffRecord:
    """The audit row of a sign-off and, when a pack was read, its evidence row."""
    image_id = images.store_image(db, pack.image, pack.image_start) if pack is not None else None
    with db.tx() as s:
        evidence_id = None
        if pack is not None and image_id is not None:
            fields = {
                "by": by,
                "station": station,
                "profile_id": profile_id,
                "serial": pack.serial,
                "firmware": pack.firmware,
                "export_name": export_name[-255:],
            }
            check_lengths(PackEvidence, fields)
            row = PackEvidence(
                at=db.now(),
                device_type=pack.device_type,
                image_id=image_id,
                image_sha256=pack.image_sha256,
                export_sha256=export_sha256,
                confirmed=confirmed,
                **fields,
            )
            s.add(row)
            s.flush()
            evidence_id = row.id
        full = dict(detail)
        if evidence_id is not None and pack is not None:
            full.update(
                pack_evidence=evidence_id,
                pack_serial=pack.serial,
                pack_firmware=pack.firmware,
                pack_image_sha256=pack.image_sha256,
            )
        entry = add_entry(s, db, AuditAction.PROFILE_SIGNED_OFF, by, station, profile_id, full)
        return SignOffRecord(entry, evidence_id)


def register_reference(
    db: Database, pack: PackRead, *, by: str, station: str, readings: Mapping[str, Any]
) -> ReferencePackRecord:
    """Keep the line's reference pack as it is now (the newest registration of a station is the
    one its self-test compares with); audited."""
    if not pack.serial.strip():
        raise StoreInputError("a reference pack is registered under its serial number")
    image_id = images.store_image(db, pack.image, pack.image_start)
    fields = {"by": by, "station": station, "serial": pack.serial, "firmware": pack.firmware}
    check_lengths(ReferencePack, fields)
    plain = plain_json(dict(readings), where="reference pack readings")
    with db.tx() as s:
        row = ReferencePack(
            at=db.now(),
            device_type=pack.device_type,
            chem_id=pack.chem_id,
            image_id=image_id,
            image_sha256=pack.image_sha256,
            readings=plain,
            **fields,
        )
        s.add(row)
        s.flush()
        add_entry(
            s,
            db,
            AuditAction.REFERENCE_REGISTERED,
            by,
            station,
            pack.serial,
            {"reference": row.id, "image_sha256": pack.image_sha256, "firmware": pack.firmware},
        )
        return _reference(row)


def current_reference(db: Database, station: str) -> ReferencePackRecord | None:
    """The station's newest registered reference pack."""
    with db.tx() as s:
        row = s.scalar(
            select(ReferencePack)
            .where(ReferencePack.station == station)
            .order_by(ReferencePack.id.desc())
            .limit(1)
        )
        return _reference(row) if row is not None else None


def record_reference_check(
    db: Database,
    *,
    station: str,
    socket: str,
    operator: str,
    reference_id: int | None,
    problems: Sequence[str],
    detail: Mapping[str, Any],
) -> ReferenceCheckRecord:
    fields = {"station": station, "socket": socket, "operator": operator}
    check_lengths(ReferenceCheck, fields)
    full = plain_json({**detail, "problems": list(problems)}, where="reference check")
    with db.tx() as s:
        row = ReferenceCheck(
            at=db.now(),
            reference_id=reference_id,
            passed=not problems,
            detail=full,
            **fields,
        )
        s.add(row)
        s.flush()
        return _check(row)


def reference_checks(db: Database, station: str, *, limit: int = 50) -> list[ReferenceCheckRecord]:
    """Newest first."""
    with db.tx() as s:
        rows = s.scalars(
            select(ReferenceCheck)
            .where(ReferenceCheck.station == station)
            .order_by(ReferenceCheck.id.desc())
            .limit(limit)
        )
        return [_check(r) for r in rows]


def pack_evidence_of(db: Database, profile_id: str) -> list[dict[str, Any]]:
    """The reference packs read for ``profile_id``'s sign-offs, newest first."""
    with db.tx() as s:
        rows = s.scalars(
            select(PackEvidence)
            .where(PackEvidence.profile_id == profile_id)
            .order_by(PackEvidence.id.desc())
        )
        return [
            {
                "id": r.id,
                "at": r.at,
                "by": r.by,
                "serial": r.serial,
                "firmware": r.firmware,
                "image_sha256": r.image_sha256,
                "export_sha256": r.export_sha256,
                "confirmed": r.confirmed,
            }
            for r in rows
        ]


def _reference(row: ReferencePack) -> ReferencePackRecord:
    return from_row(ReferencePackRecord, row, readings=dict(row.readings))


def _check(row: ReferenceCheck) -> ReferenceCheckRecord:
    return from_row(ReferenceCheckRecord, row, detail=dict(row.detail))
