"""The traceability schema. Portable to PostgreSQL: sized strings, UTC timestamps, no native enums.

Anything queried by (serial, lot, recipe hash, station, outcome, time) is a real, indexed column;
JSON holds only details shown as they are. Changing a model means writing a migration in
``db/migrations`` (``tests/store/test_migrations.py`` fails until both agree).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

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


#: SQLite keeps timestamps as whole microseconds since this instant (UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC timestamp that always comes back aware.

    PostgreSQL: ``timestamp with time zone``. SQLite has no date type: it gets an INTEGER of
    microseconds since 1970-01-01 UTC (8 bytes instead of 26 characters of text; it sorts and
    compares as time does). Read it by hand with ``datetime(started_at / 1e6, 'unixepoch')``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps given to the store must be timezone-aware")
        if dialect.name == "sqlite":
            return to_micros(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, int):
            return from_micros(value)
        stamp: datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


class HexDigest(TypeDecorator[str]):
    """A SHA-256 kept as its 32 bytes, handled as the usual 64 hex digits."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else bytes(value).hex()


def to_micros(value: datetime) -> int:
    """An aware datetime as SQLite keeps it."""
    return (value - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return EPOCH + value * _MICROSECOND


#: JSON text on SQLite, JSONB on PostgreSQL; never queried by its content
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: 64-bit ids on PostgreSQL; SQLite needs INTEGER for a rowid alias (it is 64-bit anyway)
BigId = BigInteger().with_variant(Integer(), "sqlite")


#: What a calibration value is (``calibration_values.kind``).
CALIBRATION_KINDS = ("reference", "raw", "constant", "residual")


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
        # Covers the report's scans (time window, outcome, first attempt, pack, cycle time) and
        # the dashboard's (the same, by station, socket, lot or recipe), so they read this narrow
        # index instead of the wide rows, whatever the filter.
        Index(
            "ix_attempts_started_at",
            "started_at",
            "outcome",
            "attempt_no",
            "pack_id",
            "cycle_time_s",
            "emulated",
            "station_id",
            "socket",
            "lot",
            "recipe_name",
        ),
        Index("ix_attempts_lot_started_at", "lot", "started_at"),
        # The report's median: the middle rows in order, without sorting every attempt.
        Index("ix_attempts_cycle_time_s", "cycle_time_s"),
        Index("ix_attempts_station_id_started_at", "station_id", "started_at"),
        # The dashboard's line view: each socket found by one lookup, and its latest attempt.
        Index("ix_attempts_station_id_socket_started_at", "station_id", "socket", "started_at"),
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
    #: no index: nothing looks attempts up by what they rework
    rework_of: Mapped[int | None] = mapped_column(BigId, ForeignKey("attempts.id"))
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
    #: run on the emulator: never a real pack, left out of reports, exports and serial rules
    emulated: Mapped[bool] = mapped_column(Boolean, server_default=false())


#: SQLite keeps these tables clustered on their primary key (no rowid, no second index): rows
#: of one attempt sit together, and the key is the only index they need.
_CLUSTERED = {"sqlite_with_rowid": False}


class Step(Base):
    __tablename__ = "steps"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", StepOutcome), name="outcome"),
        _CLUSTERED,
    )

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(primary_key=True)
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
    __table_args__ = (
        ForeignKeyConstraint(["attempt_id", "step_ordinal"], ["steps.attempt_id", "steps.ordinal"]),
        CheckConstraint(_one_of("outcome", MeasurementOutcome), name="outcome"),
        _CLUSTERED,
    )

    attempt_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    step_ordinal: Mapped[int] = mapped_column(primary_key=True)
    #: order within the step, as recorded
    seq: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))
    low_limit: Mapped[float | None] = mapped_column(Float)
    high_limit: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(8))


class CalibrationValue(Base):
    """One figure of a pack's calibration: a reference (with the instrument that gave it), a raw
    average, a constant (old and new) or a residual error after calibration."""

    __tablename__ = "calibration_values"
    __table_args__ = (CheckConstraint(_one_of("kind", CALIBRATION_KINDS), name="kind"),)

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    #: a constant's value before calibration; a residual's reference
    old_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    #: a residual's tolerance (±)
    tolerance: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    #: the instrument that gave a reference: its name and identity
    instrument: Mapped[str | None] = mapped_column(String(160))
    detail: Mapped[str] = mapped_column(Text)


