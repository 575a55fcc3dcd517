"""SMBus framing: PEC on reads and writes, padding, addresses, malformed transactions."""

from __future__ import annotations

import errno

from smbus2 import i2c_msg

from tests.emulator.conftest import Make
from tests.emulator.raw import ADDR, R, RawHost, W, nacks, pec_of


def test_word_read_sends_data_then_pec_then_ff(host: RawHost) -> None:
    raw = host.read(0x09, 6)
    volts = raw[0] | raw[1] << 8
    assert volts == sum(host.dev.pack.cell_readings(3))
    assert raw[2] == pec_of(W, 0x09, R, raw[0], raw[1])
    assert raw[3:] == b"\xff\xff\xff"


def test_a_factory_pack_sends_no_pec_until_hpe_is_set_and_loaded(make: Make) -> None:
    # SBS Configuration 0x20 from the factory: HPE clear, so nothing follows the data.
    host = make("unsealed", host_pec=None)
    raw = host.read(0x09, 4)
    assert raw[2:] == b"\xff\xff"
    config = host.dev.df_address("Settings:Configuration:Sbs Configuration")
    host.df_write(config, bytes([0x20 | 1 << 2]))
    host.wait_idle()
    assert host.read(0x09, 4)[2:] == b"\xff\xff"  # configuration takes effect at reset
    host.mac(0x0041)
    host.clock.sleep(1.0)
    raw = host.read(0x09, 4)
    assert raw[2] == pec_of(W, 0x09, R, raw[0], raw[1])


def test_block_read_pec_covers_the_count_byte(host: RawHost) -> None:
    raw = host.read(0x21, 12)
    count = raw[0]
    assert raw[1 : 1 + count] == b"BQ40Z50"
    assert raw[1 + count] == pec_of(W, 0x21, R, count, *b"BQ40Z50")
    assert raw[2 + count :] == b"\xff" * (12 - 2 - count)


def test_short_read_gets_only_what_was_asked(host: RawHost) -> None:
    assert host.read(0x21, 3) == bytes([7]) + b"BQ"


def test_write_word_with_good_pec_is_applied(host: RawHost) -> None:
    host.write_word(0x01, 321, pec=True)
    assert host.read_word(0x01) == 321


def test_write_word_with_bad_pec_is_nacked_and_discarded(host: RawHost) -> None:
    before = host.read_word(0x01)
    bad = [0x01, 0x41, 0x01]
    nacks(lambda: host.write([*bad, pec_of(W, *bad) ^ 0xFF]))
    assert host.read_word(0x01) == before


def test_block_write_with_bad_pec_is_nacked_and_discarded(unsealed: RawHost) -> None:
    address = unsealed.dev.df_address("serial_number")
    frame = [0x44, 4, address & 0xFF, address >> 8, 0x34, 0x12]
    nacks(lambda: unsealed.write([*frame, pec_of(W, *frame) ^ 0x01]))
    assert unsealed.dev.df_get("serial_number") == 0x0001
    unsealed.write(frame, pec=True)
    assert unsealed.dev.df_get("serial_number") == 0x1234


def test_mac_with_bad_pec_does_not_run(host: RawHost) -> None:
    frame = [0x00, 0x41, 0x00]  # DeviceReset
    nacks(lambda: host.write([*frame, pec_of(W, *frame) ^ 0x80]))
    assert host.dev.busy_until < host.clock.monotonic()


def test_wrong_address_is_enxio(host: RawHost) -> None:
    nacks(lambda: host.write([0x09], addr=0x0C), errno.ENXIO)
    wr, rd = i2c_msg.write(0x0C, [0x09]), i2c_msg.read(0x0C, 3)
    nacks(lambda: host.dev.i2c_rdwr(wr, rd), errno.ENXIO)


def test_unknown_command_is_nacked(host: RawHost) -> None:
    nacks(lambda: host.read(0x2E, 3))


def test_write_to_read_only_word_is_nacked(host: RawHost) -> None:
    nacks(lambda: host.write_word(0x09, 1234))
    assert host.read_word(0x09) != 1234


def test_malformed_lengths_are_nacked(host: RawHost) -> None:
    nacks(lambda: host.write([0x01, 0x10]))  # word command with one data byte
    nacks(lambda: host.write([0x01, 0x10, 0x00, 0x00, 0x00]))  # too long even with PEC
    nacks(lambda: host.write([0x44, 4, 0x01, 0x00]))  # block shorter than its count
    wr, rd = i2c_msg.write(ADDR, [0x09, 0x00]), i2c_msg.read(ADDR, 3)
    nacks(lambda: host.dev.i2c_rdwr(wr, rd))  # two command bytes before a read
    nacks(lambda: host.dev.i2c_rdwr(i2c_msg.read(ADDR, 2)))  # a bare read


def test_send_byte_is_acknowledged_with_or_without_pec(host: RawHost) -> None:
    host.write([0x09])
    host.write([0x09], pec=True)
    nacks(lambda: host.write([0x09, pec_of(W, 0x09) ^ 0x01]))
    nacks(lambda: host.write([0x40, 1, 2, 3]))  # unknown command with data


def test_closed_device_refuses(make: Make) -> None:
    h = make()
    h.dev.close()
    nacks(lambda: h.read(0x09, 3), errno.EBADF)


def test_emulated_flag(host: RawHost) -> None:
    assert host.dev.emulated is True
