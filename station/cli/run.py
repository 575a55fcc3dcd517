"""``station run``: the operator terminal (also what ``station`` alone starts).

Textual and the sequence engine are imported inside the command, so engineer sub-commands
start without loading them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from station.cli.common import (
    UsageProblem,
    bus_option,
    bus_trace_option,
    config_option,
    handle_errors,
    keys_option,
    load_station_config,
)


def register(group: click.Group) -> None:
    group.add_command(run)


@click.command("run")
@config_option
@bus_option
@click.option(
    "--db",
    "database",
    default=None,
    metavar="URL",
    help="Traceability database URL (default: config; sqlite:///db/station.sqlite3).",
)
@keys_option
@bus_trace_option
@click.option(
    "--printer",
    default=None,
    metavar="SPEC",
    help="Label printer: file:DIR, zpl-tcp:HOST[:PORT] or cups:QUEUE (default: config).",
)
@click.option(
    "--recipe",
    default=None,
    metavar="NAME_OR_HASH",
    help="Supervisor lock: run this released recipe and skip the choice at shift start.",
)
@click.option(
    "--operator",
    default=None,
    metavar="BADGE",
    help="Supervisor lock: the operator badge (with --recipe and --lot the start screen is "
    "skipped).",
)
@click.option("--lot", default=None, metavar="LOT", help="Supervisor lock: work order / lot.")
@click.option(
    "--demo",
    is_flag=True,
    default=False,
    help="Emulator demo: release the shipped example recipes so the line can start at once.",
)
@handle_errors
def run(
    config_path: Path | None,
    bus: str | None,
    pec: str | None,
    database: str | None,
    keys_path: Path | None,
    bus_trace: Path | None,
    printer: str | None,
    recipe: str | None,
    operator: str | None,
    lot: str | None,
    demo: bool,
) -> None:
    """Start the operator terminal: badge, recipe and lot, then scan packs all shift."""
    config = load_station_config(
        config_path,
        bus=bus,
        pec=pec,
        database=database,
        bus_trace=str(bus_trace) if bus_trace else None,
        printer=printer,
        recipe=recipe,
        operator=operator,
        lot=lot,
    )
    from station.refusal import Refused
    from station.sequence import open_service
    from station.sequence.board import socket_board
    from station.tui import LineOptions, make_app

    try:
        service = open_service(config, keys_path=keys_path, demo=demo)
    except Refused as exc:  # the service refuses with a reason (e.g. a recipe it cannot load)
        raise UsageProblem(str(exc)) from None
    # Several [[sockets]]: a tile per socket; one: the one-socket screen, as ever.
    app = make_app(service, LineOptions.from_config(config), board=socket_board(service, config))
    app.run()
    if app.return_code:
        # A station fault stopped the terminal (logged, and said on the screen): a non-zero exit
        # tells systemd, which starts it again.
        sys.exit(app.return_code)
