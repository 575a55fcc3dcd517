"""A profile's table: one CSV row per data-flash parameter, read strictly and written back.

Columns, by name: ``class,subclass,name,address,type,unit,scale,min,max,default,verified,source``.
``min``/``max``/``default`` are stored values in TI's table units; ``unit`` and ``scale`` give the
engineering value (stored 550 × scale 0.1 = 55.0 °C); ``source`` is a key of the header's
``[sources]``. Every malformed cell is a problem with its file and line.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Protocol

from station.recipe.errors import CodecError, Problem
from station.recipe.profile.dftypes import DFType, RawValue, encode
from station.recipe.profile.image import DF_START, WRITABLE_END
from station.recipe.profile.parameter import Parameter

COLUMNS = (
    "class",
    "subclass",
    "name",
    "address",
    "type",
    "unit",
    "scale",
    "min",
    "max",
    "default",
    "verified",
    "source",
)
_CODE = "PROFILE_INVALID"


def parse_table(
    text: str, where: str, sources: Mapping[str, str], problems: list[Problem]
) -> list[Parameter]:
    """Rows of a profile table; every malformed cell becomes a problem with its line."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(where, 1, "the table is empty", code=_CODE))
        return []
    except csv.Error as exc:
        problems.append(Problem(where, 1, f"not valid CSV: {exc}", code=_CODE))
        return []
    if tuple(h.strip() for h in header) != COLUMNS:
        problems.append(
            Problem(
                where,
                1,
                "the header row must be exactly: " + ",".join(COLUMNS),
                value=",".join(header),
                code=_CODE,
            )
        )
        return []
    params: list[Parameter] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            p = _row(row, _Row(where, line, problems), sources)
            if p is None:
                continue
            key = p.key.casefold()
            if key in seen:
                why = f"duplicate parameter (first on line {seen[key]})"
                problems.append(Problem(where, line, why, parameter=p.key, code=_CODE))
                continue
            seen[key] = line
            params.append(p)
    except csv.Error as exc:
        problems.append(Problem(where, reader.line_num, f"not valid CSV: {exc}", code=_CODE))
    return params


class _Bad(Protocol):
    def __call__(self, why: str, value: str | None = None, allowed: str | None = None) -> None: ...


class _Row:
    """Where one row is, and the problems found in it (each names the row's parameter)."""

    def __init__(self, where: str, line: int, problems: list[Problem]) -> None:
        self.where, self.line, self.problems = where, line, problems
        self.name = ""

    def bad(self, why: str, value: str | None = None, allowed: str | None = None) -> None:
        self.problems.append(
            Problem(self.where, self.line, why, self.name or None, value, allowed, code=_CODE)
        )


def _row(row: list[str], at: _Row, sources: Mapping[str, str]) -> Parameter | None:
    if len(row) != len(COLUMNS):
        at.problems.append(
            Problem(at.where, at.line, f"{len(row)} columns, expected {len(COLUMNS)}", code=_CODE)
        )
        return None
    cells = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
    at.name = f"{cells['class']}:{cells['subclass']}:{cells['name']}"
    before = len(at.problems)
    bad = at.bad
    if not cells["class"] or not cells["subclass"] or not cells["name"]:
        bad("class, subclass and name are all required")
    if ":" in cells["class"] + cells["subclass"] + cells["name"]:
        bad("names may not contain ':' (it separates class, subclass and name)")
    try:
        t = DFType.parse(cells["type"])
    except CodecError as exc:
        bad(str(exc), cells["type"])
        return None
    address = _address(cells["address"], t, bad)
    if address is None:
        return None
    scale = _scale(cells["scale"], bad)
    limits = _limits(cells, t, bad)
    if limits is None:
        return None
    verified_text = cells["verified"].lower()
    if verified_text not in ("true", "false"):
        bad("verified is true or false", cells["verified"])
    source_key = cells["source"]
    if source_key and source_key not in sources:
        bad(f"unknown source {source_key!r}; declare it under [sources]", source_key)
    if not source_key:
        bad("every parameter names its source (a key of [sources])")
    if len(at.problems) > before:
        return None
    return Parameter(
        class_name=cells["class"],
        subclass=cells["subclass"],
        name=cells["name"],
        address=address,
        dtype=t,
        unit=cells["unit"],
        scale=scale,
        minimum=limits[0],
        maximum=limits[1],
        default=limits[2],
        verified=verified_text == "true",
        source=sources.get(source_key, source_key),
        line=at.line,
    )


