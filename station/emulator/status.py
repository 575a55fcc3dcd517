"""Status words and measurement blocks computed from the chip and the pack (ref §3, §6.2)."""

from __future__ import annotations

from station.emulator.analog import SHORTED, bat_pin_mv, pack_pin_mv
from station.emulator.chip import CAPM, Chip
from station.emulator.security import SEC_BITS

NOT_AVAILABLE = 0xFFFF  # SBS "time not applicable" (ref §3.1, 0x12)

# OperationStatus bits (ref §6.2).
OP_PRES, OP_DSG, OP_CHG, OP_PCHG = 1 << 0, 1 << 1, 1 << 2, 1 << 3
OP_SS, OP_PF, OP_XDSG, OP_XCHG = 1 << 11, 1 << 12, 1 << 13, 1 << 14
OP_SDM, OP_XL, OP_INIT = 1 << 16, 1 << 22, 1 << 24
OP_CAL, OP_CAL_OFFSET = 1 << 20, 1 << 21

# BatteryStatus bits (ref §3.1, 0x16).
BS_TCA, BS_OTA, BS_TDA, BS_RCA = 1 << 14, 1 << 12, 1 << 11, 1 << 9
BS_INIT, BS_DSG, BS_FC, BS_FD = 1 << 7, 1 << 6, 1 << 5, 1 << 4


def operation_status(chip: Chip, now: float) -> int:
    chg, dsg, pchg = chip.fets()
    # PRES: the pack sits in a fixture that presents a system (as in the BQ4050 example of ref
    # §4.1, 0x00000387).
    word = OP_PRES | (SEC_BITS[chip.security.mode] << 8)
    word |= (OP_CHG if chg else 0) | (OP_DSG if dsg else 0) | (OP_PCHG if pchg else 0)
    if chip.effective_safety_status():
        word |= OP_SS
    if chip.pf_status:
        word |= OP_PF
    if chip.discharge_blocked():
        word |= OP_XDSG
    if chip.charge_blocked():
        word |= OP_XCHG
    if chip.shutdown_at is not None:
        word |= OP_SDM
    if chip.timing.speed_hz > 100_000:
        word |= OP_XL
    if now < chip.init_until:
        word |= OP_INIT
    if chip.raw_output is not None:
        word |= OP_CAL | (OP_CAL_OFFSET if chip.raw_output.mode == SHORTED else 0)
    return word


def battery_status(chip: Chip, now: float) -> int:
    pack = chip.pack
    safety = chip.effective_safety_status()
    bits = chip.fw.safety_bits
    over_temp = (1 << bits["OTC"]) | (1 << bits["OTD"]) | (1 << bits["OTF"])
    rsoc = pack.rsoc()
    word = 0 if now < chip.init_until else BS_INIT
    if pack.current_ma <= 0:
        word |= BS_DSG
    if rsoc >= 100:
        word |= BS_FC | BS_TCA
    if rsoc <= 0:
        word |= BS_FD | BS_TDA
    if chip.charge_blocked():
        word |= BS_TCA
    if chip.discharge_blocked():
        word |= BS_TDA
    if safety & over_temp:
        word |= BS_OTA
    if capacity(chip, pack.remaining_mah) < chip.remaining_capacity_alarm:
        word |= BS_RCA
    return word


def capacity(chip: Chip, mah: int) -> int:
    """A capacity in the unit BatteryMode CAPM selects: mAh, or 10 mWh at the design voltage."""
    if chip.battery_mode & CAPM:
        design_mv = chip.df.get_int(chip.fw.param("design_voltage"))
        return mah * design_mv // 10_000
    return mah


def design_capacity(chip: Chip) -> int:
    cfg = chip.config
    return cfg.design_capacity_cwh if chip.battery_mode & CAPM else cfg.design_capacity_mah


def minutes(mah: int, ma: int) -> int:
    """Minutes to move ``mah`` at ``ma`` (positive), or 65535 when not applicable."""
    if ma <= 0:
        return NOT_AVAILABLE
    return min(mah * 60 // ma, NOT_AVAILABLE - 1)


def _i16(value: int) -> bytes:
    clamped = max(-32768, min(32767, value))
    return clamped.to_bytes(2, "little", signed=True)


def da_status1(chip: Chip) -> bytes:
    """DAStatus1 (32 bytes): cells 1-4, BAT, PACK, cell currents 1-4, cell powers 1-4,
    power, average power (mV, mA, cW; ref §3.2)."""
    pack = chip.pack
    true_bat = pack.voltage_mv(chip.config.cell_count)
    cells = chip.reported_cells()
    k = chip.constants()
    bat = bat_pin_mv(chip.front_end, k, true_bat)
    chg, dsg, _ = chip.fets()
    pack_mv = pack_pin_mv(chip.front_end, k, true_bat) if (chg or dsg) else 0
    current = chip.reported_current(pack.current_ma)
    average = chip.reported_current(pack.average_current_ma)
    out = b"".join(_i16(mv) for mv in cells) + _i16(bat) + _i16(pack_mv)
    out += b"".join(_i16(current if mv else 0) for mv in cells)
    out += b"".join(_i16(mv * current // 100_000) for mv in cells)
    out += _i16(bat * current // 100_000) + _i16(bat * average // 100_000)
    return out


def da_status2(chip: Chip) -> bytes:
    """DAStatus2 (14 bytes): internal, TS1-TS4, cell and FET temperatures in 0.1 K; the cell
    temperature is the configured cell sensor's, the FET temperature the internal sensor's."""
    sensors = chip.sensor_temperatures()
    words = [*sensors, chip.reported_temperature(), sensors[0]]
    return b"".join(_i16(w) for w in words)


def status_block(chip: Chip, code: int, now: float) -> bytes:
    """The status blocks 0x50-0x58, also MAC 0x0050-0x0058 (ref §3.2, §5).

    ChargingStatus and GaugingStatus are not modelled and read 0.
    """
    words = {
        0x50: chip.effective_safety_alert(),
        0x51: chip.effective_safety_status(),
        0x52: chip.pf_alert,
        0x53: chip.pf_status,
        0x54: operation_status(chip, now),
        0x55: 0,
        0x56: 0,
    }
    if code in words:
        return words[code].to_bytes(4, "little")
    if code == 0x57:
        return chip.manufacturing_status.to_bytes(2, "little")
    if code == 0x58:
        return bytes(20)  # AFERegister: the AFE is not modelled
    raise ValueError(f"0x{code:02X} is not a status block")
