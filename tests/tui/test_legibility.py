"""Seen from across the room: verdict banners readable at 7:1, the bell when it matters."""

from __future__ import annotations

from typing import Any

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem

from station.sequence.events import Outcome
from station.tui.screens import LineScreen
from station.tui.widgets import VerdictBanner
from tests.tui.helpers import scan, settle
from tests.tui.real_station import RealStation, locked_app


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def in_256_colours(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """What a 256-colour terminal shows for ``rgb`` (Rich's downgrade, as Textual uses)."""
    tc = RichColor.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
    return (tc.red, tc.green, tc.blue)


def shown(widget: Any) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The (text, background) colours a widget is painted with, as the screen composes them."""
    background = widget.background_colors[1]
    text = background + widget.styles.color
    return text.rgb, background.rgb


@pytest.mark.parametrize("outcome", [Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.ABORTED])
async def test_every_verdict_banner_reads_at_7_to_1(station: RealStation, outcome: Outcome) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        banner = screen.query_one(VerdictBanner)
        banner.show(outcome, "PK4S-000123")
        await pilot.pause()
        text, background = shown(banner)
        assert text != background
        assert contrast(text, background) >= 7.0, (outcome, text, background)
        assert contrast(in_256_colours(text), in_256_colours(background)) >= 7.0


async def test_a_refusal_reads_at_7_to_1(station: RealStation) -> None:
    app = locked_app(station)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, "HELLO")
        message = app.screen.query_one("#scan-message")
        assert message.has_class("-refused")
        text, background = shown(message)
        assert contrast(text, background) >= 7.0
        assert contrast(in_256_colours(text), in_256_colours(background)) >= 7.0


@pytest.mark.parametrize("bell", [True, False])
async def test_a_fail_rings_the_bell_unless_turned_off(station: RealStation, bell: bool) -> None:
    app = locked_app(station, bell=bell)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await settle(pilot)
        station.pack = "3-cells"
        await scan(pilot, "PK4S-000202")
        assert station.attempts() == [("PK4S-000202", "FAIL")]
        assert rings == ([1] if bell else [])
