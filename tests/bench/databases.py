"""Benchmark databases that outlive one run: a million attempts takes minutes to generate.

A database is kept (SQLite: a file in the cache folder; PostgreSQL: a schema on the server) under
a name derived from what made it: the demo-data spec and the generator's source. Change either
and a new one is generated; a kept one is brought to this software's schema by its migrations
when it is used (as a station would). The cache folder is ``$STATION_BENCH_CACHE``, else
``~/.cache/packline-station/bench``.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import tests.bench.demo_data as demo_data
from station.store import Store, current_revision, head_revision
from tests.bench.demo_data import DemoSpec, generate

CACHE_ENV = "STATION_BENCH_CACHE"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    #: seconds spent generating it now (0: it was already there)
    generated_s: float
    packs: int | None = None


def cache_dir() -> Path:
    folder = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "packline-station" / "bench"
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def fingerprint(spec: DemoSpec) -> str:
    digest = hashlib.sha256(repr(spec).encode())
    digest.update(Path(demo_data.__file__).read_bytes())
    return digest.hexdigest()[:12]


def _ready_marker(url: str) -> bool:
    """Whether generation into ``url`` finished (it writes this table last)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM bench_ready")).scalar())
    except Exception:
        return False
    finally:
        engine.dispose()


def _upgrade(url: str) -> None:
    """A kept database at this software's schema (new indexes are built now, once)."""
    engine = create_engine(url)
    try:
        behind = current_revision(engine) != head_revision()
    finally:
        engine.dispose()
    if not behind:
        return
    start = time.perf_counter()
    with Store.open(url) as store:
        if store.engine.dialect.name == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
    print(
        f"upgraded the kept database to schema {head_revision()} in "
        f"{time.perf_counter() - start:.0f} s"
    )


def _fill(url: str, spec: DemoSpec) -> None:
    with Store.open(url) as store:
        generate(store.engine, spec)
        with store.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_ready (done INTEGER)"))
            conn.execute(text("INSERT INTO bench_ready VALUES (1)"))
        if store.engine.dialect.name == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")


def sqlite_database(spec: DemoSpec, *, fresh: bool = False) -> BenchDatabase:
    path = cache_dir() / f"dashboard-{spec.attempts}-{fingerprint(spec)}.sqlite3"
    url = f"sqlite:///{path}"
    if not fresh and path.exists() and _ready_marker(url):
        _upgrade(url)
        return BenchDatabase(url, 0.0)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    start = time.perf_counter()
    _fill(url, spec)
    return BenchDatabase(url, time.perf_counter() - start)


def postgres_database(server: str, spec: DemoSpec, *, fresh: bool = False) -> BenchDatabase:
    schema = f"bench_dashboard_{spec.attempts}_{fingerprint(spec)}"
    base = make_url(server)
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    if not fresh and _ready_marker(url):
        _upgrade(url)
        return BenchDatabase(url, 0.0)
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    start = time.perf_counter()
    _fill(url, spec)
    return BenchDatabase(url, time.perf_counter() - start)


def main() -> None:
    """Generate (or find) the million-attempt databases ahead of a benchmark run."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("STATION_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    spec = DemoSpec(attempts=args.attempts)
    if not args.no_sqlite:
        made = sqlite_database(spec)
        print(f"sqlite {made.url} generated in {made.generated_s:.0f} s")
    if args.pg:
        made = postgres_database(args.pg, spec)
        print(f"postgresql {made.url} generated in {made.generated_s:.0f} s")


if __name__ == "__main__":
    main()
