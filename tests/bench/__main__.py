"""``make bench``: every benchmark in one table (measure | this station | comparison | ratio).

    python -m tests.bench               # bus time, sockets, CPU, bytes per pack, start-up, store
                                        # at 100 000, the dashboard's pages at 1 000 000 attempts
    python -m tests.bench.sockets_bench # packs per hour with 1-8 sockets only
    python -m tests.bench --million     # the store queries at 1 000 000 attempts too (minutes)

The dashboard is measured on SQLite, and on PostgreSQL when STATION_TEST_PG_URL names a server
(``make bench`` starts the throw-away one of ``.ci/postgres.sh``). Its million-attempt databases
are generated the first time (about 15 minutes on SQLite, an hour on PostgreSQL, on 2 cores) and
kept for later runs (``tests/bench/databases.py``).

Bus figures are virtual time from the emulator's timing model at 100 kHz; CPU, start-up and
query times are this machine's, medians of several runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from tests.bench import (
    bringup_bench,
    bus_time,
    calibration_time,
    dashboard_bench,
    log_cost,
    overhead,
    sockets_bench,
    store_bench,
)


def flip_rows(positions: int) -> list[tuple[str, str, str, str]]:
    """The one-flipped-read sweep (PEC off), against the station as it was when one read
    decided."""
    from tests.campaign import flipsweep

    def totals(confirm: bool) -> tuple[int, int, int]:
        figures = flipsweep.figures(positions, confirm)
        runs = sum(out.runs for _, out in figures.values())
        wrong = sum(len(out.wrong_pass) for _, out in figures.values())
        lost = sum(len(out.lost) for _, out in figures.values())
        return runs, wrong, lost

    runs, wrong, lost = totals(True)
    runs1, wrong1, lost1 = totals(False)
    packs = " and ".join(flipsweep.PACKS)
    return [
        (
            f"one flipped read, no PEC: wrong PASS ({runs} runs)",
            f"{wrong}",
            f"one read decides: {wrong1} of {runs1}",
            "target 0",
        ),
        (
            "  packs lost to FAIL/ERROR",
            f"{100 * lost / runs:.1f} %",
            f"one read decides: {100 * lost1 / runs1:.1f} %",
            "target <= 2 %",
        ),
        (f"  ({packs} pack, every read flipped at {positions} places)", "", "", ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="packline station benchmarks")
    parser.add_argument("--million", action="store_true", help="store queries at 1 000 000 too")
    parser.add_argument(
        "--flip-positions",
        type=int,
        default=4,
        help="one-flipped-read sweep: places each read is flipped at (one run each; 0 skips it)",
    )
    parser.add_argument(
        "--dashboard-attempts",
        type=int,
        default=1_000_000,
        metavar="N",
        help="the dashboard's database size (0: leave the dashboard out)",
    )
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, str, str]] = []
    rows += bus_time.table(bus_time.measure())
    rows += sockets_bench.table(sockets_bench.measure())
    rows += calibration_time.table(calibration_time.measure())
    rows += bringup_bench.table(bringup_bench.measure())
    if args.flip_positions > 0:
        rows += flip_rows(args.flip_positions)

    cpu = overhead.cpu_and_bytes()
    rows.append(
        (
            "CPU per pack (station code)",
            f"{cpu['cpu_station_ms']:.1f} ms",
            "target < 50 ms",
            f"{cpu['cpu_station_ms'] / 50:.2f} of budget",
        )
    )
    rows.append(
        ("  emulator's own CPU (not on a line)", f"{cpu['cpu_emulator_ms']:.1f} ms", "", "")
    )
    rows.append(
        (
            "database bytes per pack",
            f"{cpu['bytes_per_pack']:.0f} B",
            "target < 4096 B",
            f"{cpu['bytes_per_pack'] / 4096:.2f} of budget",
        )
    )
    logs = log_cost.cpu_per_pack()
    bare = logs["none"]
    for kind in log_cost.KINDS[1:]:
        rows.append(
            (
                f"  CPU per pack with the {kind}",
                f"+{logs[kind] - bare:.1f} ms",
                f"over {bare:.1f} ms without",
                f"{logs[kind] / bare:.2f} x",
            )
        )
    start = overhead.startup_s()
    rows.append(
        (
            "station run start-up to ready",
            f"{start:.2f} s",
            "target < 1.5 s",
            f"{start / 1.5:.2f} of budget",
        )
    )

    sizes = [100_000] + ([1_000_000] if args.million else [])
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for n in sizes:
            with store_bench.fresh_database(None, Path(tmp), f"b{n}") as url:
                r = store_bench.bench(url, n)
            budget_trace, budget_report = (0.05, 3.0) if n >= 1_000_000 else (1.0, 1.0)
            rows.append(
                (
                    f"trace on {n:,} attempts",
                    f"{r['trace_s'] * 1000:.1f} ms",
                    f"target < {budget_trace * 1000:.0f} ms",
                    f"{r['trace_s'] / budget_trace:.2f} of budget",
                )
            )
            rows.append(
                (
                    f"report on {n:,} attempts",
                    f"{r['report_all_s'] * 1000:.0f} ms",
                    f"target < {budget_report:.0f} s",
                    f"{r['report_all_s'] / budget_report:.2f} of budget",
                )
            )

    if args.dashboard_attempts:
        pg = os.environ.get("STATION_TEST_PG_URL")
        pages = dashboard_bench.run(args.dashboard_attempts, pg)
        rows += dashboard_bench.table(pages, args.dashboard_attempts)
        if not pg:
            rows.append(("dashboard on PostgreSQL", "not measured", "STATION_TEST_PG_URL", ""))

    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    head = ("measure", "this station", "comparison", "ratio")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
