"""The ``station`` command: the operator terminal by default, engineer sub-commands beside it.

Sub-command modules import their layers at call time where that is heavy (Textual only for
``station run``), so engineer commands start fast.
"""

from __future__ import annotations

import importlib
import sys

import click

from station import __version__
from station.cli.common import fault_exit
from station.cli.logsetup import LEVELS, start

#: modules that each define ``register(group)``; one per area of the command line
COMMAND_MODULES: tuple[str, ...] = (
    "station.cli.gauge",
    "station.cli.recipe",
    "station.cli.bringup",
    "station.cli.store",
    "station.cli.program",
    "station.cli.config_check",
    "station.cli.label",
    "station.cli.authority",
    "station.cli.run",
    "station.cli.logs",
    "station.cli.dashboard",
)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="station")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Also print log records on stderr: -v from INFO, -vv from DEBUG (not on the operator "
    "terminal, whose screen stderr is).",
)
@click.option(
    "--log-level",
    type=click.Choice(sorted(LEVELS), case_sensitive=False),
    default=None,
    help="Print log records from this level on stderr (DEBUG is also kept in the log).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int, log_level: str | None) -> None:
    """packline station: program, verify, seal, label and trace BQ40Z50 battery packs.

    Logs go to the systemd journal when the station runs as a service, else to station.log in
    the configured log folder; station logs reads them back."""
    start(ctx, verbose, log_level)
    if ctx.invoked_subcommand is None:
        run = cli.get_command(ctx, "run")
        if run is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(run)


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    try:
        cli(prog_name="station")
    except Exception as exc:
        # Commands turn their own failures into messages; reaching this is a station defect.
        # Its traceback goes to the log, never to the screen (on a line terminal: tty1).
        sys.exit(fault_exit(exc))
