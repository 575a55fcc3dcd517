"""``make bench``: every benchmark in one table (measure | this station | comparison | ratio).

    python -m tests.bench               # bus time, sockets, CPU, bytes per pack, start-up, store
    python -m tests.bench.sockets_bench # packs per hour with 1-8 sockets only
    python -m tests.bench --million     # the store queries at 1 000 000 attempts too (minutes)

Bus figures are virtual time from the emulator's timing model at 100 kHz; CPU, start-up and
query times are this machine's, medians of several runs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.bench import bus_time, overhead, sockets_bench, store_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="packline station benchmarks")
    parser.add_argument("--million", action="store_true", help="store queries at 1 000 000 too")
    args = parser.parse_args(argv)

    rows: list[tuple[str, str, str, str]] = []
    rows += bus_time.table(bus_time.measure())
    rows += sockets_bench.table(sockets_bench.measure())

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
