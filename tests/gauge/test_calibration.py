"""Calibration from the host: the reference's formulas and test vectors, and a session on the
emulator (CAL_EN read before the toggle, fresh frames by the counter, averages)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.gauge import calmath
from station.gauge.calibration import (
    CalibrationError,
    CalibrationSession,
    average,
    parse_frame,
)
from station.gauge.calmath import CalibrationLimits, Window
from station.keys import ti_default_keys
from tests.gauge.emu import sim

TI = ti_default_keys()


# -- formulas against the reference's test vectors ----------------------------------------------


def test_f4_vectors() -> None:
    assert calmath.f4_encode(3.714528) == bytes.fromhex("d4ba6d40")
    assert calmath.f4_encode(1107901.13) == bytes.fromhex("e93d8749")
    assert calmath.f4_decode(bytes.fromhex("b14bf13f")) == pytest.approx(1.8851224, rel=1e-6)


def test_cell_gain_vector() -> None:
    gain = calmath.cell_gain([3700.0] * 4, [20045, 20031, 20050, 20028])
    assert gain == pytest.approx(12100.87, abs=0.01)
    assert round(gain).to_bytes(2, "little", signed=True) == bytes.fromhex("452f")


def test_cc_gain_vector_and_capacity_gain() -> None:
    gain = calmath.cc_gain(-1001, -531, 0, 0, 64)
    assert gain == pytest.approx(1.88512, rel=1e-5)
    assert calmath.f4_encode(gain) == bytes.fromhex("b14bf13f")
    cap = calmath.capacity_gain(gain, 298261.6178)
    assert cap == pytest.approx(562259.66, rel=1e-6)
    assert calmath.f4_encode(cap) == bytes.fromhex("3b450949")


def test_offsets_and_temperature_vector() -> None:
    assert calmath.cc_offset(-2.75, 64) == -176
    assert calmath.board_offset(-3.5, 64, -176) == -48
    offset = calmath.temperature_offset(25.0, 2993, 0)
    assert offset == -12
    assert offset.to_bytes(1, "little", signed=True) == bytes.fromhex("f4")


@given(st.binary(min_size=24, max_size=24))
def test_frame_parse_round_trips(data: bytes) -> None:
    f = parse_frame(data)
    words = [f.cc, *f.cells, f.pack, f.bat, *f.cell_currents]
    assert bytes([f.counter, f.status]) + struct.pack("<11h", *words) == data


LIMITS = CalibrationLimits(
    cell_gain=Window(11740, 12465),
    pack_gain=Window(47186, 52152),
    bat_gain=Window(46489, 51383),
    cc_gain=Window(0.1, 4.0),
    offset_current_ma=20,
    temp_offset_dk=50,
)


def test_limits_name_what_is_wrong() -> None:
    assert LIMITS.problems({"cell_gain": 12101, "cc_gain": 3.6, "temp:TS1": -12}) == []
    problems = LIMITS.problems({"cc_gain": -3.6, "temp:TS2": -680})
    assert any("negative" in p and "reversed" in p for p in problems)
    assert any("TS2" in p and "open thermistor" in p for p in problems)
    assert LIMITS.problems(
        {"cc_gain": 3.6, "cc_offset": 600, "board_offset": 0, "cc_offset_samples": 64}
    ) == ["the offsets amount to 33.8 mA, more than 20 mA"]


# -- a session on the emulator ------------------------------------------------------------------


def test_enter_does_not_toggle_when_cal_en_is_already_set() -> None:
    with sim("unsealed") as s:  # Mfg Status Init 0x0000: CAL_EN comes up set
        session = CalibrationSession(s.gauge)
        assert session.cal_enabled()
        session.enter()
        assert not session.toggled_on
        assert session.cal_enabled()
        session.leave()
        assert not session.cal_enabled()


def test_enter_toggles_a_clear_cal_en_and_leave_confirms() -> None:
    with sim("unsealed") as s:
        s.gauge.mac_command(0x002D)  # now clear
        session = CalibrationSession(s.gauge)
        session.enter()
        assert session.toggled_on
        assert len(session.frames(1)) == 1
        session.leave()
        assert "CAL_TEST" not in s.gauge.manufacturing_status()


def test_sealed_pack_cannot_enter() -> None:
    with sim("default") as s, pytest.raises(Exception, match=r"SEALED|UNSEALED"):
        CalibrationSession(s.gauge).enter()


def test_frames_are_fresh_by_the_counter_and_take_a_period_each() -> None:
    with sim("uncalibrated") as s:
        s.gauge.unseal(TI)
        session = CalibrationSession(s.gauge)
        session.enter()
        started = s.clock.monotonic()
        frames = session.frames(8)
        took = s.clock.monotonic() - started
        counters = [f.counter for f in frames]
        assert len(set(counters)) == 8  # no frame twice
        # the first frame counts once ZZ moved by 2, then one each 250 ms: 9 periods, plus bus
        assert 9 * 0.25 <= took < 10 * 0.25
        avg = average(frames)
        fe = s.device.front_end
        true = s.device.pack.cell_readings(s.device.cell_count)
        assert avg.cells[0] == pytest.approx(true[0] * 65536 / fe.cell_gain, abs=1.0)


def test_shorted_frames_and_status_byte() -> None:
    with sim("uncalibrated") as s:
        s.gauge.unseal(TI)
        session = CalibrationSession(s.gauge)
        session.enter()
        frames = session.frames(16, shorted=True)
        assert {f.status for f in frames} == {2}
        assert average(frames).cc == pytest.approx(s.device.front_end.chip_offset, abs=1.0)


def test_no_frame_without_cal_en_is_a_calibration_error() -> None:
    with sim("unsealed") as s:
        s.gauge.mac_command(0x002D)  # CAL_EN off
        with pytest.raises(CalibrationError, match="CAL_EN"):
            CalibrationSession(s.gauge).frames(1)


def test_a_stalled_counter_is_reported() -> None:
    with sim("unsealed") as s:
        session = CalibrationSession(s.gauge)
        session.pacing = type(session.pacing)(period_s=0.01, settle_steps=2, stall_periods=3)
        with pytest.raises(CalibrationError, match="stalled"):
            session.frames(1)  # polled every 10 ms: the 250 ms counter looks stalled


def test_sensor_temperatures_from_da_status2() -> None:
    with sim("broken-thermistor") as s:
        s.gauge.unseal(TI)
        temps = CalibrationSession(s.gauge).sensor_temperatures()
        assert temps["TS2"] == 2331
        assert set(temps) == {"Int", "TS1", "TS2", "TS3", "TS4"}


def test_pin_voltages_read_bat_before_pack_from_da_status1() -> None:
    with sim("unsealed") as s:
        bat, pack = CalibrationSession(s.gauge).pin_voltages()
        assert bat == s.device.pack.voltage_mv(s.device.cell_count)
        assert pack == 0  # factory pack: FETs off, nothing on the PACK pin
