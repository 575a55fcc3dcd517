"""Calibrate the pack against the socket's reference instruments (recipes with a [calibration]
section only), after the recipe is applied and the gauge reset, before verify.

The constants are written through the run's write path: checked against the profile's sign-off,
guarded, counted (so an abort or a failure restores them from the backup) and read back."""

from __future__ import annotations

from station.recipe.planning.writes import DFWrite
from station.sequence.calibration import CalibrationFailed, Calibrator, read_back
from station.sequence.calibration_record import (
    CalibrationRecord,
    calibration_measurements,
    calibration_parameters,
    calibration_rows,
)
from station.sequence.events import StepId
from station.sequence.instruments import socket_bench
from station.sequence.run import Run


def calibrate(run: Run) -> str:
    plan = run.recipe.calibration
    assert plan is not None
    conn = run.conn
    assert conn is not None
    state = run.state
    gauge = run.gauge
    profile = run.recipe.profile
    params = calibration_parameters(run.recipe)
    profile.check_write_allowed(params, emulated=conn.emulated)
    allowed = {a for p in params for a in p.addresses}
    planned = gauge.write_guard

    def guard(address: int, length: int) -> None:
        if not all(a in allowed for a in range(address, address + length)):
            if planned is None:
                raise CalibrationFailed(f"write to 0x{address:04X} is not a constant")
            planned(address, length)

    def write(address: int, data: bytes) -> None:
        p = profile.parameter_at(address)
        state.writes = (*state.writes, DFWrite(address, data, (p.name if p else "",)))
        state.writes_total += 1
        run.checkpoint()
        run.write(address, data)
        read_back(gauge, address, data)

    today = run.socket.now().astimezone().date()
    device = conn.bus.device if conn.emulated else None
    bench = socket_bench(run.socket.config, device, today, ask=run.socket.instrument_ask)
    calibrator = Calibrator(
        gauge, profile, plan, bench, writer=write, cells=run.recipe.cells,
        progress=lambda text: run.notice(StepId.CALIBRATE, text),
    )  # fmt: skip
    gauge.write_guard = guard
    try:
        record = calibrator.run()
    finally:
        gauge.write_guard = planned
        bench.close()
        if calibrator.record is not None:
            _record(run, calibrator.record)
    return (
        f"{len([c for c in record.changes if c.old_bytes != c.new_bytes])} constants "
        f"written, {len(record.residuals)} readings within tolerance, {record.frames} frames"
    )


def _record(run: Run, record: CalibrationRecord) -> None:
    for m in calibration_measurements(record):
        run.measure(m)
    run.socket.store.record_calibration(run.attempt, calibration_rows(record))
