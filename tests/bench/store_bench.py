"""Traceability store benchmark: trace and report timings on 100 000 (and 1 000 000) attempts.

Run on demand (not part of the test suite)::

    .venv/bin/python -m tests.bench.store_bench                  # 100 000 attempts, SQLite
    .venv/bin/python -m tests.bench.store_bench --million        # also 1 000 000
    .venv/bin/python -m tests.bench.store_bench --pg postgresql+psycopg://user@host/db

Each size gets a fresh database (a temporary SQLite file, or a fresh schema on PostgreSQL),
filled by ``tests.bench.demo_data`` with what a station records per attempt (10 steps, 24
measurements, 24 parameter changes, before/after block sets, the before one shared by every
fresh pack). Timings are the median of several runs on a warm database. Bytes per pack are the
whole database's, per table on SQLite (``--tables``). Exit status 1 if a trace or report at
100 000 attempts takes a second or more.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from station.store import ReportFilter, Store
from tests.bench.demo_data import DemoSpec, generate
from tests.databases import fresh_schema

BUDGET_S = 1.0


def timed(action: Callable[[], Any], runs: int = 7) -> float:
    """Median seconds of ``runs`` calls (after one warm-up call)."""
    action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@contextmanager
def fresh_database(pg: str | None, workdir: Path, name: str) -> Iterator[str]:
    if pg is None:
        yield f"sqlite:///{workdir / name}.sqlite3"
        return
    with fresh_schema(pg, prefix="bench") as url:
        yield url


def database_bytes(store: Store) -> int:
    engine = store.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
            return int(pages) * int(size)
        return int(
            conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            ).scalar_one()
        )


def table_bytes(store: Store) -> dict[str, int]:
    """Bytes per table and index (SQLite's dbstat), largest first; empty where unavailable."""
    with store.engine.connect() as conn:
        if store.engine.dialect.name != "sqlite":
            return {}
        try:
            rows = conn.exec_driver_sql(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).all()
        except OperationalError:  # SQLite built without the dbstat table
            return {}
    return {str(name): int(size) for name, size in rows}


def bench(
    url: str, attempts: int, images: str = "blocks", *, tables: bool = False
) -> dict[str, Any]:
    spec = DemoSpec(attempts=attempts, images=images)  # type: ignore[arg-type]
    out: dict[str, Any] = {}
    with Store.open(url) as store:
        start = time.perf_counter()
        made = generate(store.engine, spec)
        out["generate_s"] = time.perf_counter() - start
        if store.engine.dialect.name == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("ANALYZE")
        out["packs"] = made.packs
        out["bytes_per_pack"] = database_bytes(store) / made.packs
        if tables:
            out["tables"] = {k: v / made.packs for k, v in table_bytes(store).items()}
        if images == "per-pack":
            return out
        rng = random.Random(3)
        serials = [r.serial for r, _ in zip(store.export(), range(5000), strict=False)]
        picks = [rng.choice(serials) for _ in range(8)]
        out["trace_s"] = max(timed(_trace(store, s), runs=3) for s in picks)
        day = ReportFilter(since=spec.start, until=spec.start + timedelta(days=1))
        out["report_all_s"] = timed(lambda: store.report())
        out["report_one_day_s"] = timed(lambda: store.report(day))
        out["report_station_s"] = timed(lambda: store.report(station="ST-02"))
        out["report_lot_s"] = timed(lambda: store.report(lot="LOT-0007"))
        out["report_recipe_s"] = timed(lambda: store.report(recipe="pack-1"))
        out["shift_summary_s"] = timed(lambda: store.shift_summary("ST-01", spec.start))
        start = time.perf_counter()
        exported = sum(1 for _ in store.export())
        out["export_rows_per_s"] = exported / (time.perf_counter() - start)
    return out


def _trace(store: Store, serial: str) -> Callable[[], Any]:
    return lambda: store.trace(serial)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also run 1 000 000 attempts")
    parser.add_argument("--pg", default=None, metavar="URL", help="PostgreSQL instead of SQLite")
    parser.add_argument("--tables", action="store_true", help="bytes per pack per table (SQLite)")
    args = parser.parse_args(argv)
    sizes = [args.attempts] + ([1_000_000] if args.million else [])
    backend = "postgresql" if args.pg else "sqlite"
    slow = False
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        workdir = Path(tmp)
        for n in sizes:
            with fresh_database(args.pg, workdir, f"bench{n}") as url:
                r = bench(url, n, tables=args.tables)
            print(f"\n{backend}, {n:,} attempts on {int(r['packs']):,} packs")
            print(f"  generate           {r['generate_s']:8.1f} s")
            for key in (
                "trace_s",
                "report_all_s",
                "report_one_day_s",
                "report_station_s",
                "report_lot_s",
                "report_recipe_s",
                "shift_summary_s",
            ):
                print(f"  {key[:-2]:<18} {1000 * r[key]:8.1f} ms")
                if n <= 100_000 and r[key] >= BUDGET_S:
                    slow = True
            print(f"  export             {r['export_rows_per_s']:8.0f} rows/s")
            print(f"  database           {r['bytes_per_pack']:8.0f} bytes per pack (with images)")
            for name, size in r.get("tables", {}).items():
                if size >= 1:
                    print(f"    {name:<40} {size:8.0f}")
        with fresh_database(args.pg, workdir, "images") as url:
            sample = bench(url, 5_000, images="per-pack")
        print(
            f"\n  with a whole before and after data-flash dump per pack (8 KiB each, "
            f"synthetic): {sample['bytes_per_pack']:.0f} bytes per pack"
        )
    if slow:
        print(f"\nSLOW: a trace or report took {BUDGET_S} s or more", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
