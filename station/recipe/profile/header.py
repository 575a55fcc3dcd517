"""The tables of a profile header besides ``[profile]``, read and checked against the parameter
table they describe:

* ``[timing]``: the figures of :class:`~station.recipe.profile.profile_model.Timing` (its fields
  declare them), each a number or ``{ value = 100.0, source = "key" }`` when it has a source of
  its own;
* ``[fields."Class:Subclass:Name"]``: named bits of H-type parameters;
* ``[roles]``: which parameters the cross-checks and per-unit fields use
  (:class:`~station.recipe.profile.profile_model.Roles` declares them; each role's shape follows
  its type);
* ``[[change]]``: documented differences from the table the profile was imported from;
* ``[[dispute]]``: sources that disagree on a parameter's address;
* ``[[signoff]]``: who confirmed which parameters, when, how and against what evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from station.recipe.errors import Problem
from station.recipe.profile.parameter import BitField, Parameter
from station.recipe.profile.profile_model import (
    SIGNOFF_METHODS,
    ByteStringRole,
    Dispute,
    ProfileChange,
    Roles,
    SignOff,
    Timing,
)
from station.recipe.tomlschema import MISSING, Kind, Place, Raw, Reader, entry

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BITN_RE = re.compile(r"bit\d+", re.IGNORECASE)


def by_key(params: Sequence[Parameter]) -> dict[str, Parameter]:
    """Parameters by their key, as the header may write it (any case)."""
    return {p.key.casefold(): p for p in params}


# -- [timing] ---------------------------------------------------------------------------------


def timing(r: Reader, raw: object, sources: Mapping[str, str]) -> Timing:
    """``[timing]``: every float of :class:`Timing` is milliseconds ≥ 0, every int a count ≥ 1."""
    if not isinstance(raw, dict):
        r.add(["timing"], "[timing] must be a table")
        return Timing()
    figures = [f for f in fields(Timing) if f.type in ("float", "int")]
    values: dict[str, Any] = {}
    own: dict[str, str] = {}
    for f in figures:
        if f.name not in raw:
            continue
        v = raw[f.name]
        if isinstance(v, dict):
            src = str(v.get("source", ""))
            if src not in sources:
                r.add(
                    ["timing", f.name],
                    f"{f.name}: source names a key of [sources]",
                    value=repr(src),
                )
            else:
                own[f.name] = sources[src]
            v = v.get("value")
        counts = f.type == "int"
        if counts:
            ok = isinstance(v, int) and not isinstance(v, bool) and v >= 1
        else:
            ok = not isinstance(v, bool) and isinstance(v, int | float) and v >= 0
        if not ok:
            why = f"{f.name} is a whole number ≥ 1" if counts else f"{f.name} is a number of ms ≥ 0"
            r.add(["timing", f.name], why, value=repr(v))
        else:
            values[f.name] = int(v) if counts else float(v)
    for name in sorted(set(raw) - {f.name for f in figures} - {"verified", "source"}):
        r.add(["timing", name], f"unknown timing entry {name}")
    source = str(raw.get("source", ""))
    return Timing(
        **values,
        verified=raw.get("verified") is True,
        source=sources.get(source, source),
        sources=own,
    )


# -- [fields] ---------------------------------------------------------------------------------


def bit_fields(
    r: Reader, params: list[Parameter], raw: object, sources: Mapping[str, str]
) -> list[Parameter]:
    """``params`` with the named bits ``[fields."Class:Subclass:Name"]`` gives them."""
    if not isinstance(raw, dict):
        r.add(["fields"], "[fields] must hold tables")
        return params
    index = {p.key.casefold(): i for i, p in enumerate(params)}
    out = list(params)
    for pkey, spec in raw.items():
        i = index.get(str(pkey).casefold())
        if i is None:
            r.add(
                ["fields", pkey],
                "bit fields for a parameter the table does not have",
                parameter=str(pkey),
            )
            continue
        p = out[i]
        if p.dtype.kind != "H" or not isinstance(spec, dict):
            r.add(["fields", pkey], "bit fields belong to H-type parameters", parameter=p.key)
            continue
        out[i] = replace(p, fields=_named_bits(r, p, pkey, spec, sources))
    return out


def _named_bits(
    r: Reader, p: Parameter, pkey: str, spec: Mapping[str, object], sources: Mapping[str, str]
) -> tuple[BitField, ...]:
    named: list[BitField] = []
    used = 0
    for fname, fspec in spec.items():
        path = ["fields", pkey, fname]
        bf = _bit_field(r, path, str(fname), fspec, p, sources)
        if bf is None:
            continue
        if _BITN_RE.fullmatch(bf.name):
            r.add(path, "bitN names are reserved for unnamed bits", parameter=p.key, value=bf.name)
        if used & bf.mask:
            r.add(
                path,
                "bit field overlaps another field",
                parameter=p.key,
                value=f"{bf.name} {bf.bits_text()}",
            )
        used |= bf.mask
        named.append(bf)
    return tuple(named)


def _bit_field(
    r: Reader,
    path: list[str],
    name: str,
    spec: object,
    p: Parameter,
    sources: Mapping[str, str],
) -> BitField | None:
    """``{ bit = 3 }`` or ``{ bits = "1:0" }``, with ``offset``, ``verified``, ``source``,
    ``note``."""
    if not isinstance(spec, dict):
        why = 'a bit field is a table: { bit = 3 } or { bits = "1:0" }'
        r.add(path, why, parameter=p.key, value=name)
        return None
    try:
        if "bit" in spec:
            low = high = int(spec["bit"])
        else:
            hi_text, lo_text = str(spec["bits"]).split(":")
            high, low = int(hi_text), int(lo_text)
    except (KeyError, ValueError):
        r.add(path, 'give bit = N or bits = "high:low"', parameter=p.key, value=name)
        return None
    width = 8 * p.size
    if not 0 <= low <= high < width:
        r.add(
            path,
            "bits outside the parameter",
            parameter=p.key,
            value=f"{name} b{high}:{low}",
            allowed=f"b0..b{width - 1}",
        )
        return None
    source = str(spec.get("source", ""))
    if source and source not in sources:
        r.add(path, f"unknown source {source!r}", parameter=p.key, value=name)
    offset = spec.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool):
        r.add(path, "offset is a whole number", parameter=p.key, value=name)
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


# -- [roles] ----------------------------------------------------------------------------------


def roles(r: Reader, raw: object, params: Sequence[Parameter]) -> Roles:
    """``[roles]``, in the order written; a role's shape follows its type in :class:`Roles`."""
    if not isinstance(raw, dict):
        r.add(["roles"], "[roles] must be a table")
        return Roles()
    known = {f.name for f in fields(Roles)}
    params_by_key = by_key(params)
    values: dict[str, Any] = {}
    for role, value in raw.items():
        at = _RoleAt(r, role, params_by_key)
        if role not in known:
            r.add(
                ["roles", role],
                f"unknown role; known roles: {', '.join(sorted(known))}",
                parameter=role,
            )
        elif role == "cell_count":
            if (key_field := _cell_count(at, value)) is not None:
                values[role] = key_field
        elif role == "manufacturer_info_a":
            if (run := _byte_run(at, value, params)) is not None:
                values[role] = run
        elif isinstance(value, list):
            values[role] = tuple(k for k in (at.need(v) for v in value) if k)
        elif key := at.need(value):
            values[role] = key
    return Roles(**values)


