"""What the station did to the pack so far, and what state that leaves it in, said once.

Every failure, abort and recording problem names the pack's state from here, so the operator is
never told a half-written pack is untouched, or a sealed one open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from station.gauge import SecurityMode
from station.recipe.planning.writes import DFWrite, Target, WritePlan
from station.recipe.profile.image import DataFlashImage

#: the state of a pack no step touched
UNTOUCHED = "untouched by this run"
NOTHING_WRITTEN = "nothing was written"


@dataclass
class PackState:
    """What the station did to the pack so far: enough to say what state it is left in."""

    arrived_mode: SecurityMode | None = None
    unsealed_by_us: bool = False
    writes_total: int = 0
    writes_done: int = 0
    #: writes sent, confirmed or not: one whose confirmation failed may still have taken
    writes_sent: int = 0
    df_verified: bool = False  # the data flash read back as planned
    verified: bool = False  # ... and every pack check passed
    sealed: bool = False
    seal_sent: bool = False  # the seal may have taken even if it was not confirmed
    keys_changed_to: str | None = None
    backup: DataFlashImage | None = None
    #: every data-flash write of the run, in the order sent (a FlashStream's, then the plan's)
    writes: tuple[DFWrite, ...] = ()
    before_image: int | None = None  # its id in the store
    plan: WritePlan | None = None
    target: Target | None = None

    @property
    def written(self) -> bool:
        """Whether the data flash may differ from the backup (a pack never to be re-sealed as
        untouched)."""
        return self.writes_sent > 0 or self.writes_done > 0

    def writes_text(self) -> str:
        text = f"{self.writes_done} of {self.writes_total} writes"
        if self.writes_sent > self.writes_done:
            text += f", write {self.writes_sent} unconfirmed"
        return text

    def left_after_failure(self, *, connected: bool, reseal: Callable[[str], str]) -> str:
        """What a failure leaves the pack as; one nothing was written to is given back sealed
        as it came (``reseal``, best effort on a bad bus)."""
        if self.sealed:
            return "sealed"
        if self.seal_sent:
            return (
                "programmed and verified; the seal was sent but not confirmed, so the pack may "
                "be SEALED or UNSEALED. Running the pack again (rework if asked) completes it"
            )
        if self.df_verified and not self.verified:
            return (
                "UNSEALED: programmed and read back correctly, but the pack checks did not "
                "pass; it was NOT sealed"
            )
        if self.written and not self.verified:
            return (
                # What to do is the failure code's one action (the failure table), not said here.
                f"UNSEALED, data flash written ({self.writes_text()}) but not verified; it was "
                "NOT sealed"
            )
        if self.verified:
            return "UNSEALED, programmed and verified but NOT sealed; run it again to seal it"
        if self.unsealed_by_us and connected:
            return reseal(NOTHING_WRITTEN)
        return NOTHING_WRITTEN

    def as_last_seen(self, mode: SecurityMode | None, *, connected: bool) -> str:
        """What the pack is left as when no failure said it: what the gauge last reported."""
        if mode is SecurityMode.SEALED:
            return "sealed" + (" and programmed" if self.verified else "")
        if mode is not None:
            return f"{mode.name}: not sealed"
        return "not touched" if not connected else "in an unknown state"
