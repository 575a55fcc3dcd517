"""The gauge's own state: what its firmware holds in RAM, and what it loads at reset.

Configuration written to data flash takes effect at the next reset (ref §7.1, TI on E2E [S5]):
the live values below are the ones loaded at the last reset, not what data flash holds now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from station.emulator import analog
from station.emulator.analog import Constants, FrontEnd
from station.emulator.dataflash import DataFlash
from station.emulator.firmware import Firmware, Identity
from station.emulator.pack import PackModel
from station.emulator.security import Security
from station.emulator.timing import TimingModel

#: ManufacturingStatus bits (ref §6.3).
PCHG_TEST, CHG_TEST, DSG_TEST = 1 << 0, 1 << 1, 1 << 2
GAUGE_EN, FET_EN, LF_EN, PF_EN, BBR_EN, FUSE_EN, LED_EN = (1 << b for b in range(3, 10))
LT_TEST, CAL_TEST = 1 << 14, 1 << 15
#: BatteryMode CAPM (bit 15): capacities in 10 mWh instead of mAh (ref §3.1).
CAPM = 1 << 15


@dataclass(frozen=True)
class LiveConfig:
    """Configuration the firmware loaded from data flash at its last reset."""

    cell_count: int
    design_capacity_mah: int
    design_capacity_cwh: int
    cuv_threshold_mv: int
    cov_threshold_mv: int
    otc_threshold_dc: int
    #: SBS Configuration [HPE]: answers to the host end with a PEC byte.
    host_pec: bool = False

    @classmethod
    def load(cls, fw: Firmware, df: DataFlash) -> LiveConfig:
        da = df.get_int(fw.param("da_configuration"))
        sbs_config = df.get_int(fw.param("sbs_configuration"))
        return cls(
            host_pec=bool(sbs_config >> fw.host_pec_bit & 1),
            # DA Configuration CC1:CC0: 00 = 1S ... 11 = 4S (ref §8.2).
            cell_count=(da & 0b11) + 1,
            design_capacity_mah=df.get_int(fw.param("design_capacity_mah")),
            design_capacity_cwh=df.get_int(fw.param("design_capacity_cwh")),
            cuv_threshold_mv=df.get_int(fw.param("cuv_threshold")),
            cov_threshold_mv=df.get_int(fw.param("cov_threshold")),
            otc_threshold_dc=df.get_int(fw.param("otc_threshold")),
        )


@dataclass
class Effects:
    """What one transaction did beyond its reply."""

    #: The whole device NACKs for this long after the transaction.
    busy_s: float = 0.0
    #: A MAC result is not readable for this long (signatures).
    result_delay_s: float = 0.0
    #: Persistent pack state changed (save it).
    changed: bool = False


@dataclass
class MacResponse:
    """The result the gauge holds for a block read of 0x44 (with echo) or 0x23 (without)."""

    code: int
    data: bytes
    ready_at: float = 0.0


@dataclass(frozen=True)
class RawOutput:
    """Calibration raw output under way (MAC 0xF081 or 0xF082) since ``started_at``."""

    mode: int
    started_at: float
    #: the rolling counter's tick count when this output started
    first_tick: int


class Chip:
    """Everything the emulated gauge holds, and its reset and seal behaviour."""

    def __init__(
        self,
        fw: Firmware,
        df: DataFlash,
        pack: PackModel,
        security: Security,
        *,
        timing: TimingModel,
        identity: Identity | None = None,
        reset_reseals: bool = False,
        front_end: FrontEnd | None = None,
    ) -> None:
        self.fw = fw
        self.identity = identity or fw.identity
        self.df = df
        self.pack = pack
        self.security = security
        self.timing = timing
        self.reset_reseals = reset_reseals
        self.safety_alert = 0
        self.safety_status = 0
        self.pf_alert = 0
        self.pf_status = 0
        self.at_rate = 0
        self.response: MacResponse | None = None
        #: Next data-flash address a 0x44 block read returns (set by an address-only write).
        self.df_pointer: int | None = None
        #: Ship mode: silent from this virtual time on.
        self.shutdown_at: float | None = None
        #: OperationStatus INIT is set until this virtual time.
        self.init_until = float("-inf")
        self.config = LiveConfig.load(fw, df)
        self.manufacturing_status = 0
        self.battery_mode = 0
        self.remaining_capacity_alarm = 0
        self.remaining_time_alarm = 0
        self.front_end = front_end or FrontEnd.exact(self.constants())
        self.raw_output: RawOutput | None = None
        #: frames the rolling counter has counted so far (ZZ is this modulo 256)
        self.raw_ticks = 0
        self._load_at_reset()
        self._power_up_calibration()

    # -- reset, seal, wake ---------------------------------------------------------------------

    def _load_at_reset(self) -> None:
        self.config = LiveConfig.load(self.fw, self.df)
        self.reload_manufacturing_status()
        self.battery_mode = self.df.get_int(self.fw.param("initial_battery_mode"))
        unit = "cwh" if self.battery_mode & CAPM else "mah"
        self.remaining_capacity_alarm = self.df.get_int(
            self.fw.param(f"remaining_capacity_alarm_{unit}")
        )
        self.remaining_time_alarm = self.df.get_int(self.fw.param("remaining_time_alarm"))

    def reload_manufacturing_status(self) -> None:
        """ManufacturingStatus is reloaded from Mfg Status Init at reset and seal (ref §6.3, §9)."""
        self.manufacturing_status = self.df.get_int(self.fw.param("mfg_status_init"))

    def _power_up_calibration(self) -> None:
        """CAL_EN comes up set when Mfg Status Init is 0x0000 (calibration reference §1.1), on a
        gauge that is not SEALED (sealed, every test feature is off: reference §1.1)."""
        if (
            self.manufacturing_status == 0
            and self.fw.calibration.cal_en_when_mfg_status_init_zero
            and self.security.mode != "SEALED"
        ):
            self.manufacturing_status |= CAL_TEST

    def device_reset(self, done_at: float) -> None:
        """MAC 0x0041 (or power-on): reload configuration; ``done_at`` is when it can talk again.

        Whether a reset re-seals an unsealed BQ40Z50 is UNCONFIRMED (ref §9): ``reset_reseals``.
        """
        self._load_at_reset()
        self._power_up_calibration()
        self.stop_raw_output(done_at)
        self.response = None
        self.df_pointer = None
        self.shutdown_at = None
        self.security.forget_first_word()
        if self.reset_reseals:
            self.security.seal()
        self.init_until = done_at + self.timing.init_s

    def seal(self, now: float = 0.0) -> None:
        self.security.seal()
        self.reload_manufacturing_status()
        self.manufacturing_status &= ~CAL_TEST
        self.stop_raw_output(now)
        self.response = None
        self.df_pointer = None

    def is_silent(self, now: float) -> bool:
        return self.shutdown_at is not None and now >= self.shutdown_at

    # -- derived protection state --------------------------------------------------------------

    def measured_safety(self) -> int:
        """Safety conditions the live measurements meet now (no delay or hysteresis modelled)."""
        bits = self.fw.safety_bits
        cells = self.pack.cell_readings(self.config.cell_count)[: self.config.cell_count]
        out = 0
        if cells and max(cells) >= self.config.cov_threshold_mv:
            out |= 1 << bits["COV"]
        if cells and min(cells) <= self.config.cuv_threshold_mv:
            out |= 1 << bits["CUV"]
        if round(self.pack.temperature_c * 10) >= self.config.otc_threshold_dc:
            out |= 1 << bits["OTC"]
        return out

    def effective_safety_status(self) -> int:
        return self.safety_status | self.measured_safety()

    def effective_safety_alert(self) -> int:
        return self.safety_alert | self.measured_safety()

    def charge_blocked(self) -> bool:
        return bool(self.pf_status) or bool(
            self.effective_safety_status() & self.fw.charge_blocking
        )

    def discharge_blocked(self) -> bool:
        return bool(self.pf_status) or bool(
            self.effective_safety_status() & self.fw.discharge_blocking
        )

    def fets(self) -> tuple[bool, bool, bool]:
        """(CHG, DSG, PCHG) FET states.

        With FET_EN the firmware drives them (off on a blocking condition, PF or ship mode);
        without it they stay off unless a FET test toggle turned one on (ref §5 0x001E-0x0020).
        """
        if self.pf_status or self.shutdown_at is not None:
            return (False, False, False)
        mfg = self.manufacturing_status
        if mfg & FET_EN:
            return (not self.charge_blocked(), not self.discharge_blocked(), False)
        return (bool(mfg & CHG_TEST), bool(mfg & DSG_TEST), bool(mfg & PCHG_TEST))

    # -- calibration: raw output and the readings the constants give -------------------------

    def constants(self) -> Constants:
        return Constants.read(self.fw.calibration, self.fw.layout, self.df)

    def _ticks_since(self, out: RawOutput, now: float) -> int:
        period = self.fw.calibration.frame_period_s
        return out.first_tick + max(0, math.floor((now - out.started_at) / period))

    def start_raw_output(self, mode: int, now: float) -> None:
        self.stop_raw_output(now)
        self.raw_output = RawOutput(mode, now, self.raw_ticks)

    def stop_raw_output(self, now: float) -> None:
        """F080, any other MAC, reset and seal stop the output; the counter keeps its count."""
        if self.raw_output is not None:
            self.raw_ticks = self._ticks_since(self.raw_output, now)
            self.raw_output = None

    def raw_frame(self, now: float) -> bytes | None:
        out = self.raw_output
        if out is None:
            return None
        tick = self._ticks_since(out, now)
        cells = self.pack.cell_readings(self.config.cell_count)
        chg, dsg, _ = self.fets()
        return analog.raw_frame(
            self.front_end,
            cells_mv=cells,
            pack_mv=sum(cells) if (chg or dsg) else 0,
            current_ma=self.pack.current_ma,
            mode=out.mode,
            tick=tick,
            counter=tick,
            noise=self.fw.calibration.noise_counts,
        )

    def reported_cells(self) -> list[int]:
        k = self.constants()
        cells = self.pack.cell_readings(self.config.cell_count)
        return [analog.cell_mv(self.front_end, k, mv) for mv in cells]

    def reported_current(self, true_ma: float) -> int:
        model = self.fw.calibration
        return analog.current_ma(self.front_end, self.constants(), true_ma, model.deadband_ma)

    def sensor_temperatures(self) -> list[int]:
        """Int, TS1..TS4 in 0.1 K as the gauge measures them now."""
        k = self.constants()
        true_dk = self.pack.temperature_dk()
        model = self.fw.calibration
        return [
            analog.sensor_dk(self.front_end, k, true_dk, s, model.open_thermistor_dk)
            for s in analog.SENSORS
        ]

    def reported_temperature(self) -> int:
        """Temperature(): the configured cell-temperature sensor, 0.1 K."""
        sensor = self.fw.calibration.cell_temperature_sensor
        return self.sensor_temperatures()[analog.SENSORS.index(sensor)]
