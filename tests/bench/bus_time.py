"""Station time per pack on the emulator's timing model (100 kHz), against three references.

* **station**: the real sequence (``PackRun``) programming the 4S3P recipe into a factory pack,
  split into bus time of the transactions that carry something, the waits the gauge requires
  (flash writes, resets, signature, seal: the emulator's busy periods), and the rest (polls the
  gauge NACKed, poll granularity, the quiet bus around key entry, retry back-off);
* **(a) lower bound** for the same plan: the transactions that carried something plus the waits
  the gauge requires, nothing else;
* **(b) naive**: per-parameter read-modify-write of the parameter's 32-byte block with fixed
  sleeps, the way the user's original script paces itself (50 ms after each key word, 1 s after
  unsealing, a fixed 100 ms after each flash write, a fixed 1 s after reset);
* **(c) full image**: unseal, back up and write and verify the whole writable 8 KiB (polling
  like the station does), reset, seal, reset.

Every figure is virtual time from the same emulator model, so the comparison is exact and
repeatable: ``python -m tests.bench.bus_time``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smbus2 import i2c_msg

from station.bus.transport import SMBusTransport
from station.clock import VirtualClock
from station.emulator import EmulatedGauge, open_emulator
from station.gauge import Gauge
from station.keys import ti_default_keys
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.image import BLOCK_SIZE, WRITABLE_END
from station.sequence.socket_context import gauge_timings
from tests.sequence.conftest import RECIPE_4S, make_bench


@dataclass
class Timed:
    """Virtual time of one pack, split the way the benchmark table shows it."""

    total_s: float
    carried_bus_s: float  # transactions the device acknowledged
    nacked_bus_s: float  # transactions it refused (busy polls, retries)
    gauge_waits_s: float  # device busy periods (flash write, reset, signature, seal)
    transactions: int
    nacks: int
    df_writes: int

    @property
    def lower_bound_s(self) -> float:
        return self.carried_bus_s + self.gauge_waits_s

    @property
    def other_s(self) -> float:
        return self.total_s - self.carried_bus_s - self.gauge_waits_s


class Recorder:
    """Wraps the emulator's ``i2c_rdwr`` to split bus time into carried and refused."""

    def __init__(self, device: EmulatedGauge, clock: VirtualClock) -> None:
        self.device = device
        self.clock = clock
        self.carried = 0.0
        self.nacked = 0.0
        self.count = 0
        self.refused = 0
        self._inner = device.i2c_rdwr

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        before = self.clock.monotonic()
        self.count += 1
        try:
            self._inner(*msgs)
        except OSError:
            self.refused += 1
            self.nacked += self.clock.monotonic() - before
            raise
        self.carried += self.clock.monotonic() - before

    def result(self, started: float, busy_before: float, writes_before: int) -> Timed:
        return Timed(
            total_s=self.clock.monotonic() - started,
            carried_bus_s=self.carried,
            nacked_bus_s=self.nacked,
            gauge_waits_s=self.device.stats.device_busy_s - busy_before,
            transactions=self.count,
            nacks=self.refused,
            df_writes=self.device.stats.df_writes - writes_before,
        )


def station_pack(workdir: Path, *, pec: bool = False) -> tuple[Timed, Recipe]:
    """The real sequence on a factory pack (label printed to files, SQLite database). ``pec``:
    the pack appends PEC (SBS Configuration HPE set), so reads are trusted one by one; without
    it every read a decision rests on is read twice."""
    bench = make_bench(workdir, pec=pec)
    recorder = Recorder(bench.device, bench.clock)
    bench.device.i2c_rdwr = recorder.i2c_rdwr  # type: ignore[method-assign]
    started = bench.clock.monotonic()
    result = bench.run()
    assert result.passed, result.failure
    timed = recorder.result(started, 0.0, 0)
    bench.store.close()
    return timed, bench.recipe


def _gauge(scenario: str = "default") -> tuple[EmulatedGauge, VirtualClock, Recorder, Gauge]:
    clock = VirtualClock()
    device = open_emulator(scenario, clock=clock)
    recorder = Recorder(device, clock)
    transport = SMBusTransport(recorder, clock)
    gauge = Gauge(transport, clock=clock, timings=gauge_timings(load_recipe(RECIPE_4S)))
    return device, clock, recorder, gauge


