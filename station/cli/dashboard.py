"""``station dashboard``: the read-only web view of the line, for supervisors and quality.

The web stack is imported when the command runs, so other commands start without it.
"""

from __future__ import annotations

from pathlib import Path

import click

from station.cli.common import UsageProblem, config_option, handle_errors, load_station_config


def register(group: click.Group) -> None:
    group.add_command(dashboard)


@click.command("dashboard")
@click.option(
    "--db",
    "database",
    default=None,
    metavar="URL",
    help="Database URL (default: the configuration's 'database'), e.g. "
    "postgresql+psycopg://dashboard@db.plant.local/traceability. It is opened read-only.",
)
@click.option(
    "--listen",
    default=None,
    metavar="HOST:PORT",
    help="Where to listen (default: the configuration's dashboard_listen, 127.0.0.1:8080). "
    "Anything but this computer needs a dashboard_token in the configuration.",
)
@click.option(
    "--include-emulated",
    is_flag=True,
    help="Count runs on the emulator as the line's (a demonstration database such as the one "
    "'make run' fills); every page then says so. A line's dashboard leaves them out.",
)
@config_option
@handle_errors
def dashboard(
    database: str | None, listen: str | None, include_emulated: bool, config_path: Path | None
) -> None:
    """Serve the line's dashboard (yield, failure Paretos, SPC charts, pack traces) read-only."""
    config = load_station_config(config_path, database=database)
    from station.store.errors import SchemaError, StoreInputError, StoreUnavailableError
    from station.store.reader import StoreReader
    from station.store.shifts import ShiftPlan
    from station.web import DashboardSettings, ListenRefused, serve
    from station.web.serve import bind

    try:
        settings = DashboardSettings.from_config(config, listen=listen)
        sock = bind(settings)
    except ListenRefused as exc:
        raise UsageProblem(str(exc)) from None
    except OSError as exc:
        raise UsageProblem(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}; choose "
            "another port with --listen, or stop what uses it"
        ) from None
    try:
        reader = StoreReader.open(
            config.database,
            plan=ShiftPlan(settings.shift_starts),
            include_emulated=include_emulated,
        )
    except (StoreInputError, StoreUnavailableError, SchemaError) as exc:
        # A database that is not there (or not this software's) is the dashboard's setting to
        # fix: it never creates one.
        sock.close()
        raise UsageProblem(f"[{exc.failure_code}] {exc}") from None
    except BaseException:
        sock.close()
        raise
    with reader:
        access = "token required" if settings.token else "this computer only"
        serve(
            reader,
            settings,
            sock=sock,
            ready=lambda url: click.echo(
                f"dashboard of {reader.where} (read-only) at {url} ({access}); Ctrl-C stops it",
                err=True,
            ),
        )
