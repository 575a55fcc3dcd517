"""A read-only handle on the traceability database: what the dashboard (and any tool that only
looks) is given instead of a :class:`~station.store.Store`.

It is opened with :func:`station.store.connection.make_read_only_engine`, so the database itself
refuses any write, and it offers reads only. Like the store, it is safe to share between
threads: every call runs in its own short transaction and returns frozen records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import URL

from station.clock import utc_now
from station.store import failures, line_status, migrations, queries, reports, spc, yields
from station.store.connection import READ_ONLY_MEANING, describe, make_read_only_engine, parse_url
from station.store.database import Database, OpenDatabase
from station.store.errors import DatabaseMissingError, StoreUnavailableError
from station.store.models import Attempt, Pack
from station.store.outcomes import scope
from station.store.records import PackTrace
from station.store.report_records import ExportRow, MeasurementExportRow, ReportFilter
from station.store.shifts import ShiftPlan
from station.store.views import (
    Bucket,
    FailedAttempt,
    FailurePareto,
    LineStatus,
    MeasurementKind,
    SpcChart,
    YieldSeries,
)

#: at most this many serials answer a search
SEARCH_LIMIT = 20


class StoreReader(OpenDatabase):
    """Reads of the traceability database. Open with :meth:`open`; close with :meth:`close`."""

    def __init__(
        self, db: Database, plan: ShiftPlan | None = None, *, include_emulated: bool = False
    ) -> None:
        self._db = db
        self.plan = plan or ShiftPlan()
        #: runs on the emulator count as the line's (a demonstration database); off for a line
        self.include_emulated = include_emulated

    @classmethod
    def open(
        cls,
        url: str | URL,
        *,
        plan: ShiftPlan | None = None,
        now: Callable[[], datetime] = utc_now,
        include_emulated: bool = False,
    ) -> StoreReader:
        """Connect read-only (raising :class:`StoreUnavailableError` if that fails) and refuse
        a database that is not at this software's schema (:class:`SchemaError`)."""
        try:
            engine = make_read_only_engine(url)
        except DatabaseMissingError as exc:
            raise StoreUnavailableError(
                describe(parse_url(url)),
                "there is no database file there",
                check="the path (setting 'database' or --db): the station creates its database "
                "when it first starts; this tool only reads one",
                meaning=READ_ONLY_MEANING,
            ) from exc
        try:
            # Reading the schema version is the first connection: an unreachable database
            # raises StoreUnavailableError here.
            migrations.require_head(engine)
        except StoreUnavailableError as exc:
            engine.dispose()
            raise StoreUnavailableError(
                exc.where, exc.reason, check=exc.check, meaning=READ_ONLY_MEANING
            ) from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(Database(engine, now_source=now), plan, include_emulated=include_emulated)

    # ---- the dashboard's pages ------------------------------------------------------------

    def line(
        self,
        *,
        stale_after: timedelta = line_status.STALE_AFTER,
        silent_after: timedelta = line_status.SILENT_AFTER,
    ) -> LineStatus:
        return line_status.line_status(
            self._db,
            self.plan,
            self._scoped(ReportFilter()),
            stale_after=stale_after,
            silent_after=silent_after,
        )

    def _scoped(self, filters: ReportFilter) -> ReportFilter:
        """``filters`` with the emulator's runs kept when this reader was opened to keep them."""
        return replace(filters, include_emulated=True) if self.include_emulated else filters

    def yields(self, bucket: Bucket, filters: ReportFilter) -> YieldSeries:
        return yields.yield_series(self._db, self.plan, bucket, self._scoped(filters))

    def failures(self, filters: ReportFilter) -> FailurePareto:
        return failures.failure_pareto(self._db, self._scoped(filters))

    def failed_attempts(
        self,
        filters: ReportFilter,
        *,
        code: str | None = None,
        step: str | None = None,
        limit: int = 200,
    ) -> list[FailedAttempt]:
        return failures.failed_attempts(
            self._db, self._scoped(filters), code=code, step=step, limit=limit
        )

    def measurement_kinds(self, filters: ReportFilter) -> list[MeasurementKind]:
        return spc.measurement_kinds(self._db, self._scoped(filters))

    def spc(self, filters: ReportFilter, name: str, *, points: int = 100) -> SpcChart:
        return spc.spc_chart(self._db, self._scoped(filters), name, points=points)

    def trace(self, serial: str) -> PackTrace | None:
        return queries.trace(self._db, serial)

    def find_serials(self, text: str, *, limit: int = SEARCH_LIMIT) -> list[str]:
        """Serials starting with ``text`` (exact match first), from the serials' unique index."""
        text = text.strip()
        if not text:
            return []
        # A range on the index finds the prefix on any backend; the LIKE keeps only true
        # prefixes where a collation orders strings differently from their characters.
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._db.conn() as conn:
            found = list(
                conn.scalars(
                    select(Pack.serial)
                    .where(
                        Pack.serial >= text,
                        Pack.serial < text + "\U0010ffff",
                        Pack.serial.like(pattern, escape="\\"),
                    )
                    .order_by(Pack.serial)
                    .limit(limit)
                )
            )
        return [s for s in found if s.startswith(text)]

    def stations(self) -> list[str]:
        """Every station that recorded an attempt."""
        with self._db.conn() as conn:
            return sorted(
                {station for station, _ in line_status.sockets(conn, self._scoped(ReportFilter()))}
            )

    def recipes(self, *, limit: int = 50) -> list[str]:
        """Recipe names, from the recipe-name index (one lookup per name)."""
        names: list[str] = []
        first = (
            select(Attempt.recipe_name)
            .where(*scope(self._scoped(ReportFilter())))
            .order_by(Attempt.recipe_name)
            .limit(1)
        )
        with self._db.conn() as conn:
            name = conn.scalar(first)
            while name is not None and len(names) < limit:
                names.append(name)
                name = conn.scalar(first.where(Attempt.recipe_name > name))
        return names

    # ---- exports (what `station export` writes) ------------------------------------------------

    def export(self, filters: ReportFilter) -> Iterator[ExportRow]:
        return reports.export(self._db, self._scoped(filters))

    def export_measurements(self, filters: ReportFilter) -> Iterator[MeasurementExportRow]:
        return reports.export_measurements(self._db, self._scoped(filters))
