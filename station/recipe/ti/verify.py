"""Bring-up: does a gauge profile put each parameter where the firmware keeps it?

The evidence is a bqStudio ``.gg.csv`` export of a reference pack (TI's tool knows the firmware's
layout and writes each parameter's class, subclass, name, type, length and address) and,
optionally, that pack's data-flash image read by the station. Each parameter of the profile is
matched to the export's row by class/subclass/name, then:

* the export's address, type and length must be the profile's;
* with an image, the pack must hold the export's value at the profile's address. A value whose
  bytes are all alike (zeros, 0xFF, an empty string) would be found at many addresses, so it
  confirms only weakly: change it on the reference pack, export again and verify again.

Only :data:`Status.CONFIRMED` parameters may be signed off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from station.recipe.errors import CodecError, FileFormatError, Problem, RecipeError
from station.recipe.profile.dftypes import DFType, RawValue
from station.recipe.profile.image import DataFlashImage
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Dispute, Profile
from station.recipe.ti.gg_import import check_origin
from station.recipe.ti.ggcsv import GGFile, GGRow, display_to_raw, row_type


class Status(StrEnum):
    """What the evidence says about one parameter (the value reads in the table)."""

    CONFIRMED = "confirmed"
    WEAK = "confirmed weakly"
    ADDRESS_DIFFERS = "address differs"
    TYPE_DIFFERS = "type differs"
    PACK_DIFFERS = "pack differs"
    NOT_IN_EXPORT = "not in the export"
    DISPUTED = "disputed"


#: how the table lists them: problems first, then what needs a second look, then the good news
STATUS_ORDER = (
    Status.ADDRESS_DIFFERS,
    Status.TYPE_DIFFERS,
    Status.PACK_DIFFERS,
    Status.DISPUTED,
    Status.WEAK,
    Status.NOT_IN_EXPORT,
    Status.CONFIRMED,
)

#: how a sign-off says the evidence was gathered (the profile's ``[[signoff]]`` methods)
METHOD_PACK = "reference-pack"
METHOD_EXPORT = "bqstudio-export"


@dataclass(frozen=True)
class Finding:
    """One parameter of the profile, and what the export (and the pack) said about it."""

    parameter: Parameter
    status: Status
    detail: str = ""
    export_line: int | None = None


@dataclass(frozen=True)
class Verification:
    profile: Profile
    export_name: str
    export_sha256: str
    export_firmware: str | None
    findings: tuple[Finding, ...]
    #: whether a pack image was checked too (else the export's layout alone)
    pack_checked: bool
    #: export rows (keys) the profile does not have
    extra_rows: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        return METHOD_PACK if self.pack_checked else METHOD_EXPORT

    def with_status(self, *statuses: Status) -> list[Finding]:
        return [f for f in self.findings if f.status in statuses]

    def confirmed_keys(self) -> tuple[str, ...]:
        return tuple(f.parameter.key for f in self.with_status(Status.CONFIRMED))

    def counts(self) -> dict[Status, int]:
        out = {s: 0 for s in STATUS_ORDER}
        for f in self.findings:
            out[f.status] += 1
        return out

    def unconfirmed(self, keys: Iterable[str]) -> list[Finding]:
        """Of the parameters ``keys`` names, those this verification did not confirm."""
        wanted = set(keys)
        return [
            f
            for f in self.findings
            if f.parameter.key in wanted and f.status is not Status.CONFIRMED
        ]


def export_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_export_origin(gg: GGFile, profile: Profile) -> None:
    """The export must come from the device the profile is for, on a firmware it names; a
    header without its firmware cannot vouch for any address."""
    if gg.firmware is None:
        raise FileFormatError(
            [
                Problem(
                    gg.name,
                    1,
                    "the export's header names no firmware version: it cannot confirm addresses "
                    "of any firmware; export again from bqStudio with its header",
                    code="FIRMWARE_MISMATCH",
                )
            ]
        )
    check_origin(gg, profile)


def verify_export(
    profile: Profile,
    gg: GGFile,
    sha256: str,
    image: DataFlashImage | None = None,
) -> Verification:
    """Every parameter of ``profile`` against the export (and the pack's ``image``)."""
    check_export_origin(gg, profile)
    rows: dict[str, GGRow] = {}
    extra: list[str] = []
    for row in gg.rows:
        if row.is_key_row:
            continue
        try:
            p = profile.get(row.key)
        except RecipeError:
            extra.append(row.key)
            continue
        if p.key != _norm_key(p, row):
            # Only an exact class/subclass/name match (case and spacing aside) counts: a
            # bare-name alias could pair two different parameters.
            extra.append(row.key)
            continue
        rows.setdefault(p.key, row)
    findings = tuple(_finding(profile, p, rows.get(p.key), image) for p in profile.parameters)
    return Verification(
        profile=profile,
        export_name=gg.name,
        export_sha256=sha256,
        export_firmware=gg.firmware,
        findings=findings,
        pack_checked=image is not None,
        extra_rows=tuple(extra),
    )


def _norm_key(p: Parameter, row: GGRow) -> str:
    same = (
        " ".join(row.class_name.split()).casefold() == p.class_name.casefold()
        and " ".join(row.subclass.split()).casefold() == p.subclass.casefold()
        and " ".join(row.name.split()).casefold() == p.name.casefold()
    )
    return p.key if same else row.key


def _finding(
    profile: Profile, p: Parameter, row: GGRow | None, image: DataFlashImage | None
) -> Finding:
    if row is None:
        return Finding(p, Status.NOT_IN_EXPORT, "no row of the export names it")
    line = row.line
    address = _address(row.cells.get("address", ""))
    if address is None:
        why = "the export gives no readable Address Offset for it"
        return Finding(p, Status.ADDRESS_DIFFERS, why, line)
    if address != p.address:
        why = f"profile says 0x{p.address:04X}, export says 0x{address:04X}"
        return Finding(p, Status.ADDRESS_DIFFERS, why, line)
    try:
        exported = row_type(row)
    except CodecError as exc:
        return Finding(p, Status.TYPE_DIFFERS, str(exc), line)
    if not _same_type(exported, p.dtype):
        why = f"profile says {p.dtype.name}, export says {exported.name}"
        return Finding(p, Status.TYPE_DIFFERS, why, line)
    disputes = profile.disputes_of(p)
    if image is None:
        if disputes:
            return Finding(p, Status.DISPUTED, _dispute_text(p, disputes[0]), line)
        return Finding(p, Status.CONFIRMED, "address, type and length as exported", line)
    return _against_pack(p, row, image, disputes[0] if disputes else None)


def _against_pack(
    p: Parameter, row: GGRow, image: DataFlashImage, dispute: Dispute | None
) -> Finding:
    line = row.line
    try:
        value = display_to_raw(row, p.dtype)
        expected = p.encode(value)
    except (ValueError, CodecError) as exc:
        why = f"the export's value {row.cells.get('value', '')[:24]!r} cannot be read ({exc})"
        return Finding(p, Status.PACK_DIFFERS, why, line)
    held = image.read(p.address, p.size)
    if held is None:
        return Finding(p, Status.PACK_DIFFERS, "the pack image lacks these bytes", line)
    if not _same_value(p, held, value, expected):
        shown = _shown(p, held)
        why = (
            f"the pack holds {shown} at 0x{p.address:04X}, the export says {p.format(value)}: "
            "export the pack as it is now, or the address is wrong"
        )
        return Finding(p, Status.PACK_DIFFERS, why, line)
    if dispute is not None:
        return Finding(p, Status.DISPUTED, _dispute_text(p, dispute), line)
    if _weak(p, value, expected):
        why = (
            f"the pack holds {p.format(value)}, a value found at many addresses: set it to "
            "another value on the reference pack, export again and verify again"
        )
        return Finding(p, Status.WEAK, why, line)
    return Finding(p, Status.CONFIRMED, f"the pack holds {p.format(value)} there", line)


def _dispute_text(p: Parameter, dispute: Dispute) -> str:
    claims = " or ".join(f"0x{address:04X}" for _, address in dispute.claims)
    return (
        f"the evidence agrees with 0x{p.address:04X} (sources said {claims}): remove the "
        "[[dispute]] entry of the profile, then verify again"
    )


def _address(text: str) -> int | None:
    t = text.strip()
    if not t:
        return None
    try:
        return int(t[2:] if t.lower().startswith("0x") else t, 16)
    except ValueError:
        return None


def _family(t: DFType) -> str:
    # U and H are the same bytes (an unsigned number shown in hex); bqStudio writes either.
    return "U" if t.kind == "H" else t.kind


def _same_type(a: DFType, b: DFType) -> bool:
    return _family(a) == _family(b) and a.size == b.size


def _same_value(p: Parameter, held: bytes, value: RawValue, expected: bytes) -> bool:
    if p.dtype.kind == "S":
        # Bytes after a string's end are whatever was there before: compare the text.
        try:
            return p.decode(held) == value
        except CodecError:
            return False
    return held == expected


def _weak(p: Parameter, value: RawValue, expected: bytes) -> bool:
    """Whether the value would be found at many addresses (all bytes alike, or no text)."""
    if p.dtype.kind == "S":
        return value == "" or len(set(str(value))) <= 1
    alike = set(expected)
    return alike <= {0x00} or alike <= {0xFF} or (len(expected) > 1 and len(alike) == 1)


def _shown(p: Parameter, held: bytes) -> str:
    try:
        return p.format(p.decode(held))
    except CodecError:
        return held.hex(" ")


def summary_line(v: Verification) -> str:
    counts = v.counts()
    parts = [f"{n} {s.value}" for s, n in counts.items() if n]
    return f"{len(v.findings)} parameters of {v.profile.id}: " + ", ".join(parts)


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    return sorted(findings, key=lambda f: (order[f.status], f.parameter.address))
