"""Typed store errors. Each says what happened, what it means for the pack and what to do next.

``failure_code`` is the short code the attempt record and the operator screen both use.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from station.refusal import Refused


class StoreError(Exception):
    """Something the traceability database refused or could not do."""

    failure_code: ClassVar[str] = "DB_ERROR"


class StoreUnavailableError(StoreError):
    """The database cannot be reached: the station must stop programming packs."""

    failure_code = "DB_UNAVAILABLE"

    def __init__(
        self,
        where: str,
        reason: str,
        *,
        check: str,
        meaning: str = "the station will not program packs it cannot record",
    ) -> None:
        self.where = where
        self.reason = reason
        self.check = check
        super().__init__(
            f"the traceability database at {where} cannot be reached ({reason}); {meaning}; "
            f"check {check}"
        )


class SchemaError(StoreError):
    """The database schema does not match this software (missing, older or newer)."""

    failure_code = "DB_SCHEMA"


class DatabaseMissingError(SchemaError):
    """A tool that only reads was given a database file that does not exist (none is made)."""


class MigrationsNotFoundError(StoreError):
    """The Alembic migrations are not installed next to the package nor in the checkout."""

    failure_code = "DB_MIGRATIONS_MISSING"


class StoreInputError(StoreError, Refused):
    """A value handed to the store cannot be kept as given (too long, empty, not plain JSON)."""

    failure_code = "DB_INPUT"


class UnknownAttemptError(StoreError):
    failure_code = "DB_UNKNOWN_ATTEMPT"

    def __init__(self, attempt_id: int) -> None:
        self.attempt_id = attempt_id
        super().__init__(
            f"attempt {attempt_id} is not in the traceability database; the result cannot be "
            "recorded against it; start a new attempt for the pack"
        )


class SerialBusyError(StoreError):
    """Another station (or socket) holds the serial: the pack is being worked on elsewhere."""

    failure_code = "SERIAL_BUSY"

    def __init__(
        self, serial: str, *, station: str, socket: str, host: str, since: datetime
    ) -> None:
        self.serial = serial
        self.station = station
        self.socket = socket
        self.host = host
        self.since = since
        super().__init__(
            f"pack {serial} is already being worked on by station {station} socket {socket} "
            f"(host {host}) since {since.isoformat(timespec='seconds')}; do not program it "
            "here; finish or abort it there, or wait for that claim to expire if that station "
            "is dead"
        )


class ClaimLostError(StoreError):
    """Our claim on a serial was taken over (we were presumed dead) or released."""

    failure_code = "CLAIM_LOST"

    def __init__(self, serial: str) -> None:
        self.serial = serial
        super().__init__(
            f"this station no longer holds the claim on pack {serial} (it expired and was taken "
            "over, or was released); stop working on the pack and check it before retesting"
        )


class AttemptFinishedError(StoreError):
    """An attempt is finished once; later results for it are refused."""

    failure_code = "ATTEMPT_FINISHED"

    def __init__(self, attempt_id: int, outcome: str) -> None:
        self.attempt_id = attempt_id
        self.outcome = outcome
        super().__init__(
            f"attempt {attempt_id} is already finished as {outcome}; an attempt is recorded "
            "once and never rewritten; start a new attempt to test the pack again"
        )


class PassNotProvenError(StoreError):
    """PASS was asked for an attempt whose recorded steps do not prove it."""

    failure_code = "PASS_NOT_PROVEN"

    def __init__(self, attempt_id: int, problems: list[str]) -> None:
        self.attempt_id = attempt_id
        self.problems = problems
        super().__init__(
            f"attempt {attempt_id} cannot be recorded as PASS: {'; '.join(problems)}; the "
            "database never records a pass its steps do not prove; record the attempt as FAIL "
            "or ERROR and retest the pack"
        )


class RecipeConflictError(StoreError):
    failure_code = "RECIPE_CONFLICT"


class ReworkError(StoreError):
    failure_code = "REWORK_INVALID"


class LabelRefusedError(StoreError):
    failure_code = "LABEL_REFUSED"


class UnknownImageError(StoreError):
    failure_code = "DB_UNKNOWN_IMAGE"


class RecordCorruptError(StoreError):
    """A stored record no longer reads back as it was written (damaged database copy)."""

    failure_code = "DB_RECORD_CORRUPT"


class ImageCorruptError(RecordCorruptError):
    """An image no longer matches its SHA-256."""

    failure_code = "DB_IMAGE_CORRUPT"
