"""Gauge answers that lie, end to end through the sequence, with PEC on (the PEC is right: the
gauge itself says the wrong thing).

The driver's own tests (tests/gauge/test_driver.py) cover each check against a fake; here the
emulated pack lies in the middle of a real run, after the data flash was written, and the run
must end with the driver's named error and a pack that is not sealed. Once the pack tells the
truth again, the same pack passes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from station.emulator import sbs
from station.emulator.chip import Chip
from station.sequence.events import Event, Outcome, StepId, StepStarted
from tests.campaign.harness import (
    Observed,
    check_fresh_attempt,
    check_run,
    fresh_bench,
    observe,
)
from tests.sequence.conftest import Bench

MANUFACTURING_STATUS = b"\x57\x00"  # MAC 0x0057, as echoed (little-endian)


def _mac(echo: bytes, change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """Change 0x44 block reads that answer the MAC whose echo is ``echo``."""

    def lie(data: bytes) -> bytes:
        return change(data) if data[1:3] == echo else data

    return lie


def _df_block(data: bytes) -> bytes:
    """A data-flash block read that names the next block's address."""
    if len(data) != 35:
        return data
    address = int.from_bytes(data[1:3], "little") + 0x20
    return data[:1] + address.to_bytes(2, "little") + data[3:]


LIES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    # name: (what the gauge says instead, the driver's failure code)
    "wrong echo": (
        _mac(MANUFACTURING_STATUS, lambda d: d[:1] + b"\x56\x00" + d[3:]),
        "GAUGE_BAD_ECHO",
    ),
    "short block": (_mac(MANUFACTURING_STATUS, lambda d: bytes([3]) + d[1:4]), "GAUGE_SHORT_BLOCK"),
    "count byte 40": (
        _mac(MANUFACTURING_STATUS, lambda d: bytes([40]) + d[1:]),
        "BUS_BAD_RESPONSE",  # the transport refuses a count beyond the 34 bytes asked for
    ),
    "data-flash block from elsewhere": (_df_block, "GAUGE_BAD_ECHO"),
}


def _lie_from_verify(
    bench: Bench, monkeypatch: pytest.MonkeyPatch, change: Callable[[bytes], bytes]
) -> Callable[[Event], None]:
    """From the VERIFY step on (after the writes), 0x44 block reads pass through ``change``."""
    armed = [False]
    real = sbs.read

    def read(chip: Chip, cmd: int, now: float) -> bytes | None:
        data = real(chip, cmd, now)
        if armed[0] and cmd == 0x44 and data is not None:
            return change(data)
        return data

    monkeypatch.setattr(sbs, "read", read)

    def on_event(event: Event) -> None:
        if isinstance(event, StepStarted) and event.step is StepId.VERIFY:
            armed[0] = True

    return on_event


def _check_lie_caught(bench: Bench, seen: Observed, code: str) -> None:
    check_run(bench, seen)
    result = seen.result
    assert result.outcome is Outcome.ERROR, result.failure
    assert result.failure is not None
    assert (result.failure.code, result.failure.step) == (code, StepId.VERIFY)
    assert seen.wrote
    assert seen.mode_after != "SEALED"
    assert "NOT sealed" in result.failure.pack_state


@pytest.mark.parametrize("lie", LIES)
def test_a_gauge_that_lies_during_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lie: str
) -> None:
    change, code = LIES[lie]
    bench = fresh_bench(tmp_path, pec=True)
    try:
        on_event = _lie_from_verify(bench, monkeypatch, change)
        events: list[Event] = []
        seen = _observe_with(bench, on_event, events)
        _check_lie_caught(bench, seen, code)
        monkeypatch.undo()  # the pack tells the truth again
        check_fresh_attempt(bench, seen)
    finally:
        bench.store.close()


def test_a_cell_voltage_of_65535_mv_with_a_correct_pec(tmp_path: Path) -> None:
    bench = fresh_bench(tmp_path, pec=True)
    try:
        bench.device.pack.cell_mv = [3700, 65535, 3700, 3700]
        seen = observe(bench)
        _check_lie_caught(bench, seen, "GAUGE_IMPLAUSIBLE_VALUE")
        assert "65535 mV" in (seen.result.failure.reason if seen.result.failure else "")
        bench.device.pack.cell_mv = [3700, 3700, 3700, 3700]
        check_fresh_attempt(bench, seen)
    finally:
        bench.store.close()


def _observe_with(bench: Bench, on_event: Callable[[Event], None], events: list[Event]) -> Observed:
    """``observe`` with an extra event hook (the lie is armed from an event)."""
    run = bench.run

    def run_with_hook(*args: object, **kwargs: object) -> object:
        inner = kwargs.pop("on_event", None)

        def both(event: Event) -> None:
            on_event(event)
            events.append(event)
            if callable(inner):
                inner(event)

        return run(*args, on_event=both, **kwargs)  # type: ignore[arg-type]

    bench.run = run_with_hook  # type: ignore[method-assign,assignment]
    try:
        return observe(bench)
    finally:
        bench.run = run  # type: ignore[method-assign]
