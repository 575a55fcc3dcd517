"""What a scanned serial means at this socket, before anything touches the pack."""

from __future__ import annotations

from collections.abc import Callable

from station.recipe.errors import SerialRejected
from station.recipe.product.recipe_model import Recipe
from station.sequence.service import PassRecord, Readiness, SerialCheck
from station.sequence.socket_context import SocketContext


def check_serial(
    socket: SocketContext, recipe: Recipe, serial: str, readiness: Callable[[], Readiness]
) -> SerialCheck:
    """The first of: not a serial of ``recipe``, busy at another station, already passed
    (rework possible), a bus the station cannot use (``readiness`` asked last); else valid."""
    serial = serial.strip()
    try:
        recipe.identify(serial)
    except SerialRejected as exc:
        return SerialCheck(serial, False, str(exc))
    previous = _previous_pass(socket, serial)
    busy = _busy_elsewhere(socket, serial)
    if busy:
        return SerialCheck(
            serial, False, f"pack {serial} is being programmed at {busy}", previous, busy
        )
    if previous is not None:
        when = previous.ended_at.astimezone().strftime("%Y-%m-%d %H:%M")
        return SerialCheck(
            serial,
            False,
            f"pack {serial} already passed at {previous.station_id} on {when}: a supervisor "
            "must authorise a rework",
            previous,
        )
    ready = readiness()
    if ready.fault:
        return SerialCheck(serial, False, ready.refusal(serial).reason, readiness=ready)
    return SerialCheck(serial, True, readiness=ready)


def _previous_pass(socket: SocketContext, serial: str) -> PassRecord | None:
    last = socket.store.last_pass(serial, emulated=socket.emulated)
    if last is None:
        return None
    return PassRecord(
        attempt_id=last.id,
        ended_at=last.ended_at or last.started_at,
        station_id=last.station_id,
        recipe_version=last.recipe_version,
    )


def _busy_elsewhere(socket: SocketContext, serial: str) -> str:
    """Where another station or socket holds the serial ("" when none does)."""
    claim = socket.store.current_claim(serial)
    if claim is None or (claim.station, claim.socket) == (socket.station_id, socket.socket):
        return ""
    since = claim.claimed_at.astimezone().strftime("%H:%M")
    return f"station {claim.station} socket {claim.socket} since {since}"
