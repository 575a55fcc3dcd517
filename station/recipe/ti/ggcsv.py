"""bqStudio data-flash exports (``.gg.csv``): header, columns by name, display value → raw value.

Layout: header lines start with ``*`` (device number, firmware version, build...); the last one,
``* Field Order: ...``, names the columns; then one CSV row per parameter. Columns are read by
name, never by position; ``Units`` is accepted for ``Display Units``.

Display → stored value (bqtool's rule): parse the display value, shift it by the implied decimals
of the display format (``dd.dd`` → × 100), apply the write formula, round to a whole number for
integer types, then check the raw min/max. Hex formats (``hhhh``) read hexadecimal; ``s`` is text.

Rows holding security keys ("Sealed to Unsealed", "Unsealed to Full") are kept apart and never
echoed in a message: a gg.csv can carry a pack's keys.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from station.recipe.errors import CodecError, FileFormatError, Problem, undecodable_line
from station.recipe.profile.dftypes import DFType, RawValue, encode
from station.recipe.ti.formula import FormulaError, parse_formula

KEY_ROWS = {"sealed to unsealed": "unseal", "unsealed to full": "full_access"}
MAX_PROBLEMS = 50

#: column → the names bqStudio has used for it
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "class": ("class name", "class"),
    "subclass": ("subclass name", "subclass", "sub class name"),
    "name": ("parameter name", "name"),
    "value": ("parameter value", "value"),
    "type": ("data type", "type"),
    "length": ("data length", "length"),
    "address": ("address offset", "address"),
    "default": ("default value", "default"),
    "min": ("minimum value", "min"),
    "max": ("maximum value", "max"),
    "format": ("display format", "format"),
    "read": ("read formula",),
    "write": ("write formula",),
    "flags": ("flags",),
    "units": ("display units", "units"),
    "help": ("help",),
    "native": ("native units",),
    "raw": ("data flash raw value", "raw value"),
}
REQUIRED = ("class", "subclass", "name", "value")


@dataclass(frozen=True)
class GGRow:
    line: int
    class_name: str
    subclass: str
    name: str
    cells: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.class_name}:{self.subclass}:{self.name}"

    @property
    def is_key_row(self) -> bool:
        return self.name.strip().casefold() in KEY_ROWS


@dataclass(frozen=True)
class GGFile:
    name: str
    header: dict[str, str]
    device_number: int | None
    firmware: str | None
    build: str | None
    columns: tuple[str, ...]
    rows: tuple[GGRow, ...]


def _header_value(header: dict[str, str], *names: str) -> str | None:
    for n in names:
        if n in header:
            return header[n]
    return None


def _device(text: str | None) -> int | None:
    if text is None:
        return None
    t = text.strip()
    try:
        # Device numbers are hex by TI convention ("4500", "0x4500").
        value = int(t, 16)
    except ValueError:
        return None
    return value if 0 <= value <= 0xFFFF else None


def _firmware(header: dict[str, str]) -> str | None:
    bqz = _header_value(header, "bqz firmware version")
    if bqz:
        try:
            v = int(bqz.strip(), 16)
            return f"{v >> 8}.{v & 0xFF:02X}" if v <= 0xFFFF else None
        except ValueError:
            pass
    text = _header_value(header, "firmware version")
    if text is None:
        return None
    m = re.match(r"^\s*(\d+)\.([0-9A-Fa-f]{1,2})", text)
    return f"{int(m.group(1))}.{int(m.group(2), 16):02X}" if m else text.strip()


_HEADER_KEYS = (
    "texas instruments data flash file",
    "file created",
    "device number",
    "firmware version",
    "build number",
    "order number",
    "bqz device number",
    "bqz firmware version",
    "bqz build number",
    "field order",
)


def parse_gg_csv(text: str, name: str = "<gg.csv>") -> GGFile:
    """Parse a bqStudio export; :class:`FileFormatError` lists every problem."""
    lines = text.lstrip("\ufeff").splitlines()
    header, field_line, body_start = _header(lines)
    if not field_line:
        raise FileFormatError(
            [
                Problem(
                    name,
                    body_start or 1,
                    "no '* Field Order:' header line: "
                    "the columns cannot be named (re-export from bqStudio)",
                    code="GG_FORMAT",
                )
            ]
        )
    columns = tuple(c.strip() for c in next(csv.reader([header["field order"]])))
    index = _column_index(columns, header["field order"], name, field_line)
    rows = _rows(lines, body_start, columns, index, name) if body_start else []
    if not rows:
        raise FileFormatError(
            [Problem(name, field_line, "no parameter rows after the header", code="GG_FORMAT")]
        )
    return GGFile(
        name=name,
        header=header,
        device_number=_device(_header_value(header, "bqz device number", "device number")),
        firmware=_firmware(header),
        build=_header_value(header, "bqz build number", "build number"),
        columns=columns,
        rows=tuple(rows),
    )


def _header(lines: list[str]) -> tuple[dict[str, str], int, int]:
    """The ``*`` lines: {key: value}, the Field Order's line and the first row's (0: none)."""
    header: dict[str, str] = {}
    field_line = 0
    body_start = 0
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not line.startswith("*"):
            body_start = i
            break
        content = line[1:].strip().rstrip(",").strip()
        lowered = content.lower()
        if lowered.startswith("field order"):
            header["field order"] = content.split(":", 1)[1].strip() if ":" in content else ""
            field_line = i
            continue
        for key in sorted(_HEADER_KEYS, key=len, reverse=True):
            if lowered.startswith(key):
                header.setdefault(key, content[len(key) :].strip(" :"))
                break
    return header, field_line, body_start


def _column_index(
    columns: tuple[str, ...], field_order: str, name: str, field_line: int
) -> dict[str, int]:
    """{column: position} by bqStudio's names; the required ones must be there."""
    index: dict[str, int] = {}
    for i, col in enumerate(columns):
        for logical, aliases in COLUMN_ALIASES.items():
            if col.lower() in aliases and logical not in index:
                index[logical] = i
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise FileFormatError(
            [
                Problem(
                    name,
                    field_line,
                    "the Field Order lacks " + ", ".join(COLUMN_ALIASES[m][0] for m in missing),
                    value=field_order[:80],
                    code="GG_FORMAT",
                )
            ]
        )
    return index