@dataclass(frozen=True)
class _RoleAt:
    """One role of ``[roles]``: its line, and the parameters its keys must name."""

    r: Reader
    role: str
    params: Mapping[str, Parameter]

    def add(self, why: str, *, parameter: str | None = None, value: str | None = None) -> None:
        self.r.add(["roles", self.role], why, parameter=parameter, value=value)

    def need(self, key: object) -> str | None:
        """The parameter key ``key`` names (in the table's spelling), or None (a problem)."""
        if not isinstance(key, str) or key.casefold() not in self.params:
            self.add(
                "role names a parameter the table does not have",
                parameter=self.role,
                value=repr(key),
            )
            return None
        return self.params[key.casefold()].key


def _cell_count(at: _RoleAt, value: object) -> tuple[str, str] | None:
    """``cell_count = { parameter = "...", field = "cells" }``: a bit field holding the count."""
    if not isinstance(value, dict):
        at.add('cell_count = { parameter = "...", field = "cells" }')
        return None
    key = at.need(value.get("parameter"))
    fname = str(value.get("field", ""))
    if key and not at.params[key.casefold()].field(fname):
        at.add("cell_count names a bit field the parameter lacks", value=fname)
    return (key, fname) if key else None


def _byte_run(at: _RoleAt, value: object, params: Sequence[Parameter]) -> ByteStringRole | None:
    """``{ length = "...", first = "...", size = 32 }``: a length byte, then a run of bytes."""
    if not isinstance(value, dict) or not isinstance(value.get("size"), int):
        at.add('manufacturer_info_a = { length = "...", first = "...", size = 32 }')
        return None
    length, first = at.need(value.get("length")), at.need(value.get("first"))
    if not (length and first):
        return None
    start = at.params[first.casefold()].address
    size = int(value["size"])
    if not all(any(p.address <= a < p.end for p in params) for a in range(start, start + size)):
        at.add("the byte run is not fully described by the table", parameter=at.role)
    return ByteStringRole(length, first, size)


