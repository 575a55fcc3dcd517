"""Alembic, driven from code: find the migrations, upgrade to head, say where a database stands.

The migrations live in ``db/migrations`` in the checkout and are copied into the wheel as
``station/_migrations``. An editable install sees the checkout, a wheel install the package copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

import station
from station.store.connection import describe, unavailable
from station.store.errors import MigrationsNotFoundError, SchemaError

#: serialises concurrent upgrades of one PostgreSQL database by several stations starting at once
_PG_UPGRADE_LOCK = 0x53544E31  # "STN1"
#: Alembic's ``context`` and ``op`` are process-wide proxies: two threads migrating at once would
#: run each other's operations on each other's connections. One Alembic command at a time.
_ALEMBIC = threading.Lock()


def migration_candidates() -> list[Path]:
    """Where the migrations may be, in the order they are tried."""
    installed = Path(str(files("station") / "_migrations"))
    checkout = Path(station.__file__).resolve().parent.parent / "db" / "migrations"
    return [installed, checkout]


def locate_migrations(candidates: Sequence[Path] | None = None) -> Path:
    """The first folder holding an Alembic ``env.py``, or a clear error."""
    tried = list(candidates) if candidates is not None else migration_candidates()
    for folder in tried:
        if (folder / "env.py").is_file():
            return folder
    raise MigrationsNotFoundError(
        "the database migrations are missing (looked in "
        + ", ".join(str(p) for p in tried)
        + "); the station cannot create or upgrade its database; reinstall packline-station "
        "from its wheel, or run it from a complete checkout that has db/migrations"
    )


def alembic_config(migrations: Path | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations or locate_migrations()))
    return cfg


def head_revision(migrations: Path | None = None) -> str | None:
    return ScriptDirectory.from_config(alembic_config(migrations)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise unavailable(engine, exc) from exc


def upgrade(engine: Engine, migrations: Path | None = None) -> None:
    """Bring the database to the newest schema; a database already there is left untouched."""
    cfg = alembic_config(migrations)
    try:
        with _ALEMBIC, engine.begin() as conn:
            # Take the database's write lock first, so a second station starting at the same
            # moment waits, then finds the schema at head and does nothing.
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_UPGRADE_LOCK})
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            _run(cfg, conn, lambda: command.upgrade(cfg, "head"))
    except (OperationalError, InterfaceError) as exc:
        raise unavailable(engine, exc) from exc
    except (CommandError, DBAPIError) as exc:
        raise _schema_error(engine, exc) from exc


def check(engine: Engine, migrations: Path | None = None) -> None:
    """Raise if the models describe a schema the migrations do not build (Alembic ``check``)."""
    cfg = alembic_config(migrations)
    with _ALEMBIC, engine.connect() as conn:
        _run(cfg, conn, lambda: command.check(cfg))


def require_head(engine: Engine, migrations: Path | None = None) -> None:
    """Refuse a database that is not at this software's schema (for read-only tools)."""
    current = current_revision(engine)
    head = head_revision(migrations)
    if current == head:
        return
    where = describe(engine.url)
    if current is None:
        raise SchemaError(
            f"the database at {where} has no station schema yet; nothing was recorded there; "
            "run `station db upgrade` (or start the station once) to create it"
        )
    scripts = ScriptDirectory.from_config(alembic_config(migrations))
    known = {script.revision for script in scripts.walk_revisions()}
    if current in known:
        raise SchemaError(
            f"the database at {where} is at schema {current}, this software needs {head}; run "
            "`station db upgrade` before using it"
        )
    raise SchemaError(
        f"the database at {where} is at schema {current}, which this software does not know "
        "(newer software wrote it); update the station software before using this database"
    )


def _run(cfg: Config, conn: Connection, action: Callable[[], None]) -> None:
    cfg.attributes["connection"] = conn
    try:
        action()
    finally:
        cfg.attributes.pop("connection", None)


def _schema_error(engine: Engine, exc: CommandError | DBAPIError) -> SchemaError:
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return SchemaError(
        f"the database at {describe(engine.url)} cannot be upgraded: {reason}; if it was written "
        "by newer station software, update this station's software; otherwise restore it from "
        "a backup"
    )
