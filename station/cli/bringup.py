"""Bring-up on real packs: ``station profile verify | from-export | diff`` and ``station gauge
register-reference | emulator-export``. The rules live in ``station.recipe.ti.verify``,
``station.sequence.bringup`` and ``station.sequence.reference``; these commands print them.

Exit codes: 0 all good, 1 refused or something a released recipe writes is not confirmed,
2 usage or configuration.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from station.cli.common import (
    EXISTING_FILE,
    FOLDER,
    NEW_FILE,
    Failed,
    UsageProblem,
    ask_pin,
    badge_option,
    db_option,
    echo,
    handle_errors,
    load_station_config,
    path_option,
)
from station.cli.gauge import GaugeAccess, gauge, gauge_access
from station.cli.recipe import _profiles_option, _table, profile_group
from station.keys import TI_DEFAULT_ID

if TYPE_CHECKING:
    from station.config import StationConfig
    from station.recipe.product.recipe_model import Recipe
    from station.recipe.profile.library import ProfileLibrary
    from station.recipe.ti.verify import Finding
    from station.sequence.bringup import VerifyOutcome
    from station.sequence.recipes import RecipeLibrary
    from station.store import Store
    from station.store.bringup import PackRead

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def register(group: click.Group) -> None:
    profile_group.add_command(verify_cmd)
    profile_group.add_command(from_export_cmd)
    profile_group.add_command(diff_cmd)
    gauge.add_command(register_reference_cmd)
    gauge.add_command(emulator_export_cmd)


def _library(config: StationConfig, dirs: tuple[Path, ...]) -> ProfileLibrary:
    from station.recipe.profile.library import ProfileLibrary

    extra = [*dirs]
    if config.profiles:
        extra.append(Path(config.profiles))
    return ProfileLibrary(extra)


# -- profile verify -------------------------------------------------------------------------------


@profile_group.command("verify")
@click.argument("profile")
@path_option(
    "--export",
    "export_path",
    EXISTING_FILE,
    "bqStudio .gg.csv export of the reference pack.",
    required=True,
)
@badge_option(
    "Engineer signing off what was confirmed (its PIN is asked for): writes a [[signoff]] "
    "entry into the profile, the evidence into the database and an audit row."
)
@db_option()
@gauge_access(TI_DEFAULT_ID)
@_profiles_option
@handle_errors
def verify_cmd(
    profile: str,
    export_path: Path,
    by: str | None,
    database: str | None,
    access: GaugeAccess,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Check a profile against a bqStudio export (and, with --bus, the reference pack itself).

    Parameters are matched by class/subclass/name; address, type and length must agree, the
    export's firmware must be one the profile names. With --bus the pack's data flash is read
    (unsealed with --key-set, sealed again if it came sealed) and must hold the export's values
    at the profile's addresses. Exit 1 when a released recipe of this profile writes something
    not confirmed."""
    from station.recipe.ti.importer import read_source
    from station.sequence.bringup import BringUpRefused, ExportFile, verify_profile
    from station.sequence.recipes import RecipeLibrary
    from station.store import Store

    config = load_station_config(access.config_path, database=database)
    library = _library(config, profile_dirs)
    prof = library.get(profile)
    export = ExportFile.read(export_path, read_source(export_path))
    pack, emulated = None, False
    if access.bus is not None:
        pack, emulated = _read_pack(access)
    with Store.open(config.database) as store:
        released = _released_recipes(store, RecipeLibrary(Path(config.recipes), library))
        try:
            outcome = verify_profile(prof, export, pack, released, emulated=emulated)
        except BringUpRefused as exc:
            raise Failed(f"[{exc.failure_code}] {exc}") from None
        _print_outcome(outcome)
        if by is not None:
            outcome = _sign(outcome, config, store, by)
    if outcome.blocking:
        raise Failed(
            "a released recipe writes parameters this evidence did not confirm (above): they "
            "stay refused on real packs"
        )


def _read_pack(access: GaugeAccess) -> tuple[PackRead, bool]:
    """The reference pack's data flash as read on ``bus``, and whether it is the emulator."""
    from station.bus.spec import parse_bus_spec
    from station.sequence.bringup import read_reference

    with access.connect() as session:
        pack = read_reference(session.gauge, session.keys)
        emulated = parse_bus_spec(session.config.bus).kind == "sim"
    echo(
        f"read the {'emulated ' if emulated else ''}pack on {access.bus}: serial {pack.serial}, "
        f"firmware {pack.firmware}, data flash sha256 {pack.image_sha256[:16]}…",
        err=True,
    )
    return pack, emulated


def _released_recipes(store: Store, recipes: RecipeLibrary) -> list[Recipe]:
    released = []
    for r in store.released_recipes():
        try:
            released.append(recipes.by_hash(r.hash, r.text))
        except Exception:  # a released recipe that cannot load here is not this profile's
            continue
    return released


