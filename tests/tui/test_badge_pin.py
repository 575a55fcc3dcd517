"""The badge → PIN part of both dialogs that ask for one (engineer mode, a supervisor's
authorisation) behaves the same: a badge without a PIN is refused with the role needed and the
field opens again; an accepted badge is ticked and the PIN field takes the focus; the PIN never
stays in a widget."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from station.tui.screens import AuthoriseScreen, BadgeScreen, EngineerScreen
from tests.tui.helpers import focused_id, scan, settle, text_of, type_and_enter
from tests.tui.real_station import ENGINEER, OPERATOR, PIN, SUPERVISOR, RealStation, locked_app

PASSED_SERIAL = "PK4S-000777"

# (how the dialog is opened, its badge field, its message line, the badge it needs, the words)
DIALOGS = {
    "engineer mode": ("engineer", "badge-input", "badge-message", ENGINEER, "engineer mode"),
    "rework": ("rework", "supervisor", "auth-message", SUPERVISOR, "a rework"),
}


async def open_dialog(pilot: Pilot[Any], how: str) -> None:
    await settle(pilot)
    if how == "engineer":
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BadgeScreen)
    else:
        await scan(pilot, PASSED_SERIAL)
        assert isinstance(pilot.app.screen, AuthoriseScreen)


def field(pilot: Pilot[Any], field_id: str) -> Input:
    return pilot.app.screen.query_one(f"#{field_id}", Input)


@pytest.mark.parametrize("dialog", list(DIALOGS))
async def test_a_badge_then_its_pin_is_asked_the_same_way(
    station: RealStation, dialog: str
) -> None:
    how, badge_id, message_id, badge, purpose = DIALOGS[dialog]
    if how == "rework":
        station.passed_at("ST-02", PASSED_SERIAL)
    app = locked_app(station)
    async with app.run_test() as pilot:
        await open_dialog(pilot, how)
        assert not field(pilot, "pin").display  # no PIN field before a badge

        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        assert f"{OPERATOR} is an operator badge: {purpose} needs" in text_of(
            pilot, f"#{message_id}"
        )
        scanned = field(pilot, badge_id)
        assert (scanned.value, scanned.disabled) == ("", False)
        assert focused_id(pilot) == badge_id
        assert not field(pilot, "pin").display

        await type_and_enter(pilot, badge)
        await settle(pilot)
        assert (scanned.value, scanned.disabled) == (f"✔ {badge}", True)
        assert text_of(pilot, f"#{message_id}") == ""  # the refusal is gone
        pin = field(pilot, "pin")
        assert pin.display
        assert pin.password
        assert focused_id(pilot) == "pin"

        await type_and_enter(pilot, PIN)
        await settle(pilot)
        assert pin.value == ""  # never kept
        if how == "engineer":
            assert isinstance(app.screen, EngineerScreen)  # the service accepted badge and PIN
        else:
            assert pin.placeholder == "PIN given"
            assert focused_id(pilot) == "reasons"  # the reason comes next
