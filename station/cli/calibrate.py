"""``station gauge calibrate``: calibrate one pack against the socket's reference instruments
(engineers' bench use), and print its constants and readings before and after."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from station.cli.common import (
    EXISTING_FILE,
    Failed,
    UsageProblem,
    echo,
    handle_errors,
    path_option,
)
from station.cli.gauge import GaugeAccess, gauge_access, in_mode
from station.gauge import Gauge, SecurityMode
from station.instruments.model import InstrumentError
from station.keys import TI_DEFAULT_ID
from station.recipe.errors import RecipeError
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.calibration import CalibrationRecord, Calibrator
from station.sequence.instruments import socket_bench


def _n(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _readings(g: Gauge, cells: int) -> str:
    mv = ", ".join(_n(v.value) for v in g.cell_voltages(cells))
    return (
        f"cells {mv} mV; Voltage {_n(g.voltage().value)} mV; Current {_n(g.current().value)} "
        f"mA; Temperature {_n(g.temperature().value)} °C"
    )


def _print_record(rec: CalibrationRecord) -> None:
    echo("References:")
    for name, ident in rec.instruments().items():
        echo(f"  {name}: {ident}")
    echo("Raw averages:")
    for step, avg in rec.raw.items():
        cells = ", ".join(f"{c:.1f}" for c in avg.cells)
        echo(f"  {step:<13} {avg.frames} frames: CC {avg.cc:.2f}; cells {cells}; "
             f"PACK {avg.pack:.1f}; BAT {avg.bat:.1f}")  # fmt: skip
    echo("Constants (before → after):")
    for c in rec.changes:
        same = "" if c.old_bytes != c.new_bytes else " (unchanged)"
        echo(f"  {c.parameter}: {c.old:g} → {c.new:g}  [{c.old_bytes.hex(' ')} → "
             f"{c.new_bytes.hex(' ')}] at 0x{c.address:04X}{same}")  # fmt: skip
    echo("Residuals after calibration:")
    for r in rec.residuals:
        echo(f"  {r.text()}")
    echo(f"Frames {rec.frames}, {rec.duration_s:.2f} s")


@click.command("calibrate")
@path_option(
    "--recipe",
    "recipe_path",
    EXISTING_FILE,
    "Recipe whose [calibration] section says what to calibrate and within what.",
    required=True,
)
@click.option("--socket", default=None, help="Socket whose instruments to use (default: config).")
@gauge_access(TI_DEFAULT_ID)
@handle_errors
def calibrate(
    recipe_path: Path,
    socket: str | None,
    access: GaugeAccess,
) -> None:
    """Calibrate the pack's voltage, current and temperature against the reference instruments,
    write the constants and print them and the readings before and after.

    Nothing is written when a result falls outside the profile's limits; the pack is put back
    in the security mode it was found in."""
    try:
        recipe: Recipe = load_recipe(recipe_path)
    except RecipeError as exc:
        raise Failed(f"[{exc.failure_code}] {exc}") from None
    plan = recipe.calibration
    if plan is None:
        raise UsageProblem(f"{recipe_path} has no [calibration] section: nothing to calibrate")
    with access.connect() as session:
        try:
            bench = socket_bench(
                session.config,
                session.device,
                dt.date.today(),
                ask=lambda prompt: str(click.prompt(prompt, type=str, err=True)),
                socket=socket,
            )
        except InstrumentError as exc:
            raise Failed(f"[{exc.failure_code}] {exc}") from None
        try:
            with in_mode(session, SecurityMode.UNSEALED):
                g = session.gauge
                cells = recipe.cells
                echo(f"Before: {_readings(g, cells)}")
                calibrator = Calibrator(
                    g, recipe.profile, plan, bench, cells=cells,
                    progress=lambda text: echo(f"  {text}", err=True),
                )  # fmt: skip
                try:
                    rec = calibrator.run()
                except InstrumentError as exc:
                    raise Failed(f"[{exc.failure_code}] {exc}") from None
                _print_record(rec)
                echo(f"After:  {_readings(g, cells)}")
                echo("CALIBRATION PASS")
        finally:
            bench.close()
