"""``station config check``: the effective configuration, where each value came from, and whether
the key store, bus, printer, recipes and database it names can be used."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from station.cli.common import (
    EXIT_FAIL,
    config_option,
    echo,
    handle_errors,
    keys_option,
    load_station_config,
)
from station.config import StationConfig


def register(group: click.Group) -> None:
    group.add_command(config_group)


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
