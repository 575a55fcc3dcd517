"""``station program`` (one pack, headless), ``station recipe release``, ``station config check``
and ``station label preview|print``: thin faces over the station service."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import click

from station.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    Failed,
    UsageProblem,
    bus_option,
    config_option,
    handle_errors,
    keys_option,
    load_station_config,
)
from station.config import StationConfig
from station.sequence.events import (
    STEP_TITLES,
    CancelToken,
    Event,
    MeasurementTaken,
    Notice,
    Outcome,
    RunFinished,
    RunStarted,
    StepFinished,
    StepProgress,
)


def format_event(event: Event) -> str | None:
    """One line per event worth a line (progress is shown only at its ends)."""
    if isinstance(event, RunStarted):
        rework = f", rework of attempt {event.rework_of}" if event.rework_of else ""
        return (
            f"pack {event.serial}: recipe {event.recipe_name} {event.recipe_version} "
            f"({event.recipe_hash[:12]}){rework}"
        )
    if isinstance(event, StepFinished):
        step = event.result
        line = (
            f"  {step.outcome.value:<7} {STEP_TITLES[step.step]:<26} "
            f"{step.duration_s * 1000:7.0f} ms  "
        )
        if step.failure is not None:
            return line + f"[{step.failure.code}] {step.failure.reason}"
        return line + step.summary
    if isinstance(event, MeasurementTaken):
        return f"            {event.measurement.describe()}"
    if isinstance(event, StepProgress) and event.total and event.done == event.total:
        return f"            {event.step.value}: {event.done}/{event.total} done"
    if isinstance(event, Notice):
        return f"          * {event.message}"
    if isinstance(event, RunFinished):
        r = event.result
        lines = [f"{r.outcome.value}: pack {r.serial}"]
        if r.attempt_id is not None:
            lines[0] += f" (attempt {r.attempt_id})"
        if r.failure is not None:
            f = r.failure
            lines += [
                f"  failure: [{f.code}] at {STEP_TITLES[f.step]}: {f.reason}",
                f"  pack:    {f.pack_state}",
                f"  do:      {f.action}",
            ]
        if r.label is not None:
            lines.append(f"  label:   {r.label.detail}")
        if r.bus_time_s is not None:
            lines.append(f"  time on the emulator's bus model: {r.bus_time_s:.3f} s")
        return "\n".join(lines)
    return None


def _open(config_path: Path | None, keys_path: Path | None, **flags: object):  # type: ignore[no-untyped-def]
    from station.sequence import open_service

    config = load_station_config(config_path, **flags)
    return config, open_service(config, keys_path=keys_path)


@click.command("program")
@bus_option
@config_option
@keys_option
@click.option(
    "--recipe",
    "recipe_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recipe file.",
)
@click.option(
    "--socket",
    "socket_id",
    default=None,
    metavar="ID",
    help="The socket the pack sits in (a [[sockets]] id; needed when the station has several).",
)
@click.option("--serial", required=True, help="The pack serial (as scanned).")
@click.option("--operator", required=True, help="Operator badge.")
@click.option("--lot", default="", help="Work order / lot.")
@click.option("--db", "database", default=None, metavar="URL", help="Database URL.")
@click.option(
    "--printer", default=None, metavar="SPEC", help="file:DIR, zpl-tcp:HOST[:PORT], cups:QUEUE"
)
@click.option(
    "--rework-by",
    default=None,
    metavar="BADGE",
    help="Supervisor badge authorising a rework of a pack that already passed.",
)
@click.option("--reason", default="", help="Why the rework is needed (with --rework-by).")
@handle_errors
def program_cmd(
    bus: str | None,
    pec: bool | None,
    config_path: Path | None,
    keys_path: Path | None,
    recipe_path: Path,
    socket_id: str | None,
    serial: str,
    operator: str,
    lot: str,
    database: str | None,
    printer: str | None,
    rework_by: str | None,
    reason: str,
) -> None:
    """Program one pack headless: the same engine as the operator terminal, events as lines.

    Exit 0 PASS, 1 FAIL (or station error), 2 usage or configuration error."""
    from station.recipe.errors import RecipeError
    from station.sequence import ShiftRefused
    from station.sequence.service import RunRequest

    config = load_station_config(config_path, pec=pec, database=database)
    config = _socket_config(config, socket_id).with_overrides("flag", bus=bus, printer=printer)
    _check_specs(config.bus, config.printer)
    from station.sequence import open_service

    service = open_service(config, keys_path=keys_path)
    click.echo(f"station {config.station_id} socket {config.socket}, bus {config.bus}")
    try:
        shift = service.shift_for_file(recipe_path, operator, lot)
    except (RecipeError, ShiftRefused, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    check = service.check_serial(shift, serial)
    if check.busy_elsewhere:
        raise Failed(f"[SERIAL_BUSY] {check.reason}")
    if not check.valid and check.previous_pass is None:
        raise UsageProblem(f"[SERIAL_REJECTED] {check.reason}")
    rework = None
    if check.previous_pass is not None:
        if not rework_by:
            raise Failed(
                f"[SERIAL_ALREADY_PASSED] {check.reason} (use --rework-by BADGE --reason TEXT)"
            )
        try:
            rework = service.authorise_rework(shift, serial, service.badge(rework_by), reason)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
    cancel = CancelToken()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.requested:
            raise KeyboardInterrupt
        click.echo(
            "abort requested: stopping at the next safe point (Ctrl-C again to kill)", err=True
        )
        cancel.request()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = service.run(shift, RunRequest(serial, rework), _echo_event, cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.exit(EXIT_OK if result.outcome is Outcome.PASS else EXIT_FAIL)


def _socket_config(config: StationConfig, socket_id: str | None) -> StationConfig:
    """The configuration of the socket ``--socket`` names (the only one when there is one)."""
    from station.sequence.sockets import check_sockets

    check_sockets(config)
    ids = config.socket_ids()
    if socket_id is None:
        if len(ids) > 1:
            raise UsageProblem(
                f"this station has sockets {', '.join(ids)}: name the pack's with --socket ID"
            )
        socket_id = ids[0]
    return config.for_socket(socket_id)


def _check_specs(bus: str, printer: str) -> None:
    """Refuse a bus or printer setting that cannot work before any pack or record is touched."""
    from station.bus.spec import parse_bus_spec
    from station.labels import PrinterSpecError, parse_printer_spec

    spec = parse_bus_spec(bus)
    if spec.kind == "sim":
        from station.emulator import SCENARIOS

        scenario = spec.options.get("pack", "default") if spec.target == "mux" else spec.target
        if scenario not in SCENARIOS:
            raise UsageProblem(
                f"unknown emulator scenario {scenario!r}; known: {', '.join(SCENARIOS)}"
            )
    try:
        parse_printer_spec(printer)
    except PrinterSpecError as exc:
        raise UsageProblem(str(exc)) from None


def _echo_event(event: Event) -> None:
    line = format_event(event)
    if line is not None:
        click.echo(line)


@click.command("release")
@config_option
@keys_option
@click.argument("recipe_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by", required=True, metavar="BADGE", help="Engineer releasing it.")
@click.option("--db", "database", default=None, metavar="URL")
@handle_errors
def release_cmd(
    config_path: Path | None,
    keys_path: Path | None,
    recipe_path: Path,
    by: str,
    database: str | None,
) -> None:
    """Store a validated recipe's text and hash in the database: the line only runs released
    recipes."""
    from station.cli.common import load_key_store
    from station.recipe.errors import RecipeError
    from station.recipe.recipe import load_recipe
    from station.store import Store

    config = load_station_config(config_path, database=database)
    keys = load_key_store(config, keys_path)
    profiles = _profiles(config.profiles)
    try:
        recipe = load_recipe(recipe_path, profiles, known_key_sets=keys.ids())
    except RecipeError as exc:
        raise Failed(str(exc)) from None
    with Store.open(config.database) as store:
        released = store.release_recipe(
            recipe.name,
            recipe.version,
            recipe.content_hash,
            recipe.canonical_text,
            by,
            station=config.station_id,
        )
    click.echo(
        f"released {released.name} {released.version} ({released.hash[:12]}) by "
        f"{released.released_by}"
    )


def _profiles(folder: str):  # type: ignore[no-untyped-def]
    from station.recipe.profile_file import ProfileLibrary

    return ProfileLibrary([Path(folder)] if folder else [])


@click.group("config")
def config_group() -> None:
    """Station configuration."""


@config_group.command("check")
@config_option
@keys_option
@handle_errors
def config_check(config_path: Path | None, keys_path: Path | None) -> None:
    """Print the effective configuration (secrets masked), where each value came from, and check
    that the key store, bus spec, printer and database can be used."""
    from station.bus.errors import BusOpenError
    from station.bus.spec import parse_bus_spec
    from station.cli.common import load_key_store
    from station.keys import KeyStoreError
    from station.labels import PrinterSpecError, parse_printer_spec
    from station.store import Store, StoreError

    config = load_station_config(config_path)
    values = config.masked()
    width = max(len(k) for k in values)
    for key, value in values.items():
        click.echo(f"{key:<{width}} = {value:<40} ({config.sources.get(key, 'default')})")
    problems: list[str] = []
    checks: list[tuple[str, str]] = []
    try:
        spec = parse_bus_spec(config.bus)
        checks.append(("bus", f"{spec.kind} {spec.target}"))
    except BusOpenError as exc:
        problems.append(f"bus: {exc}")
    try:
        checks.append(("printer", str(parse_printer_spec(config.printer))))
    except PrinterSpecError as exc:
        problems.append(f"printer: {exc}")
    try:
        keys = load_key_store(config, keys_path)
        checks.append(("key store", f"key sets: {', '.join(keys.ids())}"))
    except KeyStoreError as exc:
        problems.append(f"key store: {exc}")
    try:
        with Store.open(config.database, upgrade=False) as store:
            checks.append(("database", f"{store.where}: reachable, schema up to date"))
    except StoreError as exc:
        problems.append(f"database: {exc}")
    click.echo("")
    for name, text in checks:
        click.echo(f"ok      {name}: {text}")
    for text in problems:
        click.echo(f"PROBLEM {text}")
    if problems:
        sys.exit(EXIT_USAGE)


@click.group("label")
def label_group() -> None:
    """Pack labels: preview the files, or print a label again."""


@label_group.command("preview")
@config_option
@click.option("--serial", required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the PNG/SVG/ZPL files (default: the configured label folder).",
)
@click.option("--db", "database", default=None, metavar="URL")
@handle_errors
def label_preview(
    config_path: Path | None, serial: str, out_dir: Path | None, database: str | None
) -> None:
    """Write the label files of a pack's last PASS (no print is recorded)."""
    from station.labels import FilePrinter, parse_stock, render
    from station.sequence.labelling import label_data
    from station.sequence.recipes import RecipeNotAvailable

    config, service = _open(config_path, None, database=database)
    last = service.socket.store.last_pass(serial)
    if last is None:
        raise Failed(f"pack {serial} has no PASS: there is no label to preview")
    released = service.socket.store.get_released(last.recipe_hash)
    try:
        recipe = service.recipes.by_hash(last.recipe_hash, released.text if released else None)
    except RecipeNotAvailable as exc:
        raise Failed(str(exc)) from None
    made = (last.ended_at or last.started_at).astimezone().date()
    artwork = render(
        label_data(service.socket, recipe, last.serial, made), parse_stock(recipe.label.stock)
    )
    result = FilePrinter(out_dir or Path(config.labels_dir)).print(
        artwork, job_name=f"{serial}-preview"
    )
    for path in result.paths:
        click.echo(str(path))


