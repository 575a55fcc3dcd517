"""Rows for bulk inserts: ids handed out ahead (children point at them) and driver-ready tuples
written with the driver's ``executemany``, thousands of rows per statement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, func, select

from station.store.models import (
    Attempt,
    AttemptImage,
    FlashImage,
    Measurement,
    Pack,
    ParameterChanges,
    Step,
    to_micros,
)


class Ids:
    """Next free id per table, read once: rows carry explicit ids so children can point at them."""

    def __init__(self, engine: Engine) -> None:
        self._next: dict[str, int] = {}
        with engine.connect() as conn:
            for table, column in (
                (Pack.__tablename__, Pack.id),
                (Attempt.__tablename__, Attempt.id),
                (FlashImage.__tablename__, FlashImage.id),
            ):
                self._next[table] = (conn.scalar(select(func.max(column))) or 0) + 1
        self.packs: dict[str, int] = {}
        #: the latest packs' after block sets (encoding to id)
        self.afters: dict[bytes, int] = {}

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class Batch:
    """Rows as driver-ready tuples, per table, in the column order of ``COLUMNS``."""

    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        Pack.__tablename__: ("id", "serial", "first_seen"),
        FlashImage.__tablename__: (
            "id",
            "sha256",
            "start_address",
            "length",
            "sparse",
            "base_id",
            "compressed",
        ),
        Attempt.__tablename__: (
            "id",
            "pack_id",
            "attempt_no",
            "station_id",
            "socket",
            "operator",
            "work_order",
            "lot",
            "recipe_name",
            "recipe_version",
            "recipe_hash",
            "software_version",
            "key_set_id",
            "started_at",
            "ended_at",
            "outcome",
            "failure_code",
            "failing_step",
            "reason",
            "rework_of",
            "rework_authorised_by",
            "rework_authorisation_id",
            "cycle_time_s",
            "label_state",
            "host",
            "pid",
        ),
        Step.__tablename__: (
            "attempt_id",
            "ordinal",
            "name",
            "kind",
            "outcome",
            "started_at",
            "ended_at",
            "duration_s",
            "failure_code",
            "message",
            "details",
        ),
        Measurement.__tablename__: (
            "attempt_id",
            "step_ordinal",
            "seq",
            "name",
            "value",
            "text_value",
            "unit",
            "low_limit",
            "high_limit",
            "outcome",
        ),
        ParameterChanges.__tablename__: ("attempt_id", "count", "compressed"),
        AttemptImage.__tablename__: ("attempt_id", "role", "image_id"),
    }

    def __init__(self, engine: Engine) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in self.COLUMNS}
        #: timestamps as the driver takes them (SQLite: microseconds, see ``UTCDateTime``)
        self.stamp: Callable[[datetime], Any] = (
            _sqlite_stamp if engine.dialect.name == "sqlite" else _utc
        )

    def flush(self, engine: Engine) -> None:
        # Straight to the driver's executemany: SQLAlchemy's per-row parameter processing would
        # cost more than the database's own work, so rows already hold driver-ready values.
        with engine.begin() as conn:
            self.write(conn)

    def write(self, conn: Connection) -> None:
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        for table, columns in self.COLUMNS.items():
            rows = self.rows[table]
            if not rows:
                continue
            sql = (
                f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES ({', '.join([mark] * len(columns))})"
            )
            conn.exec_driver_sql(sql, rows)
            rows.clear()
        if dialect.name == "postgresql":
            # Rows went in with explicit ids: move the id sequences past them, so the station's
            # own inserts afterwards get fresh ids.
            for table in (Pack.__tablename__, Attempt.__tablename__, FlashImage.__tablename__):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {quote(table)}))"
                    f" WHERE EXISTS (SELECT 1 FROM {quote(table)})"
                )


def _sqlite_stamp(value: datetime) -> int:
    return to_micros(value)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