def _rows(
    lines: list[str], body_start: int, columns: tuple[str, ...], index: dict[str, int], name: str
) -> list[GGRow]:
    """One row a parameter, after the header; :class:`FileFormatError` for malformed rows."""
    problems: list[Problem] = []
    rows: list[GGRow] = []
    reader = csv.reader(io.StringIO("\n".join(lines[body_start - 1 :])))
    try:
        for row in reader:
            line_no = body_start + reader.line_num - 1
            if not any(c.strip() for c in row):
                continue
            if len(row) < len(columns):
                if len(problems) < MAX_PROBLEMS:
                    why = f"{len(row)} columns; the Field Order names {len(columns)}"
                    problems.append(Problem(name, line_no, why, code="GG_FORMAT"))
                continue
            cells = {k: row[i].strip() for k, i in index.items()}
            rows.append(GGRow(line_no, cells["class"], cells["subclass"], cells["name"], cells))
    except csv.Error as exc:
        line = body_start + reader.line_num - 1
        problems.append(Problem(name, line, f"not valid CSV: {exc}", code="GG_FORMAT"))
    if problems:
        raise FileFormatError(problems)
    return rows


# -- rows → types and raw values ------------------------------------------------------------


def row_type(row: GGRow) -> DFType:
    """The data-flash type a row describes (``Data Type`` letter + ``Data Length``)."""
    letter = row.cells.get("type", "").strip().upper()[:1]
    try:
        length = int(row.cells.get("length", "").strip() or "0")
    except ValueError:
        raise CodecError(f"Data Length {row.cells.get('length')!r} is not a number") from None
    fmt = row.cells.get("format", "").strip().lower()
    if letter in ("U", "B") and fmt.startswith("h"):
        letter = "H"
    if letter == "B":
        letter = "U"
    if letter == "S":
        # A string's Data Length counts the length byte (TI's S<n> is n bytes in all).
        return DFType.parse(f"S{length}")
    if letter == "F":
        return DFType.parse("F4")
    if letter not in ("I", "U", "H"):
        raise CodecError(f"Data Type {row.cells.get('type')!r} is not I, U, B, F or S")
    return DFType.parse(f"{letter}{length}")


