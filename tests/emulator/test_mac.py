"""ManufacturerAccess commands (ref §4, §5) through 0x00 and 0x44, and their per-mode access."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Make
from tests.emulator.raw import R, RawHost, W, nacks, pec_of

GAUGE_EN, FET_EN, LF_EN, PF_EN, BBR_EN, FUSE_EN, LED_EN = (1 << b for b in range(3, 10))


def mfg_status(h: RawHost) -> int:
    return int.from_bytes(h.mac_read(0x0057), "little")


def test_device_type_raw_frame_matches_the_field_trace(host: RawHost) -> None:
    host.write([0x44, 0x02, 0x01, 0x00])
    raw = host.read(0x44, 6)
    assert raw[:5] == bytes([0x04, 0x01, 0x00, 0x00, 0x45])  # ref §4.1 [S12]
    assert raw[5] == pec_of(W, 0x44, R, *raw[:5])


def test_mac_via_0x00_reads_from_0x23_without_echo_and_0x44_with(host: RawHost) -> None:
    host.mac(0x0006)
    assert host.read_block(0x23) == bytes([0x21, 0x01])
    assert host.read_block(0x44) == bytes([0x06, 0x00, 0x21, 0x01])  # ref §4.1 [S5]


def test_mac_via_0x44_can_be_read_from_0x23(host: RawHost) -> None:
    host.mac_block(0x0003)
    assert host.read_block(0x23) == bytes([0xA1, 0x00])


def test_identity(host: RawHost) -> None:
    assert host.mac_read(0x0001) == bytes([0x00, 0x45])
    assert host.mac_read(0x0002) == bytes.fromhex("4500010900160003850000")
    assert host.mac_read(0x0003) == bytes([0xA1, 0x00])
    assert host.mac_read(0x0006) == bytes([0x21, 0x01])


def test_wrong_device_reports_0x4600(make: Make) -> None:
    h = make("wrong-device")
    assert h.mac_read(0x0001) == bytes([0x00, 0x46])
    assert h.mac_read(0x0002)[:2] == bytes([0x46, 0x00])


@pytest.mark.parametrize("code", [0x0004, 0x0005, 0x0008, 0x0009])
def test_signature_result_not_ready_for_250_ms(host: RawHost, code: int) -> None:
    host.mac_block(code)
    nacks(lambda: host.read_block(0x44))
    host.clock.sleep(0.240)
    nacks(lambda: host.read_block(0x44))
    host.clock.sleep(0.011)
    body = host.read_block(0x44)
    assert body[:2] == code.to_bytes(2, "little")
    assert len(body) == 4


def signature(h: RawHost, code: int) -> int:
    h.mac_block(code)
    h.clock.sleep(0.251)
    return int.from_bytes(h.read_block(0x44)[2:], "little")


def test_static_signature_msb_tells_a_mismatch(unsealed: RawHost) -> None:
    dev = unsealed.dev
    first = signature(unsealed, 0x0005)
    assert first & 0x8000  # factory image stores 0: mismatch
    value = first & 0x7FFF
    stored = dev.df_address("static_df_signature")
    unsealed.df_write(stored, value.to_bytes(2, "little"))
    unsealed.wait_idle()
    assert signature(unsealed, 0x0005) == value  # matches: MSB clear
    # A dynamic parameter does not change the static signature, but does change the all-DF one.
    all_before = signature(unsealed, 0x0009) & 0x7FFF
    dev.df_set("Lifetimes:Time:Total Fw Runtime", 77)
    assert signature(unsealed, 0x0005) == value
    assert signature(unsealed, 0x0009) & 0x7FFF != all_before
    # A static parameter does.
    dev.df_set("Protections:OTC:Threshold", 560)
    assert signature(unsealed, 0x0005) == (signature(unsealed, 0x0005) & 0x7FFF) | 0x8000
    assert signature(unsealed, 0x0005) & 0x7FFF != value


def test_chemistry_signature_tracks_chemistry_rows(unsealed: RawHost) -> None:
    before = signature(unsealed, 0x0008) & 0x7FFF
    row = unsealed.dev.firmware.layout.in_groups(["Gas Gauging:CEDV Profile 1"])[0]
    unsealed.dev.df_poke(row.address, bytes([0x5A] * row.size))
    assert signature(unsealed, 0x0008) & 0x7FFF != before


def test_if_signature_is_stable(host: RawHost) -> None:
    assert signature(host, 0x0004) == signature(host, 0x0004) == 0x2C4B


@pytest.mark.parametrize("code", [0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056])
def test_status_macs_work_sealed(host: RawHost, code: int) -> None:
    assert len(host.mac_read(code)) == 4


def test_manufacturing_status_and_afe_macs(host: RawHost) -> None:
    # Mfg Status Init 0x0000 on a SEALED pack: no test feature, not even CAL_EN, is on.
    assert host.mac_read(0x0057) == bytes(2)
    assert len(host.mac_read(0x0058)) == 20


def test_operation_status_sealed(host: RawHost) -> None:
    op = host.operation_status()
    assert (op >> 8) & 0b11 == 0b11
    assert op & 1  # PRES
    assert not op & 0b110  # FET control off in the factory image: FETs off


def test_data_blocks_by_mac(host: RawHost) -> None:
    assert host.mac_read(0x0070) == b"abcdefghijklmnopqrstuvwzxy012345"
    host.mac_block(0x0071)
    body = host.read_block(0x44)
    assert len(body) == 34  # count 34 > 32 (ref §2.1)
    assert len(host.mac_read(0x0072)) == 14


def test_manufacturer_info_follows_its_length_byte(unsealed: RawHost) -> None:
    unsealed.dev.df_set("manufacturer_info_length", 5)
    assert unsealed.mac_read(0x0070) == b"abcde"
    assert unsealed.read_block(0x70) == b"abcde"


@pytest.mark.parametrize(
    "code",
    [0x0011, 0x0013, 0x001D, 0x001E, 0x0021, 0x0022, 0x0023, 0x0028, 0x0029, 0x002B, 0x0030],
)
def test_unsealed_only_macs_are_refused_sealed(host: RawHost, code: int) -> None:
    before = mfg_status(host)
    nacks(lambda: host.mac_block(code))  # through 0x44: NACK
    host.mac(code)  # through 0x00: acknowledged (could be a key word) and ignored
    nacks(lambda: host.read_block(0x44))  # nothing to read
    assert mfg_status(host) == before
    assert host.dev.security_mode == "SEALED"


def test_unknown_mac_and_unexpected_data_are_refused(full: RawHost) -> None:
    nacks(lambda: full.mac_block(0x0007))
    nacks(lambda: full.mac_block(0x0001, b"\x00"))
    nacks(lambda: full.mac_block(0x0035, b"\x01\x02\x03"))


@pytest.mark.parametrize("code", [0x0011, 0x0013, 0x001D, 0x002A, 0x002B, 0x002C, 0x002E])
def test_accepted_commands_without_a_model(unsealed: RawHost, code: int) -> None:
    before = mfg_status(unsealed)
    unsealed.mac_block(code)
    nacks(lambda: unsealed.read_block(0x44))  # command-only: nothing to read
    assert mfg_status(unsealed) == before


@pytest.mark.parametrize(
    ("code", "bit"),
    [
        (0x0023, LF_EN),
        (0x0024, PF_EN),
        (0x0025, BBR_EN),
        (0x0026, FUSE_EN),
        (0x0027, LED_EN),
        (0x002D, 1 << 15),
        (0x002F, 1 << 14),
    ],
)
def test_toggles_flip_manufacturing_status_only(unsealed: RawHost, code: int, bit: int) -> None:
    stored = unsealed.dev.df_get("mfg_status_init")
    start = mfg_status(unsealed)
    unsealed.mac_block(code)
    assert mfg_status(unsealed) == start ^ bit
    unsealed.mac(code)
    assert mfg_status(unsealed) == start
    assert unsealed.dev.df_get("mfg_status_init") == stored


@pytest.mark.parametrize(("code", "bit"), [(0x0021, GAUGE_EN), (0x0022, FET_EN)])
def test_gauging_and_fet_toggles_rewrite_mfg_status_init(
    unsealed: RawHost, code: int, bit: int
) -> None:
    unsealed.mac_block(code)
    unsealed.wait_idle()
    assert mfg_status(unsealed) & bit
    assert unsealed.dev.df_get("mfg_status_init") == bit  # ref §6.3 [S5b]
    unsealed.mac(code)
    unsealed.wait_idle()
    assert not mfg_status(unsealed) & bit
    assert unsealed.dev.df_get("mfg_status_init") == 0


def test_fet_control_drives_the_fets(unsealed: RawHost) -> None:
    assert not unsealed.operation_status() & 0b110
    unsealed.mac_block(0x0022)
    unsealed.wait_idle()
    assert unsealed.operation_status() & 0b110 == 0b110  # CHG and DSG on


def test_manual_fet_toggles_only_without_fet_control(unsealed: RawHost) -> None:
    unsealed.mac_block(0x001F)  # CHG FET
    assert unsealed.operation_status() & 0b110 == 0b100
    unsealed.mac_block(0x0020)  # DSG FET
    assert unsealed.operation_status() & 0b110 == 0b110
    unsealed.mac_block(0x001E)  # PCHG FET
    assert unsealed.operation_status() & 0b1000
    assert mfg_status(unsealed) & 0b111 == 0b111  # the *_TEST bits
    unsealed.mac_block(0x0022)  # firmware FET control on
    unsealed.wait_idle()
    unsealed.mac_block(0x001F)
    assert mfg_status(unsealed) & 0b111 == 0b111  # ignored now


def test_lifetime_data_reset(unsealed: RawHost) -> None:
    dev = unsealed.dev
    dev.df_set("Lifetimes:Voltage:Cell 1 Max Voltage", 4190)
    unsealed.mac_block(0x0028)
    assert dev.busy_until > unsealed.clock.monotonic()
    unsealed.wait_idle()
    assert dev.df_get("Lifetimes:Voltage:Cell 1 Max Voltage") == 0


def test_pf_data_reset_clears_pf(make: Make) -> None:
    h = make("pf")
    h.unseal(0x0414, 0x3672)
    assert h.operation_status() & (1 << 12)
    assert int.from_bytes(h.mac_read(0x0053), "little") == 1 << 1  # SOV
    h.mac_block(0x0029)
    h.wait_idle()
    assert int.from_bytes(h.mac_read(0x0053), "little") == 0
    assert not h.operation_status() & (1 << 12)


def test_pf_turns_fets_off_even_with_fet_control(make: Make) -> None:
    h = make("pf")
    h.dev.df_set("mfg_status_init", FET_EN)
    h.dev.wake()
    op = h.operation_status()
    assert not op & 0b110
    assert op & (1 << 13)
    assert op & (1 << 14)


def test_safety_status_blocks_charge_only(make: Make) -> None:
    h = make("safety")
    h.dev.df_set("mfg_status_init", FET_EN)
    h.dev.wake()
    op = h.operation_status()
    assert op & (1 << 11)  # SS
    assert op & 0b110 == 0b010  # DSG on, CHG off
    assert int.from_bytes(h.mac_read(0x0051), "little") == 1 << 1  # COV


def test_measured_conditions_show_in_safety_status(make: Make) -> None:
    h = make("hot")
    assert int.from_bytes(h.mac_read(0x0051), "little") & (1 << 12)  # OTC at 55.0 °C
    h.dev.pack.temperature_c = 40.0
    assert int.from_bytes(h.mac_read(0x0051), "little") == 0
