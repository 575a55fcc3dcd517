"""Engines for the traceability database: SQLite by default, PostgreSQL for a line.

SQLite gets its pragmas from a ``connect`` listener on the engine it builds (never on the global
``Engine`` class), so a PostgreSQL engine in the same process is untouched.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, FromClause, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from station.database_urls import mask_url_password
from station.store.errors import DatabaseMissingError, StoreInputError, StoreUnavailableError

#: how long a SQLite writer waits for another one before giving up
DEFAULT_BUSY_TIMEOUT_MS = 15_000
#: how long a PostgreSQL connection attempt may take before the station reports it unreachable
DEFAULT_CONNECT_TIMEOUT_S = 5
#: what an unreachable database means to a tool that only reads it
READ_ONLY_MEANING = "nothing can be shown from it (nothing was changed)"


def parse_url(url: str | URL) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        shown = mask_url_password(url) if isinstance(url, str) else describe(url)
        raise StoreInputError(
            f"{shown!r} is not a database URL; use e.g. sqlite:///var/lib/station/station.sqlite3 "
            "or postgresql+psycopg://user@host/traceability"
        ) from None


def describe(url: URL) -> str:
    """The URL for messages, without any password (after the user name or in the query)."""
    return mask_url_password(url.render_as_string(hide_password=True))


def _without_secrets(text: str, url: URL) -> str:
    """A driver's message with the URL's passwords taken out (a driver may echo them)."""
    secrets = [url.password] if url.password else []
    for name, value in url.query.items():
        if name.lower() in {"password", "passwd", "pwd", "sslpassword"}:
            secrets += [value] if isinstance(value, str) else list(value)
    for secret in secrets:
        if secret:
            text = text.replace(str(secret), "***")
    # Any URL quoted in the message loses its password too.
    return re.sub(r"\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@]*@", r"\1:***@", text)


def make_engine(
    url: str | URL,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    connect_timeout_s: int = DEFAULT_CONNECT_TIMEOUT_S,
    read_only: bool = False,
) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, its pragmas set per connection.

    ``read_only`` (the tools that only read): a SQLite file must exist already and is opened
    read-only, so nothing is created and a file the user may not write is still read.
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if read_only:
                return _sqlite_read_only(parsed, busy_timeout_ms)
            return _sqlite_engine(parsed, busy_timeout_ms)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": connect_timeout_s}
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreInputError(
            f"database URL {describe(parsed)}: no driver for it is installed ({exc}); "
            "use sqlite:///PATH or postgresql+psycopg://... (install packline-station[postgres])"
        ) from None
    if read_only and parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", _postgresql_read_only)
    return engine


def _postgresql_read_only(dbapi_connection: Any, _record: Any) -> None:
    # The session default: every transaction this connection begins is READ ONLY, so the
    # server itself refuses any write.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        # A reader's queries are short: compiling them (JIT) would cost more than it saves.
        cursor.execute("SET jit = off")
    finally:
        cursor.close()
    dbapi_connection.commit()


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        # An in-memory database is one per connection (and per thread): nothing would be kept.
        raise StoreInputError(
            f"database URL {describe(url)} names no database file (an in-memory SQLite database); "
            "traceability records must survive the process: give a file, e.g. "
            "sqlite:///db/station.sqlite3"
        )
    return Path(database)


def _sqlite_read_only(url: URL, busy_timeout_ms: int) -> Engine:
    path = _sqlite_path(url)
    if not path.is_file():
        raise DatabaseMissingError(
            f"there is no database file at {path}: nothing was recorded there, and nothing was "
            "created; check the path (--db or the configuration's 'database'), or run "
            "`station db upgrade` to create it"
        )
    where = "file:" + quote(str(path.resolve()))

    def connect() -> sqlite3.Connection:
        options = {"uri": True, "timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        try:
            conn = sqlite3.connect(f"{where}?mode=ro", **options)  # type: ignore[call-overload]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn  # type: ignore[no-any-return]
        except sqlite3.OperationalError:
            if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
                raise
        # A file this user may not write (an archive, another user's database): SQLite cannot
        # share its write-ahead log with a writer, so it reads the file as it stands.
        return sqlite3.connect(f"{where}?mode=ro&immutable=1", **options)  # type: ignore[no-any-return, call-overload]

    engine = create_engine(url, creator=connect)
    # A reader's statements may name the index SQLite is to walk (``with_hint``): it plans
    # without statistics, and a read-only tool cannot gather them.
    engine.dialect.statement_compiler = _IndexedByCompiler

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    return engine


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    path = _sqlite_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailableError(
            str(path),
            f"its folder cannot be created: {exc.strerror or exc}",
            check="the path in the station configuration (setting 'database') and that the "
            "station user may write to that folder",
        ) from None
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    return engine


def make_read_only_engine(
    url: str | URL, *, connect_timeout_s: int = DEFAULT_CONNECT_TIMEOUT_S
) -> Engine:
    """An engine that cannot change the database, for tools that only look (the dashboard).

    SQLite: the file is opened read-only (``mode=ro``; never created, nor its folder) and every
    connection is ``query_only``. PostgreSQL: every transaction is READ ONLY, so the server
    itself refuses any write; give the tool a role with SELECT rights only, too.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreInputError(
            f"database URL {describe(parsed)}: only SQLite and PostgreSQL databases can be opened "
            "read-only; use sqlite:///PATH or postgresql+psycopg://..."
        )
    return make_engine(parsed, connect_timeout_s=connect_timeout_s, read_only=True)


class _IndexedByCompiler(SQLiteCompiler):
    """SQLite's compiler, writing a statement's table hints (``INDEXED BY ix_...``) after the
    table they name, as SQLite takes them."""

    def get_from_hint_text(self, table: FromClause, text: str | None) -> str | None:
        return text


def unavailable(engine: Engine, exc: DBAPIError | OSError) -> StoreUnavailableError:
    """The typed error for a database that cannot be reached, with what to check."""
    url = engine.url
    orig = getattr(exc, "orig", None) or exc
    reason = _without_secrets(" ".join(str(orig).split()), url) or type(orig).__name__
    if url.get_backend_name() == "sqlite":
        check = (
            f"that the file {url.database} and its folder exist and are writable by the station "
            "user, that the disk is not full, and that no other program holds the database locked"
        )
    else:
        check = (
            "that the database server is running and reachable from this terminal (network, "
            "firewall), the URL in the station configuration (setting 'database') and its "
            "credentials"
        )
    return StoreUnavailableError(describe(url), reason, check=check)