def _decimals(fmt: str) -> int:
    m = re.search(r"\.(d+)", fmt)
    return len(m.group(1)) if m else 0


def display_to_raw(row: GGRow, t: DFType) -> RawValue:
    """A row's ``Parameter Value`` as the stored value; ValueError/CodecError say why not."""
    text = row.cells.get("value", "").strip()
    fmt = row.cells.get("format", "").strip().lower()
    if t.kind == "S":
        return text
    if t.kind == "H" or fmt.startswith("h"):
        digits = text[2:] if text.lower().startswith("0x") else text
        if not digits or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
            raise ValueError("not a hexadecimal value")
        number = Fraction(int(digits, 16))
    else:
        try:
            number = Fraction(Decimal(text))
        except (InvalidOperation, ValueError):
            raise ValueError("not a number") from None
        number *= Fraction(10) ** _decimals(fmt)
    formula = row.cells.get("write", "").strip() or "x"
    stored = parse_formula(formula).apply(number)
    if t.kind == "F":
        return float(stored)
    return round(stored)


def raw_limits(row: GGRow, t: DFType) -> tuple[int | float | None, int | float | None]:
    """The row's Minimum and Maximum Value as stored numbers; ValueError says which is not one.

    Rows of Data Type ``H`` give them in hexadecimal, with or without ``0x`` (``FFFF``); other
    rows (``U`` rows shown as hex included) in decimal, or hexadecimal with ``0x``.
    """
    hexadecimal = row.cells.get("type", "").strip().upper().startswith("H")

    def one(column: str, title: str) -> int | float | None:
        s = row.cells.get(column, "").strip()
        if not s:
            return None
        try:
            if t.kind == "F":
                number = float(s)
                if not math.isfinite(number):
                    raise ValueError
                return number
            if s.lower().startswith("0x"):
                return int(s[2:], 16)
            if hexadecimal:
                return int(s, 16)
            value = Decimal(s)
            if not value.is_finite() or value != value.to_integral_value():
                raise ValueError
            return int(value)
        except (ValueError, ArithmeticError):
            kind = "a hexadecimal number" if hexadecimal else "a number"
            raise ValueError(f"{title} {s[:24]!r} is not {kind}") from None

    return one("min", "Minimum Value"), one("max", "Maximum Value")


#: encodings a bqStudio export may come in: UTF-8 (with or without BOM), or Windows' ANSI code
#: page when the file was saved by a Windows editor
EXPORT_ENCODINGS = ("utf-8-sig", "cp1252")


def decode_export(data: bytes, name: str) -> tuple[str, str]:
    """An export's text and the encoding it was read in; :class:`FileFormatError` (with the
    line) when it is neither UTF-8 nor Windows-1252."""
    for encoding in EXPORT_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            bad_line = undecodable_line(data, exc)
    raise FileFormatError(
        [
            Problem(
                name,
                bad_line,
                "not text: neither UTF-8 nor Windows-1252 (re-export it from bqStudio)",
                code="GG_FORMAT",
            )
        ]
    )


def check_row(row: GGRow, t: DFType, raw: RawValue) -> str | None:
    """Why ``raw`` does not fit the row's type or limits, or None."""
    try:
        encode(t, raw)
    except CodecError as exc:
        return str(exc)
    if isinstance(raw, str):
        return None
    try:
        lo, hi = raw_limits(row, t)
    except ValueError as exc:
        return str(exc)
    if (lo is not None and raw < lo) or (hi is not None and raw > hi):
        return f"raw value {raw} is outside the row's limits {lo}..{hi}"
    return None


def formula_problem(row: GGRow) -> str | None:
    for col in ("read", "write"):
        text = row.cells.get(col, "").strip()
        if text:
            try:
                parse_formula(text)
            except FormulaError as exc:
                return str(exc)
    return None
