"""What every screen of the operator terminal needs: the service, the station, the options."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from station.clock import utc_now
from station.config import StationConfig
from station.sequence.board import SocketBoard
from station.sequence.service import StationInfo, StationService
from station.tui.key_hold import KeyHold

REWORK_REASONS: tuple[str, ...] = (
    "Failed downstream test",
    "Customer return",
    "Label damaged",
    "Other",
)

REPRINT_REASONS: tuple[str, ...] = (
    "Label damaged",
    "Label unreadable",
    "Label lost",
    "Other",
)


@dataclass(frozen=True)
class LineOptions:
    """How this terminal is set up; the defaults suit a line terminal.

    ``recipe``/``operator``/``lot`` are the supervisor locks (config file or flags): when all three
    are set and accepted, the start-of-shift screen is skipped. ``monotonic``, ``now`` and ``tz``
    are injected so tests and snapshots show fixed times.
    """

    recipe: str = ""
    operator: str = ""
    lot: str = ""
    gauge_refresh_s: float = 5.0  # engineer mode live values; 0 turns the timer off
    #: how often the line screen asks whether a pack answers while no pack runs (the header's
    #: Place pack / Pack detected / Bus fault); 0: only at start and after each pack
    ready_poll_s: float = 2.0
    history_limit: int = 20
    bell: bool = True  # ring the terminal bell on FAIL, ERROR and an ignored scan
    monotonic: Callable[[], float] = field(default=time.monotonic, compare=False)
    now: Callable[[], datetime] = field(default=utc_now, compare=False)
    tz: tzinfo | None = None  # time zone for times on screen; None: the terminal's local zone

    @classmethod
    def from_config(cls, config: StationConfig) -> LineOptions:
        return cls(recipe=config.recipe, operator=config.operator, lot=config.lot, bell=config.bell)


@dataclass(frozen=True)
class LineContext:
    service: StationService
    info: StationInfo
    options: LineOptions
    #: the sockets of a station with several (None: the one socket of ``service``)
    board: SocketBoard | None = None
    #: a scanner's keys while a started shift hands over to its line screen
    key_hold: KeyHold = field(default_factory=KeyHold)

    def local(self, when: datetime) -> datetime:
        """``when`` in the display zone (naive times are taken as already local)."""
        if when.tzinfo is None:
            return when
        return when.astimezone(self.options.tz)
