"""Kill campaign: ``station program`` killed with SIGKILL at random points of a run.

The pack is the emulator with a state file, so a half-written pack survives its process, like a
real pack in the fixture when the station PC loses power. The emulator's virtual clock also sleeps
``realtime`` times the modelled bus time, so a run lasts long enough to be killed anywhere in it.

After each kill: every attempt started is in the database, none is PASS unless the pack is
sealed and holds the recipe, the killed attempt reads INTERRUPTED after the next start-up, and
the next attempt on that serial (a rework if it had passed) passes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from station.clock import VirtualClock
from station.emulator import open_emulator
from station.store import AttemptOutcome, Store
from tests.campaign.harness import DF_END, DF_START, SUPERVISOR, full_sweep, recipe_4s
from tests.pins import PIN, give_pin
from tests.recipe.fsrecipe import write_flashstream_recipe
from tests.sequence.conftest import RECIPE_4S

SERIAL = "PK4S-004242"
#: Real seconds per modelled second while a run may be killed (a run models about 1.3 s).
REALTIME = 1.0
#: Default run: CHAINS tests of KILLS kills each, on one pack and one database per test.
CHAINS, KILLS = (8, 5) if full_sweep() else (4, 3)


@dataclass
class Line:
    """One station socket: a pack with a state file, a database, a printer folder."""

    tmp: Path
    opened: int = 0  # attempts the station said it opened
    log: list[str] = field(default_factory=list)
    recipe: Path = RECIPE_4S

    @classmethod
    def of(cls, tmp: Path, recipe: str) -> Line:
        """A line programming the 4S3P recipe (``parameters``) or its FlashStream twin."""
        if recipe == "parameters":
            return cls(tmp)
        return cls(tmp, recipe=write_flashstream_recipe(tmp / "fs-recipe"))

    @property
    def state(self) -> Path:
        return self.tmp / "pack.json"

    @property
    def db(self) -> str:
        return f"sqlite:///{self.tmp / 'station.sqlite3'}"

    def args(self, *, realtime: float, rework: bool) -> list[str]:
        args = [
            "program",
            "--bus",
            f"sim:default?state={self.state}&realtime={realtime}",
            "--db",
            self.db,
            "--printer",
            f"file:{self.tmp / 'labels'}",
            "--recipe",
            str(self.recipe),
            "--serial",
            SERIAL,
            "--operator",
            "OP-7",
        ]
        if rework:
            args += ["--rework-by", SUPERVISOR, "--reason", "kill campaign"]
        return args

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
        env.update(
            PYTHONUNBUFFERED="1",
            STATION_ID="ST-KILL",
            STATION_SUPERVISOR_BADGES=SUPERVISOR,
            STATION_RECIPES=str(self.tmp / "recipes"),
            STATION_LABELS=str(self.tmp / "labels"),
        )
        return env

    def passed_before(self) -> bool:
        with Store.open(self.db) as store:
            give_pin(store, SUPERVISOR)  # the supervisor authorising reworks has a PIN
            return store.last_pass(SERIAL, emulated=True) is not None

    def start(self, *, realtime: float) -> subprocess.Popen[str]:
        rework = self.state.exists() and self.passed_before()
        proc = subprocess.Popen(
            [sys.executable, "-m", "station", *self.args(realtime=realtime, rework=rework)],
            cwd=self.tmp,
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(f"{PIN}\n" if rework else "")  # the supervisor's PIN, when asked
        proc.stdin.close()
        return proc

    def wait_opened(self, proc: subprocess.Popen[str]) -> bool:
        """Read the station's output until it says it opened the attempt (False: it ended)."""
        assert proc.stdout is not None
        for line in proc.stdout:
            self.log.append(line.rstrip())
            if "opened for" in line:
                self.opened += 1
                return True
        return False

    def kill(self, proc: subprocess.Popen[str]) -> bool:
        """SIGKILL; True if the process was still running."""
        running = proc.poll() is None
        if running:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)  # reaped, so its pid is dead for the next start-up
        assert proc.stdout is not None
        self.log += proc.stdout.read().splitlines()
        proc.stdout.close()
        return running

    def program(self) -> int:
        """The next attempt: ``station program`` in this process, at full speed."""
        rework = self.passed_before()
        result = CliRunner().invoke(
            cli,
            self.args(realtime=0, rework=rework),
            env=self.env(),
            catch_exceptions=False,
            input=f"{PIN}\n" if rework else None,
        )
        self.log += result.output.splitlines()
        self.opened += result.output.count("opened for")
        return result.exit_code


