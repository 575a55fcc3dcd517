"""The emulated firmware's data files: identity as agreed, a layout that loads and fits."""

from __future__ import annotations

from collections import Counter

from station.emulator import load_firmware
from station.emulator.dataflash import decode_value, encode_value


def test_identity_is_the_agreed_one() -> None:
    ident = load_firmware().identity
    assert ident.address == 0x0B
    assert ident.device_type == 0x4500
    assert ident.firmware_version == bytes.fromhex("45 00 01 09 00 16 00 03 85 00 00")
    assert (ident.hardware_version, ident.chem_id) == (0x00A1, 0x0121)


def test_layout_rows_fit_the_writable_flash_and_carry_sources() -> None:
    fw = load_firmware()
    assert len(fw.layout) == 538
    for p in fw.layout:
        assert fw.df_start <= p.address
        assert p.address + p.size <= fw.read_only_from
        assert p.source
        assert not p.verified
        assert p.decode(p.default_bytes()) is not None


def test_only_the_known_rows_share_bytes() -> None:
    owners: Counter[int] = Counter()
    for p in load_firmware().layout:
        owners.update(range(p.address, p.address + p.size))
    assert sorted(a for a, n in owners.items() if n > 1) == [0x4580, 0x4581]


def test_agreed_addresses_and_defaults() -> None:
    fw = load_firmware()
    df = fw.default_flash()
    expected = {
        "mfg_status_init": (0x4580, 0x0000),
        "da_configuration": (0x457B, 0x12),
        "design_capacity_mah": (0x444D, 4400),
        "design_voltage": (0x4451, 14400),
        "manufacture_date": (0x406C, 0),
        "serial_number": (0x406E, 0x0001),
        "device_name": (0x4085, "BQ40Z50"),
        "otc_threshold": (0x44B5, 550),
        "static_df_signature": (0x4066, 0),
    }
    for role, (address, default) in expected.items():
        p = fw.param(role)
        assert (p.address, df.get(p)) == (address, default), role
    assert fw.layout["Settings:Manufacturing:Mfg Status Init"].address == 0x4580
    assert not [p for p in fw.layout if p.address == 0x4340]


def test_value_encoding() -> None:
    assert encode_value("I2", -6000) == (-6000).to_bytes(2, "little", signed=True)
    assert encode_value("S5", "LION") == b"\x04LION"
    assert encode_value("S21", "BQ") == b"\x02BQ" + bytes(18)
    assert decode_value("H2", b"\x38\x02") == 0x0238
    assert abs(float(decode_value("F4", encode_value("F4", 3.58422))) - 3.58422) < 1e-6
