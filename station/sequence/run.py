"""What the steps of one run share: the socket, the recipe, the pack's connection and state, the
record, and the operator's cancel. Steps read and change it; the engine owns it.

The safe points, the abort and the give-back of a pack (rollback, re-seal) live here, next to
the state they protect: an abort after writes began restores the backup and re-seals a pack that
arrived sealed, so it is never left half-written unsaid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from station.gauge import Gauge
from station.gauge.identity import GaugeIdentity
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.image import BLOCK_SIZE
from station.sequence.events import (
    STEP_TITLES,
    CancelToken,
    Event,
    Failure,
    LabelResult,
    Measurement,
    Notice,
    StepId,
    StepProgress,
)
from station.sequence.failures import AbortRequested, FailureCode, make_failure
from station.sequence.pack_state import NOTHING_WRITTEN, PackState
from station.sequence.recorder import Recorder
from station.sequence.socket_context import PackConnection, SocketContext
from station.sequence.verify import read_blocks


@dataclass
class Run:
    """One pack's run as the steps see it."""

    socket: SocketContext
    recipe: Recipe
    serial: str
    operator: str
    record: Recorder
    on_event: Callable[[Event], None]
    cancel: CancelToken
    state: PackState = field(default_factory=PackState)
    conn: PackConnection | None = None
    identity: GaugeIdentity | None = None
    key_set_id: str = ""
    #: the one other key set the pack may hold (a key change sent but never proven)
    fallback_key_set: str | None = None
    label: LabelResult | None = None
    bus_started: float | None = None

    @property
    def gauge(self) -> Gauge:
        assert self.conn is not None
        return self.conn.gauge

    @property
    def attempt(self) -> int:
        return self.record.attempt

    # -- telling -------------------------------------------------------------------------------
    def measure(self, m: Measurement) -> None:
        self.record.measure(m)

    def notice(self, step: StepId, message: str) -> None:
        self.on_event(Notice(step, message))

    def progress(self, step: StepId) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self.on_event(StepProgress(step, done, total))

        return report

    # -- writing -------------------------------------------------------------------------------
    def write(self, address: int, data: bytes) -> None:
        """One data-flash write, counted so an abort or a failure knows what to undo."""
        state = self.state
        n = state.writes_done + 1
        state.writes_sent = n
        self.gauge.write_df(address, data)
        state.writes_done = n

    # -- safe points and abort -----------------------------------------------------------------
    def checkpoint(self) -> None:
        """A safe point: the operator's abort is honoured here, never once the pack is sealed."""
        if self.cancel.requested and not self.state.sealed:
            raise AbortRequested

    def aborted(self, step: StepId) -> Failure:
        """The operator's abort, with the pack given back as it came where it can be."""
        state = self.state
        if state.written:
            note = self.rollback()
        elif state.unsealed_by_us:
            note = self.reseal(NOTHING_WRITTEN)
        else:
            note = NOTHING_WRITTEN
        return make_failure(
            step, FailureCode.ABORTED, f"aborted by the operator during {STEP_TITLES[step]}", note
        )

    def rollback(self) -> str:
        """Put back the bytes this run wrote, from the backup, then re-seal if it came sealed."""
        state = self.state
        assert state.backup is not None
        self.notice(StepId.APPLY, "aborting: restoring the backed-up data flash")
        gauge = self.gauge
        try:
            # Every write sent, confirmed or not, is put back (restoring one that did not take
            # is harmless).
            done = state.writes[: max(state.writes_done, state.writes_sent)]
            for write in done:
                original = state.backup.read(write.address, len(write.data))
                assert original is not None
                gauge.write_df(write.address, original)
            blocks = sorted({w.address - w.address % BLOCK_SIZE for w in done})
            back = read_blocks(gauge, blocks, None, None, confirm=blocks)
            if any(back.blocks[b] != state.backup.blocks[b] for b in blocks):
                raise RuntimeError("the restored blocks do not read back as backed up")
        except Exception as exc:
            return (
                f"UNSEALED, data flash PARTIALLY written ({state.writes_text()}) and the restore "
                f"failed ({exc}); run the pack again to complete it"
            )
        state.writes_done = state.writes_sent = 0
        return self.reseal("data flash restored from the backup")

    def reseal(self, what: str) -> str:
        if not self.state.unsealed_by_us:
            arrived = self.state.arrived_mode
            return f"{what}; left {arrived.name if arrived else 'as found'}"
        try:
            self.gauge.seal()
        except Exception:
            return f"{what}; re-sealing failed, so it may be left UNSEALED"
        return f"{what}; sealed again as it arrived"

    def left_state(self, failure: Failure) -> Failure:
        """Say what state a failure leaves the pack in, and re-seal one nothing was written to."""
        if failure.pack_state:
            return failure
        left = self.state.left_after_failure(connected=self.conn is not None, reseal=self.reseal)
        return replace(failure, pack_state=left)

    def left_as_now(self, failure: Failure | None) -> str:
        """What the pack is left as: what the failure found, else what the gauge last said."""
        if failure is not None and failure.pack_state:
            return failure.pack_state
        mode = self.conn.gauge.last_reported_mode if self.conn is not None else None
        return self.state.as_last_seen(mode, connected=self.conn is not None)
