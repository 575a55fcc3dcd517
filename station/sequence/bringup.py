"""Bring-up on real packs: a reference pack and its bqStudio export prove, parameter by parameter,
that a gauge profile's addresses are right; an engineer signs the confirmed ones off.

* :func:`read_reference` reads the reference pack (identity, serial, the whole data flash),
  unsealing with a key set when it came sealed and sealing it again: the pack leaves as it came.
* :func:`verify_profile` checks the profile against the export and that image, and finds what the
  released recipes of that profile would write without a confirmation.
* :func:`sign_off` (an engineer badge and its PIN) writes a ``[[signoff]]`` entry naming the
  confirmed parameters into the profile, and keeps the evidence (the pack, its image, the export's
  hash) with a ``PROFILE_SIGNED_OFF`` audit row. Only signed-off parameters are written to real
  packs (``Profile.check_write_allowed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from station.gauge import Gauge, SecurityMode
from station.keys import KeySet
from station.recipe.errors import RecipeError
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.image import DF_END, DF_START, DataFlashImage
from station.recipe.profile.profile_model import Profile
from station.recipe.profile.signoff import (
    SignOffEntry,
    append_signoff,
    check_signable,
    replace_text,
)
from station.recipe.ti.ggcsv import decode_export, parse_gg_csv
from station.recipe.ti.verify import (
    Finding,
    Status,
    Verification,
    export_sha256,
    verify_export,
)
from station.sequence.authority import Authority, Privilege
from station.sequence.service import Credentials
from station.store import Store
from station.store.bringup import PackRead, SignOffRecord


class BringUpRefused(ValueError):
    """The verification or sign-off cannot go on; the message says why and what to do."""

    failure_code = "BRINGUP_REFUSED"


# -- the reference pack -------------------------------------------------------------------------


def read_reference(gauge: Gauge, keys: KeySet | None) -> PackRead:
    """Identity, serial and the whole data flash of the pack on ``gauge``; a sealed pack is
    unsealed with ``keys`` for the read and sealed again, whatever happens."""
    ident = gauge.identify()
    serial = gauge.read_sbs("SerialNumber")
    arrived = gauge.security_mode()
    if arrived is SecurityMode.SEALED:
        if keys is None:
            raise BringUpRefused(
                "the reference pack is SEALED: name the key set that unseals it (--key-set)"
            )
        gauge.unseal(keys)
    try:
        image = gauge.read_df(DF_START, DF_END - DF_START)
    finally:
        if arrived is SecurityMode.SEALED:
            gauge.seal()
    return PackRead(
        serial=_serial_text(serial.value),
        device_type=ident.device_type,
        firmware=ident.firmware_version,
        image=image,
        image_start=DF_START,
        chem_id=ident.chem_id,
    )


def _serial_text(value: object) -> str:
    if isinstance(value, int):
        return f"0x{value:04X}"
    return str(value).strip()


def check_pack_matches(profile: Profile, pack: PackRead) -> None:
    if pack.device_type != profile.device_type:
        raise BringUpRefused(
            f"the pack on the bus is device 0x{pack.device_type:04X}; profile {profile.id} is "
            f"for 0x{profile.device_type:04X}: put the reference pack of this gauge on the bus"
        )
    if pack.firmware not in profile.firmware:
        raise BringUpRefused(
            f"the pack on the bus runs firmware {pack.firmware}; profile {profile.id} describes "
            f"{', '.join(profile.firmware) or 'no firmware'}: its addresses prove nothing about "
            "this profile"
        )


# -- verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """A bqStudio export as read from disk: its name, text and SHA-256."""

    name: str
    text: str
    sha256: str

    @classmethod
    def read(cls, path: Path, data: bytes) -> ExportFile:
        text, _ = decode_export(data, str(path))
        return cls(path.name, text, export_sha256(data))


@dataclass(frozen=True)
class RecipeGap:
    """A released recipe of the profile that writes parameters this evidence did not confirm."""

    recipe: str  # "name version"
    missing: tuple[Finding, ...]


@dataclass(frozen=True)
class VerifyOutcome:
    verification: Verification
    pack: PackRead | None = None
    emulated: bool = False
    gaps: tuple[RecipeGap, ...] = ()
    recipes_checked: int = 0
    signed: Profile | None = None
    record: SignOffRecord | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def blocking(self) -> bool:
        """A released recipe writes something not confirmed (the command exits 1)."""
        return bool(self.gaps)


def verify_profile(
    profile: Profile,
    export: ExportFile,
    pack: PackRead | None,
    released: Iterable[Recipe],
    *,
    emulated: bool = False,
) -> VerifyOutcome:
    """The profile against the export (and the pack), and what released recipes would miss."""
    gg = parse_gg_csv(export.text, export.name)
    image = None
    if pack is not None:
        check_pack_matches(profile, pack)
        if gg.firmware is not None and gg.firmware != pack.firmware:
            raise BringUpRefused(
                f"the export is from firmware {gg.firmware}, the pack on the bus runs "
                f"{pack.firmware}: the export must be of this very pack; export it again"
            )
        image = DataFlashImage.from_bytes(pack.image_start, pack.image)
    verification = verify_export(profile, gg, export.sha256, image)
    recipes = [r for r in released if r.profile.id == profile.id]
    gaps = tuple(g for g in (_gap(verification, r) for r in recipes) if g.missing)
    return VerifyOutcome(verification, pack, emulated, gaps, len(recipes))


#: what this evidence says against an earlier sign-off: the earlier one cannot stand for it
_CONTRADICTED = (Status.ADDRESS_DIFFERS, Status.TYPE_DIFFERS)


def _gap(v: Verification, recipe: Recipe) -> RecipeGap:
    try:
        written = recipe.written_parameters()
    except RecipeError:
        written = []
    keys = {p.key for p in written}
    missing = []
    for f in v.unconfirmed(keys):
        signed_before = f.parameter.verified and f.status not in _CONTRADICTED
        if not signed_before:
            missing.append(f)
    return RecipeGap(f"{recipe.name} {recipe.version}", tuple(missing))


# -- sign-off -----------------------------------------------------------------------------------


def sign_off(
    outcome: VerifyOutcome,
    *,
    authority: Authority,
    credentials: Credentials,
    store: Store,
    station: str,
    today: dt.date,
) -> VerifyOutcome:
    """Write the confirmed parameters into the profile as one ``[[signoff]]`` entry, keep the
    evidence and the audit row. Refused (nothing written) without a confirmation, on a
    production database with an emulated pack, or for a badge that may not sign."""
    v = outcome.verification
    profile = v.profile
    check_signable(profile)
    confirmed = v.confirmed_keys()
    if not confirmed:
        raise BringUpRefused(
            f"nothing of profile {profile.id} was confirmed by this evidence: nothing to sign off"
        )
    if outcome.emulated and store.is_production():
        raise BringUpRefused(
            "the pack was read on the emulator and this is a production database: an emulated "
            "pack proves nothing about real packs' addresses; verify with the real reference pack"
        )
    badge = authority.authorise(Privilege.PROFILE_SIGN_OFF, credentials)
    header = profile.header_path
    assert header is not None  # check_signable
    before = header.read_text(encoding="utf-8")
    entry = SignOffEntry(
        by=badge.code,
        on=today.isoformat(),
        method=v.method,
        evidence=evidence_text(outcome),
        parameters=confirmed,
    )
    signed = append_signoff(profile, entry)
    try:
        record = store.record_signoff(
            profile_id=profile.id,
            by=badge.code,
            station=station,
            detail=_audit_detail(outcome, entry, header),
            export_name=v.export_name,
            export_sha256=v.export_sha256,
            confirmed=len(confirmed),
            pack=outcome.pack,
        )
    except BaseException:
        # No sign-off without its audit row: the header goes back as it was.
        replace_text(header, before)
        raise
    return replace(outcome, signed=signed, record=record)


def evidence_text(outcome: VerifyOutcome) -> str:
    v = outcome.verification
    text = f"bqStudio export {v.export_name} sha256:{v.export_sha256}"
    pack = outcome.pack
    if pack is not None:
        kind = "emulated pack" if outcome.emulated else "reference pack"
        text += (
            f"; {kind} serial {pack.serial}, firmware {pack.firmware}, data flash "
            f"sha256:{pack.image_sha256} (kept in the station database)"
        )
    return text


def _audit_detail(outcome: VerifyOutcome, entry: SignOffEntry, header: Path) -> dict[str, object]:
    v = outcome.verification
    counts = {s.value: n for s, n in v.counts().items() if n}
    return {
        "profile_file": str(header),
        "method": entry.method,
        "export": v.export_name,
        "export_sha256": v.export_sha256,
        "export_firmware": v.export_firmware or "",
        "confirmed": len(entry.parameters),
        "counts": counts,
        "emulated": outcome.emulated,
    }
