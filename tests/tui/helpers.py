"""Shared helpers for the operator-terminal tests: drive the app, read what it shows."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from station.tui.screens import LineScreen
from station.tui.widgets import ResultDetails
from tests.tui.real_station import LOT, OPERATOR


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs and every message they posted is handled.

    A worker's answer can start another worker (check serial → run), so loop until quiet.
    """
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers did not settle")


#: how long to wait for the station before calling it hung (a bound, never a deadline)
HUNG_AFTER_S = 120.0


async def wait_until(pilot: Pilot[Any], condition: Any, what: str) -> None:
    """Let the app work until ``condition()`` holds (a worker thread makes it true).

    A plain sleep hands the loop to the app, which draws at its own frame rate as on a line;
    ``pilot.pause`` would force a redraw every turn (in the soak, half as much CPU again)."""
    limit = time.monotonic() + HUNG_AFTER_S
    while not condition():
        if time.monotonic() > limit:
            raise AssertionError(f"the station hung: {what} never happened")
        await asyncio.sleep(0.002)
    await pilot.pause()


async def type_and_enter(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text, "enter")


async def start_shift(pilot: Pilot[Any], recipe_index: int = 0, lot: str = LOT) -> None:
    """Badge, recipe, lot on the start-of-shift screen; leaves the line screen shown."""
    await settle(pilot)
    await type_and_enter(pilot, OPERATOR)
    await settle(pilot)
    for _ in range(recipe_index):
        await pilot.press("down")
    await pilot.press("enter")
    await type_and_enter(pilot, lot)
    await settle(pilot)


async def badge_and_pin(pilot: Pilot[Any], badge: str, pin: str) -> None:
    """Scan a badge in an authorisation dialog, then type its PIN."""
    await type_and_enter(pilot, badge)
    await settle(pilot)
    await type_and_enter(pilot, pin)
    await settle(pilot)


async def scan(pilot: Pilot[Any], serial: str) -> None:
    await type_and_enter(pilot, serial)
    await settle(pilot)


def text_of(pilot: Pilot[Any], selector: str) -> str:
    """The plain text a Static (or the result details) shows on the active screen."""
    widget = pilot.app.screen.query_one(selector)
    if isinstance(widget, ResultDetails):
        return widget.text()
    assert isinstance(widget, Static)
    return str(widget.render())


def line(pilot: Pilot[Any]) -> LineScreen:
    """The line screen, which must be the one shown."""
    screen = pilot.app.screen
    assert isinstance(screen, LineScreen)
    return screen


def focused_id(pilot: Pilot[Any]) -> str | None:
    focused = pilot.app.focused
    return None if focused is None else focused.id


def scanner_keys(text: str) -> list[events.Key]:
    """``text`` as the key events a keyboard-wedge scanner sends (``\\n`` for Enter)."""
    names = {"\n": ("enter", "\r"), "-": ("minus", "-")}
    return [events.Key(*names.get(char, (char, char))) for char in text]
