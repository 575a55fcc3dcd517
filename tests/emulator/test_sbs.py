"""SBS commands (ref §3) read through raw transactions, against the pack model and data flash."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Make
from tests.emulator.raw import RawHost, nacks


def test_measurements_follow_the_pack(host: RawHost) -> None:
    pack = host.dev.pack
    pack.cell_mv = [3650, 3660, 3670, 3680]
    pack.temperature_c = 31.4
    pack.current_ma = -1234
    pack.average_current_ma = -1000
    assert host.read_word(0x08) == 314 + 2731  # 0.1 K
    assert host.read_word(0x09) == 3650 + 3660 + 3670  # DA Configuration 3S: cell 4 not counted
    assert host.read_signed(0x0A) == -1234
    assert host.read_signed(0x0B) == -1000
    assert [host.read_word(c) for c in (0x3F, 0x3E, 0x3D, 0x3C)] == [3650, 3660, 3670, 0]


def test_temperature_of_55_c_is_3281(make: Make) -> None:
    assert make("hot").read_word(0x08) == 3281


def test_charge_and_capacities(host: RawHost) -> None:
    pack = host.dev.pack
    pack.remaining_mah, pack.full_charge_mah = 1100, 4000
    assert host.read_word(0x0C) == 1  # MaxError
    assert host.read_word(0x0D) == round(100 * 1100 / 4000)
    assert host.read_word(0x0E) == 25  # of the 4400 mAh design capacity
    assert host.read_word(0x0F) == 1100
    assert host.read_word(0x10) == 4000
    assert host.read_word(0x4F) == round(100 * 4000 / 4400)


def test_capm_switches_capacities_to_10_mwh(host: RawHost) -> None:
    assert host.read_word(0x18) == 4400
    host.write_word(0x03, host.read_word(0x03) | 0x8000)
    assert host.read_word(0x18) == host.dev.df_get("design_capacity_cwh") == 6336
    assert host.read_word(0x0F) == 2200 * 14400 // 10_000


def test_times(host: RawHost) -> None:
    pack = host.dev.pack
    assert host.read_word(0x11) == 0xFFFF  # idle: not applicable
    assert host.read_word(0x13) == 0xFFFF
    pack.current_ma = pack.average_current_ma = -2200
    assert host.read_word(0x11) == 60
    assert host.read_word(0x12) == 60
    pack.average_current_ma = 1100
    assert host.read_word(0x13) == 120


def test_at_rate_registers(host: RawHost) -> None:
    host.write_word(0x04, (-1100) & 0xFFFF)
    assert host.read_signed(0x04) == -1100
    assert host.read_word(0x06) == 120
    assert host.read_word(0x05) == 0xFFFF
    assert host.read_word(0x07) == 1


def test_alarm_registers_start_from_data_flash(host: RawHost) -> None:
    assert host.read_word(0x01) == host.dev.df_get("remaining_capacity_alarm_mah") == 300
    assert host.read_word(0x02) == host.dev.df_get("remaining_time_alarm") == 10
    assert host.read_word(0x03) == host.dev.df_get("initial_battery_mode") == 0x0081


def test_alarm_registers_are_read_write(host: RawHost) -> None:
    host.write_word(0x01, 500)
    host.write_word(0x02, 15)
    assert (host.read_word(0x01), host.read_word(0x02)) == (500, 15)


def test_battery_status_bits(host: RawHost) -> None:
    status = host.read_word(0x16)
    assert status & 0x0080  # INIT
    assert status & 0x0040  # DSG: not charging
    assert not status & 0x0020  # not full
    host.dev.pack.remaining_mah = host.dev.pack.full_charge_mah
    assert host.read_word(0x16) & 0x0020  # FC
    host.dev.pack.current_ma = 500
    assert not host.read_word(0x16) & 0x0040
    assert not host.read_word(0x16) & 0x0200
    host.dev.pack.remaining_mah = 299
    assert host.read_word(0x16) & 0x0200  # RCA: below RemainingCapacityAlarm


def test_battery_status_over_temperature(make: Make) -> None:
    assert make("hot").read_word(0x16) & 0x1000  # OTA


def test_charging_current_and_voltage(host: RawHost, make: Make) -> None:
    assert host.read_word(0x15) == 4200 * 3
    assert host.read_word(0x14) == host.dev.df_get("charging_current")
    assert make("safety").read_word(0x14) == 0  # COV stops charging


def test_words_from_data_flash(unsealed: RawHost) -> None:
    dev = unsealed.dev
    assert unsealed.read_word(0x17) == 0
    assert unsealed.read_word(0x19) == 14400
    assert unsealed.read_word(0x1A) == 0x0031
    dev.df_set("manufacture_date", (2024 - 1980) * 512 + 5 * 32 + 17)
    dev.df_set("serial_number", 0xBEEF)
    dev.df_set("cycle_count", 12)
    assert unsealed.read_word(0x1B) == (2024 - 1980) * 512 + 5 * 32 + 17
    assert unsealed.read_word(0x1C) == 0xBEEF
    assert unsealed.read_word(0x17) == 12


def test_names_are_blocks_from_data_flash(host: RawHost) -> None:
    assert host.read_block(0x20) == b"Texas Instruments"
    assert host.read_block(0x21) == b"BQ40Z50"
    assert host.read_block(0x22) == b"LION"
    host.dev.df_set("device_name", "PACK-7")
    assert host.read_block(0x21) == b"PACK-7"


def test_manufacturer_info_block(host: RawHost) -> None:
    assert host.read_block(0x70) == b"abcdefghijklmnopqrstuvwzxy012345"


@pytest.mark.parametrize("cmd", [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x71, 0x72])
def test_status_blocks_refused_while_sealed(host: RawHost, cmd: int) -> None:
    nacks(lambda: host.read_block(cmd))


def test_status_blocks_when_unsealed(unsealed: RawHost) -> None:
    for cmd in (0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56):
        assert len(unsealed.read_block(cmd)) == 4
    assert len(unsealed.read_block(0x57)) == 2
    assert len(unsealed.read_block(0x58)) == 20
    op = int.from_bytes(unsealed.read_block(0x54), "little")
    assert (op >> 8) & 0b11 == 0b10


def test_da_status_blocks(unsealed: RawHost) -> None:
    pack = unsealed.dev.pack
    pack.current_ma = -1000
    d1 = unsealed.read_block(0x71)
    assert len(d1) == 32
    words = [int.from_bytes(d1[i : i + 2], "little", signed=True) for i in range(0, 32, 2)]
    assert words[:4] == [3702, 3699, 3701, 0]
    assert words[4] == 3702 + 3699 + 3701  # BAT
    assert words[6:10] == [-1000, -1000, -1000, 0]
    d2 = unsealed.read_block(0x72)
    assert len(d2) == 14
    assert int.from_bytes(d2[:2], "little") == 2981


def test_fewer_cells_than_configured_reads_near_zero(make: Make) -> None:
    h = make("3-cells", state_path=None)
    h.dev.df_set("da_configuration", 0x13)
    h.dev.wake()  # a power-on reset loads the 4S configuration
    cells = [h.read_word(c) for c in (0x3F, 0x3E, 0x3D, 0x3C)]
    assert cells[:3] == [3702, 3699, 3701]
    assert 0 < cells[3] < 50
    assert h.read_word(0x09) == sum(cells)
