"""Text the station did not write (typed, scanned, read back from the database) is shown as
plain text: no markup is interpreted, no control character reaches the terminal, no field grows
without bound."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot

from station.sequence.service import Section
from station.tui.fields import BADGE_MAX, SERIAL_MAX
from station.tui.screens import BadgeScreen, TraceScreen
from station.tui.widgets import SectionsView
from tests.tui.helpers import settle, text_of, type_and_enter
from tests.tui.real_station import OPERATOR, RealStation, locked_app


def sections_text(pilot: Pilot[Any]) -> str:
    return pilot.app.screen.query_one(SectionsView).text()


async def open_trace(pilot: Pilot[Any]) -> TraceScreen:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TraceScreen)
    return screen


async def test_markup_typed_into_the_trace_field_is_shown_not_parsed(
    station: RealStation,
) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await open_trace(pilot)
        await type_and_enter(pilot, "[/]x[b")
        await settle(pilot)
        assert app.is_running
        assert "Record of [/]x[b" in text_of(pilot, "#trace-title")
        assert "Pack [/]x[b" in sections_text(pilot)  # the station's answer, as it said it


async def test_a_refused_badge_with_markup_is_shown(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, BadgeScreen)
        await type_and_enter(pilot, "[/]")
        await settle(pilot)
        assert "'[/]' is not a badge" in text_of(pilot, "#badge-message")


async def test_bracketed_words_in_service_text_stay(station: RealStation) -> None:
    # No record the real station keeps can hold markup (serials, badges and lots are checked
    # on the way in), so the station's answer is replaced here to see the screen keep it.
    station.service.trace = lambda serial: [  # type: ignore[method-assign]
        Section("Pack [b]bold?[/b]", (("note", "cell [2] low [red]"),))
    ]
    app = locked_app(station)
    async with app.run_test() as pilot:
        await open_trace(pilot)
        await type_and_enter(pilot, "PK4S-000123")
        await settle(pilot)
        shown = sections_text(pilot)
        assert "Pack [b]bold?[/b]" in shown
        assert "cell [2] low [red]" in shown


async def test_control_characters_never_reach_the_screen(station: RealStation) -> None:
    # As above: an answer holding control characters, which no real record can.
    station.service.trace = lambda serial: [  # type: ignore[method-assign]
        Section("Pack", (("serial", "PK4S-000700\x1b[2J\x07"),))
    ]
    app = locked_app(station)
    async with app.run_test() as pilot:
        screen = await open_trace(pilot)
        field = screen.query_one("#trace-serial")
        field.post_message(events.Paste("PK4S-000700\x1b[2J\x07"))
        await pilot.pause()
        assert field.value == "PK4S-000700[2J"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        shown = sections_text(pilot)
        assert "\x1b" not in shown
        assert "\x07" not in shown
        assert "PK4S-000700␛[2J␇" in shown
        assert "\x1b" not in text_of(pilot, "#trace-title")


async def test_every_field_has_a_length_fit_for_its_content(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        screen = await open_trace(pilot)
        field = screen.query_one("#trace-serial")
        field.post_message(events.Paste("X" * 200_000))
        await pilot.pause()
        assert len(field.value) == SERIAL_MAX  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        badge = app.screen.query_one("#badge-input")
        badge.post_message(events.Paste("B" * 200_000))
        await pilot.pause()
        assert len(badge.value) == BADGE_MAX  # type: ignore[attr-defined]


async def test_role_refusals_use_the_right_article(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert "Scan an engineer badge" in str(app.screen.query("Static")[1].render())
        await type_and_enter(pilot, OPERATOR)
        await settle(pilot)
        message = text_of(pilot, "#badge-message")
        assert "OP-0001 is an operator badge: engineer mode needs an engineer badge." in message
