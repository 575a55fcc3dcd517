"""The :class:`Store`: the one object the sequence engine, the TUI and the CLI talk to.

It is safe to share between threads: every call runs in its own short session and returns
frozen records, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from station.clock import utc_now
from station.store import (
    attempts,
    audit,
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
from station.store.connection import make_engine, unavailable
from station.store.database import DEFAULT_CLAIM_TTL, Database, OpenDatabase, process_alive
from station.store.records import (
    AttemptOutcome,
    AttemptStart,
    AttemptSummary,
    AuditEntry,
    BadgePin,
    CalibrationStat,
    CalibrationValueRecord,
    Claim,
    LabelOutcome,
    LabelRecord,
    PackTrace,
    ParameterRecord,
    ReleasedRecipe,
    ReworkAuthorisation,
    StepRecord,
)
from station.store.report_records import (
    ExportRow,
    FilterCriteria,
    MeasurementExportRow,
    Report,
    ReportFilter,
    ShiftSummary,
)


class Store(OpenDatabase):
    """The traceability database. Open with :meth:`open`; close with :meth:`close`."""

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

    def claim(self, serial: str, station: str, socket: str, host: str, pid: int) -> Claim:
        """Take ``serial`` for this station and socket, or raise :class:`SerialBusyError`.

        A claim whose holder is dead (same host and its pid gone, or no heartbeat for the claim
        TTL) is taken over, and the holder's RUNNING attempt becomes INTERRUPTED.
        """
        return claims.claim(self._db, serial, station, socket, host, pid)

    def heartbeat(self, claim: Claim) -> Claim:
        """Say the holder is alive; raises :class:`ClaimLostError` if it was taken over."""
        return claims.heartbeat(self._db, claim)

    def release(self, claim: Claim) -> bool:
        """Give the serial back; False if the claim had already been taken over."""
        return claims.release(self._db, claim)

    def current_claim(self, serial: str) -> Claim | None:
        return claims.current_claim(self._db, serial)

    def mark_interrupted_stale(self, host: str, *, station: str = "") -> list[int]:
        """At start-up: RUNNING attempts whose holder is dead become INTERRUPTED (their ids)."""
        return claims.mark_interrupted_stale(self._db, host, station=station)

    # ---- attempts ----------------------------------------------------------------------------

    def start_attempt(self, start: AttemptStart, *, claim: Claim | None = None) -> int:
        """Write the attempt RUNNING now, in its own transaction, before the pack is touched."""
        return attempts.start_attempt(self._db, start, claim)

    def record_step(self, attempt_id: int, step: StepRecord) -> None:
        """Keep one finished step (and its measurements), committed at once."""
        attempts.record_step(self._db, attempt_id, step)

    def record_calibration(self, attempt_id: int, values: Sequence[CalibrationValueRecord]) -> None:
        """Keep a pack's calibration figures (references, raw averages, constants, residuals)."""
        calibration.record_calibration(self._db, attempt_id, values)

    def calibration_distribution(self, filters: ReportFilter) -> list[CalibrationStat]:
        """Per lot: mean, sigma, min and max of each constant written and each residual."""
        return calibration.calibration_distribution(self._db, filters)

    def record_parameters(self, attempt_id: int, changes: Sequence[ParameterRecord]) -> None:
        """Keep the attempt's parameter changes (one compressed row per attempt)."""
        parameters.record_parameters(self._db, attempt_id, changes)

    def store_image(self, data: bytes, start: int = 0, *, base: int | None = None) -> int:
        """Keep a contiguous data-flash dump (once per content and address); returns its id.

        ``base``: an image whose bytes resemble these (the before dump, for the after dump): it
        is stored as its differences.
        """
        return images.store_image(self._db, data, start, base=base)

    def store_blocks(self, blocks: Mapping[int, bytes], *, base: int | None = None) -> int:
        """Keep a set of aligned 32-byte data-flash blocks ``{address: bytes}`` (not necessarily
        contiguous) as ONE image, stored once per content; returns its id.

        ``base``: an image whose bytes resemble these (the before blocks, for the after blocks):
        it is stored as its differences. Link the image with :meth:`link_images` (``before=``
        or ``after=``); the trace shows its address ranges, length and SHA-256.
        """
        return images.store_blocks(self._db, blocks, base=base)

    def load_image(self, image_id: int) -> tuple[int, bytes]:
        """``(start address, bytes)`` of a dump (or of a block set whose blocks are
        contiguous), checked against the image's SHA-256."""
        return images.load_image(self._db, image_id)

    def load_blocks(self, image_id: int) -> dict[int, bytes]:
        """``{address: 32 bytes}`` of a block set (or of a dump cut into blocks), checked
        against the image's SHA-256."""
        return images.load_blocks(self._db, image_id)

    def link_images(
        self,
        attempt_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        before_parts: Sequence[int] = (),
        after_parts: Sequence[int] = (),
    ) -> None:
        """Link stored images to a running attempt: one ``before`` and one ``after`` image
        (a dump or a block set), and any number of older-style ``*_parts``."""
        images.link_images(
            self._db,
            attempt_id,
            before=before,
            after=after,
            before_parts=before_parts,
            after_parts=after_parts,
        )

    def finish_attempt(
        self,
        attempt_id: int,
        outcome: AttemptOutcome,
        *,
        failure_code: str | None = None,
        failing_step: str | None = None,
        reason: str | None = None,
        ended_at: datetime | None = None,
        cycle_time_s: float | None = None,
    ) -> AttemptSummary:
        """Finish the attempt once. PASS needs a passing seal step and a passing verify step
        and no failed step; FAIL and ERROR need a failure code."""
        return attempts.finish_attempt(
            self._db,
            attempt_id,
            outcome,
            failure_code=failure_code,
            failing_step=failing_step,
            reason=reason,
            ended_at=ended_at,
            cycle_time_s=cycle_time_s,
        )

    def set_emulated(self, attempt_id: int, emulated: bool) -> None:
        """Correct whether an attempt ran on an emulator (known once its bus is open)."""
        attempts.set_emulated(self._db, attempt_id, emulated)

    def get_attempt(self, attempt_id: int) -> AttemptSummary:
        return queries.get_attempt(self._db, attempt_id)

    def pack_history(self, serial: str) -> list[AttemptSummary]:
        return queries.pack_history(self._db, serial)

    def last_pass(self, serial: str, *, emulated: bool = False) -> AttemptSummary | None:
        """The newest PASS of ``serial``: of the real pack, or with ``emulated`` of runs on the
        emulator (the two never stand for each other)."""
        return queries.last_pass(self._db, serial, emulated=emulated)

    def last_attempt(self, serial: str, *, emulated: bool = False) -> AttemptSummary | None:
        """The newest attempt of ``serial`` (real, or on the emulator with ``emulated``)."""
        return queries.last_attempt(self._db, serial, emulated=emulated)

    # ---- rework, recipes, labels, audit ------------------------------------------------------

    def authorise_rework(
        self, serial: str, by: str, reason: str, *, station: str = ""
    ) -> ReworkAuthorisation:
        """A supervisor allows one more attempt on ``serial`` (written to the audit log).

        Pass it as ``AttemptStart.rework``; that attempt then carries ``rework_of``.
        """
        return audit.authorise_rework(self._db, serial, by, reason, station=station)

    def pending_rework(self, serial: str) -> ReworkAuthorisation | None:
        return audit.pending_rework(self._db, serial)

    def release_recipe(
        self,
        name: str,
        version: str,
        recipe_hash: str,
        text: str,
        by: str,
        note: str = "",
        *,
        station: str = "",
    ) -> ReleasedRecipe:
        return recipe_records.release_recipe(
            self._db, name, version, recipe_hash, text, by, note, station=station
        )

    def released_recipes(self) -> list[ReleasedRecipe]:
        return recipe_records.released_recipes(self._db)

    def get_released(self, recipe_hash: str) -> ReleasedRecipe | None:
        return recipe_records.get_released(self._db, recipe_hash)

    def is_released(self, recipe_hash: str) -> bool:
        return self.get_released(recipe_hash) is not None

    def record_label(
        self,
        attempt_id: int,
        printer: str,
        outcome: LabelOutcome,
        *,
        by: str,
        error: str | None = None,
        reprint_reason: str | None = None,
        printed_at: datetime | None = None,
    ) -> LabelRecord:
        """Keep a print (or failed print); PRINTED only for a proven pass. A reprint
        (``reprint_reason``) is also written to the audit log."""
        return label_records.record_label(
            self._db,
            attempt_id,
            printer,
            outcome,
            by=by,
            error=error,
            reprint_reason=reprint_reason,
            printed_at=printed_at,
        )

    def audit(
        self,
        action: str,
        who: str,
        station: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append to the audit log; ``detail`` must be plain JSON (a key word is refused)."""
        return audit.audit(self._db, action, who, station, subject, detail)

    def audit_entries(
        self,
        *,
        subject: str | None = None,
        action: str | None = None,
        actions: Collection[str] | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Newest first."""
        return audit.audit_entries(
            self._db, subject=subject, action=action, actions=actions, since=since, limit=limit
        )

    # ---- bring-up: profile sign-offs and the line's reference pack --------------------------

    def record_signoff(
        self,
        *,
        profile_id: str,
        by: str,
        station: str,
        detail: Mapping[str, Any],
        export_name: str,
        export_sha256: str,
        confirmed: int,
        pack: bringup.PackRead | None,
    ) -> bringup.SignOffRecord:
        """The PROFILE_SIGNED_OFF audit row and, when a reference pack was read, the pack's
        evidence (serial, firmware, data-flash image), in one transaction."""
        return bringup.record_signoff(
            self._db,
            profile_id=profile_id,
            by=by,
            station=station,
            detail=detail,
            export_name=export_name,
            export_sha256=export_sha256,
            confirmed=confirmed,
            pack=pack,
        )

    def pack_evidence(self, profile_id: str) -> list[dict[str, Any]]:
        return bringup.pack_evidence_of(self._db, profile_id)

    def register_reference(
        self, pack: bringup.PackRead, *, by: str, station: str, readings: Mapping[str, Any]
    ) -> bringup.ReferencePackRecord:
        return bringup.register_reference(self._db, pack, by=by, station=station, readings=readings)

    def current_reference(self, station: str) -> bringup.ReferencePackRecord | None:
        """The station's newest registered reference pack."""
        return bringup.current_reference(self._db, station)

    def record_reference_check(
        self,
        *,
        station: str,
        socket: str,
        operator: str,
        reference_id: int | None,
        problems: Sequence[str],
        detail: Mapping[str, Any],
    ) -> bringup.ReferenceCheckRecord:
        return bringup.record_reference_check(
            self._db,
            station=station,
            socket=socket,
            operator=operator,
            reference_id=reference_id,
            problems=problems,
            detail=detail,
        )

    def reference_checks(
        self, station: str, *, limit: int = 50
    ) -> list[bringup.ReferenceCheckRecord]:
        return bringup.reference_checks(self._db, station, limit=limit)

    # ---- production database ---------------------------------------------------------------

    def is_production(self) -> bool:
        """Whether the database was declared a production one: emulated runs are refused."""
        return audit.is_production(self._db)

    def mark_production(self, *, by: str, station: str) -> AuditEntry | None:
        """Declare the database a production one, for good (audited once)."""
        return audit.mark_production(self._db, by=by, station=station)

    def server_time(self) -> datetime | None:
        """The database server's own clock (PostgreSQL), or None when the database is a file
        on this terminal (SQLite: the same clock as the station's)."""
        if self._db.engine.dialect.name != "postgresql":
            return None
        with self._db.conn() as conn:
            value = conn.execute(text("SELECT now()")).scalar()
        return value if isinstance(value, datetime) else None

    # ---- badge PINs ------------------------------------------------------------------------

    def badge_pin(self, code: str) -> BadgePin | None:
        """The badge's PIN hash and wrong-PIN count, or None when it has no PIN."""
        return badges.badge_pin(self._db, code)

    def badge_pins(self) -> list[BadgePin]:
        return badges.badge_pins(self._db)

    def set_badge_pin(self, code: str, pin_hash: str, *, by: str, station: str) -> AuditEntry:
        """Keep a PIN's hash (never the PIN); audited as PIN_CHANGED."""
        return badges.set_badge_pin(self._db, code, pin_hash, by=by, station=station)

    def pin_refused(self, code: str, *, station: str, reason: str) -> int:
        """Count and audit a wrong PIN; the wrong PINs since the last right one."""
        return badges.pin_refused(self._db, code, station=station, reason=reason)

    def pin_accepted(self, code: str) -> None:
        badges.pin_accepted(self._db, code)

    # ---- queries --------------------------------------------------------------------------------

    def trace(self, serial: str) -> PackTrace | None:
        return queries.trace(self._db, serial)

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

    def shift_summary(self, station: str, since: datetime, *, last: int = 20) -> ShiftSummary:
        return queries.shift_summary(self._db, station, since, last=last)


def _ping(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise unavailable(engine, exc) from exc
