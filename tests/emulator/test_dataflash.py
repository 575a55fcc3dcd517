"""Data-flash access through 0x44 (ref §7.1) and configuration taking effect at reset (§9)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.clock import VirtualClock
from station.emulator import open_emulator
from tests.emulator.raw import RawHost, nacks

START, TAIL, END = 0x4000, 0x5F80, 0x6000


def fresh_unsealed() -> RawHost:
    clock = VirtualClock()
    return RawHost(open_emulator("unsealed", clock=clock, host_pec=True), clock)


@st.composite
def writes(draw: st.DrawFn) -> tuple[int, bytes]:
    length = draw(st.integers(1, 32))
    address = draw(st.integers(START, TAIL - length))
    return address, draw(st.binary(min_size=length, max_size=length))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(writes())
def test_round_trip_anywhere_writable(write: tuple[int, bytes]) -> None:
    address, data = write
    h = fresh_unsealed()
    h.df_write(address, data)
    h.wait_idle()
    assert h.df_read(address)[: len(data)] == data
    assert h.dev.df_peek(address, len(data)) == data


def test_read_returns_34_byte_blocks_and_auto_increments(unsealed: RawHost) -> None:
    dev = unsealed.dev
    unsealed.block_write(0x44, [0x00, 0x40])
    raw = unsealed.read(0x44, 36)
    assert raw[0] == 34
    assert raw[1:3] == bytes([0x00, 0x40])
    assert raw[3:35] == dev.df_peek(0x4000, 32)
    for step in range(1, 4):
        assert unsealed.df_read_next(0x4000 + 32 * step) == dev.df_peek(0x4000 + 32 * step, 32)


def test_reading_past_the_end_is_refused(unsealed: RawHost) -> None:
    assert unsealed.df_read(END - 32) == bytes(32)
    nacks(lambda: unsealed.read_block(0x44))


def test_tail_does_not_take_writes_and_reads_zero(unsealed: RawHost) -> None:
    unsealed.df_write(0x5F70, bytes(range(1, 33)))  # straddles 0x5F80
    unsealed.wait_idle()
    row = unsealed.df_read(0x5F70)
    assert row[:16] == bytes(range(1, 17))
    assert row[16:] == bytes(16)
    unsealed.df_write(0x5FF0, b"\xaa" * 16)
    unsealed.wait_idle()
    assert unsealed.df_read(0x5FE0) == bytes(32)


def test_write_beyond_flash_or_too_long_is_refused(unsealed: RawHost) -> None:
    nacks(lambda: unsealed.df_write(0x5FF8, bytes(16)))
    nacks(lambda: unsealed.df_write(0x4000, bytes(33)))


def test_a_write_leaves_nothing_to_read(unsealed: RawHost) -> None:
    unsealed.df_write(0x4100, b"\x01")
    unsealed.wait_idle()
    nacks(lambda: unsealed.read_block(0x44))


def test_data_flash_is_only_through_0x44(unsealed: RawHost) -> None:
    unsealed.write_word(0x00, 0x4000)
    nacks(lambda: unsealed.read_block(0x44))
    unsealed.block_write(0x44, [0x00, 0x40])
    nacks(lambda: unsealed.read_block(0x23))


def test_strings_are_length_prefixed(unsealed: RawHost) -> None:
    address = unsealed.dev.df_address("device_name")
    assert unsealed.dev.df_peek(address, 8) == bytes([7]) + b"BQ40Z50"


def test_mfg_status_init_lives_at_0x4580(unsealed: RawHost) -> None:
    assert unsealed.dev.df_address("mfg_status_init") == 0x4580


def reset(h: RawHost) -> None:
    h.mac(0x0041)
    h.wait_idle()


def test_configuration_takes_effect_at_reset(unsealed: RawHost) -> None:
    da = unsealed.dev.df_address("da_configuration")
    unsealed.df_write(da, bytes([0x13]))  # 4S
    unsealed.wait_idle()
    assert unsealed.read_word(0x3C) == 0  # still 3S until reset
    assert unsealed.read_word(0x09) == 3702 + 3699 + 3701
    reset(unsealed)
    assert unsealed.read_word(0x3C) == 3698
    assert unsealed.read_word(0x09) == 3702 + 3699 + 3701 + 3698


def test_design_capacity_takes_effect_at_reset(unsealed: RawHost) -> None:
    address = unsealed.dev.df_address("design_capacity_mah")
    unsealed.df_write(address, (5200).to_bytes(2, "little"))
    unsealed.wait_idle()
    assert unsealed.read_word(0x18) == 4400
    reset(unsealed)
    assert unsealed.read_word(0x18) == 5200


def test_reset_reloads_manufacturing_status(unsealed: RawHost) -> None:
    # A factory pack (Mfg Status Init 0x0000) comes up with CAL_EN set (calibration ref §1.1).
    cal_en = 1 << 15
    unsealed.mac(0x0023)  # LF_EN on, RAM only
    assert unsealed.mac_read(0x0057) == (cal_en | 1 << 5).to_bytes(2, "little")
    unsealed.df_write(unsealed.dev.df_address("mfg_status_init"), (0x0238).to_bytes(2, "little"))
    unsealed.wait_idle()
    assert unsealed.mac_read(0x0057) == (cal_en | 1 << 5).to_bytes(2, "little")
    reset(unsealed)
    assert unsealed.mac_read(0x0057) == (0x0238).to_bytes(2, "little")


def test_seal_reloads_manufacturing_status(unsealed: RawHost) -> None:
    unsealed.mac(0x0027)  # LED_EN, RAM only
    unsealed.mac(0x0030)
    unsealed.wait_idle()
    assert unsealed.mac_read(0x0057) == bytes(2)


def test_init_bits_after_reset(unsealed: RawHost) -> None:
    unsealed.mac(0x0041)
    unsealed.clock.sleep(unsealed.dev.timing.reset_s + 0.001)
    assert unsealed.operation_status() & (1 << 24)  # INIT right after the reset silence
    assert not unsealed.read_word(0x16) & 0x80
    unsealed.clock.sleep(unsealed.dev.timing.init_s)
    assert not unsealed.operation_status() & (1 << 24)
    assert unsealed.read_word(0x16) & 0x80
