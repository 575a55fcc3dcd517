"""Fault campaign: every bus transaction of a PASS run, failed in turn.

A PASS run on a factory pack is counted first (every ``i2c_rdwr`` call, NACKed busy polls
included), with the step each transaction belongs to. Then, on a fresh bench for each case,
transaction k fails: NACK, one flipped bit with PEC on, one flipped bit with PEC off (a corrupted
write is then applied and verify must catch it), the pack gone from k on, and the pack silent
from k until the station gives up (then it answers again, so what the station does after a
failure reaches a live pack). Every run must end cleanly (see ``harness.check_run``), and the same
pack must then pass once the fault is cleared.

The same is done over the KEYS step of a recipe that installs production keys.

The default run samples k (see ``sample``: about 30 per kind, and together the kinds cover every
transaction of identify, unseal and backup); STATION_FULL_SWEEP=1 runs every k for every kind
(about 850 cases, some four minutes on two cores).
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.sequence.events import Outcome, StepId
from station.store import AttemptOutcome
from tests.campaign.harness import (
    FAULT_KINDS,
    arm,
    check_fresh_attempt,
    check_run,
    fresh_bench,
    full_sweep,
    observe,
)
from tests.sequence.conftest import Bench

#: The default run sweeps one in EVERY of the first FIRST transactions per kind, each kind at its
#: own offset (so every one of them is swept by some kind), every step boundary and the
#: transaction after it, then one in STRIDE.
FIRST, EVERY, STRIDE = 40, 3, 10
#: The block write of MAC 0x0035 (new security keys): 0x44, count 10, code, 8 key bytes.
KEY_WRITE = bytes([0x44, 10, 0x35, 0x00])


@dataclass(frozen=True)
class Baseline:
    """A PASS run on a factory pack, as the bus saw it."""

    transactions: int
    starts: tuple[tuple[StepId, int], ...]
    df_write_indices: tuple[int, ...]
    key_write_indices: tuple[int, ...]

    def step_at(self, index: int) -> StepId:
        running = self.starts[0][0]
        for step, first in self.starts:
            if first <= index:
                running = step
        return running

    @property
    def boundaries(self) -> list[int]:
        return sorted({first for _, first in self.starts})


@functools.cache
def baseline(pec: bool, production_keys: bool = False, flashstream: bool = False) -> Baseline:
    with tempfile.TemporaryDirectory() as folder:
        bench = fresh_bench(
            Path(folder), pec=pec, production_keys=production_keys, flashstream=flashstream
        )
        device = bench.device
        writes: list[int] = []
        key_writes: list[int] = []
        transact = device.i2c_rdwr

        def counting(*msgs: object) -> None:
            index, before = device.transaction_count, device.stats.df_writes
            if bytes(msgs[0])[:4] == KEY_WRITE:  # type: ignore[call-overload]
                key_writes.append(index)
            try:
                transact(*msgs)  # type: ignore[arg-type]
            finally:
                if device.stats.df_writes > before:
                    writes.append(index)

        device.i2c_rdwr = counting  # type: ignore[method-assign]
        seen = observe(bench)
        bench.store.close()
    assert seen.result.outcome is Outcome.PASS, seen.result.failure
    return Baseline(seen.transactions[1], tuple(seen.starts), tuple(writes), tuple(key_writes))


def sample(kind: str, base: Baseline) -> list[int]:
    total = base.transactions
    if full_sweep():
        return list(range(total))
    offset = list(FAULT_KINDS).index(kind)
    picked = {k for k in range(min(FIRST, total)) if (k + offset) % EVERY == 0}
    for b in base.boundaries:
        picked |= {b, b + 1}
    picked |= set(range(FIRST + offset, total, STRIDE))
    picked.add(total - 1)
    if kind == "corrupt":
        # Corrupted data-flash writes have their own test below, with sharper assertions.
        picked -= set(base.df_write_indices)
    return sorted(k for k in picked if 0 <= k < total)


def _cases() -> list[object]:
    out = []
    for kind, pec in FAULT_KINDS.items():
        base = baseline(pec)
        for k in sample(kind, base):
            step = base.step_at(k).value
            out.append(pytest.param(kind, k, step, id=f"{kind}-k{k:03d}-{step}"))
    return out


def test_a_pass_run_is_counted_with_and_without_pec() -> None:
    plain, pec = baseline(False), baseline(True)
    for name, base in (("without PEC", plain), ("with PEC", pec)):
        print(
            f"\nPASS run on a factory pack {name}: {base.transactions} bus transactions "
            f"({len(base.df_write_indices)} data-flash writes); steps start at "
            + ", ".join(f"{s.value} {i}" for s, i in base.starts)
        )
    # Without PEC the reads a decision rests on are read twice: the same steps, more reads.
    assert [s for s, _ in plain.starts] == [s for s, _ in pec.starts]
    assert plain.transactions > pec.transactions
    assert len(plain.df_write_indices) == len(pec.df_write_indices)
    assert [s for s, _ in plain.starts] == [
        StepId.SERIAL,
        StepId.IDENTIFY,
        StepId.UNSEAL,
        StepId.BACKUP,
        StepId.APPLY,
        StepId.RESET,
        StepId.VERIFY,
        StepId.SEAL,
        StepId.LABEL,
        StepId.RECORD,
    ]
    assert plain.df_write_indices
    assert all(plain.step_at(i) is StepId.APPLY for i in plain.df_write_indices)


def _fault_case(bench: Bench, kind: str, k: int, step: str) -> None:
    """Transaction ``k`` fails as ``kind`` says; the run ends cleanly, and the same pack then
    passes."""
    try:
        arm(bench, kind, k)
        seen = observe(bench)
        # Up to k the run is the PASS run: transaction k belongs to the same step.
        assert seen.step_at(k).value == step
        check_run(bench, seen, fault_at=k, bus_back=kind != "gone")
        # The next attempt opens the pack with whichever keys it holds now.
        check_fresh_attempt(bench, seen)
    finally:
        bench.store.close()


def _corrupted_write_case(bench: Bench, k: int) -> None:
    """One bit of data-flash write ``k`` flips and, without PEC, the gauge applies it: only
    verify can see it, and the pack stays open."""
    try:
        arm(bench, "corrupt", k)
        seen = observe(bench)
        check_run(bench, seen, fault_at=k)
        assert seen.result.outcome is Outcome.FAIL
        assert seen.result.failure is not None
        assert (seen.result.failure.code, seen.result.failure.step) == (
            "VERIFY_MISMATCH",
            StepId.VERIFY,
        )
        assert seen.mode_after != "SEALED"
        assert bench.store.pack_history(seen.result.serial)[-1].outcome is AttemptOutcome.FAIL
        check_fresh_attempt(bench, seen)
    finally:
        bench.store.close()


@pytest.mark.parametrize(("kind", "k", "step"), _cases())
def test_fault_at_transaction(tmp_path: Path, kind: str, k: int, step: str) -> None:
    _fault_case(fresh_bench(tmp_path, pec=FAULT_KINDS[kind]), kind, k, step)


@pytest.mark.parametrize("n", range(len(baseline(False).df_write_indices)))
def test_a_corrupted_write_without_pec_is_caught_by_verify(tmp_path: Path, n: int) -> None:
    k = baseline(False).df_write_indices[n]
    _corrupted_write_case(fresh_bench(tmp_path, pec=False), k)


def _keys_cases() -> list[object]:
    """The KEYS step of a recipe that installs production keys (set keys, seal, unseal with
    them): every transaction, one kind per k in the default run (every kind at the key write
    itself), every kind at every k with the full sweep. Production keys are installed only on
    packs that append PEC (the station refuses otherwise), so every kind runs with PEC, and a bit
    flipped without PEC is not a case."""
    kinds = [kind for kind in FAULT_KINDS if kind != "corrupt"]
    out = []
    base = baseline(True, production_keys=True)
    starts = dict(base.starts)
    span = range(starts[StepId.KEYS], starts[StepId.SEAL] + 1)
    for k in span:
        for n, kind in enumerate(kinds):
            rotate = k % len(kinds) != n and k not in base.key_write_indices
            if rotate and not full_sweep():
                continue  # the default run: one kind per k, every kind at the key write
            step = base.step_at(k).value
            out.append(pytest.param(kind, k, step, id=f"keys-{kind}-k{k:03d}-{step}"))
    return out


@pytest.mark.parametrize(("kind", "k", "step"), _keys_cases())
def test_fault_while_installing_production_keys(
    tmp_path: Path, kind: str, k: int, step: str
) -> None:
    _fault_case(fresh_bench(tmp_path, pec=True, production_keys=True), kind, k, step)


#: The FlashStream recipe's default sample: one in FS_STRIDE, each kind at its own offset.
FS_STRIDE = 23


def _flashstream_cases() -> list[object]:
    """The FlashStream twin of the recipe: every kind where APPLY and RESET begin (and the
    transaction after), one kind at each other step boundary, one in FS_STRIDE elsewhere, and the
    stream's data-flash writes spread over the kinds; STATION_FULL_SWEEP=1 runs every k for
    every kind."""
    out = []
    kinds = list(FAULT_KINDS)
    for kind, pec in FAULT_KINDS.items():
        base = baseline(pec, flashstream=True)
        total = base.transactions
        if full_sweep():
            picked = set(range(total))
        else:
            offset = kinds.index(kind)
            starts = dict(base.starts)
            around = {starts[StepId.APPLY], starts[StepId.RESET]}
            picked = {
                k
                for i, b in enumerate(base.boundaries)
                if b in around or i % len(kinds) == offset
                for k in (b, b + 1)
            }
            picked |= set(range(offset * 5, total, FS_STRIDE))
            writes = base.df_write_indices
            picked |= {k for i, k in enumerate(writes) if i % len(kinds) == offset}
        if kind == "corrupt":
            picked -= set(base.df_write_indices)  # their own test below
        for k in sorted(x for x in picked if 0 <= x < total):
            step = base.step_at(k).value
            out.append(pytest.param(kind, k, step, id=f"fs-{kind}-k{k:03d}-{step}"))
    return out


@pytest.mark.parametrize(("kind", "k", "step"), _flashstream_cases())
def test_fault_while_running_a_flashstream_recipe(
    tmp_path: Path, kind: str, k: int, step: str
) -> None:
    _fault_case(fresh_bench(tmp_path, pec=FAULT_KINDS[kind], flashstream=True), kind, k, step)


@pytest.mark.parametrize("n", range(len(baseline(False, flashstream=True).df_write_indices)))
def test_a_corrupted_flashstream_write_without_pec_is_caught_by_verify(
    tmp_path: Path, n: int
) -> None:
    k = baseline(False, flashstream=True).df_write_indices[n]
    _corrupted_write_case(fresh_bench(tmp_path, pec=False, flashstream=True), k)
