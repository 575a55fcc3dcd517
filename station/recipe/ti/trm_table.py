"""Import TI's TRM "Data Flash Summary" table (CSV) into a gauge profile.

The table's columns are ``class,subclass,address,type,name,min,max,default,unit`` with values as
TI prints them (hex for H types, ``0.1°C`` style units). A profile header (TOML) supplies what the
table cannot: id, device type, firmware, sources, roles, bit fields, and the documented
``[[change]]`` entries applied on import (relocate, drop, default, rename). Every imported address
is marked unverified, with the header's ``table_source`` as its source.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from station.files import PROFILE_LIMIT, read_text_limited
from station.recipe import tomltext
from station.recipe.errors import CodecError, FileFormatError, Problem
from station.recipe.profile.dftypes import DFType, RawValue, encode
from station.recipe.profile.image import DF_START, WRITABLE_END
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile
from station.recipe.profile.table import table_text
from station.recipe.ti.output import write_private_text
from station.recipe.units import parse_ti_unit

TRM_COLUMNS = ("class", "subclass", "address", "type", "name", "min", "max", "default", "unit")


def looks_like_trm_table(text: str) -> bool:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return tuple(c.strip().lower() for c in first.split(",")) == TRM_COLUMNS


def parse_trm_table(text: str, where: str, *, source: str = "") -> list[Parameter]:
    """Parameters from a TRM data-flash table; :class:`FileFormatError` lists every bad row."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise FileFormatError([Problem(where, 1, "empty or not CSV")]) from None
    if tuple(header) != TRM_COLUMNS:
        raise FileFormatError(
            [
                Problem(
                    where, 1, "the header must be: " + ",".join(TRM_COLUMNS), value=",".join(header)
                )
            ]
        )
    out: list[Parameter] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            p = _trm_row(row, line, where, source, problems)
            if p is not None:
                out.append(p)
    except csv.Error as exc:
        problems.append(Problem(where, reader.line_num, f"not valid CSV: {exc}"))
    if problems:
        raise FileFormatError(problems)
    return out


def _number(text: str, t: DFType) -> int | float | None:
    s = text.strip()
    if s in ("", "x", "—", "-"):
        return None
    if t.kind == "F":
        return float(s)
    if s.lower().startswith(("0x", "-0x")):
        return int(s, 16)
    return int(s)


def _trm_row(
    row: list[str], line: int, where: str, source: str, problems: list[Problem]
) -> Parameter | None:
    if len(row) != len(TRM_COLUMNS):
        problems.append(Problem(where, line, f"{len(row)} columns, expected {len(TRM_COLUMNS)}"))
        return None
    c = dict(zip(TRM_COLUMNS, (x.strip() for x in row), strict=True))
    key = f"{c['class']}:{c['subclass']}:{c['name']}"
    try:
        t = DFType.parse(c["type"])
        address = int(c["address"], 16)
    except (CodecError, ValueError) as exc:
        problems.append(Problem(where, line, f"bad type or address ({exc})", parameter=key))
        return None
    unit, scale = parse_ti_unit(c["unit"])
    try:
        if t.kind == "S":
            minimum = maximum = None
            default: RawValue = c["default"]
        else:
            minimum, maximum = _number(c["min"], t), _number(c["max"], t)
            d = _number(c["default"], t)
            if d is None:
                raise ValueError("no default")
            default = d
    except ValueError:
        problems.append(
            Problem(
                where,
                line,
                "min, max or default is not a number",
                parameter=key,
                value=f"{c['min']}/{c['max']}/{c['default']}",
            )
        )
        return None
    return Parameter(
        class_name=c["class"],
        subclass=c["subclass"],
        name=c["name"],
        address=address,
        dtype=t,
        unit=unit,
        scale=scale,
        minimum=minimum,
        maximum=maximum,
        default=default,
        verified=False,
        source=source,
        line=line,
    )


@dataclass(frozen=True)
class ImportedProfile:
    header_path: Path
    table_path: Path
    profile: Profile


