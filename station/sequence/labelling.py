"""The Label step: render the pack's label from its recipe, print it, record the print.

A label is printed only for a pack that verified and is sealed; a printer fault never changes a
PASS: the label is recorded as not printed and can be printed again later.
"""

from __future__ import annotations

import datetime as dt

from station.labels import LabelData, LabelError, open_printer, parse_stock, render
from station.recipe.product.recipe_model import Recipe
from station.sequence.events import LabelResult
from station.sequence.socket_context import SocketContext
from station.store import LabelOutcome


def label_data(socket: SocketContext, recipe: Recipe, serial: str, made: dt.date) -> LabelData:
    fields = recipe.label
    return LabelData(
        serial=serial,
        product=fields.product,
        recipe=recipe.name,
        recipe_version=recipe.version,
        nominal_voltage_v=float(fields.nominal_voltage_v),
        capacity_mah=fields.capacity_mah,
        energy_wh=float(fields.energy_wh),
        manufactured=made,
        station_id=socket.station_id,
    )


def print_pass_label(
    socket: SocketContext,
    recipe: Recipe,
    serial: str,
    attempt_id: int,
    by: str,
    *,
    made: dt.date | None = None,
    reprint_reason: str | None = None,
) -> LabelResult:
    """Render and print; record the outcome either way. Never raises for a printer fault."""
    printer_spec = socket.config.printer
    try:
        day = made or socket.now().astimezone().date()
        artwork = render(label_data(socket, recipe, serial, day), parse_stock(recipe.label.stock))
        printer = open_printer(printer_spec)
        result = printer.print(artwork, job_name=f"{serial}-attempt{attempt_id}")
    except LabelError as exc:
        detail = f"[{exc.failure_code}] {exc}"
        socket.store.record_label(
            attempt_id,
            printer_spec,
            LabelOutcome.FAILED,
            by=by,
            error=detail,
            reprint_reason=reprint_reason,
        )
        return LabelResult(False, printer_spec, detail, exc.failure_code)
    socket.store.record_label(
        attempt_id, printer_spec, LabelOutcome.PRINTED, by=by, reprint_reason=reprint_reason
    )
    return LabelResult(True, result.printer, result.summary)
