"""Turn what an engineer writes in a recipe into the stored value of a parameter.

Accepted forms:

* a string with a unit: ``"4250 mV"``, ``"4.25 V"``, ``"55 °C"``, ``"151.2 Wh"``;
* a plain number, in the profile's engineering unit (``station profile show`` lists it);
* for H types: ``"0x0238"``, a whole number, or named bits ``{ cells = 4, SLEEP = true }``.
  Named bits start from the profile default (``base = "0x00"`` starts elsewhere); bits without
  a name are written ``bit5 = true``;
* for strings: the text.
"""

from __future__ import annotations

import difflib
import math
import re
from decimal import Decimal
from fractions import Fraction

from station.recipe.errors import CodecError
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.parameter import Parameter
from station.recipe.units import UnitError, parse_quantity

_BITN = re.compile(r"^bit(\d{1,2})$", re.IGNORECASE)


class SettingError(ValueError):
    """A recipe value that cannot be this parameter's; ``allowed`` says what can."""

    def __init__(self, why: str, allowed: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.allowed = allowed


def parse_setting(p: Parameter, value: object) -> RawValue:
    """The stored value for ``value``; :class:`SettingError` with what is allowed otherwise."""
    raw = _raw(p, value)
    why = p.limits_problem(raw)
    if why is not None:
        raise SettingError(f"{p.format(raw)} is {why}" if "profile" in why else why, p.range_text())
    return raw


def _raw(p: Parameter, value: object) -> RawValue:
    kind = p.dtype.kind
    if isinstance(value, bool):
        raise SettingError("true/false is only for named bits", _forms(p))
    if kind == "S":
        if not isinstance(value, str):
            raise SettingError("this parameter holds text; write it in quotes", p.range_text())
        return value
    if kind == "H":
        return _hex_value(p, value)
    if isinstance(value, dict | list):
        raise SettingError("a number is expected here", _forms(p))
    if isinstance(value, int):
        number, unit = Fraction(value), ""
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SettingError(f"{value} is not a value a gauge can hold", _forms(p))
        number, unit = Fraction(Decimal(repr(value))), ""
    elif isinstance(value, str):
        try:
            q = parse_quantity(value)
        except UnitError as exc:
            raise SettingError(str(exc), _forms(p)) from None
        number, unit = Fraction(q.number), q.unit
    else:
        raise SettingError("a number is expected here", _forms(p))
    try:
        return p.from_engineering(number, unit)
    except UnitError as exc:
        raise SettingError(
            f"{exc}; this parameter is in {p.unit or 'plain numbers'}", _forms(p)
        ) from None
    except CodecError as exc:
        raise SettingError(str(exc), p.range_text()) from None


def _forms(p: Parameter) -> str:
    if p.dtype.kind == "H":
        names = ", ".join(f.name for f in p.fields)
        return 'a hex string like "0x12"' + (f" or named bits ({names})" if names else "")
    if p.unit:
        return f'a number in {p.unit}, or a string with a unit like "{p.format(p.default)}"'
    return "a plain number"


def _hex_value(p: Parameter, value: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            raise SettingError(f"{value!r} is not a number", _forms(p)) from None
    if isinstance(value, dict):
        return _bits(p, value)
    raise SettingError("a hex string or named bits are expected here", _forms(p))


def _bits(p: Parameter, spec: dict[str, object]) -> int:
    base_spec = spec.get("base", p.default)
    if not isinstance(base_spec, int | str) or isinstance(base_spec, bool):
        raise SettingError('base is a hex string like "0x00"')
    raw = _hex_value(p, base_spec)
    width = 8 * p.size
    for name, v in spec.items():
        if name == "base":
            continue
        f = p.field(name)
        if f is None:
            m = _BITN.match(name)
            if m is None or int(m.group(1)) >= width:
                known = [bf.name for bf in p.fields]
                close = difflib.get_close_matches(name, known, n=2, cutoff=0.5)
                hint = f"; did you mean {' or '.join(close)}?" if close else ""
                raise SettingError(
                    f"no bit named {name!r} in {p.name}{hint}",
                    ", ".join(known) + f", or bit0..bit{width - 1}" if known else None,
                )
            bit = int(m.group(1))
            if any(bf.low <= bit <= bf.high for bf in p.fields):
                raise SettingError(f"{name} is part of a named field; use its name")
            if not isinstance(v, bool):
                raise SettingError(f"{name} is a single bit: true or false")
            raw = (raw | (1 << bit)) if v else (raw & ~(1 << bit))
            continue
        if f.is_flag:
            if not isinstance(v, bool):
                raise SettingError(f"{f.name} is a flag: true or false")
            raw = f.put(raw, int(v))
        else:
            if isinstance(v, bool) or not isinstance(v, int):
                raise SettingError(f"{f.name} is a number", f"{f.min_value}..{f.max_value}")
            try:
                raw = f.put(raw, v)
            except CodecError:
                raise SettingError(
                    f"{f.name} = {v} does not fit {f.bits_text()}", f"{f.min_value}..{f.max_value}"
                ) from None
    return raw
