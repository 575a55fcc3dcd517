"""What a run's logs cost: process CPU per pack on the emulator without logging, with the run
log written to a file (what every station does), and with a bus trace on top (on demand).
The three kinds of run alternate pack by pack, so load on the machine spreads over all three."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from station.gauge.security import keyless_bus_trace
from station.logs import Face, LogSettings, configure
from station.sequence.runlog import RunLog
from tests.sequence.conftest import make_bench

KINDS = ("none", "run log", "run log + bus trace")


def cpu_per_pack(packs: int = 30) -> dict[str, float]:
    """Median CPU milliseconds per pack, by kind of run."""
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        setup = configure(LogSettings("ST-B1", "A", folder / "logs"), Face.CLI, environ={})
        bench = make_bench(folder)
        trace = keyless_bus_trace(folder / "trace.txt")
        try:
            assert bench.run(serial="PK4S-000000").passed  # warm caches
            for n in range(1, packs * len(KINDS) + 1):
                kind = KINDS[n % len(KINDS)]
                serial = f"PK4S-{n:06d}"
                bench.new_pack()
                bench.socket.bus_trace = trace if kind == KINDS[2] else None
                t0 = time.process_time()
                if kind == KINDS[0]:
                    passed = bench.run(serial=serial).passed
                else:
                    story = RunLog("ST-B1", "A", "alice", "LOT-1")
                    with story.scope(serial):
                        passed = bench.run(serial=serial, on_event=story).passed
                samples[kind].append(time.process_time() - t0)
                assert passed
        finally:
            bench.store.close()
            trace.close()
            setup.close()
    return {kind: statistics.median(values) * 1000 for kind, values in samples.items()}


def main() -> None:
    for kind, ms in cpu_per_pack().items():
        print(f"{kind}: {ms:.1f} ms CPU per pack")


if __name__ == "__main__":
    main()
