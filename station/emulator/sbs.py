"""SBS commands 0x00-0x7F (ref §3): what a read returns and what a write does.

Word reads return 2 bytes LE; block reads return ``[count][data]``. A command the gauge does not
offer, or does not offer in the current security mode, is refused (NACK), as are writes to
read-only commands.
"""

from __future__ import annotations

from collections.abc import Callable

from station.emulator import mac, status
from station.emulator.chip import Chip, Effects
from station.emulator.security import SecurityMode

WordRead = Callable[[Chip, float], int]

OPEN: frozenset[SecurityMode] = frozenset({"UNSEALED", "FULL_ACCESS"})
ALL: frozenset[SecurityMode] = frozenset({"SEALED", "UNSEALED", "FULL_ACCESS"})


def _df(role: str) -> WordRead:
    return lambda chip, now: chip.df.get_int(chip.fw.param(role))


def _cell(position: int) -> WordRead:
    return lambda chip, now: chip.reported_cells()[position - 1]


def _full(chip: Chip, now: float) -> int:
    return status.capacity(chip, chip.pack.full_charge_mah)


def _asoc(chip: Chip, now: float) -> int:
    design = chip.config.design_capacity_mah
    return min(100, round(100 * chip.pack.remaining_mah / design)) if design > 0 else 0


def _soh(chip: Chip, now: float) -> int:
    design = chip.config.design_capacity_mah
    return min(100, round(100 * chip.pack.full_charge_mah / design)) if design > 0 else 0


def _charging_current(chip: Chip, now: float) -> int:
    if chip.charge_blocked() or chip.pack.rsoc() >= 100:
        return 0
    return chip.df.get_int(chip.fw.param("charging_current"))


def _charging_voltage(chip: Chip, now: float) -> int:
    if chip.charge_blocked():
        return 0
    return chip.df.get_int(chip.fw.param("charging_voltage")) * chip.config.cell_count


def _time_to_empty(current: Callable[[Chip], int]) -> WordRead:
    return lambda chip, now: status.minutes(chip.pack.remaining_mah, -current(chip))


def _time_to_full(chip: Chip, now: float) -> int:
    pack = chip.pack
    return status.minutes(pack.full_charge_mah - pack.remaining_mah, pack.average_current_ma)


WORD_READS: dict[int, WordRead] = {
    0x01: lambda chip, now: chip.remaining_capacity_alarm,
    0x02: lambda chip, now: chip.remaining_time_alarm,
    0x03: lambda chip, now: chip.battery_mode,
    0x04: lambda chip, now: chip.at_rate,
    0x05: lambda chip, now: status.minutes(
        chip.pack.full_charge_mah - chip.pack.remaining_mah, chip.at_rate
    ),
    0x06: lambda chip, now: status.minutes(chip.pack.remaining_mah, -chip.at_rate),
    0x07: lambda chip, now: 1,
    0x08: lambda chip, now: chip.reported_temperature(),
    0x09: lambda chip, now: sum(chip.reported_cells()),
    0x0A: lambda chip, now: chip.reported_current(chip.pack.current_ma),
    0x0B: lambda chip, now: chip.reported_current(chip.pack.average_current_ma),
    0x0C: lambda chip, now: 1,
    0x0D: lambda chip, now: chip.pack.rsoc(),
    0x0E: _asoc,
    0x0F: lambda chip, now: status.capacity(chip, chip.pack.remaining_mah),
    0x10: _full,
    0x11: _time_to_empty(lambda chip: chip.pack.current_ma),
    0x12: _time_to_empty(lambda chip: chip.pack.average_current_ma),
    0x13: _time_to_full,
    0x14: _charging_current,
    0x15: _charging_voltage,
    0x16: status.battery_status,
    0x17: _df("cycle_count"),
    0x18: lambda chip, now: status.design_capacity(chip),
    0x19: _df("design_voltage"),
    0x1A: _df("specification_information"),
    0x1B: _df("manufacture_date"),
    0x1C: _df("serial_number"),
    0x3C: _cell(4),
    0x3D: _cell(3),
    0x3E: _cell(2),
    0x3F: _cell(1),
    0x4F: _soh,
}

#: Commands written as words: 0x00 ManufacturerAccess and the rw SBS registers (ref §3.1).
WORD_WRITES = frozenset({0x00, 0x01, 0x02, 0x03, 0x04})


BlockRead = Callable[[Chip, float], bytes]


def _string(role: str) -> BlockRead:
    return lambda chip, now: chip.df.get_str(chip.fw.param(role)).encode("ascii", "replace")


def _status_block(code: int) -> BlockRead:
    return lambda chip, now: status.status_block(chip, code, now)


#: Block reads with their access (SE/US/FA, ref §3.2); the data without the count byte.
BLOCK_READS: dict[int, tuple[frozenset[SecurityMode], BlockRead]] = {
    0x20: (ALL, _string("manufacturer_name")),
    0x21: (ALL, _string("device_name")),
    0x22: (ALL, _string("device_chemistry")),
    **{code: (OPEN, _status_block(code)) for code in range(0x50, 0x59)},
    0x70: (ALL, lambda chip, now: mac.manufacturer_info(chip)),
    0x71: (OPEN, lambda chip, now: status.da_status1(chip)),
    0x72: (OPEN, lambda chip, now: status.da_status2(chip)),
}

#: Commands carried as SMBus blocks (decides how a write's length is read).
BLOCK_COMMANDS = frozenset({*BLOCK_READS, 0x23, 0x44})


def read(chip: Chip, cmd: int, now: float) -> bytes | None:
    """The bytes a read of ``cmd`` returns before the PEC byte; None = NACK."""
    if cmd in WORD_READS:
        return (WORD_READS[cmd](chip, now) & 0xFFFF).to_bytes(2, "little")
    if cmd == 0x44:
        return mac.read_result(chip, now, echo=True)
    if cmd == 0x23:
        return mac.read_result(chip, now, echo=False)
    if cmd in BLOCK_READS:
        access, fetch = BLOCK_READS[cmd]
        if chip.security.mode not in access:
            return None
        data = fetch(chip, now)
        return bytes([len(data)]) + data
    return None


def write_word(chip: Chip, cmd: int, value: int, now: float, index: int, fx: Effects) -> bool:
    """A Write Word; ``index`` is the transaction index (key entry needs it). False = NACK."""
    if cmd == 0x00:
        unlocked = chip.security.word(
            value, now=now, index=index, window_s=chip.timing.key_window_s
        )
        if unlocked:
            fx.changed = True
        else:
            mac.write_word(chip, value, now, fx)
        return True
    if cmd not in WORD_WRITES:
        return False
    if cmd == 0x01:
        chip.remaining_capacity_alarm = value
    elif cmd == 0x02:
        chip.remaining_time_alarm = value
    elif cmd == 0x03:
        chip.battery_mode = value
    else:
        chip.at_rate = value - 0x10000 if value & 0x8000 else value
    fx.changed = True
    return True