# -- [[change]], [[dispute]], [[signoff]] -----------------------------------------------------


def _entries(r: Reader, raw: object, name: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    """The tables of an array ``[[name]]``: (index, line of its header, table)."""
    if not isinstance(raw, list):
        r.add([name], f"[[{name}]] entries are tables")
        return []
    out = []
    for i, item in enumerate(raw):
        line = r.line(name, str(i))
        if not isinstance(item, dict):
            r.add([name], f"a [[{name}]] entry is a table", line=line)
            continue
        out.append((str(i), line, item))
    return out


def changes(r: Reader, raw: object) -> tuple[ProfileChange, ...]:
    """``[[change]]``: what was changed from the imported table, and why (read as written)."""
    if not isinstance(raw, list):
        r.add(["change"], "[[change]] entries are tables")
        return ()
    out = []
    for i, item in enumerate(raw):
        line = r.line("change", str(i))
        change = r.entries(
            item if isinstance(item, dict) else {}, ProfileChange, ("change",), line=line
        )
        if change.action is not None:
            out.append(change)
    return tuple(out)


def disputes(
    r: Reader, raw: object, params: Sequence[Parameter], sources: Mapping[str, str]
) -> tuple[Dispute, ...]:
    """``[[dispute]]``: sources that disagree on a parameter's address. The table keeps one of
    the claimed addresses; the disagreement stays visible until an engineer settles it."""
    params_by_key = by_key(params)
    out: list[Dispute] = []
    for _, line, item in _entries(r, raw, "dispute"):
        p = params_by_key.get(str(item.get("parameter", "")).casefold())
        if p is None:
            why = "a dispute names a parameter the table does not have"
            r.add(["dispute"], why, value=repr(item.get("parameter")), line=line)
            continue
        claims = _claims(r, line, p, item.get("claims"), sources)
        if len(claims) < 2:
            r.add(["dispute"], "a dispute lists at least two claims", parameter=p.key, line=line)
            continue
        if p.address not in {a for _, a in claims}:
            r.add(
                ["dispute"],
                f"the table puts it at 0x{p.address:04X}, which no claim of the dispute gives",
                parameter=p.key,
                line=line,
            )
        out.append(Dispute(p.key, tuple(claims), str(item.get("why", ""))))
    return tuple(out)


def _claims(
    r: Reader, line: int | None, p: Parameter, raw: object, sources: Mapping[str, str]
) -> list[tuple[str, int]]:
    """``claims = [{ source = "key", address = "0x47CC", confidence = "high" }, ...]``."""
    claims: list[tuple[str, int]] = []
    for claim in raw if isinstance(raw, list) else []:
        src = str(claim.get("source", "")) if isinstance(claim, dict) else ""
        try:
            address = int(str(claim.get("address", "")), 16) if isinstance(claim, dict) else -1
        except ValueError:
            address = -1
        if src not in sources or address < 0:
            r.add(
                ["dispute"],
                'each claim is { source = "<a key of [sources]>", address = "0x47CC" }',
                parameter=p.key,
                value=repr(claim),
                line=line,
            )
            continue
        confidence = claim.get("confidence", "")
        text = sources[src] + (f" ({confidence} confidence)" if confidence else "")
        claims.append((text, address))
    return claims


@dataclass(frozen=True)
class _Stated(Kind):
    """Text a sign-off must state; any other value is a problem, and is kept as written for the
    checks that follow."""

    def read(self, at: Place, value: object) -> object:
        text = "" if value is MISSING else value
        if not isinstance(text, str) or not text.strip():
            at.add(f"{at.key} is required in a sign-off", value=repr(text))
        return text


@dataclass(frozen=True)
class SignOffEntry:
    """A ``[[signoff]]`` entry as written (see :class:`SignOff` for what it says)."""

    by: object = entry(_Stated())
    on: object = entry(_Stated())
    method: object = entry(_Stated())
    evidence: object = entry(_Stated())
    parameters: object = entry(Raw())


def signoffs(
    r: Reader, raw: object, params: Sequence[Parameter], disputes: Sequence[Dispute]
) -> tuple[SignOff, ...]:
    """``[[signoff]]``: which parameters an engineer confirmed on this firmware, and how."""
    out: list[SignOff] = []
    for i, line, item in _entries(r, raw, "signoff"):
        before = len(r.problems)
        e = r.entries(item, SignOffEntry, ("signoff", i), line=line)
        if isinstance(e.on, str) and e.on and not _DATE_RE.match(e.on):
            r.add(["signoff"], "on is the date of the check, YYYY-MM-DD", value=e.on, line=line)
        if e.method and e.method not in SIGNOFF_METHODS:
            why = f"method is {' or '.join(SIGNOFF_METHODS)}"
            r.add(["signoff"], why, value=repr(e.method), line=line)
        keys = _signed_keys(r, line, e.parameters, params, disputes)
        if len(r.problems) == before:
            out.append(
                SignOff(
                    by=str(e.by).strip(),
                    on=str(e.on),
                    method=str(e.method),
                    evidence=str(e.evidence).strip(),
                    parameters=keys,
                    line=line,
                )
            )
    return tuple(out)


def _signed_keys(
    r: Reader,
    line: int | None,
    names: object,
    params: Sequence[Parameter],
    disputes: Sequence[Dispute],
) -> tuple[str, ...]:
    if not isinstance(names, list) or not names:
        r.add(["signoff"], "parameters lists the confirmed parameters' full names", line=line)
        return ()
    params_by_key = by_key(params)
    disputed = {d.parameter for d in disputes}
    keys: list[str] = []
    for name in names:
        p = params_by_key.get(str(name).casefold())
        if p is None:
            r.add(["signoff"], "no such parameter in the table", value=repr(name), line=line)
        elif p.key in disputed:
            r.add(
                ["signoff"],
                "the parameter's address is disputed ([[dispute]]): settle the dispute "
                "(relocate it if needed and remove the entry) before signing it off",
                parameter=p.key,
                line=line,
            )
        else:
            keys.append(p.key)
    return tuple(keys)


def confirm(
    r: Reader, params: list[Parameter], signoffs: Sequence[SignOff], table: str
) -> list[Parameter]:
    """A parameter is verified exactly when a sign-off names it; the table's ``verified`` column
    must agree (a bare ``true`` there says nothing about who checked it, or how)."""
    confirmed = {k for s in signoffs for k in s.parameters}
    out = []
    for p in params:
        if p.verified and p.key not in confirmed:
            why = (
                "verified = true, but no [[signoff]] entry of the profile names this parameter: "
                "record who confirmed it, when, how and against what"
            )
            r.problems.append(Problem(table, p.line, why, parameter=p.key, code=r.style.code))
        out.append(replace(p, verified=p.key in confirmed))
    return out
