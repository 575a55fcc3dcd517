"""Calibration time per pack on the emulator's timing model (100 kHz), against its floor.

The 4S3P recipe with a ``[calibration]`` section (voltages, CC offset, board offset, CC gain,
two temperature sensors) runs through the real sequence on an uncalibrated pack with simulated
instruments. The calibration step's floor is the frames it needs (each start of the raw output:
the settle steps, then one 250 ms refresh per frame) plus the bus time and gauge busy time of
its other transactions (CAL_EN, constants read and written, readings checked); the whole pack's
lower bound is the plain run's (bus bytes carried plus the waits the gauge requires) plus that
frame floor. Frame reads happen inside the refresh periods, so their bus time is not counted
twice. ``python -m tests.bench.calibration_time``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.sequence.events import Event, StepFinished, StepId, StepStarted
from tests.bench.bus_time import Recorder
from tests.recipe.helpers import variant
from tests.sequence.conftest import make_bench

SECTION = """
[calibration]
items = ["cell_voltage", "bat_voltage", "pack_voltage", "cc_offset", "board_offset", "cc_gain"]
temperature_sensors = ["Int", "TS1"]
reference_current = "-2000 mA"
"""
#: bytes on the wire of one frame read through 0x44: address, command, address, count, echo,
#: 24 frame bytes (two messages)
FRAME_READ_BYTES = 3 + 1 + 2 + 24


@dataclass
class CalibrationTimes:
    pack_total_s: float
    pack_lower_s: float
    step_s: float
    step_floor_s: float
    frames: int
    frames_floor_s: float


def measure() -> CalibrationTimes:
    from station.recipe.product.recipe_loader import load_recipe

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        recipe = load_recipe(variant(work, ("[backup]", SECTION + "\n[backup]"), name="c.toml"))
        plan = recipe.calibration
        assert plan is not None
        bench = make_bench(work, "uncalibrated")
        recorder = Recorder(bench.device, bench.clock)
        bench.device.i2c_rdwr = recorder.i2c_rdwr  # type: ignore[method-assign]
        marks: dict[str, Any] = {}

        def on_event(e: Event) -> None:
            if isinstance(e, StepStarted | StepFinished):
                step = e.step if isinstance(e, StepStarted) else e.result.step
                if step is StepId.CALIBRATE:
                    key = "start" if isinstance(e, StepStarted) else "end"
                    marks[key] = (
                        bench.clock.monotonic(),
                        recorder.carried,
                        bench.device.stats.device_busy_s,
                        recorder.count,
                    )

        started = bench.clock.monotonic()
        result = bench.run(recipe=recipe, on_event=on_event)
        assert result.passed, result.failure
        timed = recorder.result(started, 0.0, 0)
        bench.store.close()
    frame_floor = plan.floor_s()
    frames = sum(n for _, n in plan.frame_runs())
    wire = bench.device.timing.wire_time(FRAME_READ_BYTES, 2)
    (t0, carried0, busy0, _), (t1, carried1, busy1, _) = marks["start"], marks["end"]
    frame_reads_s = frames * wire
    step_floor = frame_floor + (carried1 - carried0 - frame_reads_s) + (busy1 - busy0)
    pack_lower = timed.lower_bound_s - frame_reads_s + frame_floor
    return CalibrationTimes(
        pack_total_s=timed.total_s,
        pack_lower_s=pack_lower,
        step_s=t1 - t0,
        step_floor_s=step_floor,
        frames=frames,
        frames_floor_s=frame_floor,
    )


def table(c: CalibrationTimes) -> list[tuple[str, str, str, str]]:
    return [
        (
            "calibration time per pack (100 kHz)",
            f"{c.step_s * 1000:.0f} ms",
            f"floor {c.step_floor_s * 1000:.0f} ms ({c.frames} frames: "
            f"{c.frames_floor_s * 1000:.0f} ms, + writes and checks)",
            f"{c.step_s / c.step_floor_s:.2f}x",
        ),
        (
            "station time per pack with calibration",
            f"{c.pack_total_s * 1000:.0f} ms",
            f"lower bound {c.pack_lower_s * 1000:.0f} ms",
            f"{c.pack_total_s / c.pack_lower_s:.2f}x (target <= 1.2x)",
        ),
    ]


def main() -> None:
    for row in table(measure()):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
