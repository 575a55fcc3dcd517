"""A bqStudio-style ``.gg.csv`` export of an emulated pack: what TI's tool would write for a
reference pack, so the bring-up procedure (``station profile verify``) can be run end to end
without hardware.

The rows come from the emulator's own data-flash layout (its data file), never from a station
profile: checking a profile against an export made from that same profile would prove nothing.
Values are the ones the emulated pack holds now, shown as bqStudio shows them (a step of 0.1 °C
as one decimal, ``d.d``; hexadecimal for H rows), in the layout TI's header and
``* Field Order:`` line describe (production-flow.md §3.1). Key rows are never written.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

from station.emulator.dataflash import Param, Value
from station.emulator.device import EmulatedGauge

#: the columns, in bqStudio's names
FIELD_ORDER = (
    "Class Name",
    "Subclass Name",
    "Parameter Name",
    "Parameter Value",
    "Display Units",
    "Data Type",
    "Data Length",
    "Address Offset",
    "Default Value",
    "Minimum Value",
    "Maximum Value",
    "Display Format",
)


def _number(text: str) -> int | float | None:
    t = text.strip()
    if not t or t in {"x", "-", "—"}:
        return None
    try:
        return int(t, 0)
    except ValueError:
        try:
            return float(t)
        except ValueError:
            return None


_TENTHS = re.compile(r"^\s*0\.(0*)1(0*)\s*(\S.*)$")


def _decimals(param: Param) -> tuple[int, str]:
    """A unit written with a power-of-ten step ("0.1°C", "0.01%"): the decimals bqStudio shows
    and the unit it names; other units: (0, the unit)."""
    found = _TENTHS.match(param.unit)
    if found is None or param.type[0] not in "IU":
        return 0, _unit(param)
    return len(found.group(1)) + 1, found.group(3).strip()


def _display(param: Param, value: Value) -> str:
    """The value as bqStudio shows it with this row's Display Format (in engineering units:
    a stored 250 in steps of 0.1 °C shows as 25.0)."""
    kind = param.type[0]
    if isinstance(value, str):
        return value
    if kind == "H" and isinstance(value, int):
        return f"{value:0{2 * param.size}X}"
    if isinstance(value, float):
        return f"{value:.9g}"  # nine digits bring a single-precision float back exactly
    decimals, _ = _decimals(param)
    if decimals:
        return f"{Decimal(value).scaleb(-decimals):.{decimals}f}"
    return str(value)


def exported_params(gauge: EmulatedGauge) -> list[Param]:
    """The layout rows an export lists, in address order: one parameter a byte. Where the
    emulator's layout file gives two rows the same bytes (a sibling part's row kept beside the
    one this firmware uses), the row the emulated firmware uses wins, else the first."""
    fw = gauge.firmware
    used = {fw.layout[name].key for name in fw.roles.values() if name in fw.layout}
    taken: set[int] = set()
    chosen: list[Param] = []
    rows = sorted(fw.layout, key=lambda p: (p.key not in used, p.address))
    for param in rows:
        span = set(range(param.address, param.address + param.size))
        if span & taken:
            continue
        taken |= span
        chosen.append(param)
    return sorted(chosen, key=lambda p: p.address)


def _limit(param: Param, text: str) -> str:
    number = _number(text)
    if number is None or param.type.startswith("S"):
        return ""
    if isinstance(number, int) and param.type[0] in "IUH":
        # bqStudio's limits always fit the type
        bits = 8 * param.size
        low, high = (
            (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            if param.type[0] == "I"
            else (0, (1 << bits) - 1)
        )
        number = min(max(number, low), high)
    if param.type[0] == "H" and isinstance(number, int):
        return f"{number:0{2 * param.size}X}"
    return str(number)


def _format(param: Param) -> str:
    kind = param.type[0]
    decimals, _ = _decimals(param)
    if decimals:
        return "d." + "d" * decimals
    if kind == "H":
        return "h" * (2 * param.size)
    if kind == "S":
        return "s"
    if kind == "F":
        return ""
    return "d"


def _unit(param: Param) -> str:
    unit = param.unit.strip()
    return "" if unit in {"—", "-", "Hex", "hex"} else unit


def gg_csv_text(gauge: EmulatedGauge, *, created: datetime) -> str:
    """The export of ``gauge`` as bqStudio would write it (text, CRLF-free)."""
    identity = gauge.identity
    fw = identity.firmware_version
    version = f"{fw[2]}.{fw[3]:02X}" if len(fw) >= 4 else "0.00"
    build = int.from_bytes(fw[4:6], "big") if len(fw) >= 6 else 0
    out = io.StringIO()
    for line in (
        "Texas Instruments Data Flash File",
        f"File created {created:%a %b %d %H:%M:%S %Y}",
        f"Device Number {identity.device_type:04X}",
        f"Firmware Version {version}",
        f"Build Number {build}",
        "Order Number",
        f"Field Order: {', '.join(FIELD_ORDER)}",
    ):
        out.write(f"* {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    for param in exported_params(gauge):
        value = param.decode(gauge.df_peek(param.address, param.size))
        default = _display(param, _default(param))
        writer.writerow(
            [
                param.cls,
                param.subclass,
                param.name,
                _display(param, value),
                _decimals(param)[1],
                param.type[0],
                param.size,
                f"0x{param.address:04X}",
                default,
                _limit(param, param.minimum),
                _limit(param, param.maximum),
                _format(param),
            ]
        )
    return out.getvalue()


def _default(param: Param) -> Value:
    try:
        return param.decode(param.default_bytes())
    except (ValueError, TypeError):
        return "" if param.type.startswith("S") else 0
