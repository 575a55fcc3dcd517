from hypothesis import given
from hypothesis import strategies as st

from station.pec import crc8, read_address, write_address


def bitwise_crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def test_catalogue_check_value() -> None:
    # CRC-8/SMBUS check value from the CRC catalogue: crc("123456789") == 0xF4
    assert crc8(b"123456789") == 0xF4


def test_empty_and_single_bytes() -> None:
    assert crc8(b"") == 0
    assert crc8(b"\x00") == 0
    assert crc8(b"\x01") == 0x07
    assert crc8(b"\x80") == 0x89


def test_smbus_address_bytes() -> None:
    assert write_address(0x0B) == 0x16
    assert read_address(0x0B) == 0x17


def test_continuation_equals_whole() -> None:
    assert crc8(b"6789", crc8(b"12345")) == crc8(b"123456789")


def test_appending_the_pec_gives_zero() -> None:
    frame = bytes([0x16, 0x44, 0x02, 0x01, 0x00])
    assert crc8(frame + bytes([crc8(frame)])) == 0


@given(st.binary(max_size=64))
def test_table_matches_bitwise_definition(data: bytes) -> None:
    assert crc8(data) == bitwise_crc8(data)