@dataclass(frozen=True)
class PackSeen:
    mode: str
    recipe_bytes_wrong: int
    df: bytes


def pack_state(line: Line, made: date) -> PackSeen:
    """The pack as a second tool would read it, from its state file."""
    device = open_emulator("default", clock=VirtualClock(), state_path=line.state)
    target = recipe_4s().target(SERIAL, made)
    wrong = sum(
        1
        for a, v in target.data.items()
        if a not in target.no_verify and device.df_peek(a, 1)[0] != v
    )
    return PackSeen(str(device.security_mode), wrong, device.df_peek(DF_START, DF_END - DF_START))


def check_after_kill(line: Line) -> str:
    """What must hold after a kill, before and after the next start-up, and the next attempt.
    Returns where the kill landed: the last step the killed attempt recorded."""
    with Store.open(line.db) as store:
        history = store.pack_history(SERIAL)
        trace = store.trace(SERIAL)
    assert trace is not None
    assert len(history) == line.opened, line.log[-20:]
    killed = history[-1]
    steps = next(a.steps for a in trace.attempts if a.summary.id == killed.id)
    seen = pack_state(line, killed.started_at.astimezone().date())
    if killed.outcome is AttemptOutcome.PASS:
        # Killed after the record: the PASS must be true.
        assert seen.mode == "SEALED", "PASS recorded for a pack that is not sealed"
        assert seen.recipe_bytes_wrong == 0, "PASS recorded for a pack unlike the recipe"
        passed = {s.kind for s in steps if s.outcome.value == "PASS"}
        assert {"verify", "seal"} <= passed
    elif seen.mode == "SEALED" and any(s.kind == "apply" for s in steps):
        # Sealed without a PASS after writing: killed after the seal, before the record. The
        # seal only ever follows a verify, so the pack holds the recipe.
        assert seen.recipe_bytes_wrong == 0
    was_running = killed.outcome is AttemptOutcome.RUNNING
    landed = f"{steps[-1].kind if steps else 'start'}/{killed.outcome.value}/{seen.mode}"

    assert line.program() == 0, "\n".join(line.log[-40:])

    with Store.open(line.db) as store:
        after = store.pack_history(SERIAL)
        trace = store.trace(SERIAL)
    assert len(after) == line.opened
    again = next(a for a in after if a.id == killed.id)
    if was_running:
        assert again.outcome is AttemptOutcome.INTERRUPTED
    assert again.outcome is not AttemptOutcome.RUNNING
    assert after[-1].outcome is AttemptOutcome.PASS
    assert trace is not None
    assert trace.claim is None  # the dead process's claim was released
    final = pack_state(line, after[-1].started_at.astimezone().date())
    assert final.mode == "SEALED"
    assert final.recipe_bytes_wrong == 0
    return landed