def _sign(outcome: VerifyOutcome, config: StationConfig, store: Store, by: str) -> VerifyOutcome:
    from station.sequence.authority import Authority
    from station.sequence.bringup import BringUpRefused, sign_off
    from station.sequence.service import Credentials

    rules = Authority(config, store)
    code = rules.identify(by).code
    try:
        done = sign_off(
            outcome,
            authority=rules,
            credentials=Credentials(code, ask_pin(code)),
            store=store,
            station=config.station_id,
            today=store.now().astimezone().date(),
        )
    except BringUpRefused as exc:
        raise Failed(f"[{exc.failure_code}] {exc}") from None
    assert done.signed is not None
    assert done.record is not None
    header = done.signed.header_path
    signed = sum(1 for p in done.signed.parameters if p.verified)
    echo(
        f"signed off {len(outcome.verification.confirmed_keys())} parameters of "
        f"{done.signed.id} by {code} into {header} (audit entry {done.record.audit.id}"
        + (f", pack evidence {done.record.evidence_id}" if done.record.evidence_id else "")
        + f"); {signed} of {len(done.signed.parameters)} parameters are now writable on real packs"
    )
    return done


def _print_outcome(outcome: VerifyOutcome) -> None:
    from station.recipe.ti.verify import Status, sorted_findings, summary_line

    v = outcome.verification
    prof = v.profile
    rows = [
        [
            f.status.value,
            prof.short_name(f.parameter),
            f"0x{f.parameter.address:04X}",
            f.parameter.dtype.name,
            f.detail + _earlier(f),
        ]
        for f in sorted_findings(v.findings)
    ]
    for line in _table(rows, ["status", "parameter", "address", "type", "evidence"]):
        echo(line)
    echo("")
    where = "export and pack" if v.pack_checked else "export only (no --bus: no pack read)"
    echo(f"{summary_line(v)} ({where}; export sha256 {v.export_sha256[:16]}…)")
    if v.extra_rows:
        echo(
            f"the export has {len(v.extra_rows)} parameter(s) the profile lacks: "
            + ", ".join(v.extra_rows[:5])
            + ("…" if len(v.extra_rows) > 5 else "")
        )
    weak = v.with_status(Status.WEAK)
    if weak:
        echo(
            f"{len(weak)} parameter(s) confirmed only weakly (their value is all zeros, all "
            "0xFF or empty): set them to other values on the reference pack, export it again "
            "and verify with that second export"
        )
    if outcome.recipes_checked == 0:
        echo(f"no released recipe uses profile {prof.id}")
    for gap in outcome.gaps:
        names = ", ".join(f"{prof.short_name(f.parameter)} ({f.status.value})" for f in gap.missing)
        echo(f"NOT CONFIRMED for released recipe {gap.recipe}: {names}")


def _earlier(f: Finding) -> str:
    """A parameter signed off earlier that this evidence contradicts stays writable until the
    engineer removes it from that sign-off: say so where it is listed."""
    from station.recipe.ti.verify import Status

    if f.parameter.verified and f.status in (Status.ADDRESS_DIFFERS, Status.TYPE_DIFFERS):
        return " (SIGNED OFF EARLIER: remove it from that [[signoff]] entry)"
    return ""


# -- profile from-export --------------------------------------------------------------------------


@profile_group.command("from-export")
@click.argument("export_path", type=EXISTING_FILE)
@click.option("--id", "profile_id", required=True, help="Id of the new profile, e.g. bq40z50-r3.")
@path_option("--out", "out_dir", FOLDER, required=True)
@click.option(
    "--like",
    "template",
    default="bq40z50-r1",
    show_default=True,
    help="Profile whose roles and bit fields the new one takes (matched by name).",
)
@click.option("--force", is_flag=True, help="Replace profile files already in --out.")
@_profiles_option
@handle_errors
def from_export_cmd(
    export_path: Path,
    profile_id: str,
    out_dir: Path,
    template: str,
    force: bool,
    profile_dirs: tuple[Path, ...],
) -> None:
    """Build a profile for a firmware the station does not ship from a bqStudio export alone
    (every address unverified until `station profile verify` confirms it)."""
    from station.recipe.errors import ProblemsError
    from station.recipe.profile.library import ProfileLibrary
    from station.recipe.ti.from_export import write_from_export
    from station.recipe.ti.ggcsv import decode_export, parse_gg_csv
    from station.recipe.ti.importer import read_source
    from station.recipe.ti.output import OutputRefused

    if not _ID_RE.match(profile_id):
        raise UsageProblem(
            f"--id {profile_id!r}: a profile id is lower-case letters, digits, . _ -"
        )
    like = ProfileLibrary(list(profile_dirs)).get(template)
    text, _ = decode_export(read_source(export_path), str(export_path))
    try:
        made = write_from_export(
            parse_gg_csv(text, str(export_path)),
            out_dir,
            profile_id=profile_id,
            template=like,
            force=force,
        )
    except (OutputRefused, ProblemsError) as exc:
        raise Failed(str(exc)) from None
    p = made.profile
    echo(
        f"profile {p.id}: {made.header_path} + {made.table_path.name} ({len(p.parameters)} "
        f"parameters, firmware {', '.join(p.firmware)}, roles from {like.id}, all unverified)"
    )
    echo(
        f"next: station profile verify {made.header_path} --export {export_path} --bus SPEC "
        "--by BADGE"
    )


