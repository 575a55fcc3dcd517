"""What engineer mode shows: the gauge in the socket, the recipe as the station will write it,
and the recipe against the pack's own values. Reads only; a pack that came sealed is sealed
again."""

from __future__ import annotations

from collections.abc import Callable

from station.gauge import Gauge, SecurityMode
from station.recipe.product import recipe_report as report
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.image import BLOCK_SIZE
from station.sequence.service import Section
from station.sequence.snapshot import gauge_sections
from station.sequence.socket_context import SocketContext, gauge_timings
from station.sequence.verify import read_blocks


def connect_gauge(socket: SocketContext, recipe: Recipe | None) -> tuple[Gauge, Callable[[], None]]:
    """The gauge in the socket (with the recipe's timings when there is one), and how to let
    go of it."""
    bus = socket.open_bus()
    transport = socket.transport_for(bus)
    timings = gauge_timings(recipe) if recipe is not None else None
    gauge = Gauge(transport, clock=bus.clock, timings=timings)
    try:
        gauge.establish_pec(socket.config.pec)
    except Exception:
        bus.close()
        raise
    return gauge, bus.close


def gauge_snapshot(socket: SocketContext, recipe: Recipe | None) -> list[Section]:
    gauge, close = connect_gauge(socket, recipe)
    try:
        return gauge_sections(gauge)
    finally:
        close()


def recipe_details(recipe: Recipe) -> list[Section]:
    head = Section(
        "Recipe",
        (
            ("name", recipe.name),
            ("version", recipe.version),
            ("hash", recipe.content_hash),
            ("profile", recipe.profile.id),
            ("firmware", ", ".join(recipe.firmware)),
            ("mode", recipe.mode),
            ("serial pattern", recipe.serial.pattern),
            ("key set", recipe.security.key_set),
        ),
    )
    return [head, Section("Parameters", tuple(report.setting_rows(recipe)))]


def diff_against_pack(socket: SocketContext, recipe: Recipe) -> list[Section]:
    """Read the connected pack's values for the recipe's parameters (unsealing with the
    recipe's key set, and sealing again if it came sealed) and show what differs."""
    gauge, close = connect_gauge(socket, recipe)
    try:
        arrived = gauge.security_mode()
        keys = socket.keys.get(recipe.security.key_set)
        if arrived is SecurityMode.SEALED:
            gauge.unseal(keys)
        try:
            blocks = sorted(
                {a - a % BLOCK_SIZE for s in recipe.settings for a in s.parameter.addresses}
            )
            image = read_blocks(gauge, blocks, None, None)
        finally:
            if arrived is SecurityMode.SEALED:
                gauge.seal()
        pack = recipe.decode_values(image)
    finally:
        close()
    rows = report.pack_comparison(recipe, pack)
    differing = sum(1 for _, text in rows if text.endswith("DIFFERS"))
    return [
        Section("Recipe vs pack", (("parameters differing", f"{differing} of {len(rows)}"),)),
        Section("Parameters", tuple(rows)),
    ]
