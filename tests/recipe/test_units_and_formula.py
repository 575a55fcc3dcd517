"""Quantities with units, TI unit columns, and bqStudio formulas (never eval'd)."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.recipe.ti.formula import Affine, FormulaError, parse_formula
from station.recipe.units import UnitError, convert, parse_quantity, parse_ti_unit


@pytest.mark.parametrize(
    ("text", "number", "unit"),
    [
        ("4250 mV", "4250", "mV"),
        ("4.25V", "4.25", "V"),
        ("-20 A", "-20", "A"),
        ("55.0 °C", "55.0", "°C"),
        ("55 degC", "55", "°C"),
        ("151.2 Wh", "151.2", "Wh"),
        ("15120 cWh", "15120", "cWh"),
        ("2 s", "2", "s"),
        ("10500", "10500", ""),
    ],
)
def test_parse_quantity(text: str, number: str, unit: str) -> None:
    q = parse_quantity(text)
    assert q.number == Decimal(number)
    assert q.unit == unit


@pytest.mark.parametrize("text", ["", "mV", "4250 furlongs", "0x12", "1.2.3 V"])
def test_bad_quantities(text: str) -> None:
    with pytest.raises(UnitError):
        parse_quantity(text)


def test_conversions_are_exact() -> None:
    assert convert(Fraction("151.2"), "Wh", "cWh") == 15120
    assert convert(Fraction("4.25"), "V", "mV") == 4250
    assert convert(Fraction(-20), "A", "mA") == -20000
    with pytest.raises(UnitError, match="cannot convert"):
        convert(Fraction(1), "mV", "mA")


@pytest.mark.parametrize(
    ("ti", "unit", "scale"),
    [
        ("0.1°C", "°C", "0.1"),
        ("mV", "mV", "1"),
        ("Hex", "", "1"),
        ("—", "", "1"),
        ("2h", "h", "2"),
        ("488 µs", "µs", "488"),
        ("0.01%/da y", "%/day", "0.01"),
        ("0.1°K", "K", "0.1"),
        ("cWh", "cWh", "1"),
    ],
)
def test_ti_units(ti: str, unit: str, scale: str) -> None:
    assert parse_ti_unit(ti) == (unit, Decimal(scale))


@pytest.mark.parametrize(
    ("text", "a", "b"),
    [
        ("x", 1, 0),
        ("x*10", 10, 0),
        ("10*x", 10, 0),
        ("x/4", Fraction(1, 4), 0),
        ("x+2732", 1, 2732),
        ("x-2732", 1, -2732),
        ("(x-2732)/10", Fraction(1, 10), Fraction(-2732, 10)),
        ("-x", -1, 0),
        ("2*(x+1)-3", 2, -1),
        ("x*1e3", 1000, 0),
        ("X / 2.5", Fraction(2, 5), 0),
    ],
)
def test_linear_formulas(text: str, a: Fraction, b: Fraction) -> None:
    assert parse_formula(text) == Affine(Fraction(a), Fraction(b))


@pytest.mark.parametrize(
    "text",
    [
        "x*x",
        "1/x",
        "x/0",
        "__import__('os')",
        "x**2",
        "",
        "(x",
        "x)",
        "x y",
        "abs(x)",
        "x" * 200,
        "((((((((((x))))))))))",
    ],
)
def test_formulas_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(text)


@given(st.integers(-(10**6), 10**6), st.integers(1, 1000), st.integers(-5000, 5000))
def test_write_formula_inverts_read_formula(x: int, k: int, offset: int) -> None:
    read = parse_formula(f"(x+{offset})/{k}")
    write = parse_formula(f"x*{k}-{offset}")
    assert write.apply(read.apply(Fraction(x))) == x


@given(st.text(max_size=40))
def test_any_text_is_a_formula_or_a_formula_error(text: str) -> None:
    with contextlib.suppress(FormulaError):
        parse_formula(text)