#: Recipes killed, and how many chains each runs (the FlashStream twin of the same recipe: fewer).
RECIPES = {"parameters": CHAINS, "flashstream": max(CHAINS // 2, 2)}


@pytest.mark.parametrize(
    ("recipe", "chain"), [(r, c) for r, n in RECIPES.items() for c in range(n)]
)
def test_station_program_killed_at_random_points(tmp_path: Path, recipe: str, chain: int) -> None:
    rng = random.Random(f"kill-campaign-{recipe}-{chain}")
    line = Line.of(tmp_path, recipe)
    mid_run = 0
    where = []
    for _ in range(KILLS):
        proc = line.start(realtime=REALTIME)
        try:
            assert line.wait_opened(proc), "\n".join(line.log[-30:])
            time.sleep(rng.uniform(0.0, 1.3 * REALTIME))
        finally:
            mid_run += line.kill(proc)
        where.append(check_after_kill(line))
    # after: last step recorded / outcome in the database at the kill / pack security mode
    print(f"\nkill chain {recipe} {chain}: {mid_run} of {KILLS} mid-run; after: {', '.join(where)}")
    assert mid_run >= 1


def _df_writes(state: Path) -> int:
    try:
        return int(json.loads(state.read_text(encoding="utf-8"))["counters"]["df_writes"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0  # not written yet, or being replaced at this instant


@pytest.mark.parametrize("recipe", RECIPES)
def test_killed_while_writing_the_data_flash_is_interrupted_then_passes(
    tmp_path: Path, recipe: str
) -> None:
    line = Line.of(tmp_path, recipe)
    factory = open_emulator("default", clock=VirtualClock()).df_peek(DF_START, DF_END - DF_START)
    proc = line.start(realtime=4.0)  # about 65 ms between data-flash writes
    try:
        assert line.wait_opened(proc)
        deadline = time.monotonic() + 20
        while _df_writes(line.state) < 2 and time.monotonic() < deadline:
            time.sleep(0.002)
    finally:
        assert line.kill(proc), "the run ended before it was killed"
    writes = _df_writes(line.state)
    assert 2 <= writes < 10, f"killed after {writes} data-flash writes, not mid-write"
    with Store.open(line.db) as store:
        (attempt,) = store.pack_history(SERIAL)
        trace = store.trace(SERIAL)
    assert attempt.outcome is AttemptOutcome.RUNNING
    assert trace is not None
    steps = [s.kind for s in trace.attempts[0].steps]
    assert steps[-1] == "backup", steps  # APPLY was running: its record is not written yet
    half = pack_state(line, attempt.started_at.astimezone().date())
    assert half.mode in ("UNSEALED", "FULL_ACCESS")  # a FlashStream's prologue may enter FA
    assert half.df != factory
    assert half.recipe_bytes_wrong > 0  # half-written

    # The next start-up marks the attempt INTERRUPTED; the next attempt completes the pack.
    assert line.program() == 0, "\n".join(line.log[-40:])
    with Store.open(line.db) as store:
        history = store.pack_history(SERIAL)
    assert [a.outcome for a in history] == [AttemptOutcome.INTERRUPTED, AttemptOutcome.PASS]
    assert "gone" in (history[0].reason or "")
    done = pack_state(line, history[1].started_at.astimezone().date())
    assert (done.mode, done.recipe_bytes_wrong) == ("SEALED", 0)


def test_sigterm_mid_write_aborts_restores_and_reseals_the_pack(tmp_path: Path) -> None:
    """What ``systemctl restart`` and the installer send: handled as an operator's abort at the
    next safe point (the backup written back, the pack sealed again), never a kill mid-write."""
    line = Line(tmp_path)
    factory = open_emulator("default", clock=VirtualClock()).df_peek(DF_START, DF_END - DF_START)
    proc = line.start(realtime=4.0)  # about 65 ms between data-flash writes
    try:
        assert line.wait_opened(proc)
        while _df_writes(line.state) < 2 and proc.poll() is None:
            time.sleep(0.002)
        assert proc.poll() is None, "the run ended before the stop"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)  # the unit's stop timeout is 60 s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout is not None
    line.log += proc.stdout.read().splitlines()
    proc.stdout.close()
    assert code == 1, "\n".join(line.log[-30:])
    assert any("ABORTED: pack" in text for text in line.log), "\n".join(line.log[-30:])
    with Store.open(line.db) as store:
        (attempt,) = store.pack_history(SERIAL)
    assert attempt.outcome is AttemptOutcome.ABORTED
    seen = pack_state(line, attempt.started_at.astimezone().date())
    assert seen.mode == "SEALED"
    assert seen.df == factory  # every byte written was put back
