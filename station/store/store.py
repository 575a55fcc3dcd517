"""The :class:`Store`: the one object the sequence engine, the TUI and the CLI talk to.

It is safe to share between threads: every call runs in its own short session and returns
frozen records, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Unpack

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from station.clock import utc_now
from station.store import (
    attempts,
    badges,
    bringup,
    calibration,
    claims,
    images,
    label_records,
    migrations,
    parameters,
    queries,
    recipe_records,
    reports,
)
from station.store import (
    audit as audit_log,
)
from station.store.connection import make_engine, unavailable
from station.store.database import (
    DEFAULT_CLAIM_TTL,
    Database,
    OpenDatabase,
    on_database,
    process_alive,
)
from station.store.records import (
    AttemptStart,
    CalibrationStat,
    Claim,
)
from station.store.report_records import (
    ExportRow,
    FilterCriteria,
    MeasurementExportRow,
    Report,
    ReportFilter,
)


class Store(OpenDatabase):
    """The traceability database. Open with :meth:`open`; close with :meth:`close`.

    Most operations are the store modules' functions on this store's database
    (:class:`~station.store.database.on_database`); their docstrings are there.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | URL,
        *,
        upgrade: bool = True,
        claim_ttl: timedelta = DEFAULT_CLAIM_TTL,
        now: Callable[[], datetime] = utc_now,
        pid_alive: Callable[[int, datetime], bool] = process_alive,
        read_only: bool = False,
    ) -> Store:
        """Connect (raising :class:`StoreUnavailableError` if that fails), then bring the schema
        to head (``upgrade=True``, what the station does at start) or refuse a database that is
        not at head (``upgrade=False``, for read-only tools).

        ``now`` is the wall clock (aware datetimes); ``pid_alive(pid, claimed_at)`` tells whether
        a process on this host still runs. Both are injected so tests never wait.

        ``read_only`` (trace, report, export, config check): nothing is created or migrated, and
        a SQLite file the user may not write is read as it stands.
        """
        if read_only and upgrade:
            raise ValueError("a read-only store cannot upgrade its database")
        engine = make_engine(url, read_only=read_only)
        try:
            _ping(engine)
            if upgrade:
                migrations.upgrade(engine)
            else:
                migrations.require_head(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(Database(engine, now_source=now, pid_alive=pid_alive, claim_ttl=claim_ttl))

    # ---- serial claims --------------------------------------------------------------------------

    claim = on_database(claims.claim)

    def heartbeat(self, claim: Claim) -> Claim:
        """Say the holder is alive; raises :class:`ClaimLostError` if it was taken over."""
        return claims.heartbeat(self._db, claim)

    def release(self, claim: Claim) -> bool:
        """Give the serial back; False if the claim had already been taken over."""
        return claims.release(self._db, claim)

    current_claim = on_database(claims.current_claim)
    mark_interrupted_stale = on_database(claims.mark_interrupted_stale)

    # ---- attempts ----------------------------------------------------------------------------

    def start_attempt(self, start: AttemptStart, *, claim: Claim | None = None) -> int:
        """Write the attempt RUNNING now, in its own transaction, before the pack is touched."""
        return attempts.start_attempt(self._db, start, claim)

    record_step = on_database(attempts.record_step)
    record_calibration = on_database(calibration.record_calibration)

    def calibration_distribution(self, filters: ReportFilter) -> list[CalibrationStat]:
        """Per lot: mean, sigma, min and max of each constant written and each residual."""
        return calibration.calibration_distribution(self._db, filters)

    record_parameters = on_database(parameters.record_parameters)
    store_image = on_database(images.store_image)
    store_blocks = on_database(images.store_blocks)
    load_image = on_database(images.load_image)
    load_blocks = on_database(images.load_blocks)
    link_images = on_database(images.link_images)
    finish_attempt = on_database(attempts.finish_attempt)
    set_emulated = on_database(attempts.set_emulated)
    get_attempt = on_database(queries.get_attempt)
    pack_history = on_database(queries.pack_history)
    last_pass = on_database(queries.last_pass)
    last_attempt = on_database(queries.last_attempt)

    # ---- rework, recipes, labels, audit ------------------------------------------------------

    authorise_rework = on_database(audit_log.authorise_rework)
    pending_rework = on_database(audit_log.pending_rework)
    release_recipe = on_database(recipe_records.release_recipe)
    released_recipes = on_database(recipe_records.released_recipes)
    get_released = on_database(recipe_records.get_released)

    def is_released(self, recipe_hash: str) -> bool:
        return self.get_released(recipe_hash) is not None

    record_label = on_database(label_records.record_label)
    audit = on_database(audit_log.audit)
    audit_entries = on_database(audit_log.audit_entries)

    # ---- bring-up: profile sign-offs and the line's reference pack --------------------------

    record_signoff = on_database(bringup.record_signoff)
    pack_evidence = on_database(bringup.pack_evidence_of)
    register_reference = on_database(bringup.register_reference)
    current_reference = on_database(bringup.current_reference)
    record_reference_check = on_database(bringup.record_reference_check)
    reference_checks = on_database(bringup.reference_checks)

    # ---- production database ---------------------------------------------------------------

    is_production = on_database(audit_log.is_production)
    mark_production = on_database(audit_log.mark_production)

    def server_time(self) -> datetime | None:
        """The database server's own clock (PostgreSQL), or None when the database is a file
        on this terminal (SQLite: the same clock as the station's)."""
        if self._db.engine.dialect.name != "postgresql":
            return None
        with self._db.conn() as conn:
            value = conn.execute(text("SELECT now()")).scalar()
        return value if isinstance(value, datetime) else None

    # ---- badge PINs ------------------------------------------------------------------------

    badge_pin = on_database(badges.badge_pin)
    badge_pins = on_database(badges.badge_pins)
    set_badge_pin = on_database(badges.set_badge_pin)
    pin_refused = on_database(badges.pin_refused)
    pin_accepted = on_database(badges.pin_accepted)

    # ---- queries --------------------------------------------------------------------------------

    trace = on_database(queries.trace)

    def report(
        self,
        filters: ReportFilter | None = None,
        **criteria: Unpack[FilterCriteria],
    ) -> Report:
        """Counts over real packs (``include_emulated``: runs on the emulator too); the filters
        given whole or as keywords."""
        return reports.report(self._db, filters or ReportFilter(**criteria))

    def export(
        self,
        filters: ReportFilter | None = None,
        **criteria: Unpack[FilterCriteria],
    ) -> Iterator[ExportRow]:
        return reports.export(self._db, filters or ReportFilter(**criteria))

    def export_measurements(
        self,
        filters: ReportFilter | None = None,
        **criteria: Unpack[FilterCriteria],
    ) -> Iterator[MeasurementExportRow]:
        return reports.export_measurements(self._db, filters or ReportFilter(**criteria))

    shift_summary = on_database(queries.shift_summary)


def _ping(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise unavailable(engine, exc) from exc
