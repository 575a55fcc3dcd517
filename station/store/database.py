"""The store's handle on its database: one short session per operation, and injected time.

Every operation runs in ``with db.tx() as session``: commit on success, rollback on error, and a
lost or unreachable database becomes :class:`StoreUnavailableError` (never a silent local file).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

from sqlalchemy import Connection, CursorResult, Engine, Result, Table
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from station.clock import utc_now
from station.store.connection import describe, unavailable
from station.store.errors import SchemaError, StoreInputError
from station.store.models import Base

P = ParamSpec("P")
T = TypeVar("T")

#: a claim whose holder has not sent a heartbeat for this long may be taken over
DEFAULT_CLAIM_TTL = timedelta(minutes=10)


def process_alive(pid: int, since: datetime) -> bool:
    """Whether process ``pid`` on this host is alive and is the one that started before ``since``.

    A pid is reused after a reboot (power loss is exactly when claims go stale), so on Linux a
    process that started after ``since`` is a different one.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    started = _process_start(pid)
    return started is None or started <= since + timedelta(seconds=2)


def _process_start(pid: int) -> datetime | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        btime = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        hertz = os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    return datetime.fromtimestamp(btime + ticks / hertz, UTC)


@dataclass
class Database:
    engine: Engine
    now_source: Callable[[], datetime] = utc_now
    pid_alive: Callable[[int, datetime], bool] = process_alive
    claim_ttl: timedelta = DEFAULT_CLAIM_TTL
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def now(self) -> datetime:
        value = self.now_source()
        if value.tzinfo is None:
            raise ValueError("the store's wall clock must give timezone-aware datetimes")
        return value.astimezone(UTC)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One short ORM transaction; database failures become the store's typed errors."""
        with self._translated(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def conn(self) -> Iterator[Connection]:
        """One short Core transaction, for the calls made while a pack is in the socket: no
        unit of work, no identity map, just the statements."""
        with self._translated(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (OperationalError, InterfaceError, ProgrammingError) as exc:
            text = str(exc.orig).lower()
            if any(m in text for m in ("no such table", "no such column", "does not exist")):
                raise SchemaError(
                    f"the database at {describe(self.engine.url)} does not have the station "
                    f"schema ({' '.join(str(exc.orig).split())}); run `station db upgrade`"
                ) from exc
            if isinstance(exc, ProgrammingError):
                raise
            raise unavailable(self.engine, exc) from exc


def check_lengths(model: type[Base], values: Mapping[str, Any]) -> None:
    """Refuse strings longer than their column: PostgreSQL would refuse them, SQLite would not."""
    limits = _limits(model)
    for name, value in values.items():
        length = limits.get(name)
        if length is not None and isinstance(value, str) and len(value) > length:
            table = cast(Table, model.__table__)
            raise StoreInputError(
                f"{table.name}.{name} is {len(value)} characters long ({value[:40]!r}...); at "
                f"most {length} can be kept; shorten it at its source (recipe, config or scan)"
            )


@cache
def _limits(model: type[Base]) -> dict[str, int]:
    """The sized columns of a model (the schema is fixed for the life of the process)."""
    table = cast(Table, model.__table__)
    sized = {c.name: getattr(c.type, "length", None) for c in table.columns}
    return {name: length for name, length in sized.items() if isinstance(length, int)}


def plain_json(value: Any, *, where: str) -> Any:
    """``value`` if it is plain JSON (str, int, float, bool, None, lists, str-keyed dicts).

    Anything else, a key word included, is refused rather than turned into text.
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [plain_json(v, where=where) for v in value]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise StoreInputError(f"{where}: keys must be strings, not {type(k).__name__}")
            out[k] = plain_json(v, where=where)
        return out
    raise StoreInputError(
        f"{where}: a {type(value).__name__} is not a plain JSON value; only strings, numbers, "
        "booleans, null, lists and objects are stored (secrets such as keys never are)"
    )


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (the compare-and-swap checks rely on it)."""
    return cast(CursorResult[Any], result).rowcount


def new_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT of one row gave it."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class OpenDatabase:
    """What the writing store and the read-only reader share: the open database, closed once
    (also as a context manager), its URL without the password, and its clock."""

    _db: Database

    def close(self) -> None:
        self._db.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._db.engine

    @property
    def where(self) -> str:
        """The database URL without its password, for messages and the status line."""
        return describe(self._db.engine.url)

    def now(self) -> datetime:
        """The store's wall clock (injected in tests)."""
        return self._db.now()


class on_database(Generic[P, T]):
    """A store operation: the module function ``f(db, ...)``, called on the store's database.

    ``claim = on_database(claims.claim)`` in a class deriving from :class:`OpenDatabase` makes
    ``store.claim(serial, ...)`` call ``claims.claim(store's database, serial, ...)``, with the
    function's own signature and docstring (one definition, not a second one to keep in step).
    """

    def __init__(self, f: Callable[Concatenate[Database, P], T]) -> None:
        self._f = f
        self.__doc__ = f.__doc__

    @overload
    def __get__(self, holder: None, owner: type[OpenDatabase]) -> Self: ...

    @overload
    def __get__(self, holder: OpenDatabase, owner: type[OpenDatabase]) -> Callable[P, T]: ...

    def __get__(
        self, holder: OpenDatabase | None, owner: type[OpenDatabase]
    ) -> Self | Callable[P, T]:
        if holder is None:
            return self
        return functools.partial(self._f, holder._db)
