"""Loading a gauge profile: a TOML header an engineer reads, plus a CSV table, a row a parameter.

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
    [calibration]               # calibration constants, frame pacing, limits (profile.calibration)

``<id>.csv``: see :mod:`station.recipe.profile.table`; the other header tables:
:mod:`station.recipe.profile.header`.

Every load validates the whole profile and reports every problem with its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from station.files import PROFILE_LIMIT, TomlUnreadable, read_text_limited, read_toml_limited
from station.recipe import tomltext
from station.recipe.errors import Problem, ProfileInvalid, ProfileNotFound
from station.recipe.profile import header
from station.recipe.profile.calibration import calibration
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import FIRMWARE_RE, Profile
from station.recipe.profile.table import check_overlaps, parse_table
from station.recipe.tomlschema import (
    Loose,
    Reader,
    Style,
    Text,
    Texts,
    WholeNumber,
    WholeNumbers,
    entry,
)

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

PROFILE_STYLE = Style(
    show=repr,
    not_text="{key} must be text",
    strip=False,
    names_entries=False,
    code="PROFILE_INVALID",
)


@dataclass(frozen=True)
class ProfileTable:
    """``[profile]``: which gauge and firmware the layout is for, and where its table is."""

    id: str = entry(
        Text(required=True, pattern=_ID_RE, why="a profile id is lower-case letters, digits, . _ -")
    )
    description: str = entry(Loose())
    device_type: int = entry(WholeNumber(0, 0xFFFF, "0x4500 or 17664"))
    firmware: tuple[str, ...] = entry(
        Texts(
            why='firmware is a non-empty list of versions, e.g. ["1.09"]',
            pattern=FIRMWARE_RE,
            item_why=(
                'a firmware version is written major.minor as the gauge reports it, e.g. "1.09"'
            ),
            all_text=False,
        )
    )
    builds: tuple[int, ...] = entry(WholeNumbers("builds is a list of build numbers"))
    verified_by: str = entry(Loose())
    verified_on: str = entry(Loose())
    table: str = entry(Text(required=True))
    #: classes ("Class" or "Class:Subclass") of data each pack keeps for itself
    runtime_classes: tuple[str, ...] = entry(Loose(default=(), many=True))
    calibration_classes: tuple[str, ...] = entry(Loose(default=(), many=True))


def load_profile(path: Path) -> Profile:
    """Load and validate a profile header (and the table it names); :class:`ProfileInvalid`."""
    where = str(path)
    try:
        header_text, raw = read_toml_limited(path, PROFILE_LIMIT, what="profile")
    except TomlUnreadable as exc:
        if exc.toml_error is None:
            raise ProfileNotFound(f"profile file {path} {exc.why}") from None
        line = tomltext.error_line(exc.toml_error)
        raise ProfileInvalid([Problem(where, line, f"not valid TOML: {exc.toml_error}")]) from None
    if not isinstance(raw.get("profile"), dict):
        raise ProfileInvalid([Problem(where, 1, "no [profile] table: this is not a gauge profile")])
    r = Reader(where, tomltext.key_lines(header_text), PROFILE_STYLE, base=path.parent)
    sources = {str(k): str(v) for k, v in raw.get("sources", {}).items()}
    head = r.entries(raw["profile"], ProfileTable, ("profile",))
    timing = header.timing(r, raw.get("timing", {}), sources)
    table_path = path.parent / head.table if head.table else None
    table_text, params = _table(r, table_path, sources)
    params = header.bit_fields(r, params, raw.get("fields", {}), sources)
    check_overlaps(params, str(table_path), r.problems)
    roles = header.roles(r, raw.get("roles", {}), params)
    changes = header.changes(r, raw.get("change", []))
    disputes = header.disputes(r, raw.get("dispute", []), params, sources)
    signoffs = header.signoffs(r, raw.get("signoff", []), params, disputes)
    params = header.confirm(r, params, signoffs, str(table_path))
    cal = calibration(r, raw.get("calibration"), params, sources)
    if r.problems:
        raise ProfileInvalid(r.problems)
    return Profile(
        id=head.id,
        description=head.description,
        device_type=head.device_type,
        firmware=head.firmware,
        builds=head.builds,
        verified_by=head.verified_by,
        verified_on=head.verified_on,
        timing=timing,
        parameters=tuple(params),
        roles=roles,
        sources=sources,
        changes=changes,
        signoffs=signoffs,
        disputes=disputes,
        runtime_classes=head.runtime_classes,
        calibration_classes=head.calibration_classes,
        calibration=cal,
        header_path=path,
        table_path=table_path,
        header_text=header_text,
        table_text=table_text,
    )


def _table(
    r: Reader, table_path: Path | None, sources: dict[str, str]
) -> tuple[str, list[Parameter]]:
    """The table the header names: its text and its parameters."""
    if table_path is None:
        return "", []
    try:
        text = read_text_limited(table_path, PROFILE_LIMIT, what="profile table")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
        r.add(
            ["profile", "table"],
            f"the table {table_path} cannot be read ({why or exc.__class__.__name__})",
        )
        return "", []
    return text, parse_table(text, str(table_path), sources, r.problems)
