"""What the station checks about itself before it touches a pack: that its clock can date the
pack, and that a run on the emulator is not recorded in a production database.

Both refusals happen before any attempt is written and before the bus is opened.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from station import BUILD_DATE
from station.refusal import Refused
from station.sequence.events import StepId
from station.sequence.failures import FailureCode, StepFailed, make_failure
from station.sequence.socket_context import SocketContext

#: how far the station's clock may be from the database server's before it is not believed
MAX_CLOCK_SKEW = timedelta(minutes=10)

UNTOUCHED = "untouched by this run"


class EmulationRefused(Refused):
    """The emulator was asked to run against a production database."""

    failure_code = FailureCode.EMULATED_ON_PRODUCTION


def clock_problem(station_now: datetime, server_now: datetime | None) -> str | None:
    """Why the station's clock cannot be believed, or None."""
    if station_now.date() < BUILD_DATE:
        return (
            f"the station's clock says {station_now:%Y-%m-%d %H:%M}, before this software "
            f"was made ({BUILD_DATE:%Y-%m-%d}); it lost its time"
        )
    if server_now is not None:
        skew = station_now - server_now
        if abs(skew) > MAX_CLOCK_SKEW:
            ahead = "ahead of" if skew > timedelta(0) else "behind"
            return (
                f"the station's clock is {_span(abs(skew))} {ahead} the database server's "
                f"({station_now:%Y-%m-%d %H:%M} here, {server_now:%Y-%m-%d %H:%M} there)"
            )
    return None


def check_clock(socket: SocketContext) -> None:
    """Refuse to program with a clock that would write a wrong date into a sealed pack."""
    problem = clock_problem(socket.now(), socket.store.server_time())
    if problem is not None:
        raise StepFailed(
            make_failure(
                StepId.SERIAL,
                FailureCode.CLOCK_IMPLAUSIBLE,
                f"{problem}: the manufacture date written into the pack would be wrong",
                UNTOUCHED,
            )
        )


def emulation_problem(socket: SocketContext) -> str | None:
    """Why this socket may not run: an emulated bus on a production database."""
    if not socket.emulated:
        return None
    if socket.config.production or socket.store.is_production():
        return (
            f"the bus {socket.config.bus!r} is the emulator and the database "
            f"{socket.store.where} is a production database: runs on the emulator are never "
            "recorded there (they would count as real packs)"
        )
    return None


def refuse_emulation_on_production(socket: SocketContext) -> None:
    problem = emulation_problem(socket)
    if problem is not None:
        raise EmulationRefused(problem)


def check_before_run(socket: SocketContext) -> None:
    """Everything the station checks about itself before a pack: clock, emulator."""
    problem = emulation_problem(socket)
    if problem is not None:
        raise StepFailed(
            make_failure(StepId.SERIAL, FailureCode.EMULATED_ON_PRODUCTION, problem, UNTOUCHED)
        )
    check_clock(socket)


def check_connection(socket: SocketContext, emulated: bool, attempt_id: int) -> None:
    """Once the bus is open: the attempt says what the bus really is (a bus plugin may be a
    simulator), and an emulator never runs against a production database."""
    if emulated == socket.emulated:
        return
    socket.store.set_emulated(attempt_id, emulated)
    if emulated and (socket.config.production or socket.store.is_production()):
        raise StepFailed(
            make_failure(
                StepId.IDENTIFY,
                FailureCode.EMULATED_ON_PRODUCTION,
                f"the bus {socket.config.bus!r} says it is a simulator and the database "
                f"{socket.store.where} is a production database",
                "nothing was written",
            )
        )


def _span(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{hours / 24:.0f} days"