@label_group.command("print")
@bus_option
@config_option
@click.option("--serial", required=True)
@click.option("--reason", default=None, help="Why it is reprinted (asked for if missing).")
@click.option("--by", "by", required=True, metavar="BADGE", help="Who reprints it.")
@click.option("--printer", default=None, metavar="SPEC")
@click.option("--db", "database", default=None, metavar="URL")
@handle_errors
def label_print(
    bus: str | None,
    pec: bool | None,
    config_path: Path | None,
    serial: str,
    reason: str | None,
    by: str,
    printer: str | None,
    database: str | None,
) -> None:
    """Print a pack's label again (recorded, with the reason, in the audit log)."""
    from station.sequence.service import ActiveRecipe, Shift

    if not reason:
        reason = click.prompt("Reason for the reprint")
    _, service = _open(config_path, None, printer=printer, database=database)
    badge = service.badge(by)
    # A reprint needs no recipe choice: the pack's own recipe is used.
    shift = Shift(badge, ActiveRecipe("", "", "", "", "", "", "", ()), "")
    try:
        result = service.reprint_label(shift, serial, reason or "", badge)
    except ValueError as exc:
        raise Failed(str(exc)) from None
    click.echo(result.detail)
    if not result.printed:
        sys.exit(EXIT_FAIL)


def register(group: click.Group) -> None:
    group.add_command(program_cmd)
    group.add_command(config_group)
    group.add_command(label_group)
    recipe_group = group.commands.get("recipe")
    if isinstance(recipe_group, click.Group):
        recipe_group.add_command(release_cmd)
    else:
        group.add_command(release_cmd, "release-recipe")
