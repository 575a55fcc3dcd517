"""``station program`` (one pack, headless) and ``station recipe release``: thin faces over the
station service."""

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


def open_service_only(config_path: Path | None, keys_path: Path | None, **flags: object):  # type: ignore[no-untyped-def]
    """The service for a command that runs no pack (labels, releases)."""
    from station.sequence import open_service

    config = load_station_config(config_path, **flags)
    return config, open_service(config, keys_path=keys_path, runs_packs=False)


def badge_credentials(service, code: str):  # type: ignore[no-untyped-def]
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
    return service.authorise_rework(shift, serial, badge_credentials(service, rework_by), reason)


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
@badge_option("Engineer releasing it (an engineer badge; its PIN is asked for).", required=True)
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
    _, service = open_service_only(config_path, keys_path, database=database)
    done = service.release_recipe(recipe_path, badge_credentials(service, by))
    c = done.choice
    when = c.released_at.astimezone().strftime("%Y-%m-%d %H:%M")
    if done.already_released:
        echo(
            f"{c.name} {c.version} ({c.short_hash}) was already released by {c.released_by} on "
            f"{when}; nothing changed"
        )
    else:
        echo(f"released {c.name} {c.version} ({c.short_hash}) by {c.released_by} on {when}")


def register(group: click.Group) -> None:
    group.add_command(program_cmd)
    recipe_group = group.commands.get("recipe")
    if isinstance(recipe_group, click.Group):
        recipe_group.add_command(release_cmd)
    else:
        group.add_command(release_cmd, "release-recipe")
