"""Is the socket ready for a pack? The bus answers, and a gauge answers at its address.

Checked at start, between packs, and before any scan is accepted: on a bus the station cannot
use, a scan is refused as a station fault before anything is written against the serial (a dead
adapter says nothing about the pack).
"""

from __future__ import annotations

from station.bus.errors import BusError, BusOpenError
from station.gauge import Gauge
from station.recipe.product.recipe_model import Recipe
from station.sequence.service import Readiness, SocketState
from station.sequence.socket_context import PackConnection, SocketContext


def bus_fault(exc: BusError | BusOpenError) -> Readiness:
    return Readiness(SocketState.BUS_FAULT, f"bus fault: {exc}", exc.failure_code)


def gauge_readiness(gauge: Gauge) -> Readiness:
    """Ask the pack in the socket whether it is there (one read)."""
    address = f"0x{gauge.transport.address:02X}"
    try:
        present = gauge.answers()
    except BusError as exc:
        return bus_fault(exc)
    if present:
        return Readiness(SocketState.PACK_DETECTED, f"a gauge answers at {address}")
    return Readiness(
        SocketState.PLACE_PACK, f"the bus works; no gauge answers at {address} (no pack seated)"
    )


def connect_ready(
    socket: SocketContext, recipe: Recipe | None = None
) -> tuple[PackConnection | None, Readiness]:
    """A connection to the socket's pack and what it says; no connection on a bus fault."""
    try:
        conn = socket.connect(recipe)
    except BusOpenError as exc:
        return None, bus_fault(exc)
    try:
        ready = gauge_readiness(conn.gauge)
    except BaseException:
        conn.close()
        raise
    if ready.fault:
        conn.close()
        return None, ready
    return conn, ready


def socket_readiness(socket: SocketContext) -> Readiness:
    """Whether the socket is ready for a pack (the header's Place pack / Pack detected / Bus
    fault)."""
    conn, ready = connect_ready(socket)
    if conn is not None:
        conn.close()
    return ready
