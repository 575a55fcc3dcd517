"""A shift in one test: 500 packs through the operator terminal on the real station (sequence
engine, gauge driver, emulator, SQLite store, label files), with mixed outcomes and scans during
runs, over an hour of the station's virtual clock. No scan is lost, every outcome is recorded as
the screen showed it, and memory stays flat.

The operator seats one emulated pack after another in the socket (a fresh emulator per pack, in
the scenario that pack plays); some packs are held at their first data-flash write, as a slow
gauge would hold them, so a scan can arrive, or an abort be asked, while the pack runs.

Run it alone to see the figures: ``pytest tests/tui/test_soak.py -s -p no:xdist``.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smbus2 import i2c_msg

from station.bus.spec import BusSpec, OpenedBus
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.sequence import open_service
from station.store import AttemptOutcome
from station.tui import LineOptions, make_app
from station.tui.screens import LineScreen, Phase
from station.tui.widgets import VerdictBanner
from tests.tui.helpers import settle, wait_until
from tests.tui.test_scanner import burst

PACKS = 500
SHIFT_S = 3600.0
#: memory is read when these packs start and at the end of the shift: Textual's and Rich's own
#: caches (cell widths, styles, strips: bounded) fill during the first packs
WARM_UP, MIDDLE = 100, 300
#: a shift after the day this software was made (an earlier clock is refused as implausible)
BASE_TIME = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)

pytestmark = pytest.mark.slow

#: set in the process the shift runs in (see :func:`test_a_shift_in_a_process_of_its_own`)
_CHILD = "PACKLINE_SOAK_PROCESS"


@pytest.mark.runs_long
def test_a_shift_in_a_process_of_its_own() -> None:
    """The shift runs in a fresh process, as the terminal runs on a line: in a test worker
    that ran other tests first, what those left behind (a handler that keeps log records, a
    cache) would grow with every pack and be counted as the station's memory."""
    if os.environ.get(_CHILD):
        pytest.skip("this is the shift's own process")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:randomly", "-p", "no:xdist",
         "-p", "no:cacheprovider", f"{__file__}::test_a_shift_of_500_packs_on_the_emulator"],
        env={**os.environ, _CHILD: "1"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    print(done.stdout[-3000:])
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


class Socket:
    """The test fixture's socket: one emulated pack at a time, optionally held at its first
    data-flash write until the test lets it go."""

    emulated = True

    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.device: EmulatedGauge = open_emulator("default", clock=self.clock)
        self.scenario = "default"
        self.hold = False
        self.held = threading.Event()
        self.release = threading.Event()

    def seat(self, scenario: str, *, hold: bool = False) -> None:
        self.device.close()
        self.clock = VirtualClock()
        self.device = open_emulator(scenario, clock=self.clock)
        self.scenario = scenario
        self.hold = hold
        self.held.clear()
        self.release.clear()

    def opened(self) -> OpenedBus:
        spec = BusSpec("sim", self.scenario, {}, "sim")
        return OpenedBus(spec, self, self.clock, emulated=True, device=self.device)

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        if self.hold and _is_df_write(msgs):
            self.hold = False
            self.held.set()
            self.release.wait(120)
        self.device.i2c_rdwr(*msgs)


def _is_df_write(msgs: tuple[i2c_msg, ...]) -> bool:
    """A block write to ManufacturerBlockAccess carrying a data-flash address and data."""
    if len(msgs) != 1:
        return False
    data = bytes(msgs[0])
    return len(data) > 4 and data[0] == 0x44 and data[1] > 2 and data[2] | data[3] << 8 >= 0x4000


def plan(n: int) -> tuple[str, str, str]:
    """(serial, scenario, what the operator does) for pack ``n``."""
    serial = f"PK4S-{n + 1:06d}"
    if n % 50 == 25:
        return serial, "default", "abort"  # Esc, Esc while it writes
    kind = n % 10
    if kind == 3:
        return serial, "default", "scan-while-running"
    if kind == 6:
        return serial, "3-cells", "run"  # FAIL: CELL_COUNT
    if kind == 7:
        return serial, "foreign-keys", "burst"  # FAIL: SEALED_UNKNOWN_KEYS, a second scan behind
    if kind == 8:
        return serial, "nack-mid-write", "run"  # ERROR: BUS_NACK
    if kind == 9:
        return f"lot-a{n}", "default", "run"  # not a serial: refused, nothing runs
    return serial, "default", "run"


def done(screen: LineScreen, serial: str) -> bool:
    answered = any(s == serial and what in ("run", "refused") for s, what in screen.scans[-3:])
    return answered and screen.phase is not Phase.RUNNING and not screen.checking


def memory() -> tuple[int, int]:
    """(live Python memory blocks, resident set in KiB) after a full collection."""
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        rss_pages = int(statm.read().split()[1])
    return sys.getallocatedblocks(), rss_pages * os.sysconf("SC_PAGE_SIZE") // 1024


async def test_a_shift_of_500_packs_on_the_emulator(tmp_path: Path) -> None:
    if not os.environ.get(_CHILD):
        pytest.skip("runs in a process of its own: test_a_shift_in_a_process_of_its_own")
    shift_clock = VirtualClock()

    def now() -> datetime:
        return BASE_TIME + timedelta(seconds=shift_clock.monotonic())

    socket = Socket()
    config = StationConfig(
        bus="sim",
        database=f"sqlite:///{tmp_path}/station.sqlite3",
        printer=f"file:{tmp_path}/labels",
        labels_dir=str(tmp_path / "labels"),
    )
    service = open_service(config, demo=True, bus_factory=socket.opened)
    service.socket.now = now
    options = LineOptions(
        recipe="pk4s3p-3500",
        operator="OP-0001",
        lot="WO-2607-A",
        gauge_refresh_s=0,
        ready_poll_s=0,
        bell=False,
        monotonic=shift_clock.monotonic,
        now=now,
        tz=UTC,
    )
    app = make_app(service, options)
    sent: list[str] = []
    during_runs: list[str] = []
    expected: Counter[str] = Counter()
    started, cpu_started = time.monotonic(), time.process_time()
    marks: dict[int, tuple[int, int]] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LineScreen)
        for n in range(PACKS):
            if n in (WARM_UP, MIDDLE):
                marks[n] = memory()
            serial, scenario, action = plan(n)
            socket.seat(scenario, hold=action in ("abort", "scan-while-running"))
            sent.append(serial)
            if action == "burst":
                # A second scan right behind the first, as a scanner fires it: it arrives while
                # the first is checked or run, and is answered "ignored", whole.
                stray = f"lot-b{n}-stray"
                during_runs.append(stray)
                burst(pilot, f"{serial}\n{stray}\n")
            else:
                burst(pilot, serial + "\n")
            if socket.hold:
                await wait_until(pilot, socket.held.is_set, "the pack held at its write")
                assert screen.phase is Phase.RUNNING
                if action == "abort":
                    await pilot.press("escape", "escape")
                else:
                    stray = f"lot-c{n}-stray"
                    during_runs.append(stray)
                    burst(pilot, stray + "\n")
                    await wait_until(
                        pilot, lambda s=stray: (s, "ignored") in screen.scans[-2:], "the stray scan"
                    )
                socket.release.set()
            # The pack is done when its scan was answered and nothing runs or is checked.
            await wait_until(pilot, lambda s=serial: done(screen, s), f"the end of {serial}")
            await settle(pilot)
            outcome = _expected_outcome(scenario, action, serial)
            expected[outcome] += 1
            if outcome != "REFUSED":
                assert screen.query_one(VerdictBanner).word == outcome, serial
            shift_clock.advance(SHIFT_S / PACKS)
        marks[PACKS] = memory()
        elapsed = time.monotonic() - started

    cpu = time.process_time() - cpu_started

    def growth(since: int) -> tuple[int, int]:
        then, end = marks[since], marks[PACKS]
        return end[0] - then[0], end[1] - then[1]

    print(
        f"\nsoak: {PACKS} packs on the emulator ({dict(expected)}), "
        f"{len(sent) + len(during_runs)} scans ({len(during_runs)} during runs, all answered "
        f"'ignored'), {shift_clock.monotonic() / 60:.0f} min of station time in "
        f"{elapsed:.0f} s ({cpu:.0f} s of CPU); memory growth over packs {WARM_UP}-{PACKS}: "
        f"{growth(WARM_UP)[0]} Python blocks, {growth(WARM_UP)[1]} KiB resident; over packs "
        f"{MIDDLE}-{PACKS}: {growth(MIDDLE)[0]} blocks, {growth(MIDDLE)[1]} KiB"
    )
    answered = [s for s, what in screen.scans if what in ("run", "refused")]
    ignored = [s for s, what in screen.scans if what == "ignored"]
    assert answered == sent  # every scan got exactly one run or one refusal, in order
    assert ignored == during_runs  # every scan during a run was answered "ignored"
    store = service.socket.store
    report = store.report(include_emulated=True)  # the emulator's runs, as the whole test is
    recorded = Counter({c.key: c.count for c in report.by_outcome})
    refused = expected.pop("REFUSED")
    assert recorded == expected
    assert report.attempts == PACKS - refused
    assert len(list((tmp_path / "labels").glob("*.zpl"))) == expected["PASS"]
    assert shift_clock.monotonic() == pytest.approx(SHIFT_S)
    # Nothing is kept per pack: the screen shows the shift's last packs, the database keeps the
    # rest. A widget left behind per pack would be thousands of blocks per hundred packs.
    assert growth(MIDDLE)[0] < 20_000


def _expected_outcome(scenario: str, action: str, serial: str) -> str:
    if serial.startswith("lot-"):
        return "REFUSED"
    if action == "abort":
        return AttemptOutcome.ABORTED.value
    return {
        "3-cells": AttemptOutcome.FAIL.value,
        "foreign-keys": AttemptOutcome.FAIL.value,
        "nack-mid-write": AttemptOutcome.ERROR.value,
    }.get(scenario, AttemptOutcome.PASS.value)
