"""Virtual-time model: bus time per transaction, busy periods, statistics."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Make
from tests.emulator.raw import RawHost, nacks

BIT_100K = 1e-5


def test_a_34_byte_data_flash_read_at_100_khz(unsealed: RawHost) -> None:
    unsealed.block_write(0x44, [0x00, 0x40])
    t0 = unsealed.clock.monotonic()
    unsealed.read(0x44, 36)  # count + 34 + PEC
    # addr W, cmd, repeated START, addr R, 36 bytes: (2 + 1 + 36) x 9 bits + START/STOP + Sr.
    assert unsealed.clock.monotonic() - t0 == pytest.approx((39 * 9 + 3) * BIT_100K)


def test_a_write_word_and_an_address_nack(host: RawHost) -> None:
    t0 = host.clock.monotonic()
    host.write_word(0x01, 10)
    assert host.clock.monotonic() - t0 == pytest.approx((4 * 9 + 2) * BIT_100K)
    host.dev.faults.nack_at.add(host.dev.transaction_count)
    t1 = host.clock.monotonic()
    nacks(lambda: host.write_word(0x01, 10))
    assert host.clock.monotonic() - t1 == pytest.approx((9 + 2) * BIT_100K)


def test_400_khz_is_four_times_faster_and_sets_xl(make: Make) -> None:
    fast = make("unsealed", speed_hz=400_000)
    t0 = fast.clock.monotonic()
    fast.read_word(0x09)
    assert fast.clock.monotonic() - t0 == pytest.approx((6 * 9 + 3) * BIT_100K / 4)
    assert fast.operation_status() & (1 << 22)


def test_busy_after_a_data_flash_write(unsealed: RawHost) -> None:
    unsealed.df_write(0x4100, bytes(32))
    done = unsealed.clock.monotonic()
    busy = 0.008 + 0.0002 * 32
    assert unsealed.dev.busy_until == pytest.approx(done + busy)
    nacks(lambda: unsealed.read_word(0x09))
    unsealed.clock.sleep(busy - 0.0005 - (unsealed.clock.monotonic() - done))
    nacks(lambda: unsealed.read_word(0x09))
    unsealed.clock.sleep(0.001)
    unsealed.read_word(0x09)
    stats = unsealed.dev.stats
    assert stats.busy_nacks == 2
    assert stats.device_busy_s == pytest.approx(busy)
    assert stats.df_writes == stats.df_write_attempts == 1


def test_busy_for_300_ms_after_reset(host: RawHost) -> None:
    host.mac(0x0041)
    host.clock.sleep(0.299)
    nacks(lambda: host.read_word(0x09))
    host.clock.sleep(0.002)
    host.read_word(0x09)


def test_signature_busy_counts_as_device_time(host: RawHost) -> None:
    host.mac_block(0x0005)
    assert host.dev.stats.device_busy_s == pytest.approx(0.250)
    host.read_word(0x09)  # the rest of the gauge still answers


def test_statistics_add_up(host: RawHost) -> None:
    host.read_word(0x09)  # 6 bytes
    host.write_word(0x01, 5)  # 4 bytes
    nacks(lambda: host.read_block(0x51))  # refused at the command: 2 bytes
    stats = host.dev.stats
    assert stats.transactions == 3 == host.dev.transaction_count
    assert stats.bytes_on_wire == 6 + 4 + 2
    assert stats.nacks == 1
    assert stats.nacks_by_reason == {"refused": 1}
    expected = ((6 * 9 + 3) + (4 * 9 + 2) + (2 * 9 + 2)) * BIT_100K
    assert stats.bus_time_s == pytest.approx(expected)
    assert host.clock.monotonic() == pytest.approx(expected)
