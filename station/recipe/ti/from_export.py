"""A gauge profile for a firmware the station does not ship, from a bqStudio export alone.

bqStudio writes each parameter's class, subclass, name, type, length, address, limits, default,
units and read formula: enough for the table. What an export cannot say (which parameters play
which role, the named bits of H-type parameters, the runtime and calibration classes) is taken
from a template profile of the same family (the shipped one unless named), matched by name.
Every role must be found in the export, else the command names the missing ones and writes
nothing. Every address stays unverified until ``station profile verify`` confirms it on a pack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from station.recipe import tomltext
from station.recipe.errors import FileFormatError, Problem
from station.recipe.profile.parameter import BitField, Parameter
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import ByteStringRole, Profile, Roles
from station.recipe.profile.table import table_text
from station.recipe.ti.gg_import import layout_profile
from station.recipe.ti.ggcsv import GGFile
from station.recipe.ti.output import check_targets, profile_table_lines, write_private_text


@dataclass(frozen=True)
class FromExport:
    header_path: Path
    table_path: Path
    profile: Profile


def _by_key(profile: Profile) -> dict[str, Parameter]:
    return {p.key.casefold(): p for p in profile.parameters}


def missing_roles(template: Profile, layout: Profile) -> list[str]:
    """The template's role parameters the export does not have (full names)."""
    have = _by_key(layout)
    return [k for k in dict.fromkeys(template.roles.keys()) if k.casefold() not in have]


def build_profile(gg: GGFile, *, profile_id: str, template: Profile) -> Profile:
    """The export's layout with the template's roles and bit fields; :class:`FileFormatError`
    when a role's parameter is not in the export, or the export names no firmware."""
    if not gg.firmware:
        raise FileFormatError(
            [
                Problem(
                    gg.name,
                    1,
                    "the export's header names no firmware version: a profile is for one "
                    "firmware; export again from bqStudio with its header",
                    code="GG_FORMAT",
                )
            ]
        )
    layout = layout_profile(gg, profile_id, gg.firmware)
    missing = missing_roles(template, layout)
    if missing:
        raise FileFormatError(
            [
                Problem(
                    gg.name,
                    None,
                    f"the export has no parameter {k!r}, which profile {template.id}'s recipes "
                    "use (a role): the export is incomplete, or this firmware names it "
                    "differently",
                    parameter=k,
                    code="ROLE_MISSING",
                )
                for k in missing
            ]
        )
    have = _by_key(layout)
    params = []
    for p in layout.parameters:
        like = next((t for t in template.parameters if t.key.casefold() == p.key.casefold()), None)
        if like is not None and like.fields and p.dtype.kind == "H" and p.size == like.size:
            p = replace(p, fields=tuple(replace(f, verified=False) for f in like.fields))
        params.append(p)
    return replace(
        layout,
        description=(
            f"firmware {gg.firmware} layout exported by bqStudio in {Path(gg.name).name} "
            f"(roles from {template.id}); every address unverified"
        ),
        device_type=gg.device_number if gg.device_number is not None else template.device_type,
        parameters=tuple(params),
        roles=_renamed_roles(template.roles, have),
        runtime_classes=template.runtime_classes,
        calibration_classes=template.calibration_classes,
    )


def _renamed_roles(roles: Roles, have: Mapping[str, Parameter]) -> Roles:
    """The template's roles in the export's spelling of each key."""

    def key(k: str) -> str:
        return have[k.casefold()].key

    changes: dict[str, object] = {}
    for name, value in vars(roles).items():
        if isinstance(value, str):
            changes[name] = key(value)
        elif name == "cell_count" and isinstance(value, tuple):
            changes[name] = (key(value[0]), value[1])
        elif isinstance(value, tuple):
            changes[name] = tuple(key(v) for v in value)
        elif isinstance(value, ByteStringRole):
            changes[name] = ByteStringRole(key(value.length), key(value.first), value.size)
    return replace(roles, **changes)  # type: ignore[arg-type]


def header_text(profile: Profile, template: Profile) -> str:
    """The header of a profile made from an export: identity, sources, roles, bit fields."""
    sources = dict(profile.sources)
    back = {text: k for k, text in template.sources.items()}
    lines = [
        "# Gauge profile made by `station profile from-export` from a bqStudio export. Roles and",
        f"# bit fields come from profile {template.id}. Every address is unverified until",
        "# `station profile verify` confirms it on a reference pack and an engineer signs it off",
        "# ([[signoff]] entries, written by `station profile verify --by`).",
        *profile_table_lines(profile),
        "",
        "[sources]",
    ]
    field_sources = {
        f.source for p in profile.parameters for f in p.fields if f.source and f.source in back
    }
    for text in sorted(field_sources):
        sources.setdefault(back[text], text)
    lines += [f"{tomltext.key(k)} = {tomltext.basic_string(v)}" for k, v in sources.items()]
    lines += ["", "[roles]", *_roles_lines(profile.roles)]
    for p in profile.parameters:
        if p.fields:
            lines += ["", f"[fields.{tomltext.basic_string(p.key)}]"]
            lines += [_field_line(f, back) for f in p.fields]
    return "\n".join(lines) + "\n"


def _roles_lines(roles: Roles) -> list[str]:
    out = []
    for name, value in vars(roles).items():
        if value is None or value == ():
            continue
        if name == "cell_count" and isinstance(value, tuple):
            out.append(
                f"cell_count = {{ parameter = {tomltext.basic_string(value[0])}, "
                f"field = {tomltext.basic_string(value[1])} }}"
            )
        elif isinstance(value, ByteStringRole):
            out.append(
                f"{name} = {{ length = {tomltext.basic_string(value.length)}, first = "
                f"{tomltext.basic_string(value.first)}, size = {value.size} }}"
            )
        else:
            out.append(
                f"{name} = {tomltext.value(list(value) if isinstance(value, tuple) else value)}"
            )
    return out


def _field_line(f: BitField, back: Mapping[str, str]) -> str:
    where = f"bit = {f.low}" if f.width == 1 else f'bits = "{f.high}:{f.low}"'
    parts = [where]
    if f.offset:
        parts.append(f"offset = {f.offset}")
    parts.append("verified = false")
    if f.source in back:
        parts.append(f"source = {tomltext.basic_string(back[f.source])}")
    if f.note:
        parts.append(f"note = {tomltext.basic_string(f.note)}")
    return f"{tomltext.key(f.name)} = {{ {', '.join(parts)} }}"


def write_from_export(
    gg: GGFile, out_dir: Path, *, profile_id: str, template: Profile, force: bool = False
) -> FromExport:
    """Build the profile and write its header and table into ``out_dir`` (created exclusively,
    replaced only with ``force``); what was written must load."""
    profile = build_profile(gg, profile_id=profile_id, template=template)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = out_dir / f"{profile_id}.toml"
    table = out_dir / f"{profile_id}.csv"
    check_targets([header, table], force=force)
    back = {text: k for k, text in profile.sources.items()}
    write_private_text(table, table_text(profile.parameters, back), force=force)
    write_private_text(header, header_text(profile, template), force=force)
    return FromExport(header, table, load_profile(header))
