"""The dashboard's pages on a database of 1 000 000 attempts: time per page, and the indexes the
page's queries use.

    .venv/bin/python -m tests.bench.dashboard_bench                    # SQLite (and PostgreSQL
                                                                       # if STATION_TEST_PG_URL)
    .venv/bin/python -m tests.bench.dashboard_bench --attempts 100000 --pg URL

Each page is requested over HTTP through the whole application (routing, access check, store
queries, template, SVG), in process, as a browser on the dashboard's computer would; the time
is the median of several requests after one to warm up. The databases are generated once
(minutes for a million attempts) and kept for the next run (``tests/bench/databases.py``). The
moment the dashboard looks is two minutes after the newest attempt, so "this shift" and the
default windows hold the line's latest hours, as on a running line. Indexes are read from the
database's own plan (``EXPLAIN``) for every statement a page runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, event, func, select
from starlette.testclient import TestClient

from station.store.models import Attempt, Pack
from station.store.reader import StoreReader
from station.store.report_records import ReportFilter
from station.store.shifts import ShiftPlan
from station.web import DashboardSettings, create_app
from tests.bench.databases import postgres_database, sqlite_database
from tests.bench.demo_data import DemoSpec

BUDGET_MS = 300.0
RUNS = 7


@dataclass(frozen=True)
class PageTime:
    page: str
    path: str
    median_ms: float
    worst_ms: float
    indexes: tuple[str, ...]


class _Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _indexes(engine: Engine, statements: list[tuple[str, Any]]) -> tuple[str, ...]:
    """Indexes named in the plans of ``statements`` (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's
    EXPLAIN)."""
    names: set[str] = set()
    with engine.connect() as conn:
        for statement, params in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if engine.dialect.name == "sqlite":
                plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                text = " ".join(str(row[-1]) for row in plan)
                names |= set(re.findall(r"USING (?:COVERING )?INDEX (\w+)", text))
                if re.search(r"USING (INTEGER )?PRIMARY KEY", text):
                    names.add("(primary key)")
            else:
                raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
                plan = raw if isinstance(raw, list) else json.loads(raw)
                names |= set(re.findall(r'"Index Name": "(\w+)"', json.dumps(plan)))
    return tuple(sorted(names))


def pages(reader: StoreReader) -> list[tuple[str, str]]:
    """What a supervisor opens: every page, with and without filters."""
    with reader.engine.connect() as conn:
        newest = conn.execute(
            select(Attempt.lot, Pack.serial)
            .join(Pack, Pack.id == Attempt.pack_id)
            .order_by(Attempt.started_at.desc())
            .limit(1)
        ).one()
        retested = conn.execute(
            select(Pack.serial)
            .join(Attempt, Attempt.pack_id == Pack.id)
            .where(Attempt.attempt_no == 2)
            .order_by(Attempt.started_at.desc())
            .limit(1)
        ).scalar_one()
    lot, serial = newest
    month = (reader.now() - timedelta(days=29)).date().isoformat()
    top = reader.failures(ReportFilter(since=reader.now() - timedelta(days=7))).by_code[0].key
    kinds = reader.measurement_kinds(ReportFilter())
    spc = quote(kinds[0].name)
    return [
        ("Line", "/"),
        ("Yield per day (14 days)", "/yield"),
        ("Yield per day, 30 days", f"/yield?since={month}"),
        ("Yield per hour (24 h)", "/yield?bucket=hour"),
        ("Yield per shift, one lot", f"/yield?bucket=shift&lot={lot}"),
        ("Yield per day, one station", "/yield?station=ST-02"),
        ("Yield per day, one recipe", "/yield?recipe=pack-1"),
        ("Failures (7 days)", "/failures"),
        ("Failures: packs behind a bar", f"/failures?code={top}"),
        ("Failures, one station", "/failures?station=ST-03"),
        ("SPC, 100 points", f"/spc?measurement={spc}"),
        ("SPC, 1000 points", "/spc?measurement=cell%20voltage%20(worst)&points=1000"),
        ("SPC, one recipe", "/spc?measurement=temperature&recipe=pack-1"),
        ("Pack trace", f"/pack/{quote(retested)}"),
        ("Pack search", f"/pack?serial={quote(serial[:-2])}"),
    ]


def bench(url: str, *, runs: int = RUNS) -> list[PageTime]:
    probe = StoreReader.open(url)
    with probe.engine.connect() as conn:
        newest = conn.scalar(select(func.max(Attempt.started_at)))
    probe.close()
    assert newest is not None, "the benchmark database is empty"
    now = newest.astimezone(UTC) + timedelta(minutes=2)
    reader = StoreReader.open(url, plan=ShiftPlan(tz=UTC), now=_Clock(now))
    app = create_app(reader, DashboardSettings())
    results = []
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as c:
        for label, path in pages(reader):
            with _statements(reader.engine) as seen:
                first = c.get(path)
            assert first.status_code == 200, (path, first.text[:500])
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                response = c.get(path)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200
            results.append(
                PageTime(
                    label,
                    path,
                    1000 * statistics.median(samples),
                    1000 * max(samples),
                    _indexes(reader.engine, seen),
                )
            )
    reader.close()
    return results


def run(attempts: int, pg: str | None, *, sqlite: bool = True) -> dict[str, list[PageTime]]:
    spec = DemoSpec(attempts=attempts)
    out: dict[str, list[PageTime]] = {}
    if sqlite:
        made = sqlite_database(spec)
        if made.generated_s:
            print(f"generated SQLite with {attempts:,} attempts in {made.generated_s:.0f} s")
        out["sqlite"] = bench(made.url)
    if pg:
        made = postgres_database(pg, spec)
        if made.generated_s:
            print(f"generated PostgreSQL with {attempts:,} attempts in {made.generated_s:.0f} s")
        out["postgresql"] = bench(made.url)
    return out


def table(results: dict[str, list[PageTime]], attempts: int) -> list[tuple[str, str, str, str]]:
    """Rows for ``make bench``'s table."""
    rows = []
    for backend, times in results.items():
        for t in times:
            rows.append(
                (
                    f"dashboard {t.page} ({backend}, {attempts:,} attempts)",
                    f"{t.median_ms:.0f} ms",
                    f"target < {BUDGET_MS:.0f} ms",
                    f"{t.median_ms / BUDGET_MS:.2f} of budget",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("STATION_TEST_PG_URL"), metavar="URL")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.attempts, args.pg, sqlite=not args.no_sqlite)
    slow = False
    for backend, times in results.items():
        print(f"\n{backend}, {args.attempts:,} attempts: median (worst) of {RUNS} requests")
        for t in times:
            flag = "  SLOW" if t.median_ms >= BUDGET_MS else ""
            slow |= bool(flag)
            print(f"  {t.page:<32} {t.median_ms:7.1f} ms ({t.worst_ms:6.1f}){flag}")
            print(f"  {'':<32} {t.path}")
            print(f"  {'':<32} indexes: {', '.join(t.indexes) or '-'}")
    if not args.pg:
        print("\nPostgreSQL: not measured (set STATION_TEST_PG_URL or give --pg URL)")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
