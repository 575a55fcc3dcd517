"""Bring-up figures: the bus time to read a reference pack (unseal, the whole 8 KiB of data
flash, seal again) in the emulator's virtual time at 100 kHz, and the CPU to check a profile
against an export and that image (median of several runs)."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from station.bus.spec import open_bus
from station.bus.transport import SMBusTransport
from station.emulator.ggexport import gg_csv_text
from station.gauge import Gauge
from station.keys import KeyStore
from station.recipe.profile.image import DataFlashImage
from station.recipe.profile.library import ProfileLibrary
from station.recipe.ti.ggcsv import parse_gg_csv
from station.recipe.ti.verify import verify_export
from station.sequence.bringup import read_reference


def measure(runs: int = 5) -> dict[str, float]:
    opened = open_bus("sim:reference")
    gauge = Gauge(SMBusTransport(opened.bus, opened.clock), clock=opened.clock)
    gauge.establish_pec("auto")
    started = opened.clock.monotonic()
    pack = read_reference(gauge, KeyStore.builtin().get("ti-default"))
    bus_s = opened.clock.monotonic() - started
    text = gg_csv_text(opened.device, created=dt.datetime(2026, 12, 5))
    profile = ProfileLibrary().get("bq40z50-r1")
    cpu = []
    for _ in range(runs):
        t0 = time.process_time()
        gg = parse_gg_csv(text, "ref.gg.csv")
        verify_export(profile, gg, "0" * 64, DataFlashImage.from_bytes(0x4000, pack.image))
        cpu.append(time.process_time() - t0)
    return {"read_s": bus_s, "verify_cpu_ms": 1000 * statistics.median(cpu)}


def table(figures: dict[str, float]) -> list[tuple[str, str, str, str]]:
    return [
        (
            "reference pack read (unseal, 8 KiB, seal)",
            f"{figures['read_s']:.2f} s",
            "bus time, 100 kHz",
            "",
        ),
        (
            "profile verify, 536 parameters (CPU)",
            f"{figures['verify_cpu_ms']:.0f} ms",
            "export + pack image",
            "",
        ),
    ]


if __name__ == "__main__":
    for row in table(measure()):
        print(" | ".join(row))