def _address(text: str, t: DFType, bad: _Bad) -> int | None:
    try:
        address = int(text, 16)
    except ValueError:
        bad("the address is hexadecimal, e.g. 0x4481", text)
        return None
    if address < DF_START or address + t.size > WRITABLE_END:
        bad(
            "the address is outside the writable data flash",
            f"0x{address:04X} ({t})",
            "0x4000..0x5F7F",
        )
    return address


def _scale(text: str, bad: _Bad) -> Decimal:
    try:
        scale = Decimal(text or "1")
        if not scale.is_finite() or scale <= 0:
            raise InvalidOperation
    except InvalidOperation:
        bad("scale is a positive number (stored × scale = engineering value)", text)
        return Decimal(1)
    return scale


Limits = tuple[int | float | None, int | float | None, RawValue]


def _limits(cells: Mapping[str, str], t: DFType, bad: _Bad) -> Limits | None:
    """(min, max, default) as stored values; None when they are not numbers of type ``t``."""
    if t.kind == "S":
        if cells["min"] or cells["max"]:
            bad("strings have no min/max; leave those cells empty")
        default = cells["default"]
        try:
            encode(t, default)
        except CodecError as exc:
            bad(f"default does not fit: {exc}", repr(default))
        return None, None, default
    try:
        minimum = _number(cells["min"], t) if cells["min"] else None
        maximum = _number(cells["max"], t) if cells["max"] else None
        default_number = _number(cells["default"], t)
    except ValueError:
        bad(
            f"min, max and default must be numbers for type {t}",
            f"{cells['min']}/{cells['max']}/{cells['default']}",
        )
        return None
    if t.is_integer:
        for label, v in (("min", minimum), ("max", maximum), ("default", default_number)):
            if v is not None and not t.raw_min <= v <= t.raw_max:
                bad(f"{label} does not fit type {t}", str(v), f"{t.raw_min}..{t.raw_max}")
    lo = minimum if minimum is not None else -float("inf")
    hi = maximum if maximum is not None else float("inf")
    if lo > hi:
        bad("min is greater than max", f"{minimum} > {maximum}")
    elif not lo <= default_number <= hi:
        bad("default is outside min..max", str(default_number), f"{minimum}..{maximum}")
    return minimum, maximum, default_number


def _number(text: str, t: DFType) -> int | float:
    t_text = text.strip()
    if t.kind == "F":
        return float(t_text)
    return int(t_text, 16) if t_text.lower().startswith("0x") else int(t_text)


def check_overlaps(params: Sequence[Parameter], where: str, problems: list[Problem]) -> None:
    """Two parameters that share a byte are a problem, on the later one's line."""
    ordered = sorted(params, key=lambda p: p.address)
    for a, b in itertools.pairwise(ordered):
        if b.address < a.end:
            problems.append(
                Problem(
                    where,
                    b.line,
                    f"overlaps {a.key} (line {a.line}, 0x{a.address:04X}-0x{a.end - 1:04X})",
                    parameter=b.key,
                    value=f"0x{b.address:04X} {b.dtype}",
                    code=_CODE,
                )
            )


# -- writing --------------------------------------------------------------------------------


def format_raw(t: DFType, raw: RawValue | None) -> str:
    if raw is None:
        return ""
    if t.kind == "H" and isinstance(raw, int):
        return f"0x{raw:0{2 * t.size}x}"
    if isinstance(raw, float):
        return repr(raw)
    return str(raw)


def table_text(params: Iterable[Parameter], source_keys: Mapping[str, str]) -> str:
    """The CSV table for ``params``; ``source_keys`` maps source text back to its [sources] key."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for p in params:
        w.writerow(
            [
                p.class_name,
                p.subclass,
                p.name,
                f"0x{p.address:04x}",
                p.dtype.name,
                p.unit,
                "1" if p.scale == 1 else str(p.scale),
                format_raw(p.dtype, p.minimum),
                format_raw(p.dtype, p.maximum),
                format_raw(p.dtype, p.default),
                "true" if p.verified else "false",
                source_keys.get(p.source, p.source),
            ]
        )
    return buf.getvalue()
