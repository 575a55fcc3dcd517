"""One pack's calibration against reference instruments (calibration reference §9).

Measure everything first (voltages, CC offset, board offset, CC gain, then temperatures after
calibration mode is left), compute every constant, judge every one against the profile's limits,
and only then write: a pack whose results do not hold (a reversed shunt, an open thermistor, an
instrument past due, a reference that drifted) fails ``CALIBRATION`` with nothing written. After
writing, the gauge's own readings are compared with the references within the recipe's
tolerances. The record keeps raw averages, references with their instruments, old and new
constants and the residual errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ClassVar

from station.gauge import calmath
from station.gauge.calibration import (
    CalibrationError,
    CalibrationSession,
    RawAverages,
    average,
)
from station.gauge.driver import Gauge
from station.gauge.mac import mac_command
from station.instruments.bench import Bench
from station.instruments.model import Measurand
from station.recipe.product.calibration import CalibrationPlan
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile
from station.sequence.calibration_record import CalibrationRecord, ConstantChange, Residual

__all__ = ["CalibrationFailed", "CalibrationRecord", "Calibrator", "direct_writer", "read_back"]

log = logging.getLogger("station.sequence.calibration")

#: Writes ``data`` at ``address`` and proves it took (raises otherwise).
Writer = Callable[[int, bytes], None]
#: Told what the calibration is doing, for a screen or a log.
Progress = Callable[[str], None]


class CalibrationFailed(CalibrationError):
    failure_code: ClassVar[str] = "CALIBRATION"


def read_back(gauge: Gauge, address: int, data: bytes) -> None:
    """Read a constant just written and compare it (no checksum exists: reference §3.2)."""
    back = gauge.read_df(address, len(data))
    if back != data:
        raise CalibrationFailed(
            f"data flash at 0x{address:04X} reads {back.hex(' ')} after writing {data.hex(' ')}",
            command="calibration write",
        )


def direct_writer(gauge: Gauge) -> Writer:
    """Write through the driver, then read it back."""

    def write(address: int, data: bytes) -> None:
        gauge.write_df(address, data)
        read_back(gauge, address, data)

    return write


class Calibrator:
    """Runs a recipe's calibration plan on one pack (UNSEALED or FULL ACCESS already)."""

    def __init__(
        self,
        gauge: Gauge,
        profile: Profile,
        plan: CalibrationPlan,
        bench: Bench,
        *,
        writer: Writer | None = None,
        cells: int = 4,
        progress: Progress | None = None,
    ) -> None:
        self.gauge = gauge
        self.profile = profile
        self.plan = plan
        self.bench = bench
        self.writer = writer or direct_writer(gauge)
        self.cells = cells
        self.progress = progress or (lambda text: log.info("%s", text))
        self.session = CalibrationSession(gauge, plan.pacing)
        #: the record of the last run, kept when it failed too
        self.record: CalibrationRecord | None = None

    # -- helpers -----------------------------------------------------------------------------

    def _param(self, role: str) -> Parameter:
        return self.profile.get(self.plan.profile.constants[role])

    def _sensor_param(self, sensor: str) -> Parameter:
        return self.profile.get(self.plan.profile.temperature_offsets[sensor])

    def _old(self, p: Parameter) -> tuple[RawValue, bytes]:
        raw = self.gauge.read_df(p.address, p.size)
        return p.decode(raw), raw

    def _reference(self, rec: CalibrationRecord, quantity: Measurand) -> float:
        """A reference read before the frames it stands for (and again after them, by
        :meth:`_confirm_reference`)."""
        first = self.bench.read(quantity)
        rec.references.append(first)
        return first.value

    def _confirm_reference(
        self, rec: CalibrationRecord, quantity: Measurand, before: float, tolerance: float
    ) -> None:
        """A reference that moved more than the tolerance while the gauge measured is not a
        reference."""
        after = self.bench.read(quantity)
        rec.references.append(after)
        if abs(after.value - before) > tolerance:
            raise CalibrationFailed(
                f"the {quantity} reference moved from {before:g} to {after.value:g} "
                f"{after.unit} while the gauge measured (more than ±{tolerance:g})",
                command=f"{quantity} reference {after.instrument}",
                next_step="let the fixture settle (soak, warm-up, contact) and run the pack again",
            )

    def _frames(
        self, rec: CalibrationRecord, name: str, count: int, *, shorted: bool
    ) -> RawAverages:
        frames = self.session.frames(count, shorted=shorted)
        avg = average(frames)
        rec.raw[name] = avg
        rec.frames += len(frames) + self.plan.pacing.settle_steps
        return avg

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> CalibrationRecord:
        plan = self.plan
        clock = self.gauge.clock
        rec = CalibrationRecord(plan.items, plan.sensors, started_at=clock.monotonic())
        self.record = rec
        try:
            self.bench.check_due()
            self._measure(rec)
            rec.problems = plan.limits.problems(rec.computed)
            if rec.problems:
                raise CalibrationFailed(
                    "; ".join(rec.problems) + " (nothing was written)",
                    command="calibration limits",
                )
            self._write(rec)
            self._verify(rec)
            if not rec.passed:
                out = [r.text() for r in rec.residuals if not r.passed]
                raise CalibrationFailed(
                    "after calibration the pack still reads outside the recipe's tolerances: "
                    + "; ".join(out),
                    command="calibration check",
                )
            return rec
        finally:
            rec.finished_at = clock.monotonic()

    def _measure(self, rec: CalibrationRecord) -> None:
        plan = self.plan
        computed = rec.computed
        samples_p = self._param("cc_offset_samples")
        samples = int(self._old(samples_p)[0])
        if samples <= 0:
            raise CalibrationFailed(
                f"Coulomb Counter Offset Samples reads {samples}", command="calibration"
            )
        computed["cc_offset_samples"] = samples
        needs_cal = plan.voltage or any(
            plan.has(i) for i in ("cc_offset", "board_offset", "cc_gain")
        )
        if needs_cal:
            self.bench.set_current(0)
            self.session.enter()
            try:
                self._measure_raw(rec, samples)
            finally:
                try:
                    self.bench.set_current(0)
                finally:
                    self.session.leave()
        if plan.sensors:
            self.progress("temperature: reading the sensors against the reference")
            t_ref = self._reference(rec, "temperature")
            temps = self.session.sensor_temperatures()
            rec.temperatures_dk = temps
            self._confirm_reference(rec, "temperature", t_ref, plan.temperature_tolerance_c)
            for sensor in plan.sensors:
                old = int(self._old(self._sensor_param(sensor))[0])
                computed[f"temp:{sensor}"] = calmath.temperature_offset(t_ref, temps[sensor], old)

    def _measure_raw(self, rec: CalibrationRecord, samples: int) -> None:
        plan = self.plan
        computed = rec.computed
        if plan.voltage:
            self.progress(f"voltage: {plan.voltage_samples} frames against the stack reference")
            v_ref = self._reference(rec, "voltage")
            avg = self._frames(rec, "voltage", plan.voltage_samples, shorted=False)
            self._confirm_reference(rec, "voltage", v_ref, plan.cell_tolerance_mv)
            try:
                if plan.has("cell_voltage"):
                    # With one stack reference, Σ V_cell = V_stack: TI's Cell Gain formula
                    # needs only the sums (reference §5.2).
                    computed["cell_gain"] = calmath.cell_gain(
                        [v_ref], [sum(avg.cells[: self.cells])]
                    )
                if plan.has("bat_voltage"):
                    computed["bat_gain"] = calmath.voltage_gain(v_ref, avg.bat)
                if plan.has("pack_voltage"):
                    computed["pack_gain"] = calmath.voltage_gain(v_ref, avg.pack)
            except calmath.CalibrationMathError as exc:
                raise CalibrationFailed(
                    f"{exc}: the gauge measured no voltage (PACK needs the FETs on)",
                    command="voltage calibration",
                ) from None
        cc_off = board = 0
        if plan.has("cc_offset"):
            self.progress(f"CC offset: {plan.offset_samples} frames, inputs shorted")
            avg = self._frames(rec, "cc_offset", plan.offset_samples, shorted=True)
            cc_off = calmath.cc_offset(avg.cc, samples)
            computed["cc_offset"] = cc_off
        else:
            cc_off = int(self._old(self._param("cc_offset"))[0])
        if plan.has("board_offset"):
            self.progress(f"board offset: {plan.offset_samples} frames, no current")
            avg = self._frames(rec, "board_offset", plan.offset_samples, shorted=False)
            board = calmath.board_offset(avg.cc, samples, cc_off)
            computed["board_offset"] = board
        else:
            board = int(self._old(self._param("board_offset"))[0])
        if plan.has("cc_gain"):
            self.progress(f"CC gain: {plan.reference_current_ma:g} mA through the shunt")
            toggled = self._fet_for(plan.reference_current_ma)
            try:
                self._cc_gain(rec, cc_off, board, samples)
            finally:
                self.bench.set_current(0)
                if toggled is not None:
                    self.gauge.mac_command(toggled)  # the FET test toggle back off

    def _fet_for(self, current_ma: float) -> int | None:
        """Current flows through the shunt only with its FET on (reference §5.3): with firmware
        FET control (FET_EN) a FET that is off is held off by a protection; without it, the
        manufacturing toggle turns it on. Returns the toggle sent (to send again after)."""
        need, toggle = ("DSG", "DSGFETToggle") if current_ma < 0 else ("CHG", "CHGFETToggle")
        code = mac_command(toggle).code
        if need in self.gauge.operation_status().flags:
            return None
        if "FET_EN" in self.gauge.manufacturing_status():
            raise CalibrationFailed(
                f"the {need} FET is off under firmware FET control: no current can flow for "
                "the CC gain",
                command="CC gain calibration",
                next_step="check SafetyStatus/PFStatus for the protection holding it off",
            )
        self.gauge.mac_command(code)
        if need not in self.gauge.operation_status().flags:
            self.gauge.mac_command(code)
            raise CalibrationFailed(
                f"the {need} FET did not turn on with its manufacturing toggle",
                command="CC gain calibration",
            )
        return code

    def _cc_gain(self, rec: CalibrationRecord, cc_off: int, board: int, samples: int) -> None:
        plan = self.plan
        self.bench.set_current(plan.reference_current_ma)
        i_ref = self._reference(rec, "current")
        avg = self._frames(rec, "cc_gain", plan.current_samples, shorted=False)
        self._confirm_reference(rec, "current", i_ref, plan.current_tolerance_ma)
        self.bench.set_current(0)
        if i_ref == 0:
            raise CalibrationFailed(
                "the current reference reads 0 mA: no current flowed through the sense resistor",
                command="CC gain calibration",
                next_step="check the load or source and its connection to the pack",
            )
        try:
            gain = calmath.cc_gain(i_ref, avg.cc, cc_off, board, samples)
        except calmath.CalibrationMathError as exc:
            raise CalibrationFailed(
                f"{exc}: no current flowed through the sense resistor",
                command="CC gain calibration",
            ) from None
        rec.computed["cc_gain"] = gain
        rec.computed["capacity_gain"] = calmath.capacity_gain(
            gain, plan.profile.capacity_gain_factor
        )

    def _write(self, rec: CalibrationRecord) -> None:
        """Every computed constant that changes, in TI's order, each proven by a read-back."""
        ti_order = ("cell_gain", "pack_gain", "bat_gain", "cc_offset", "board_offset", "cc_gain",
                    "capacity_gain")  # fmt: skip
        order = [r for r in ti_order if r in rec.computed]
        targets: list[tuple[str, Parameter]] = [(r, self._param(r)) for r in order]
        targets += [(f"temp:{s}", self._sensor_param(s)) for s in self.plan.sensors]
        for name, p in targets:
            value = rec.computed[name]
            new: RawValue = float(value) if p.dtype.kind == "F" else round(value)
            problem = p.limits_problem(new)
            if problem:
                raise CalibrationFailed(
                    f"{p.key}: {problem} (nothing further written)", command="calibration limits"
                )
            old, old_bytes = self._old(p)
            new_bytes = p.encode(new)
            rec.changes.append(
                ConstantChange(name, p.key, p.address, old, p.decode(new_bytes), old_bytes,
                               new_bytes)
            )  # fmt: skip
            if new_bytes != old_bytes:
                self.writer(p.address, new_bytes)
        rec.written = True

    def _verify(self, rec: CalibrationRecord) -> None:
        """The gauge's own readings against the references, within the recipe's tolerances."""
        plan = self.plan
        g = self.gauge
        res = rec.residuals
        if plan.voltage:
            v_ref = self.bench.read("voltage")
            rec.references.append(v_ref)
            if plan.has("cell_voltage"):
                cells = sum(_number(v.value) for v in g.cell_voltages(self.cells))
                res.append(Residual("cells (sum)", cells, v_ref.value,
                                    plan.cell_tolerance_mv * self.cells, "mV"))  # fmt: skip
            bat, pack = self.session.pin_voltages()
            if plan.has("bat_voltage"):
                res.append(Residual("BAT", bat, v_ref.value, plan.voltage_tolerance_mv, "mV"))
            if plan.has("pack_voltage"):
                res.append(Residual("PACK", pack, v_ref.value, plan.voltage_tolerance_mv, "mV"))
        if plan.has("cc_gain") or plan.has("cc_offset"):
            self.bench.set_current(0)
            zero = _number(g.current().value)
            res.append(Residual("current at 0 mA", zero, 0.0, plan.current_tolerance_ma, "mA"))
        if plan.has("cc_gain"):
            toggled = self._fet_for(plan.reference_current_ma)
            try:
                self.bench.set_current(plan.reference_current_ma)
                i_ref = self.bench.read("current")
                rec.references.append(i_ref)
                current = _number(g.current().value)
            finally:
                self.bench.set_current(0)
                if toggled is not None:
                    g.mac_command(toggled)
            # A reference of 0 mA proves nothing about the gain: judged against the planned one.
            expected = i_ref.value if i_ref.value else plan.reference_current_ma
            res.append(Residual("current", current, expected, plan.current_tolerance_ma, "mA"))
        if plan.sensors:
            t_ref = self.bench.read("temperature")
            rec.references.append(t_ref)
            temps = self.session.sensor_temperatures()
            for sensor in plan.sensors:
                c = (temps[sensor] - calmath.ZERO_C_DK) / 10
                res.append(Residual(f"{sensor} temperature", round(c, 2), t_ref.value,
                                    plan.temperature_tolerance_c, "°C"))  # fmt: skip


def _number(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)
