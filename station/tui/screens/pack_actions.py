"""The dialogs around one pack that every line screen offers: the rework question for a pack
that passed already, and a label reprint (pick the pack, a supervisor authorises). The service
decides; these only ask and hand the answer back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import App
from textual.dom import DOMNode

from station.sequence.events import LabelResult, Outcome
from station.sequence.service import (
    Credentials,
    HistoryRow,
    ReworkAuthorisation,
    SerialCheck,
    Shift,
)
from station.tui.background import call_service
from station.tui.context import REPRINT_REASONS, REWORK_REASONS, LineContext
from station.tui.screens.authorise import AuthoriseScreen
from station.tui.screens.shift_change import PickPackScreen
from station.tui.text import markup


def ask_rework(
    app: App[object],
    ctx: LineContext,
    shift: Shift,
    check: SerialCheck,
    after: Callable[[ReworkAuthorisation | None], None],
) -> None:
    """A supervisor authorises one more run of a pack that passed (None: not authorised)."""
    previous = check.previous_pass
    assert previous is not None
    when = ctx.local(previous.ended_at)
    info = markup(
        "[b]$s[/] already [b $success]PASSED[/] on [b]$when[/] at station [b]$st[/] "
        "(recipe $v, attempt #$a).\nRunning it again is a rework: a supervisor must "
        "authorise it.",
        s=check.serial,
        when=f"{when:%Y-%m-%d %H:%M}",
        st=previous.station_id,
        v=previous.recipe_version,
        a=str(previous.attempt_id),
    )
    serial = check.serial

    def confirm(supervisor: Credentials, reason: str) -> ReworkAuthorisation:
        return ctx.service.authorise_rework(shift, serial, supervisor, reason)

    screen: AuthoriseScreen[ReworkAuthorisation] = AuthoriseScreen(
        ctx,
        title="Rework of a passed pack",
        info=info,
        reasons=REWORK_REASONS,
        purpose="a rework",
        confirm=confirm,
    )
    app.push_screen(screen, after)


def pick_passed_pack(
    node: DOMNode,
    ctx: LineContext,
    shift: Shift,
    since: datetime,
    picked: Callable[[str | None], None],
    failed: Callable[[str], None],
) -> None:
    """The operator picks a pack that passed this shift (None: cancelled)."""
    svc, limit = ctx.service, ctx.options.history_limit

    def passed() -> list[HistoryRow]:
        rows = svc.shift_history(shift, since, max(limit, 200))
        seen: set[str] = set()
        out = []
        for row in rows:
            if row.outcome == Outcome.PASS.value and row.serial not in seen:
                seen.add(row.serial)
                out.append(row)
        return out

    def show(rows: list[HistoryRow]) -> None:
        screen = PickPackScreen("Reprint the label of a pack", rows, ctx.local)
        node.app.push_screen(screen, picked)

    call_service(node, passed, show, failed)


def ask_reprint(
    app: App[object],
    ctx: LineContext,
    serial: str,
    confirm: Callable[[Credentials, str], LabelResult],
    after: Callable[[LabelResult | None], None],
    *,
    where: str = "",
) -> None:
    """A supervisor authorises a reprint of ``serial``'s label (``confirm`` prints it)."""
    screen: AuthoriseScreen[LabelResult] = AuthoriseScreen(
        ctx,
        title=f"Reprint the label of {serial}{where}",
        info="A reprinted label is recorded with its reason.",
        reasons=REPRINT_REASONS,
        purpose="a label reprint",
        confirm=confirm,
    )
    app.push_screen(screen, after)
