"""The traceability schema. Portable to PostgreSQL: sized strings, UTC timestamps, no native enums.

Anything queried by (serial, lot, recipe hash, station, outcome, time) is a real, indexed column;
JSON holds only details shown as they are. Changing a model means writing a migration in
``db/migrations`` (``tests/store/test_migrations.py`` fails until both agree).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from station.store.records import (
    AttemptOutcome,
    ImageRole,
    LabelOutcome,
    LabelState,
    MeasurementOutcome,
    StepOutcome,
)

# Alembic's recommended names: stable constraint names let batch mode and later drops find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and always gives back an aware UTC value.

    SQLite keeps no offset, so a naive value read back is UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps given to the store must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: JSON text on SQLite, JSONB on PostgreSQL; never queried by its content
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: 64-bit ids on PostgreSQL; SQLite needs INTEGER for a rowid alias (it is 64-bit anyway)
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _one_of(column: str, values: Any) -> str:
    allowed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({allowed})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


class Pack(Base):
    __tablename__ = "packs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    first_seen: Mapped[datetime]


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("pack_id", "attempt_no"),
        # Covers the report's scans (time window, outcome, first attempt, pack, cycle time), so
        # they read this narrow index instead of the wide rows.
        Index(
            "ix_attempts_started_at",
            "started_at",
            "outcome",
            "attempt_no",
            "pack_id",
            "cycle_time_s",
        ),
        Index("ix_attempts_lot_started_at", "lot", "started_at"),
        Index("ix_attempts_station_id_started_at", "station_id", "started_at"),
        CheckConstraint(_one_of("outcome", AttemptOutcome), name="outcome"),
        CheckConstraint(_one_of("label_state", LabelState), name="label_state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pack_id: Mapped[int] = mapped_column(BigId, ForeignKey("packs.id"))
    attempt_no: Mapped[int]
    station_id: Mapped[str] = mapped_column(String(32))
    socket: Mapped[str] = mapped_column(String(16))
    operator: Mapped[str] = mapped_column(String(64))
    work_order: Mapped[str] = mapped_column(String(64))
    lot: Mapped[str] = mapped_column(String(64))
    recipe_name: Mapped[str] = mapped_column(String(128), index=True)
    recipe_version: Mapped[str] = mapped_column(String(32))
    recipe_hash: Mapped[str] = mapped_column(String(80), index=True)
    software_version: Mapped[str] = mapped_column(String(64))
    #: the id of the key set used; the keys themselves are never stored
    key_set_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    failure_code: Mapped[str | None] = mapped_column(String(48))
    failing_step: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(Text)
    rework_of: Mapped[int | None] = mapped_column(BigId, ForeignKey("attempts.id"), index=True)
    rework_authorised_by: Mapped[str | None] = mapped_column(String(64))
    #: the REWORK_AUTHORISED audit entry this attempt used; unique: one attempt per authorisation
    rework_authorisation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("audit_log.id"), unique=True
    )
    cycle_time_s: Mapped[float | None] = mapped_column(Float)
    label_state: Mapped[str] = mapped_column(String(16))
    #: who holds the attempt while it runs: a dead holder's RUNNING attempt becomes INTERRUPTED
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]


class Step(Base):
    __tablename__ = "steps"
    __table_args__ = (
        UniqueConstraint("attempt_id", "ordinal"),
        CheckConstraint(_one_of("outcome", StepOutcome), name="outcome"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"))
    ordinal: Mapped[int]
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    duration_s: Mapped[float] = mapped_column(Float)
    failure_code: Mapped[str | None] = mapped_column(String(48))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (CheckConstraint(_one_of("outcome", MeasurementOutcome), name="outcome"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"), index=True)
    step_id: Mapped[int] = mapped_column(BigId, ForeignKey("steps.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))
    low_limit: Mapped[float | None] = mapped_column(Float)
    high_limit: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(8))


class FlashImage(Base):
    """Content-addressed data-flash images: identical bytes at the same address are kept once."""

    __tablename__ = "flash_images"
    __table_args__ = (UniqueConstraint("sha256", "start_address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: SHA-256 of the uncompressed bytes (what engineers compare with a golden image's hash)
    sha256: Mapped[str] = mapped_column(String(64))
    start_address: Mapped[int]
    length: Mapped[int]
    #: zlib-compressed bytes
    compressed: Mapped[bytes] = mapped_column(LargeBinary)


class AttemptImage(Base):
    __tablename__ = "attempt_images"
    __table_args__ = (
        UniqueConstraint("attempt_id", "role", "image_id"),
        CheckConstraint(_one_of("role", ImageRole), name="role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"))
    role: Mapped[str] = mapped_column(String(16))
    image_id: Mapped[int] = mapped_column(BigId, ForeignKey("flash_images.id"), index=True)


class ParameterValue(Base):
    __tablename__ = "parameter_values"
    __table_args__ = (UniqueConstraint("attempt_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"))
    name: Mapped[str] = mapped_column(String(128))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))


class ReleasedRecipeRow(Base):
    __tablename__ = "released_recipes"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(32))
    hash: Mapped[str] = mapped_column(String(80), unique=True)
    text: Mapped[str] = mapped_column(Text)
    released_by: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    who: Mapped[str] = mapped_column(String(64))
    station: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), index=True)
    #: what the entry is about: a pack serial, a recipe hash, a key-set id
    subject: Mapped[str] = mapped_column(String(128), index=True)
    detail: Mapped[dict[str, Any]]


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (CheckConstraint(_one_of("outcome", LabelOutcome), name="outcome"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"), index=True)
    printed_at: Mapped[datetime]
    printer: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    reprint_reason: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))


class SerialClaim(Base):
    """Who works on a serial right now. The primary key makes exactly one claimer win."""

    __tablename__ = "serial_claims"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    attempt_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("attempts.id"))
    station: Mapped[str] = mapped_column(String(32))
    socket: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    claimed_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