class FlashImage(Base):
    """Content-addressed data-flash images: identical content at the same address is kept once.

    A dump is contiguous bytes from ``start_address``; a block set (``sparse``) is any set of
    aligned 32-byte blocks, kept in its canonical encoding (see ``station.store.images``).
    """

    __tablename__ = "flash_images"
    __table_args__ = (UniqueConstraint("sha256", "start_address", "sparse"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: SHA-256 of the dump's bytes, or of the block set's canonical encoding
    sha256: Mapped[str] = mapped_column(HexDigest())
    #: a dump's first address; a block set's lowest block
    start_address: Mapped[int]
    #: data bytes (a block set: 32 per block)
    length: Mapped[int]
    sparse: Mapped[bool] = mapped_column(Boolean)
    #: the image whose bytes were zlib's preset dictionary (an after image compressed against
    #: its before image costs only its differences); None: plain zlib
    base_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("flash_images.id"))
    #: zlib-compressed bytes
    compressed: Mapped[bytes] = mapped_column(LargeBinary)


class AttemptImage(Base):
    __tablename__ = "attempt_images"
    __table_args__ = (
        CheckConstraint(_one_of("role", ImageRole), name="role"),
        _CLUSTERED,
    )

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    image_id: Mapped[int] = mapped_column(BigId, ForeignKey("flash_images.id"), primary_key=True)


class ParameterChanges(Base):
    """The parameter changes of one attempt, in one row: zlib-compressed JSON
    ``[[name, before, after, unit], ...]`` in the order they were recorded."""

    __tablename__ = "parameter_changes"

    attempt_id: Mapped[int] = mapped_column(BigId, ForeignKey("attempts.id"), primary_key=True)
    count: Mapped[int]
    compressed: Mapped[bytes] = mapped_column(LargeBinary)


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


class BadgePin(Base):
    """The PIN of a supervisor or engineer badge, as an argon2 hash (never the PIN itself), and
    the wrong PINs typed since the last right one (the rate limit)."""

    __tablename__ = "badge_pins"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    pin_hash: Mapped[str] = mapped_column(String(255))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_failure_at: Mapped[datetime | None]


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


class PackEvidence(Base):
    """A reference pack read to verify a gauge profile (``station profile verify --bus``): which
    pack, which firmware, which data-flash image, against which export, signed by whom."""

    __tablename__ = "pack_evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64))
    station: Mapped[str] = mapped_column(String(32))
    profile_id: Mapped[str] = mapped_column(String(64), index=True)
    serial: Mapped[str] = mapped_column(String(64))
    device_type: Mapped[int]
    firmware: Mapped[str] = mapped_column(String(16))
    image_id: Mapped[int] = mapped_column(BigId, ForeignKey("flash_images.id"))
    image_sha256: Mapped[str] = mapped_column(HexDigest())
    export_name: Mapped[str] = mapped_column(String(255))
    export_sha256: Mapped[str] = mapped_column(HexDigest())
    #: parameters the evidence confirmed (and the sign-off names)
    confirmed: Mapped[int]


class ReferencePack(Base):
    """A line's reference pack as it was registered (``station gauge register-reference``):
    what the shift-start self-test compares it with. The newest row of a station wins."""

    __tablename__ = "reference_packs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64))
    station: Mapped[str] = mapped_column(String(32), index=True)
    serial: Mapped[str] = mapped_column(String(64))
    device_type: Mapped[int]
    firmware: Mapped[str] = mapped_column(String(16))
    chem_id: Mapped[int]
    image_id: Mapped[int] = mapped_column(BigId, ForeignKey("flash_images.id"))
    image_sha256: Mapped[str] = mapped_column(HexDigest())
    #: {"voltage_mv": ..., "cells_mv": [...], "temperature_c": ...}
    readings: Mapped[dict[str, Any]]


class ReferenceCheck(Base):
    """One shift-start self-test with the reference pack: passed, or why not."""

    __tablename__ = "reference_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    station: Mapped[str] = mapped_column(String(32))
    socket: Mapped[str] = mapped_column(String(16))
    operator: Mapped[str] = mapped_column(String(64))
    reference_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("reference_packs.id"))
    passed: Mapped[bool] = mapped_column(Boolean)
    #: {"problems": [...], "readings": {...}, "image_sha256": ...}
    detail: Mapped[dict[str, Any]]
