"""Every data-flash type round-trips between stored value and bytes; misfits are refused."""

from __future__ import annotations

import struct
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.recipe.errors import CodecError
from station.recipe.profile.dftypes import DFType, decode, encode
from station.recipe.profile.parameter import Parameter

INT_TYPES = [DFType.parse(t) for t in ("I1", "I2", "I4", "U1", "U2", "U4", "H1", "H2", "H4")]


def f32(value: float) -> float:
    """``value`` rounded to single precision, as the gauge stores it."""
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded


@st.composite
def int_and_value(draw: st.DrawFn) -> tuple[DFType, int]:
    t = draw(st.sampled_from(INT_TYPES))
    return t, draw(st.integers(t.raw_min, t.raw_max))


@given(int_and_value())
def test_integers_round_trip_little_endian(case: tuple[DFType, int]) -> None:
    t, value = case
    data = encode(t, value)
    assert len(data) == t.size
    assert decode(t, data) == value
    assert data == value.to_bytes(t.size, "little", signed=t.kind == "I")


@given(st.sampled_from(INT_TYPES), st.integers())
def test_integers_out_of_range_are_refused(t: DFType, value: int) -> None:
    if t.raw_min <= value <= t.raw_max:
        assert decode(t, encode(t, value)) == value
    else:
        with pytest.raises(CodecError, match="does not fit"):
            encode(t, value)


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_f4_round_trips_as_ieee754_little_endian(value: float) -> None:
    t = DFType.parse("F4")
    data = encode(t, value)
    assert data == struct.pack("<f", value)
    assert decode(t, data) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_f4_stores_the_nearest_single(value: float) -> None:
    t = DFType.parse("F4")
    if abs(value) > 3.4028234663852886e38:
        with pytest.raises(CodecError):
            encode(t, value)
    else:
        assert decode(t, encode(t, value)) == f32(value)


def test_f4_refuses_nan_and_infinity() -> None:
    t = DFType.parse("F4")
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(CodecError, match="finite"):
            encode(t, bad)


def test_f4_known_bytes() -> None:
    # 1.0 = 0x3F800000, stored low byte first.
    assert encode(DFType.parse("F4"), 1.0) == bytes([0x00, 0x00, 0x80, 0x3F])


PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)


@given(st.integers(2, 40), PRINTABLE)
def test_strings_round_trip_with_length_byte_and_padding(size: int, text: str) -> None:
    t = DFType.parse(f"S{size}")
    if len(text) > size - 1:
        with pytest.raises(CodecError, match="holds at most"):
            encode(t, text)
        return
    data = encode(t, text)
    assert len(data) == size
    assert data[0] == len(text)
    assert data[1 : 1 + len(text)] == text.encode()
    assert set(data[1 + len(text) :]) <= {0}
    assert decode(t, data) == text


def test_strings_refuse_non_ascii_and_control_characters() -> None:
    t = DFType.parse("S21")
    with pytest.raises(CodecError, match="ASCII"):
        encode(t, "Größe")
    with pytest.raises(CodecError, match="control"):
        encode(t, "a\nb")


def test_string_decode_refuses_a_length_byte_past_the_end() -> None:
    with pytest.raises(CodecError, match="length byte 9"):
        decode(DFType.parse("S5"), bytes([9, 65, 66, 67, 68]))


@pytest.mark.parametrize("text", ["I3", "F2", "S1", "X2", "U8", "", "S300"])
def test_bad_type_names(text: str) -> None:
    with pytest.raises(CodecError):
        DFType.parse(text)


def test_wrong_python_types_are_refused() -> None:
    with pytest.raises(CodecError):
        encode(DFType.parse("I2"), 1.5)
    with pytest.raises(CodecError):
        encode(DFType.parse("I2"), True)
    with pytest.raises(CodecError):
        encode(DFType.parse("S5"), 12)
    with pytest.raises(CodecError):
        decode(DFType.parse("I2"), b"\x00")


def _param(kind: str, scale: str, unit: str) -> Parameter:
    t = DFType.parse(kind)
    return Parameter("C", "S", "N", 0x4000, t, unit, Decimal(scale), t.raw_min, t.raw_max, 0)


@given(st.integers(-32768, 32767), st.sampled_from(["1", "0.1", "2", "0.25", "488"]))
def test_engineering_value_round_trips_through_the_scale(raw: int, scale: str) -> None:
    p = _param("I2", scale, "s")
    eng = p.to_engineering(raw)
    assert p.from_engineering(Fraction(eng), "") == raw  # type: ignore[arg-type]
    assert p.decode(p.encode(raw)) == raw


def test_scaled_temperature_example() -> None:
    p = _param("I2", "0.1", "°C")
    assert p.from_engineering(Fraction("55.0"), "°C") == 550
    assert p.to_engineering(550) == Decimal("55.0")
    assert p.format(550) == "55.0 °C"
    with pytest.raises(CodecError, match=r"whole number of steps of 0\.1 °C"):
        p.from_engineering(Fraction("55.05"), "°C")
