"""``station program`` (one pack, headless), ``station recipe release``, ``station config check``
and ``station label preview|print``: thin faces over the station service."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from station.cli.common import (
    EXISTING_FILE,
    EXIT_FAIL,
    EXIT_OK,
    Failed,
    UsageProblem,
    ask_pin,
    badge_option,
    bus_option,
    bus_trace_option,
    config_option,
    db_option,
    echo,
    handle_errors,
    keys_option,
    load_station_config,
    path_option,
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
    """The service for a command that runs no pack (labels, releases)."""
    from station.sequence import open_service

    config = load_station_config(config_path, **flags)
    return config, open_service(config, keys_path=keys_path, runs_packs=False)


def _credentials(service, code: str):  # type: ignore[no-untyped-def]
    """The badge as given with its PIN, asked for (hidden) when the badge has one to give."""
    from station.sequence.service import Credentials

    badge = service.badge(code)
    return Credentials(badge.code, ask_pin(badge.code) if badge.needs_pin else "")


@click.command("program")
@bus_option
@config_option
@keys_option
@path_option("--recipe", "recipe_path", EXISTING_FILE, "Recipe file.", required=True)
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
@db_option("Database URL.")
@click.option(
    "--printer", default=None, metavar="SPEC", help="file:DIR, zpl-tcp:HOST[:PORT], cups:QUEUE"
)
@click.option(
    "--rework-by",
    default=None,
    metavar="BADGE",
    help="Supervisor badge authorising a rework of a pack that already passed (its PIN is "
    "asked for; the supervisor is not the operator).",
)
@click.option("--reason", default="", help="Why the rework is needed (with --rework-by).")
@bus_trace_option
@handle_errors
def program_cmd(
    bus: str | None,
    pec: str | None,
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
    bus_trace: Path | None,
) -> None:
    """Program one pack headless: the same engine as the operator terminal, events as lines.

    Exit 0 PASS, 1 FAIL (or station error), 2 usage or configuration error."""
    from station.recipe.errors import RecipeError
    from station.sequence.service import RunRequest

    config = load_station_config(
        config_path,
        pec=pec,
        database=database,
        bus_trace=str(bus_trace) if bus_trace else None,
    )
    config = _socket_config(config, socket_id).with_overrides("flag", bus=bus, printer=printer)
    _check_specs(config.bus, config.printer)
    from station.sequence import open_service

    service = open_service(config, keys_path=keys_path)
    click.echo(f"station {config.station_id} socket {config.socket}, bus {config.bus}")
    try:
        shift = service.shift_for_file(recipe_path, operator, lot)
    except RecipeError as exc:  # the file given does not load: what was typed, not the pack
        raise UsageProblem(str(exc)) from None
    rework = _allowed(service, shift, serial, rework_by, reason)
    cancel = CancelToken()
    with _signals_abort(cancel):
        result = service.run(shift, RunRequest(serial, rework, _ask_meter), _echo_event, cancel)
    sys.exit(EXIT_OK if result.outcome is Outcome.PASS else EXIT_FAIL)


def _allowed(service, shift, serial: str, rework_by: str | None, reason: str):  # type: ignore[no-untyped-def]
    """The serial's check; for a pack that passed, the supervisor's rework (or a refusal)."""
    from station.sequence.failures import FailureCode

    check = service.check_serial(shift, serial)
    if check.busy_elsewhere:
        raise Failed(f"[{FailureCode.SERIAL_BUSY}] {check.reason}")
    if not check.valid and check.previous_pass is None:
        raise UsageProblem(f"[{FailureCode.SERIAL_REJECTED}] {check.reason}")
    if check.previous_pass is None:
        return None
    if not rework_by:
        raise Failed(
            f"[{FailureCode.SERIAL_ALREADY_PASSED}] {check.reason} "
            "(use --rework-by BADGE --reason TEXT)"
        )
    return service.authorise_rework(shift, serial, _credentials(service, rework_by), reason)


@contextlib.contextmanager
def _signals_abort(cancel: CancelToken) -> Iterator[None]:
    """Ctrl-C and a service stop are an operator's abort, at the next safe point (the pack is
    restored and sealed again), well within the unit's stop timeout; a second Ctrl-C kills."""

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.requested:
            raise KeyboardInterrupt
        click.echo(
            "abort requested: stopping at the next safe point (Ctrl-C again to kill)", err=True
        )
        cancel.request()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if not cancel.requested:
            click.echo("stop requested: aborting at the next safe point", err=True)
        cancel.request()

    previous = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)


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


def _ask_meter(prompt: str) -> str:
    """A manual reference instrument: whoever runs the pack types what the meter shows."""
    return str(click.prompt(prompt, type=str, err=True))


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
        echo(line)


