"""The SBS and MAC tables, status decoders and identity parsers: the facts the reference gives."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.gauge import (
    DataFlashRangeError,
    DataFlashRegion,
    GaugeTimings,
    ImplausibleValueError,
    MacKind,
    SecurityMode,
    ShortBlockError,
    mac_command,
    parse_mac,
    sbs_command,
)
from station.gauge.identity import DfSignature, parse_firmware_version
from station.gauge.mac import MAC_COMMANDS
from station.gauge.sbs import CELL_VOLTAGE_CODES, SbsProtocol, decode_block, decode_word
from station.gauge.status import (
    battery_status,
    decode_status,
    manufacturing_status,
    operation_status,
)

# -- SBS -----------------------------------------------------------------------------------------


def test_temperature_is_tenths_of_a_kelvin_shown_in_celsius() -> None:
    value = decode_word(sbs_command("Temperature"), 3281)  # 55 °C, reference §0 (d)
    assert value.raw == 3281
    assert value.value == pytest.approx(54.95, abs=0.01)
    assert value.unit == "°C"
    assert sbs_command(0x08).name == "Temperature"


def test_cell_voltage_codes_run_backwards() -> None:
    assert [sbs_command(c).name for c in CELL_VOLTAGE_CODES] == [
        "CellVoltage1",
        "CellVoltage2",
        "CellVoltage3",
        "CellVoltage4",
    ]
    assert sbs_command("cellvoltage1").code == 0x3F
    assert sbs_command("CellVoltage4").code == 0x3C


def test_status_codes_are_blocks_and_0x56_is_gauging_status() -> None:
    assert sbs_command(0x56).name == "GaugingStatus"
    assert sbs_command(0x57).name == "ManufacturingStatus"
    for code in range(0x50, 0x58):
        command = sbs_command(code)
        assert command.protocol is SbsProtocol.BLOCK
        assert command.access.modes_for("r") == (SecurityMode.FULL_ACCESS, SecurityMode.UNSEALED)


def test_current_is_signed() -> None:
    assert decode_word(sbs_command("Current"), 0xFC18).value == -1000
    assert decode_word(sbs_command("Current"), 1500).value == 1500


@given(st.integers(0, 0xFFFF))
def test_signed_words_round_trip(raw: int) -> None:
    value = decode_word(sbs_command("AverageCurrent"), raw).value
    assert isinstance(value, int)
    assert value & 0xFFFF == raw
    assert -0x8000 <= value < 0x8000


@pytest.mark.parametrize(
    ("name", "raw"),
    [("CellVoltage1", 65535), ("Temperature", 0), ("Temperature", 4300), ("Voltage", 65535)],
)
def test_impossible_values_are_refused_by_name(name: str, raw: int) -> None:
    with pytest.raises(ImplausibleValueError) as err:
        decode_word(sbs_command(name), raw)
    assert name in str(err.value)
    assert err.value.failure_code == "GAUGE_IMPLAUSIBLE_VALUE"


def test_short_status_block_is_refused() -> None:
    with pytest.raises(ShortBlockError):
        decode_block(sbs_command("OperationStatus"), b"\x01\x02")


def test_strings_decode_as_ascii() -> None:
    assert decode_block(sbs_command("DeviceName"), b"BQ40Z50\x00\x00").value == "BQ40Z50"


def test_unknown_sbs_names_are_refused() -> None:
    with pytest.raises(KeyError, match="not an SBS command"):
        sbs_command("NoSuchThing")


# -- MAC -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DeviceType", 0x0001),
        ("gauging", 0x0021),
        ("FETControl", 0x0022),
        ("Reset", 0x0041),
        ("DeviceReset", 0x0041),
        ("Shutdown", 0x0010),
        ("Seal", 0x0030),
        ("0x0054", 0x0054),
        ("87", 0x0057),
    ],
)
def test_mac_names_aliases_and_codes(text: str, code: int) -> None:
    assert parse_mac(text).code == code


def test_toggles_are_not_retried_and_change_the_pack() -> None:
    for name in ("FETControl", "Gauging", "CHGFETToggle", "DSGFETToggle"):
        command = mac_command(name)
        assert command.toggle
        assert not command.retry_safe
        assert command.changes_pack
    assert not mac_command("DeviceReset").retry_safe
    assert not mac_command("Shutdown").retry_safe
    assert mac_command("Seal").retry_safe
    assert not mac_command("DeviceType").changes_pack


def test_signatures_need_a_wait() -> None:
    waits = {c.code for c in MAC_COMMANDS.values() if c.needs_wait}
    assert waits == {0x0004, 0x0005, 0x0008, 0x0009}


def test_mac_access_per_mode() -> None:
    fet = mac_command("FETControl")
    assert not fet.access.allows(SecurityMode.SEALED, "w")
    assert fet.access.allows(SecurityMode.UNSEALED, "w")
    assert mac_command("DeviceReset").access.everywhere("w")
    keys = mac_command(0x0035)
    assert keys.kind is MacKind.WRITE
    assert keys.access.modes_for("w") == (SecurityMode.FULL_ACCESS,)


def test_rom_mode_is_not_in_the_table() -> None:
    with pytest.raises(KeyError):
        mac_command(0x0F00)


# -- status words --------------------------------------------------------------------------------


def test_operation_status_example_from_the_field_is_sealed() -> None:
    status = operation_status(0x00000387)  # [S32]: 06 54 00 87 03 00 00
    assert status.security_mode is SecurityMode.SEALED
    assert status.flags == ("PRES", "DSG", "CHG", "BTP_INT")
    assert "SEC=SEALED" in status.describe()


@given(st.integers(0, 0xFFFFFFFF))
def test_operation_status_flags_match_bits(raw: int) -> None:
    status = operation_status(raw)
    assert ("DSG" in status.flags) == bool(raw & 2)
    assert ("PF" in status.flags) == bool(raw >> 12 & 1)
    sec = raw >> 8 & 3
    assert status.security_mode == (SecurityMode(sec) if sec else None)


def test_manufacturing_status_names() -> None:
    status = manufacturing_status(0x0238)  # GAUGE_EN | FET_EN | LF_EN | LED_EN [S5b]
    assert status.flags == ("GAUGE_EN", "FET_EN", "LF_EN", "LED_EN")
    assert status.is_set("FET_EN")
    assert not status.is_set("PF_EN")


def test_unknown_bits_show_by_position() -> None:
    assert decode_status("SafetyStatus", 1 << 31).flags == ("bit31",)
    assert decode_status("PFStatus", 1).flags == ("SUV",)


def test_battery_status_error_code() -> None:
    status = battery_status(0x00C4)
    assert status.error == "Access Denied"
    assert status.flags == ("DSG", "INIT")


# -- identity ------------------------------------------------------------------------------------


def test_firmware_version_of_the_emulated_gauge() -> None:
    fw = parse_firmware_version(bytes.fromhex("4500 0109 0016 00 0385 0000"))
    assert fw.device_number == 0x4500
    assert fw.version == "1.09"
    assert fw.build == 22
    assert fw.firmware_type == 0
    assert fw.it_version == 0x0385


def test_firmware_version_of_an_r4_part() -> None:
    fw = parse_firmware_version(bytes.fromhex("45 00 04 02 00 4F 04 04 75 02 00"))  # [S13]
    assert fw.version == "4.02"
    assert fw.build == 0x4F


def test_signature_msb_flags_a_mismatch() -> None:
    assert DfSignature(0x9234).mismatch
    assert DfSignature(0x9234).value == 0x1234
    assert not DfSignature(0x1234).mismatch


# -- data-flash geometry and timings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "length"),
    [(0x3FFF, 1), (0x5F80, 1), (0x5F7F, 2), (0x4000, 0), (0x4000, 33), (0x6000, 1)],
)
def test_df_write_range_refusals(address: int, length: int) -> None:
    with pytest.raises(DataFlashRangeError) as err:
        DataFlashRegion().check_write(address, length)
    assert err.value.failure_code == "DF_RANGE"


def test_df_write_range_edges_accepted() -> None:
    DataFlashRegion().check_write(0x4000, 32)
    DataFlashRegion().check_write(0x5F7F, 1)
    DataFlashRegion().check_write(0x5F60, 32)


def test_df_read_range() -> None:
    DataFlashRegion().check_read(0x4000, 0x2000)
    with pytest.raises(DataFlashRangeError):
        DataFlashRegion().check_read(0x5FFF, 2)


def test_timings_are_data_with_checked_overrides() -> None:
    t = GaugeTimings().with_overrides(reset_min_wait_s=0.5)
    assert t.reset_min_wait_s == 0.5
    with pytest.raises(ValueError, match="unknown gauge timing"):
        GaugeTimings().with_overrides(reset_wait=1)
    with pytest.raises(ValueError, match="negative"):
        GaugeTimings(flash_poll_s=-1)


def test_bit_fields_show_in_hex_and_records_stay_bytes() -> None:
    assert str(decode_word(sbs_command("BatteryStatus"), 0x00C0)) == "0x00C0"
    assert str(decode_block(sbs_command("OperationStatus"), bytes([1, 3, 0, 0]))) == "0x00000301"
    info = decode_block(sbs_command("ManufacturerInfo"), b"abc")
    assert info.value == b"abc"
    assert str(info) == "61 62 63"
    assert str(decode_word(sbs_command("Voltage"), 11100)) == "11100 mV"
