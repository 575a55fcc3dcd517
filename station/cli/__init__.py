"""The ``station`` command: the operator terminal by default, engineer sub-commands beside it.

Sub-command modules import their layers at call time where that is heavy (Textual only for
``station run``), so engineer commands start fast.
"""

from __future__ import annotations

import importlib

import click

from station import __version__

#: modules that each define ``register(group)``; one per area of the command line
COMMAND_MODULES: tuple[str, ...] = (
    "station.cli.gauge",
    "station.cli.recipe",
    "station.cli.store",
    "station.cli.program",
    "station.cli.run",
    "station.cli.dashboard",
)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="station")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """packline station: program, verify, seal, label and trace BQ40Z50 battery packs."""
    if ctx.invoked_subcommand is None:
        run = cli.get_command(ctx, "run")
        if run is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(run)


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    cli(prog_name="station")