def naive_pack(recipe: Recipe) -> Timed:
    """Per-parameter read-modify-write with the fixed sleeps of a hand-written script."""
    _device, clock, rec, gauge = _gauge()
    transport = gauge.transport
    keys = ti_default_keys()
    target = recipe.target("PK4S-000123", dt.date(2026, 11, 25))
    started = clock.monotonic()
    # Unseal as the script does: a word, 50 ms, a word, 50 ms, then 1 s "to be sure".
    transport.write_word(0x00, keys.unseal.first.reveal())
    clock.sleep(0.05)
    transport.write_word(0x00, keys.unseal.second.reveal())
    clock.sleep(0.05)
    clock.sleep(1.0)
    for param, _raw in target.parameters:
        for block in sorted({a - a % BLOCK_SIZE for a in param.addresses}):
            current = bytearray(_read_block(transport, block))
            for a in param.addresses:
                if block <= a < block + BLOCK_SIZE:
                    current[a - block] = target.data[a]
            end = min(block + BLOCK_SIZE, WRITABLE_END)
            address = bytes([block & 0xFF, block >> 8])
            transport.block_write(0x44, address + bytes(current[: end - block]))
            clock.sleep(0.100)  # a fixed worst-case pause instead of polling
            _read_block(transport, block)  # read back to check
    transport.write_word(0x00, 0x0041)  # reset
    clock.sleep(1.0)
    transport.write_word(0x00, 0x0030)  # seal
    clock.sleep(0.05)
    return rec.result(started, 0.0, 0)


def _read_block(transport: SMBusTransport, address: int) -> bytes:
    transport.block_write(0x44, bytes([address & 0xFF, address >> 8]))
    data = transport.block_read(0x44, max_len=34, min_len=34)
    return data[2:]


def full_image_pack() -> Timed:
    """Back up, write and verify the whole writable data flash with the station's driver."""
    _device, clock, rec, gauge = _gauge()
    keys = ti_default_keys()
    started = clock.monotonic()
    gauge.unseal(keys)
    image = gauge.read_df(0x4000, 0x2000)
    for address in range(0x4000, WRITABLE_END, BLOCK_SIZE):
        off = address - 0x4000
        gauge.write_df(address, image[off : off + BLOCK_SIZE])
    gauge.reset()
    gauge.unseal(keys)
    gauge.read_df(0x4000, 0x2000)
    gauge.seal()
    gauge.reset()
    return rec.result(started, 0.0, 0)


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "plain").mkdir()
        (Path(tmp) / "pec").mkdir()
        station, recipe = station_pack(Path(tmp) / "plain")
        with_pec, _ = station_pack(Path(tmp) / "pec", pec=True)
    naive = naive_pack(recipe)
    full = full_image_pack()
    return {"station": station, "pec": with_pec, "naive": naive, "full": full}


def table(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    station: Timed = figures["station"]
    with_pec: Timed = figures["pec"]
    naive: Timed = figures["naive"]
    full: Timed = figures["full"]
    rows = [
        (
            "station time per pack (100 kHz), no PEC",
            f"{station.total_s * 1000:.0f} ms",
            f"lower bound (a) {station.lower_bound_s * 1000:.0f} ms",
            f"{station.total_s / station.lower_bound_s:.2f}x (target <= 1.2x)",
        ),
        (
            "  of which bus bytes carried",
            f"{station.carried_bus_s * 1000:.0f} ms",
            f"{station.transactions - station.nacks} transactions",
            "",
        ),
        (
            "  of which waits the gauge requires",
            f"{station.gauge_waits_s * 1000:.0f} ms",
            "flash writes, 2 resets, signature, seal",
            "",
        ),
        (
            "  of which polls, quiet bus, retries",
            f"{station.other_s * 1000:.0f} ms",
            f"{station.nacks} NACKed polls",
            "",
        ),
        (
            "station time per pack, pack sending PEC",
            f"{with_pec.total_s * 1000:.0f} ms",
            f"lower bound (a) {with_pec.lower_bound_s * 1000:.0f} ms",
            f"{with_pec.total_s / with_pec.lower_bound_s:.2f}x (target <= 1.2x)",
        ),
        (
            "vs naive per-parameter script (b)",
            f"{station.total_s * 1000:.0f} ms",
            f"{naive.total_s * 1000:.0f} ms",
            f"{naive.total_s / station.total_s:.1f}x faster",
        ),
        (
            "vs full 8 KiB write + verify (c)",
            f"{station.total_s * 1000:.0f} ms",
            f"{full.total_s * 1000:.0f} ms",
            f"{full.total_s / station.total_s:.1f}x faster (target >= 5x)",
        ),
        (
            "data-flash writes per pack",
            str(station.df_writes),
            f"naive {naive.df_writes}, full {full.df_writes}",
            "",
        ),
    ]
    return rows


def main() -> None:
    for row in table(measure()):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