def apply_changes(
    params: list[Parameter],
    changes: list[Mapping[str, object]],
    sources: Mapping[str, str],
    where: str,
    lines: Mapping[tuple[str, ...], int],
) -> list[Parameter]:
    """Apply a header's ``[[change]]`` entries in order; a change that cannot apply is an error."""
    problems: list[Problem] = []
    out = list(params)
    for i, change in enumerate(changes):
        line = tomltext.line_of(lines, "change", str(i))
        action = str(change.get("action", ""))
        target = str(change.get("parameter", ""))
        value = str(change.get("value", ""))
        idx = next((n for n, p in enumerate(out) if p.key.casefold() == target.casefold()), None)
        if idx is None:
            problems.append(
                Problem(where, line, f"{action}: no such parameter in the table", parameter=target)
            )
            continue
        p = out[idx]
        src_key = str(change.get("source", ""))
        source = sources.get(src_key, p.source)
        try:
            if action == "drop":
                del out[idx]
            elif action == "rename":
                out[idx] = replace(p, name=value)
            elif action == "relocate":
                address = int(value, 16)
                if not DF_START <= address <= WRITABLE_END - p.size:
                    raise ValueError("outside the writable data flash")
                out[idx] = replace(p, address=address, source=source)
            elif action == "limits":
                lo_text, hi_text = value.split("..")
                lo: int | float = float(lo_text) if p.dtype.kind == "F" else int(lo_text, 0)
                hi: int | float = float(hi_text) if p.dtype.kind == "F" else int(hi_text, 0)
                out[idx] = replace(p, minimum=lo, maximum=hi)
            elif action == "default":
                new: RawValue
                if p.dtype.kind == "S":
                    new = value
                elif p.dtype.kind == "F":
                    new = float(value)
                else:
                    new = int(value, 0)
                encode(p.dtype, new)
                out[idx] = replace(p, default=new)
            else:
                problems.append(Problem(where, line, "unknown action", value=action))
        except (ValueError, CodecError) as exc:
            problems.append(
                Problem(
                    where, line, f"{action} does not apply: {exc}", parameter=target, value=value
                )
            )
    if problems:
        raise FileFormatError(problems)
    return out


def import_trm_table(
    table: Path, header: Path, out_dir: Path, *, force: bool = False
) -> ImportedProfile:
    """TRM table + profile header → ``out_dir/<header name>`` and its CSV table, validated."""
    header_text = read_text_limited(header, PROFILE_LIMIT, what="profile header")
    try:
        raw = tomllib.loads(header_text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError([Problem(str(header), None, f"not valid TOML: {exc}")]) from None
    head = raw.get("profile", {})
    sources = {str(k): str(v) for k, v in raw.get("sources", {}).items()}
    table_source = str(head.get("table_source", ""))
    if table_source not in sources:
        raise FileFormatError(
            [
                Problem(
                    str(header),
                    None,
                    "[profile] table_source must name a key of [sources] "
                    "(where the imported table comes from)",
                )
            ]
        )
    params = parse_trm_table(
        read_text_limited(table, PROFILE_LIMIT, what="TRM table"),
        str(table),
        source=sources[table_source],
    )
    params = apply_changes(
        params, list(raw.get("change", [])), sources, str(header), tomltext.key_lines(header_text)
    )
    back = {text: key for key, text in sources.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    table_name = str(head.get("table", "")) or f"{head.get('id', table.stem)}.csv"
    table_out = out_dir / table_name
    header_out = out_dir / header.name
    write_private_text(table_out, table_text(params, back), force=force)
    if header_out.resolve() != header.resolve():
        write_private_text(header_out, header_text, force=force)
    return ImportedProfile(header_out, table_out, load_profile(header_out))


def minimal_header(
    *,
    profile_id: str,
    description: str,
    device_type: int,
    firmware: list[str],
    table_name: str,
    source_text: str,
) -> str:
    """A header for a table imported without one: no roles, no bit fields, nothing signed off."""
    lines = [
        "# Gauge profile imported from a TI data-flash table. Every address is unverified until an",
        "# engineer confirms it on the firmware named here and records it in a [[signoff]] entry.",
        "[profile]",
        f"id = {tomltext.basic_string(profile_id)}",
        f"description = {tomltext.basic_string(description)}",
        f'device_type = "0x{device_type:04X}"',
        f"firmware = {tomltext.value(firmware)}",
        'verified_by = ""',
        'verified_on = ""',
        f"table = {tomltext.basic_string(table_name)}",
        'table_source = "table"',
        "",
        "[sources]",
        f"table = {tomltext.basic_string(source_text)}",
        "",
    ]
    return "\n".join(lines)
