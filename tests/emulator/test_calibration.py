"""The emulated gauge calibrates like one: CAL_EN, raw frames in virtual time, the calibration
block, readings through the constants (calibration reference §1, §2, §3, §5, §10)."""

from __future__ import annotations

import struct
from pathlib import Path

from station.emulator.analog import SENSORS
from tests.emulator.conftest import Make
from tests.emulator.raw import RawHost, nacks

CAL_EN = 1 << 15
OP_CAL, OP_CAL_OFFSET = 1 << 20, 1 << 21


def mfg(host: RawHost) -> int:
    return int.from_bytes(host.mac_read(0x0057), "little")


def words(frame: bytes) -> list[int]:
    return [int.from_bytes(frame[i : i + 2], "little", signed=True) for i in range(2, 24, 2)]


def frame_23(host: RawHost) -> bytes:
    return host.read_block(0x23)


def start(host: RawHost, code: int = 0xF081) -> None:
    if not mfg(host) & CAL_EN:
        host.mac(0x002D)
    host.mac_block(code)


def test_f4_is_ieee754_little_endian_in_the_calibration_block(unsealed: RawHost) -> None:
    # CC Gain 3.714528 and Capacity Gain 1107901.13 as the reference's test vectors give them.
    unsealed.df_write(0x4006, struct.pack("<ff", 3.714528, 1107901.13))
    unsealed.wait_idle()
    assert unsealed.df_read(0x4006)[:8] == bytes.fromhex("d4ba6d40 e93d8749")
    assert (
        unsealed.dev.df_get("Calibration:Current:CC Gain")
        == struct.unpack("<f", bytes.fromhex("d4ba6d40"))[0]
    )


def test_cal_en_comes_up_set_on_a_blank_gauge_and_the_toggle_turns_it_off(
    unsealed: RawHost,
) -> None:
    assert mfg(unsealed) & CAL_EN  # Mfg Status Init 0x0000
    unsealed.mac(0x002D)
    assert not mfg(unsealed) & CAL_EN  # a blind toggle switched calibration off


def test_cal_en_is_clear_on_a_programmed_gauge_and_reset_clears_it(make: Make) -> None:
    host = make("unsealed")
    host.df_write(host.dev.df_address("mfg_status_init"), (0x0238).to_bytes(2, "little"))
    host.wait_idle()
    host.mac(0x0041)
    host.clock.sleep(1.0)
    assert not mfg(host) & CAL_EN
    host.mac(0x002D)
    assert mfg(host) & CAL_EN
    host.mac(0x0041)
    host.clock.sleep(1.0)
    assert not mfg(host) & CAL_EN


def test_sealed_gauge_ignores_the_toggle(host: RawHost) -> None:
    before = mfg(host)
    host.mac(0x002D)
    assert mfg(host) == before
    nacks(lambda: host.mac_block(0x002D))


def test_raw_output_needs_cal_en(unsealed: RawHost) -> None:
    unsealed.mac(0x002D)  # off
    unsealed.mac_block(0xF081)
    nacks(lambda: unsealed.read_block(0x44))


def test_frame_layout_through_0x23_and_0x44(unsealed: RawHost) -> None:
    start(unsealed)
    via_23 = frame_23(unsealed)
    assert len(via_23) == 24
    assert via_23[1] == 1  # YY: F081
    via_44 = unsealed.read_block(0x44)
    assert len(via_44) == 26
    assert via_44[:2] == bytes.fromhex("81f0")
    assert via_44[2:] == via_23  # the same frame within one 250 ms period


def test_counter_advances_every_250_ms_of_virtual_time(unsealed: RawHost) -> None:
    start(unsealed)
    first = frame_23(unsealed)[0]
    unsealed.clock.sleep(0.1)
    assert frame_23(unsealed)[0] == first
    unsealed.clock.sleep(0.2)
    assert frame_23(unsealed)[0] == (first + 1) % 256
    unsealed.clock.sleep(0.25 * 300)
    assert frame_23(unsealed)[0] == (first + 301) % 256  # rolls over at 256


def test_frame_words_are_little_endian_counts_of_the_true_values(make: Make) -> None:
    host = make("uncalibrated")
    host.unseal(0x0414, 0x3672)
    fe = host.dev.front_end
    host.dev.pack.current_ma = -2000
    start(host)
    w = words(frame_23(host))
    cells = host.dev.pack.cell_readings(host.dev.cell_count)
    for n, mv in enumerate(cells, start=1):
        expected = round(mv * 65536 / fe.cell_gain) if mv else 0
        assert abs(w[n] - expected) <= 2
    expected_cc = -2000 / fe.cc_gain + fe.chip_offset + fe.board_offset
    assert abs(w[0] - expected_cc) <= 2.5


