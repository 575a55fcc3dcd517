"""Gauge profile files: a TOML header an engineer reads, plus a CSV table, one row per parameter.

``<id>.toml``::

    [profile]
    id = "bq40z50-r1"
    description = "..."
    device_type = "0x4500"
    firmware = ["1.09"]
    builds = []                 # optional: firmware builds it applies to; empty = any
    verified_by = ""            # an engineer's sign-off; empty = not signed off
    verified_on = ""
    table = "bq40z50-r1.csv"

    [sources]                   # short names for where facts come from
    bq4050-trm = "BQ4050 TRM SLUUAQ3A Table 14-1 ..."

    [timing]                    # what the station plans with; UNCONFIRMED unless verified
    [roles]                     # which parameters the cross-checks and per-unit fields use
    [fields."Class:Subclass:Name"]   # named bits of H-type parameters
    [[change]]                  # documented differences from the table it was imported from

``<id>.csv`` columns: ``class,subclass,name,address,type,unit,scale,min,max,default,verified,
source``. ``min``/``max``/``default`` are stored values in TI's table units; ``unit`` and ``scale``
give the engineering value (stored 550 × scale 0.1 = 55.0 °C).

Every load validates the whole profile and reports every problem with its file and line.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from station.files import PROFILE_LIMIT, create_exclusive, read_text_limited
from station.recipe import tomltext
from station.recipe.errors import CodecError, Problem, ProfileInvalid, ProfileNotFound
from station.recipe.profile.dftypes import DFType, RawValue, encode
from station.recipe.profile.image import DF_START, WRITABLE_END
from station.recipe.profile.model import (
    FIRMWARE_RE,
    SIGNOFF_METHODS,
    BitField,
    ByteStringRole,
    Dispute,
    Parameter,
    Profile,
    ProfileChange,
    Roles,
    SignOff,
    Timing,
)

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
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def package_profile_dir() -> Path:
    """Where the profiles shipped with the station live."""
    return Path(str(resources.files("station.recipe.profile").joinpath("shipped")))


# -- loading --------------------------------------------------------------------------------


@dataclass
class _Collector:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        file: str,
        line: int | None,
        why: str,
        *,
        parameter: str | None = None,
        value: str | None = None,
        allowed: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(file, line, why, parameter, value, allowed, code="PROFILE_INVALID")
        )


def load_profile(path: Path) -> Profile:
    """Load and validate a profile header (and the table it names); :class:`ProfileInvalid`."""
    problems = _Collector()
    where = str(path)
    try:
        header_text = read_text_limited(path, PROFILE_LIMIT, what="profile")
    except OSError as exc:
        raise ProfileNotFound(
            f"profile file {path} cannot be read: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError:
        raise ProfileNotFound(f"profile file {path} is not UTF-8 text") from None
    try:
        raw = tomllib.loads(header_text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileInvalid(
            [Problem(where, tomltext.error_line(exc), f"not valid TOML: {exc}")]
        ) from None
    lines = tomltext.key_lines(header_text)
    head = raw.get("profile")
    if not isinstance(head, dict):
        raise ProfileInvalid([Problem(where, 1, "no [profile] table: this is not a gauge profile")])

    def line(*p: str) -> int | None:
        return tomltext.line_of(lines, *p)

    sources = {str(k): str(v) for k, v in raw.get("sources", {}).items()}
    pid = _str(head, "id", problems, where, line("profile", "id"), required=True)
    if pid and not _ID_RE.match(pid):
        problems.add(
            where,
            line("profile", "id"),
            "a profile id is lower-case letters, digits, . _ -",
            value=repr(pid),
        )
    device_type = _int(
        head.get("device_type"),
        problems,
        where,
        line("profile", "device_type"),
        "device_type",
        0,
        0xFFFF,
    )
    firmware = head.get("firmware", [])
    if not isinstance(firmware, list) or not firmware:
        problems.add(
            where,
            line("profile", "firmware"),
            'firmware is a non-empty list of versions, e.g. ["1.09"]',
        )
        firmware = []
    for fw in firmware:
        if not isinstance(fw, str) or not FIRMWARE_RE.match(fw):
            problems.add(
                where,
                line("profile", "firmware"),
                'a firmware version is written major.minor as the gauge reports it, e.g. "1.09"',
                value=repr(fw),
            )
    builds = head.get("builds", [])
    if not isinstance(builds, list) or not all(isinstance(b, int) for b in builds):
        problems.add(where, line("profile", "builds"), "builds is a list of build numbers")
        builds = []
    table_name = _str(head, "table", problems, where, line("profile", "table"), required=True)
    timing = _timing(raw.get("timing", {}), problems, where, lines, sources)

    params: list[Parameter] = []
    table_text = ""
    table_path = path.parent / table_name if table_name else None
    if table_path is not None:
        try:
            table_text = read_text_limited(table_path, PROFILE_LIMIT, what="profile table")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
            problems.add(
                where,
                line("profile", "table"),
                f"the table {table_path} cannot be read ({why or exc.__class__.__name__})",
            )
        else:
            params = parse_table(table_text, str(table_path), sources, problems)

    fields_raw = raw.get("fields", {})
    params = _attach_fields(params, fields_raw, problems, where, lines, sources)
    _check_overlaps(params, problems, str(table_path))
    roles = _roles(raw.get("roles", {}), params, problems, where, lines)
    changes = _changes(raw.get("change", []), problems, where, lines)
    disputes = _disputes(raw.get("dispute", []), params, problems, where, lines, sources)
    signoffs = _signoffs(raw.get("signoff", []), params, problems, where, lines, disputes)
    params = _confirm(params, signoffs, problems, str(table_path))
    if problems.problems:
        raise ProfileInvalid(problems.problems)
    return Profile(
        id=pid,
        description=str(head.get("description", "")),
        device_type=device_type,
        firmware=tuple(str(f) for f in firmware),
        builds=tuple(builds),
        verified_by=str(head.get("verified_by", "")),
        verified_on=str(head.get("verified_on", "")),
        timing=timing,
        parameters=tuple(params),
        roles=roles,
        sources=sources,
        changes=changes,
        signoffs=signoffs,
        disputes=disputes,
        runtime_classes=tuple(str(c) for c in head.get("runtime_classes", [])),
        calibration_classes=tuple(str(c) for c in head.get("calibration_classes", [])),
        header_path=path,
        table_path=table_path,
        header_text=header_text,
        table_text=table_text,
    )


def _str(
    table: Mapping[str, Any],
    name: str,
    problems: _Collector,
    where: str,
    line: int | None,
    *,
    required: bool = False,
) -> str:
    value = table.get(name, "")
    if not isinstance(value, str):
        problems.add(where, line, f"{name} must be text", value=repr(value))
        return ""
    if required and not value.strip():
        problems.add(where, line, f"{name} is required")
    return value


def _int(
    value: object, problems: _Collector, where: str, line: int | None, name: str, lo: int, hi: int
) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = value if isinstance(value, int) else int(str(value), 0)
    except (TypeError, ValueError):
        problems.add(where, line, f"{name} must be a number (0x4500 or 17664)", value=repr(value))
        return 0
    if not lo <= number <= hi:
        problems.add(
            where, line, f"{name} is out of range", value=str(number), allowed=f"{lo}..{hi}"
        )
    return number


_TIMING_MS = (
    "df_write_busy_ms",
    "df_write_per_byte_ms",
    "reset_wait_ms",
    "signature_wait_ms",
    "seal_busy_ms",
    "df_write_min_ms",
    "df_write_backoff_ms",
)
_TIMING_COUNTS = ("df_write_attempts",)


def _timing(
    raw: object,
    problems: _Collector,
    where: str,
    lines: Mapping[tuple[str, ...], int],
    sources: Mapping[str, str],
) -> Timing:
    """``[timing]``: each entry a number, or ``{ value = 100.0, source = "key" }`` when the figure
    has a source of its own (the table's ``source`` covers the rest)."""
    if not isinstance(raw, dict):
        problems.add(where, tomltext.line_of(lines, "timing"), "[timing] must be a table")
        return Timing()
    values: dict[str, Any] = {}
    own: dict[str, str] = {}
    for name in (*_TIMING_MS, *_TIMING_COUNTS):
        if name not in raw:
            continue
        line = tomltext.line_of(lines, "timing", name)
        v = raw[name]
        if isinstance(v, dict):
            src = str(v.get("source", ""))
            if src not in sources:
                problems.add(
                    where, line, f"{name}: source names a key of [sources]", value=repr(src)
                )
            else:
                own[name] = sources[src]
            v = v.get("value")
        counts = name in _TIMING_COUNTS
        if counts:
            ok = isinstance(v, int) and not isinstance(v, bool) and v >= 1
        else:
            ok = not isinstance(v, bool) and isinstance(v, int | float) and v >= 0
        if not ok:
            problems.add(
                where,
                line,
                f"{name} is a whole number ≥ 1" if counts else f"{name} is a number of ms ≥ 0",
                value=repr(v),
            )
        else:
            values[name] = int(v) if counts else float(v)
    for name in sorted(set(raw) - {*_TIMING_MS, *_TIMING_COUNTS, "verified", "source"}):
        problems.add(where, tomltext.line_of(lines, "timing", name), f"unknown timing entry {name}")
    source = str(raw.get("source", ""))
    return Timing(
        **values,
        verified=raw.get("verified") is True,
        source=sources.get(source, source),
        sources=own,
    )


def _parse_number(text: str, t: DFType) -> int | float:
    t_text = text.strip()
    if t.kind == "F":
        return float(t_text)
    return int(t_text, 16) if t_text.lower().startswith("0x") else int(t_text)


def parse_table(
    text: str, where: str, sources: Mapping[str, str], problems: _Collector
) -> list[Parameter]:
    """Rows of a profile table; every malformed cell becomes a problem with its line."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        problems.add(where, 1, "the table is empty")
        return []
    except csv.Error as exc:
        problems.add(where, 1, f"not valid CSV: {exc}")
        return []
    if tuple(h.strip() for h in header) != COLUMNS:
        problems.add(
            where, 1, "the header row must be exactly: " + ",".join(COLUMNS), value=",".join(header)
        )
        return []
    params: list[Parameter] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            p = _row(row, line, where, sources, problems)
            if p is None:
                continue
            key = p.key.casefold()
            if key in seen:
                problems.add(
                    where, line, f"duplicate parameter (first on line {seen[key]})", parameter=p.key
                )
                continue
            seen[key] = line
            params.append(p)
    except csv.Error as exc:
        problems.add(where, reader.line_num, f"not valid CSV: {exc}")
    return params


def _row(
    row: list[str], line: int, where: str, sources: Mapping[str, str], problems: _Collector
) -> Parameter | None:
    if len(row) != len(COLUMNS):
        problems.add(where, line, f"{len(row)} columns, expected {len(COLUMNS)}")
        return None
    cells = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
    name = f"{cells['class']}:{cells['subclass']}:{cells['name']}"
    before = len(problems.problems)

    def bad(why: str, value: str | None = None, allowed: str | None = None) -> None:
        problems.add(where, line, why, parameter=name, value=value, allowed=allowed)

    if not cells["class"] or not cells["subclass"] or not cells["name"]:
        bad("class, subclass and name are all required")
    if ":" in cells["class"] + cells["subclass"] + cells["name"]:
        bad("names may not contain ':' (it separates class, subclass and name)")
    try:
        t = DFType.parse(cells["type"])
    except CodecError as exc:
        bad(str(exc), cells["type"])
        return None
    try:
        address = int(cells["address"], 16)
    except ValueError:
        bad("the address is hexadecimal, e.g. 0x4481", cells["address"])
        return None
    if address < DF_START or address + t.size > WRITABLE_END:
        bad(
            "the address is outside the writable data flash",
            f"0x{address:04X} ({t})",
            "0x4000..0x5F7F",
        )
    try:
        scale = Decimal(cells["scale"] or "1")
        if not scale.is_finite() or scale <= 0:
            raise InvalidOperation
    except InvalidOperation:
        bad("scale is a positive number (stored × scale = engineering value)", cells["scale"])
        scale = Decimal(1)
    minimum: int | float | None = None
    maximum: int | float | None = None
    default: RawValue
    if t.kind == "S":
        if cells["min"] or cells["max"]:
            bad("strings have no min/max; leave those cells empty")
        default = cells["default"]
        try:
            encode(t, default)
        except CodecError as exc:
            bad(f"default does not fit: {exc}", repr(default))
    else:
        try:
            minimum = _parse_number(cells["min"], t) if cells["min"] else None
            maximum = _parse_number(cells["max"], t) if cells["max"] else None
            default = _parse_number(cells["default"], t)
        except ValueError:
            bad(
                f"min, max and default must be numbers for type {t}",
                f"{cells['min']}/{cells['max']}/{cells['default']}",
            )
            return None
        if t.is_integer:
            for label, v in (("min", minimum), ("max", maximum), ("default", default)):
                if v is not None and not t.raw_min <= v <= t.raw_max:
                    bad(f"{label} does not fit type {t}", str(v), f"{t.raw_min}..{t.raw_max}")
        lo = minimum if minimum is not None else -float("inf")
        hi = maximum if maximum is not None else float("inf")
        if lo > hi:
            bad("min is greater than max", f"{minimum} > {maximum}")
        elif not lo <= default <= hi:
            bad("default is outside min..max", str(default), f"{minimum}..{maximum}")
    verified_text = cells["verified"].lower()
    if verified_text not in ("true", "false"):
        bad("verified is true or false", cells["verified"])
    source_key = cells["source"]
    if source_key and source_key not in sources:
        bad(f"unknown source {source_key!r}; declare it under [sources]", source_key)
    if not source_key:
        bad("every parameter names its source (a key of [sources])")
    if len(problems.problems) > before:
        return None
    return Parameter(
        class_name=cells["class"],
        subclass=cells["subclass"],
        name=cells["name"],
        address=address,
        dtype=t,
        unit=cells["unit"],
        scale=scale,
        minimum=minimum,
        maximum=maximum,
        default=default,
        verified=verified_text == "true",
        source=sources.get(source_key, source_key),
        line=line,
    )


def _check_overlaps(params: Sequence[Parameter], problems: _Collector, where: str) -> None:
    ordered = sorted(params, key=lambda p: p.address)
    for a, b in itertools.pairwise(ordered):
        if b.address < a.end:
            problems.add(
                where,
                b.line,
                f"overlaps {a.key} (line {a.line}, 0x{a.address:04X}-0x{a.end - 1:04X})",
                parameter=b.key,
                value=f"0x{b.address:04X} {b.dtype}",
            )


def _attach_fields(
    params: list[Parameter],
    raw: object,
    problems: _Collector,
    where: str,
    lines: Mapping[tuple[str, ...], int],
    sources: Mapping[str, str],
) -> list[Parameter]:
    if not isinstance(raw, dict):
        problems.add(where, tomltext.line_of(lines, "fields"), "[fields] must hold tables")
        return params
    by_key = {p.key.casefold(): i for i, p in enumerate(params)}
    out = list(params)
    for pkey, spec in raw.items():
        line = tomltext.line_of(lines, "fields", pkey)
        idx = by_key.get(str(pkey).casefold())
        if idx is None:
            problems.add(
                where,
                line,
                "bit fields for a parameter the table does not have",
                parameter=str(pkey),
            )
            continue
        p = out[idx]
        if p.dtype.kind != "H" or not isinstance(spec, dict):
            problems.add(where, line, "bit fields belong to H-type parameters", parameter=p.key)
            continue
        fields_: list[BitField] = []
        used = 0
        for fname, fspec in spec.items():
            fline = tomltext.line_of(lines, "fields", pkey, fname)
            bf = _bitfield(str(fname), fspec, p, problems, where, fline, sources)
            if bf is None:
                continue
            if re.fullmatch(r"bit\d+", bf.name, re.IGNORECASE):
                problems.add(
                    where,
                    fline,
                    "bitN names are reserved for unnamed bits",
                    parameter=p.key,
                    value=bf.name,
                )
            if used & bf.mask:
                problems.add(
                    where,
                    fline,
                    "bit field overlaps another field",
                    parameter=p.key,
                    value=f"{bf.name} {bf.bits_text()}",
                )
            used |= bf.mask
            fields_.append(bf)
        out[idx] = replace(p, fields=tuple(fields_))
    return out


def _bitfield(
    name: str,
    spec: object,
    p: Parameter,
    problems: _Collector,
    where: str,
    line: int | None,
    sources: Mapping[str, str],
) -> BitField | None:
    if not isinstance(spec, dict):
        problems.add(
            where,
            line,
            'a bit field is a table: { bit = 3 } or { bits = "1:0" }',
            parameter=p.key,
            value=name,
        )
        return None
    try:
        if "bit" in spec:
            low = high = int(spec["bit"])
        else:
            hi_text, lo_text = str(spec["bits"]).split(":")
            high, low = int(hi_text), int(lo_text)
    except (KeyError, ValueError):
        problems.add(where, line, 'give bit = N or bits = "high:low"', parameter=p.key, value=name)
        return None
    width = 8 * p.size
    if not 0 <= low <= high < width:
        problems.add(
            where,
            line,
            "bits outside the parameter",
            parameter=p.key,
            value=f"{name} b{high}:{low}",
            allowed=f"b0..b{width - 1}",
        )
        return None
    source = str(spec.get("source", ""))
    if source and source not in sources:
        problems.add(where, line, f"unknown source {source!r}", parameter=p.key, value=name)
    offset = spec.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool):
        problems.add(where, line, "offset is a whole number", parameter=p.key, value=name)
        offset = 0
    return BitField(
        name=name,
        low=low,
        high=high,
        offset=offset,
        verified=spec.get("verified") is True,
        source=sources.get(source, source),
        note=str(spec.get("note", "")),
    )


def _roles(
    raw: object,
    params: Sequence[Parameter],
    problems: _Collector,
    where: str,
    lines: Mapping[tuple[str, ...], int],
) -> Roles:
    if not isinstance(raw, dict):
        problems.add(where, tomltext.line_of(lines, "roles"), "[roles] must be a table")
        return Roles()
    by_key = {p.key.casefold(): p for p in params}
    known = set(Roles.__dataclass_fields__)
    values: dict[str, Any] = {}

    def need(key: object, role: str) -> str | None:
        line = tomltext.line_of(lines, "roles", role)
        if not isinstance(key, str) or key.casefold() not in by_key:
            problems.add(
                where,
                line,
                "role names a parameter the table does not have",
                parameter=role,
                value=repr(key),
            )
            return None
        return by_key[key.casefold()].key

    for role, value in raw.items():
        line = tomltext.line_of(lines, "roles", role)
        if role not in known:
            problems.add(
                where,
                line,
                f"unknown role; known roles: {', '.join(sorted(known))}",
                parameter=role,
            )
        elif role == "cell_count":
            if not isinstance(value, dict):
                problems.add(where, line, 'cell_count = { parameter = "...", field = "cells" }')
                continue
            key = need(value.get("parameter"), role)
            fname = str(value.get("field", ""))
            if key and not by_key[key.casefold()].field(fname):
                problems.add(
                    where, line, "cell_count names a bit field the parameter lacks", value=fname
                )
            if key:
                values[role] = (key, fname)
        elif role == "manufacturer_info_a":
            if not isinstance(value, dict) or not isinstance(value.get("size"), int):
                problems.add(
                    where,
                    line,
                    'manufacturer_info_a = { length = "...", first = "...", size = 32 }',
                )
                continue
            length, first = need(value.get("length"), role), need(value.get("first"), role)
            if length and first:
                start = by_key[first.casefold()].address
                size = int(value["size"])
                covered = all(
                    any(p.address <= a < p.end for p in params) for a in range(start, start + size)
                )
                if not covered:
                    problems.add(
                        where,
                        line,
                        "the byte run is not fully described by the table",
                        parameter=role,
                    )
                values[role] = ByteStringRole(length, first, size)
        elif isinstance(value, list):
            keys = [need(v, role) for v in value]
            values[role] = tuple(k for k in keys if k)
        else:
            key = need(value, role)
            if key:
                values[role] = key
    return Roles(**values)


def _changes(
    raw: object, problems: _Collector, where: str, lines: Mapping[tuple[str, ...], int]
) -> tuple[ProfileChange, ...]:
    if not isinstance(raw, list):
        problems.add(where, tomltext.line_of(lines, "change"), "[[change]] entries are tables")
        return ()
    out = []
    for i, entry in enumerate(raw):
        line = tomltext.line_of(lines, "change", str(i))
        if not isinstance(entry, dict) or entry.get("action") not in (
            "relocate",
            "drop",
            "default",
            "rename",
            "limits",
        ):
            problems.add(
                where, line, "a change has action = relocate, drop, default, rename or limits"
            )
            continue
        out.append(
            ProfileChange(
                action=str(entry["action"]),
                parameter=str(entry.get("parameter", "")),
                value=str(entry.get("value", "")),
                why=str(entry.get("why", "")),
                source=str(entry.get("source", "")),
            )
        )
    return tuple(out)


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _entries(
    raw: object, name: str, problems: _Collector, where: str, lines: Mapping[tuple[str, ...], int]
) -> list[tuple[int | None, dict[str, Any]]]:
    if not isinstance(raw, list):
        problems.add(where, tomltext.line_of(lines, name), f"[[{name}]] entries are tables")
        return []
    out = []
    for i, entry in enumerate(raw):
        line = tomltext.line_of(lines, name, str(i))
        if not isinstance(entry, dict):
            problems.add(where, line, f"a [[{name}]] entry is a table")
            continue
        out.append((line, entry))
    return out


def _disputes(
    raw: object,
    params: Sequence[Parameter],
    problems: _Collector,
    where: str,
    lines: Mapping[tuple[str, ...], int],
    sources: Mapping[str, str],
) -> tuple[Dispute, ...]:
    """``[[dispute]]``: sources that disagree on a parameter's address. The table keeps one of
    the claimed addresses; the disagreement stays visible until an engineer settles it."""
    by_key = {p.key.casefold(): p for p in params}
    out: list[Dispute] = []
    for line, entry in _entries(raw, "dispute", problems, where, lines):
        p = by_key.get(str(entry.get("parameter", "")).casefold())
        if p is None:
            problems.add(
                where,
                line,
                "a dispute names a parameter the table does not have",
                value=repr(entry.get("parameter")),
            )
            continue
        claims: list[tuple[str, int]] = []
        for claim in entry.get("claims", []) if isinstance(entry.get("claims"), list) else []:
            src = str(claim.get("source", "")) if isinstance(claim, dict) else ""
            try:
                address = int(str(claim.get("address", "")), 16) if isinstance(claim, dict) else -1
            except ValueError:
                address = -1
            if src not in sources or address < 0:
                problems.add(
                    where,
                    line,
                    'each claim is { source = "<a key of [sources]>", address = "0x47CC" }',
                    parameter=p.key,
                    value=repr(claim),
                )
                continue
            confidence = claim.get("confidence", "")
            text = sources[src] + (f" ({confidence} confidence)" if confidence else "")
            claims.append((text, address))
        if len(claims) < 2:
            problems.add(where, line, "a dispute lists at least two claims", parameter=p.key)
            continue
        if p.address not in {a for _, a in claims}:
            problems.add(
                where,
                line,
                f"the table puts it at 0x{p.address:04X}, which no claim of the dispute gives",
                parameter=p.key,
            )
        out.append(Dispute(p.key, tuple(claims), str(entry.get("why", ""))))
    return tuple(out)


def _signoffs(
    raw: object,
    params: Sequence[Parameter],
    problems: _Collector,
    where: str,
    lines: Mapping[tuple[str, ...], int],
    disputes: Sequence[Dispute],
) -> tuple[SignOff, ...]:
    """``[[signoff]]``: which parameters an engineer confirmed on this firmware, and how."""
    by_key = {p.key.casefold(): p for p in params}
    disputed = {d.parameter for d in disputes}
    out: list[SignOff] = []
    for line, entry in _entries(raw, "signoff", problems, where, lines):
        before = len(problems.problems)
        texts = {k: entry.get(k, "") for k in ("by", "on", "method", "evidence")}
        for k, v in texts.items():
            if not isinstance(v, str) or not v.strip():
                problems.add(where, line, f"{k} is required in a sign-off", value=repr(v))
        if isinstance(texts["on"], str) and texts["on"] and not _DATE_RE.match(texts["on"]):
            problems.add(where, line, "on is the date of the check, YYYY-MM-DD", value=texts["on"])
        if texts["method"] and texts["method"] not in SIGNOFF_METHODS:
            problems.add(
                where,
                line,
                f"method is {' or '.join(SIGNOFF_METHODS)}",
                value=repr(texts["method"]),
            )
        names = entry.get("parameters", [])
        if not isinstance(names, list) or not names:
            problems.add(where, line, "parameters lists the confirmed parameters' full names")
            names = []
        keys: list[str] = []
        for name in names:
            p = by_key.get(str(name).casefold())
            if p is None:
                problems.add(where, line, "no such parameter in the table", value=repr(name))
            elif p.key in disputed:
                problems.add(
                    where,
                    line,
                    "the parameter's address is disputed ([[dispute]]): settle the dispute "
                    "(relocate it if needed and remove the entry) before signing it off",
                    parameter=p.key,
                )
            else:
                keys.append(p.key)
        if len(problems.problems) == before:
            out.append(
                SignOff(
                    by=str(texts["by"]).strip(),
                    on=str(texts["on"]),
                    method=str(texts["method"]),
                    evidence=str(texts["evidence"]).strip(),
                    parameters=tuple(keys),
                    line=line,
                )
            )
    return tuple(out)


def _confirm(
    params: list[Parameter], signoffs: Sequence[SignOff], problems: _Collector, table: str
) -> list[Parameter]:
    """A parameter is verified exactly when a sign-off names it; the table's ``verified`` column
    must agree (a bare ``true`` there says nothing about who checked it, or how)."""
    confirmed = {k for s in signoffs for k in s.parameters}
    out = []
    for p in params:
        if p.verified and p.key not in confirmed:
            problems.add(
                table,
                p.line,
                "verified = true, but no [[signoff]] entry of the profile names this parameter: "
                "record who confirmed it, when, how and against what",
                parameter=p.key,
            )
        out.append(replace(p, verified=p.key in confirmed))
    return out


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


def write_private_text(path: Path, text: str, mode: int = 0o644, *, force: bool = False) -> None:
    """Create ``path`` holding ``text`` with ``mode`` from the start (no moment with wider
    rights), exclusively and never through a symbolic link; an existing file is replaced (as a
    whole, the link itself rather than what it points to) only with ``force``."""
    create_exclusive(path, text.encode("utf-8"), mode=mode, force=force)


# -- the library ----------------------------------------------------------------------------


class ProfileLibrary:
    """Profiles shipped with the station plus those in engineers' folders (``--profiles DIR``).

    One library per command or socket; it caches what it loaded.
    """

    def __init__(self, extra_dirs: Sequence[Path] = (), *, include_package: bool = True) -> None:
        self.dirs: list[Path] = [*extra_dirs]
        if include_package:
            self.dirs.append(package_profile_dir())
        self._cache: dict[Path, Profile] = {}

    def headers(self) -> dict[str, list[Path]]:
        """{profile id: header files declaring it} for every profile header in the folders."""
        found: dict[str, list[Path]] = {}
        for d in self.dirs:
            if not d.is_dir():
                continue
            for path in sorted(d.glob("*.toml")):
                try:
                    text = read_text_limited(path, PROFILE_LIMIT, what="profile")
                    head = tomllib.loads(text).get("profile")
                except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                    continue
                if isinstance(head, dict) and isinstance(head.get("id"), str):
                    found.setdefault(head["id"], []).append(path)
        return found

    def ids(self) -> list[str]:
        return sorted(self.headers())

    def load(self, path: Path) -> Profile:
        resolved = path.resolve()
        if resolved not in self._cache:
            self._cache[resolved] = load_profile(path)
        return self._cache[resolved]

    def get(self, id_or_path: str) -> Profile:
        """A profile by id, or by the path of its header file."""
        candidate = Path(id_or_path)
        if id_or_path.endswith(".toml") or candidate.is_file():
            return self.load(candidate)
        found = self.headers()
        paths = found.get(id_or_path, [])
        if not paths:
            known = ", ".join(sorted(found)) or "none"
            raise ProfileNotFound(
                f"no gauge profile {id_or_path!r} (known: {known}); add its folder with "
                "--profiles DIR or import one with `station profile import`"
            )
        if len(paths) > 1:
            listed = ", ".join(str(p) for p in paths)
            raise ProfileNotFound(
                f"profile id {id_or_path!r} is declared twice ({listed}); a recipe must name "
                "exactly one layout: rename one of them"
            )
        return self.load(paths[0])
