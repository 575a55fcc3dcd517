"""``station label preview|print``: a pack's label looked at, or printed again, through the
station service."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from station.cli.common import (
    EXIT_FAIL,
    Failed,
    UsageProblem,
    badge_option,
    bus_option,
    config_option,
    db_option,
    echo,
    handle_errors,
)
from station.cli.program import badge_credentials, open_service_only


def register(group: click.Group) -> None:
    group.add_command(label_group)


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
@db_option()
@handle_errors
def label_preview(
    config_path: Path | None, serial: str, out: str | None, fmt: str, database: str | None
) -> None:
    """Show the label of a pack's last PASS, for checking a layout: files in a preview folder
    or text on standard output. Never a print: nothing is sent, numbered or recorded."""
    from station.labels.preview import PreviewRefused, write_preview

    config, service = open_service_only(config_path, None, database=database)
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
    _, service = open_service_only(config_path, None, printer=printer, database=database)
    # A reprint needs no shift: the pack's own recipe is used, and its operator may not
    # authorise it.
    result = service.reprint_label(None, serial, reason or "", badge_credentials(service, by))
    echo(result.detail)
    if not result.printed:
        sys.exit(EXIT_FAIL)
