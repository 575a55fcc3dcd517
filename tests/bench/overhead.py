"""Software overhead: CPU per pack, database bytes per pack, and ``station run`` start-up.

* CPU per pack: process CPU time of real sequence runs on the emulator (virtual waits cost no
  CPU), with the emulator's own CPU measured apart (on a line it is the kernel's i2c-dev, not
  this process), median over many packs.
* Bytes per pack: growth of the SQLite database over real runs (attempt, steps, measurements,
  parameter changes, before/after images of the touched blocks, label record), per pack.
* Start-up: a fresh interpreter, ``station run`` with the shift locked by flags (recipe,
  operator, lot) on the emulator demo, until the ready screen asks for a serial.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from smbus2 import i2c_msg

from tests.sequence.conftest import make_bench


def cpu_and_bytes(packs: int = 40) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        bench = make_bench(Path(tmp))
        inner = bench.device.i2c_rdwr
        spent = [0.0]

        def timed_rdwr(*msgs: i2c_msg) -> None:
            t0 = time.thread_time()
            try:
                inner(*msgs)
            finally:
                spent[0] += time.thread_time() - t0

        bench.device.i2c_rdwr = timed_rdwr  # type: ignore[method-assign]
        assert bench.run(serial="PK4S-000000").passed  # warm caches (first label, first SQL)
        size_before = _db_bytes(bench)
        totals, emulator = [], []
        for i in range(1, packs + 1):
            bench.new_pack()
            inner = bench.device.i2c_rdwr
            bench.device.i2c_rdwr = timed_rdwr  # type: ignore[method-assign]
            spent[0] = 0.0
            t0 = time.process_time()
            result = bench.run(serial=f"PK4S-{i:06d}")
            totals.append(time.process_time() - t0)
            emulator.append(spent[0])
            assert result.passed, result.failure
        size_after = _db_bytes(bench)
        bench.store.close()
    station = [t - e for t, e in zip(totals, emulator, strict=True)]
    return {
        "cpu_total_ms": statistics.median(totals) * 1000,
        "cpu_emulator_ms": statistics.median(emulator) * 1000,
        "cpu_station_ms": statistics.median(station) * 1000,
        "bytes_per_pack": (size_after - size_before) / packs,
    }


def _db_bytes(bench: Any) -> int:
    with bench.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
    return int(pages) * int(size)


_STARTUP = r"""
import time, sys, asyncio
t0 = time.perf_counter()
from pathlib import Path
from station.config import StationConfig
from station.sequence import open_service
from station.tui import make_app
from station.tui.context import LineOptions
tmp = Path(sys.argv[1])
config = StationConfig(bus="sim", database=f"sqlite:///{tmp}/s.sqlite3",
                       printer=f"file:{tmp}/labels", recipe="pk4s3p-3500", operator="OP-1",
                       lot="LOT-1")
service = open_service(config, demo=True)
app = make_app(service, LineOptions.from_config(config))

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        from station.tui.screens.line_screen import LineScreen
        # Ready: the line screen is up and its scan field has the focus.
        while not (isinstance(app.screen, LineScreen) and app.focused is not None
                   and app.focused.id == "scan"):
            await pilot.pause(0.01)
        print(time.perf_counter() - t0 + float(sys.argv[2]))
asyncio.run(main())
"""


def startup_s(runs: int = 5) -> float:
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            t0 = time.perf_counter()
            probe = subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
            interpreter = time.perf_counter() - t0
            out = subprocess.run(
                [sys.executable, "-c", _STARTUP, tmp, f"{interpreter:.6f}"],
                capture_output=True,
                text=True,
            )
            del probe
            if out.returncode:
                raise RuntimeError(f"start-up probe failed:\n{out.stderr}")
            samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    figures = cpu_and_bytes()
    for key, value in figures.items():
        print(f"{key}: {value:.1f}")
    print(f"startup_s: {startup_s():.2f}")


if __name__ == "__main__":
    main()