# -- profile diff ---------------------------------------------------------------------------------


@profile_group.command("diff")
@click.argument("old")
@click.argument("new")
@_profiles_option
@handle_errors
def diff_cmd(old: str, new: str, profile_dirs: tuple[Path, ...]) -> None:
    """What changes from profile OLD to NEW (e.g. R1 to R3): parameters moved, retyped, with
    other limits, default or scale, appeared or vanished; roles pointing elsewhere."""
    from station.recipe.profile.compare import CHANGE_ORDER, diff_profiles
    from station.recipe.profile.library import ProfileLibrary

    library = ProfileLibrary(list(profile_dirs))
    d = diff_profiles(library.get(old), library.get(new))
    rows = [[x.change.value, x.key, x.old, x.new] for x in d.differences]
    if rows:
        for line in _table(rows, ["change", "parameter", d.old.id, d.new.id]):
            echo(line)
        echo("")
    counts = ", ".join(f"{d.count(c)} {c.value}" for c in CHANGE_ORDER if d.count(c))
    echo(f"{d.old.id} → {d.new.id}: {d.same} parameters the same; {counts or 'no differences'}")
    for line in d.role_changes:
        echo(f"role {line}")


# -- gauge register-reference ---------------------------------------------------------------------


@click.command("register-reference")
@badge_option("Engineer registering it (its PIN is asked for).", required=True)
@db_option()
@gauge_access(TI_DEFAULT_ID)
@handle_errors
def register_reference_cmd(
    by: str,
    database: str | None,
    access: GaugeAccess,
) -> None:
    """Register the pack on the bus as this station's reference pack: its identity, data-flash
    image and readings are what the shift-start self-test (reference_check) compares with."""
    from station.sequence import reference
    from station.sequence.authority import Authority
    from station.sequence.service import Credentials
    from station.store import Store

    config = load_station_config(access.config_path, database=database)
    with Store.open(config.database) as store:
        rules = Authority(config, store)
        code = rules.identify(by).code
        credentials = Credentials(code, ask_pin(code))
        with access.connect() as session:
            if session.keys is None:
                raise UsageProblem("register-reference needs a key set: pass --key-set ID")
            record = reference.register(
                session.gauge,
                session.keys,
                store=store,
                authority=rules,
                credentials=credentials,
                station=session.config.station_id,
            )
    r = record.readings
    echo(
        f"reference pack {record.serial} registered for station {record.station} by {record.by}: "
        f"firmware {record.firmware}, data flash sha256 {record.image_sha256[:16]}…, "
        f"{r.get('voltage_mv')} mV, cells {r.get('cells_mv')} mV, {r.get('temperature_c')} °C"
    )
    if not config.reference_check:
        echo("the self-test is off: set reference_check = true in the station configuration")


# -- gauge emulator-export ------------------------------------------------------------------------


@click.command("emulator-export")
@path_option("--out", "out", NEW_FILE, "The .gg.csv file to write.", required=True)
@click.option(
    "--set",
    "changes",
    multiple=True,
    metavar="NAME=VALUE",
    help='Give an emulated parameter ("Class:Subclass:Name") another stored value first, as '
    "an engineer would in bqStudio (repeatable; kept when the bus has state=PATH).",
)
@gauge_access(key_set=False)
@handle_errors
def emulator_export_cmd(
    out: Path,
    changes: tuple[str, ...],
    access: GaugeAccess,
) -> None:
    """Write the bqStudio-style .gg.csv export of an EMULATED pack (sim buses only), so the
    bring-up procedure can be rehearsed without hardware."""
    from station.bus.spec import open_bus
    from station.emulator.device import EmulatedGauge
    from station.emulator.ggexport import gg_csv_text

    config = access.config()
    opened = open_bus(config.bus, speed_hz=config.bus_speed_hz)
    try:
        device = opened.device
        if not opened.emulated or not isinstance(device, EmulatedGauge):
            raise UsageProblem(
                f"bus {config.bus!r} is not the emulator: export a real pack with bqStudio"
            )
        for change in changes:
            _apply(device, change)
        text = gg_csv_text(device, created=dt.datetime.now().astimezone())
    finally:
        opened.close()
    out.write_text(text, encoding="utf-8")
    rows = text.count("\n") - 7
    echo(f"wrote {out}: {rows} parameters of the emulated pack on {config.bus}")


def _apply(device: object, change: str) -> None:
    from station.emulator.device import EmulatedGauge

    assert isinstance(device, EmulatedGauge)
    name, sep, value = change.partition("=")
    if not sep:
        raise UsageProblem(f"--set {change!r}: write NAME=VALUE")
    try:
        param = device.firmware.lookup(name.strip())
    except KeyError as exc:
        raise UsageProblem(f"--set {change!r}: {exc.args[0]}") from None
    text = value.strip()
    try:
        stored: int | float | str
        if param.type.startswith("S"):
            stored = text
        elif param.type == "F4":
            stored = float(text)
        else:
            stored = int(text, 0)
        device.df_set(name.strip(), stored)
    except (ValueError, TypeError, OverflowError) as exc:
        raise UsageProblem(f"--set {change!r}: {exc}") from None