@click.command("release")
@config_option
@keys_option
@click.argument("recipe_path", type=EXISTING_FILE)
@click.option(
    "--by",
    "by",
    required=True,
    metavar="BADGE",
    help="Engineer releasing it (an engineer badge; its PIN is asked for).",
)
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
    recipes. A recipe released already is left as it is (exit 0, it says by whom)."""
    _, service = _open(config_path, keys_path, database=database)
    done = service.release_recipe(recipe_path, _credentials(service, by))
    c = done.choice
    when = c.released_at.astimezone().strftime("%Y-%m-%d %H:%M")
    if done.already_released:
        echo(
            f"{c.name} {c.version} ({c.short_hash}) was already released by {c.released_by} on "
            f"{when}; nothing changed"
        )
    else:
        echo(f"released {c.name} {c.version} ({c.short_hash}) by {c.released_by} on {when}")


@click.group("config")
def config_group() -> None:
    """Station configuration."""


@config_group.command("check")
@config_option
@keys_option
@handle_errors
def config_check(config_path: Path | None, keys_path: Path | None) -> None:
    """Print the effective configuration (secrets masked), where each value came from, and check
    that the key store, bus spec, printer, recipes and database can be used (read only: nothing
    is created). Exit 0 when all is well, 1 when a PROBLEM line was printed."""
    config = load_station_config(config_path)
    values = config.masked()
    width = max(len(k) for k in values)
    for key, value in values.items():
        echo(f"{key:<{width}} = {value:<40} ({config.sources.get(key, 'default')})")
    checks, problems = _check_settings(config, keys_path)
    recipes, more = _check_recipes(config)
    database, worse = _check_database(config)
    checks += recipes + database
    problems += more + worse
    echo("")
    for name, text in checks:
        echo(f"ok      {name}: {text}")
    for text in problems:
        echo(f"PROBLEM {text}")
    if problems:
        sys.exit(EXIT_FAIL)


def _check_settings(
    config: StationConfig, keys_path: Path | None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Bus spec, printer and key store: what is usable, and the problems."""
    from station.bus.errors import BusOpenError
    from station.bus.spec import parse_bus_spec
    from station.cli.common import load_key_store
    from station.keys import KeyStoreError
    from station.labels import PrinterSpecError, parse_printer_spec

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
    return checks, problems


def _check_recipes(config: StationConfig) -> tuple[list[tuple[str, str]], list[str]]:
    """The recipes folder: how many files load, and why each other one does not."""
    from station.recipe.profile.library import ProfileLibrary
    from station.sequence.recipes import RecipeLibrary

    profiles = ProfileLibrary([Path(config.profiles)] if config.profiles else [])
    library = RecipeLibrary(Path(config.recipes), profiles)
    loaded = list(library.scan())
    checks: list[tuple[str, str]] = []
    problems: list[str] = []
    if not Path(config.recipes).is_dir():
        problems.append(f"recipes: {config.recipes} is not a folder")
    else:
        checks.append(("recipes", f"{len(loaded)} recipe file(s) load in {config.recipes}"))
    for path, problem in sorted(library.problems.items()):
        problems.append(f"recipe {path.name}: {problem}")
    return checks, problems


def _check_database(config: StationConfig) -> tuple[list[tuple[str, str]], list[str]]:
    """The database, read only: reachable, its schema current, and whether it is production."""
    from station.bus.errors import BusOpenError
    from station.bus.spec import parse_bus_spec
    from station.store import Store, StoreError

    try:
        with Store.open(config.database, upgrade=False, read_only=True) as store:
            production = config.production or store.is_production()
            kind = "production database" if production else "not a production database"
            checks = [("database", f"{store.where}: reachable, schema up to date, {kind}")]
            if production and parse_bus_spec(config.bus).kind == "sim":
                return checks, [
                    "bus: the emulator on a production database: every run would be refused"
                ]
            return checks, []
    except (StoreError, BusOpenError) as exc:
        return [], [f"database: {exc}"]


@click.group("label")
def label_group() -> None:
    """Pack labels: preview the files, or print a label again."""


@label_group.command("preview")
@config_option
@click.option("--serial", required=True)
@click.option(
    "--out",
    "out",
    default=None,
    metavar="DIR|-",
    help="Folder for <serial>-preview.png/.svg/.zpl (default: the configured preview folder, "
    "labels_dir), or - to write the ZPL to standard output. Never the printer's folder.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["zpl", "svg"]),
    default="zpl",
    show_default=True,
    help="What --out - writes.",
)
@click.option("--db", "database", default=None, metavar="URL")
@handle_errors
def label_preview(
    config_path: Path | None, serial: str, out: str | None, fmt: str, database: str | None
) -> None:
    """Show the label of a pack's last PASS, for checking a layout: files in a preview folder
    or text on standard output. Never a print: nothing is sent, numbered or recorded."""
    from station.labels.preview import PreviewRefused, write_preview

    config, service = _open(config_path, None, database=database)
    artwork = service.label_artwork(serial)
    if out == "-":
        click.echo(artwork.zpl if fmt == "zpl" else artwork.svg, nl=False)
        return
    try:
        paths = write_preview(artwork, Path(out or config.labels_dir), printer_spec=config.printer)
    except PreviewRefused as exc:
        raise UsageProblem(str(exc)) from None
    except OSError as exc:
        raise Failed(f"the preview could not be written: {exc.strerror or exc}") from None
    for path in paths:
        echo(str(path))


@label_group.command("print")
@bus_option
@config_option
@click.option("--serial", required=True)
@click.option("--reason", default=None, help="Why it is reprinted (asked for if missing).")
@badge_option("Supervisor badge authorising the reprint (its PIN is asked for).", required=True)
@click.option("--printer", default=None, metavar="SPEC")
@db_option()
@handle_errors
def label_print(
    bus: str | None,
    pec: str | None,
    config_path: Path | None,
    serial: str,
    reason: str | None,
    by: str,
    printer: str | None,
    database: str | None,
) -> None:
    """Print a pack's label again: a supervisor's badge and PIN, and a reason (recorded in the
    audit log). Refused when the pack's latest attempt is not its PASS."""
    if not reason:
        reason = click.prompt("Reason for the reprint")
    _, service = _open(config_path, None, printer=printer, database=database)
    # A reprint needs no shift: the pack's own recipe is used, and its operator may not
    # authorise it.
    result = service.reprint_label(None, serial, reason or "", _credentials(service, by))
    echo(result.detail)
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