def test_shorted_mode_reads_the_chip_offset_and_sets_cal_offset(make: Make) -> None:
    host = make("uncalibrated")
    host.unseal(0x0414, 0x3672)
    host.dev.pack.current_ma = -2000
    start(host, 0xF082)
    frame = frame_23(host)
    assert frame[1] == 2
    assert abs(words(frame)[0] - host.dev.front_end.chip_offset) <= 2.5
    op = int.from_bytes(host.read_block(0x54), "little")  # SBS read: the output goes on
    assert op & OP_CAL
    assert op & OP_CAL_OFFSET
    assert frame_23(host)[1] == 2


def test_other_mac_and_f080_stop_the_output(unsealed: RawHost) -> None:
    start(unsealed)
    assert int.from_bytes(unsealed.read_block(0x54), "little") & OP_CAL
    unsealed.mac_block(0x0001)  # any other MAC
    assert unsealed.read_block(0x44)[:2] == b"\x01\x00"
    assert not int.from_bytes(unsealed.read_block(0x54), "little") & OP_CAL
    unsealed.mac_block(0xF081)
    assert len(frame_23(unsealed)) == 24
    unsealed.mac_block(0xF080)
    nacks(lambda: unsealed.read_block(0x23))


def test_readings_follow_the_constants_in_data_flash(make: Make) -> None:
    host = make("uncalibrated")
    host.unseal(0x0414, 0x3672)
    dev = host.dev
    true_mv = dev.pack.cell_mv[0]
    assert host.read_word(0x3F) != true_mv  # this pack's own gain error
    exact = round(dev.front_end.cell_gain)
    host.df_write(0x4000, exact.to_bytes(2, "little", signed=True))
    host.wait_idle()
    assert abs(host.read_word(0x3F) - true_mv) <= 1  # no reset needed (reference §5.5)


def test_current_follows_gain_and_offsets(make: Make) -> None:
    host = make("uncalibrated")
    host.unseal(0x0414, 0x3672)
    dev = host.dev
    fe = dev.front_end
    dev.pack.current_ma = -1500
    assert abs(host.read_signed(0x0A) + 1500) > 5
    n = 64
    cc_offset = round(fe.chip_offset * n)
    board = round(fe.board_offset * n)
    host.df_write(0x4006, struct.pack("<ff", fe.cc_gain, fe.cc_gain * 298261.6178))
    host.wait_idle()
    host.df_write(0x400E, struct.pack("<hHh", cc_offset, n, board))
    host.wait_idle()
    assert abs(host.read_signed(0x0A) + 1500) <= 1
    dev.pack.current_ma = 0
    assert host.read_signed(0x0A) == 0  # inside the deadband


def test_reversed_shunt_counts_the_wrong_way(make: Make) -> None:
    host = make("reversed-shunt")
    host.unseal(0x0414, 0x3672)
    host.dev.pack.current_ma = -2000
    start(host)
    fe = host.dev.front_end
    offset = fe.chip_offset + fe.board_offset
    assert words(frame_23(host))[0] - offset > 400  # discharge shows as positive counts


def test_temperature_offsets_and_a_broken_thermistor(make: Make) -> None:
    host = make("broken-thermistor")
    host.unseal(0x0414, 0x3672)
    dev = host.dev
    da2 = host.mac_read(0x0072)
    temps = [int.from_bytes(da2[i : i + 2], "little") for i in range(0, 14, 2)]
    assert temps[SENSORS.index("TS2")] == 2331  # open: -40 °C
    true_dk = dev.pack.temperature_dk()
    ts1 = SENSORS.index("TS1")
    assert temps[ts1] == true_dk + dev.front_end.temp_errors_dk[ts1]
    assert host.read_word(0x08) == temps[ts1]  # Temperature() is the cell sensor, TS1
    host.df_write(0x4015, (-dev.front_end.temp_errors_dk[ts1]).to_bytes(1, "little", signed=True))
    host.wait_idle()
    da2 = host.mac_read(0x0072)
    assert int.from_bytes(da2[2 * ts1 : 2 * ts1 + 2], "little") == true_dk


def test_each_pack_has_its_own_errors_and_keeps_them(make: Make, tmp_path: Path) -> None:
    a = make("uncalibrated", seed=1).dev.front_end
    b = make("uncalibrated", seed=2).dev.front_end
    assert a.cell_gain != b.cell_gain
    assert a.chip_offset != b.chip_offset
    assert make("uncalibrated", seed=1).dev.front_end == a
    state = tmp_path / "pack.json"
    first = make("uncalibrated", seed=3, state_path=state).dev.front_end
    assert make("default", state_path=state).dev.front_end == first


def test_exact_front_end_keeps_the_readings_of_a_factory_pack(host: RawHost) -> None:
    assert host.read_word(0x3F) == host.dev.pack.cell_mv[0]
    assert host.read_word(0x08) == host.dev.pack.temperature_dk()
