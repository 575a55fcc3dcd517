"""Fault injection: planned and random NACKs, corruption, vanishing packs, flash faults."""

from __future__ import annotations

import random

from tests.emulator.conftest import Make
from tests.emulator.raw import R, RawHost, W, nacks, pec_of

ROW = bytes(range(0x40, 0x60))


def program(h: RawHost, base: int = 0x4200, rows: int = 4) -> list[str]:
    """Write ``rows`` rows; returns 'ok' / 'nack' per row."""
    out = []
    for i in range(rows):
        try:
            h.df_write(base + 32 * i, ROW)
            out.append("ok")
        except OSError:
            out.append("nack")
        h.wait_idle()
    return out


def test_nack_at_a_transaction_index(host: RawHost) -> None:
    host.dev.faults.nack_at = {host.dev.transaction_count + 1}
    host.read_word(0x09)
    nacks(lambda: host.read_word(0x09))
    host.read_word(0x09)
    assert host.dev.stats.nacks_by_reason == {"injected": 1}


def test_counting_a_run_then_failing_transaction_k(make: Make) -> None:
    def run(h: RawHost) -> None:
        h.unseal(0x0414, 0x3672)
        h.df_write(0x4300, ROW)
        h.wait_idle()
        assert h.df_read(0x4300) == ROW

    first = make()
    run(first)
    total = first.dev.transaction_count
    for k in range(total):
        h = make()
        h.dev.faults.nack_at = {k}
        try:
            run(h)
        except (OSError, AssertionError):
            continue
        raise AssertionError(f"a NACK at transaction {k} went unnoticed")


def test_corrupted_read_fails_its_pec(host: RawHost) -> None:
    host.dev.faults.corrupt_at = {host.dev.transaction_count}
    raw = host.read(0x09, 3)
    assert raw[2] != pec_of(W, 0x09, R, raw[0], raw[1])
    assert raw[0] | raw[1] << 8 != host.read_word(0x09)


def test_corrupted_block_read_fails_its_pec(unsealed: RawHost) -> None:
    unsealed.block_write(0x44, [0x00, 0x40])
    unsealed.dev.faults.corrupt_at = {unsealed.dev.transaction_count}
    raw = unsealed.read(0x44, 36)
    assert raw[35] != pec_of(W, 0x44, R, *raw[:35])


def test_corrupted_write_with_pec_is_nacked_and_discarded(unsealed: RawHost) -> None:
    unsealed.dev.faults.corrupt_at = {unsealed.dev.transaction_count}
    nacks(lambda: unsealed.block_write(0x44, [0x00, 0x43, *ROW], pec=True))
    assert unsealed.dev.df_peek(0x4300, 32) != ROW
    assert unsealed.dev.stats.nacks_by_reason == {"pec": 1}


def test_corrupted_write_without_pec_is_applied_corrupted(unsealed: RawHost) -> None:
    unsealed.dev.faults.corrupt_at = {unsealed.dev.transaction_count}
    unsealed.df_write(0x4300, ROW)
    unsealed.wait_idle()
    back = unsealed.df_read(0x4300)
    assert back != ROW  # the read-back verify catches it
    assert sum(a != b for a, b in zip(back, ROW, strict=True)) == 1


def test_gone_from_a_transaction_on(host: RawHost) -> None:
    host.dev.faults.gone_from = host.dev.transaction_count + 1
    host.read_word(0x09)
    for _ in range(5):
        nacks(lambda: host.read_word(0x09))
    assert host.dev.stats.nacks_by_reason == {"gone": 5}


def test_data_flash_writes_nack_from_the_kth(make: Make) -> None:
    h = make("nack-mid-write")
    h.unseal(0x0414, 0x3672)
    assert program(h) == ["ok", "ok", "nack", "nack"]
    h.read_word(0x09)  # the rest of the gauge still answers
    assert h.dev.df_peek(0x4200, 32) == ROW
    assert h.dev.df_peek(0x4240, 32) != ROW


def test_pack_vanishes_at_the_kth_write(make: Make) -> None:
    h = make("gone-mid-write")
    h.unseal(0x0414, 0x3672)
    assert program(h) == ["ok", "ok", "nack", "nack"]
    nacks(lambda: h.read_word(0x09))
    assert h.dev.df_peek(0x4240, 32) != ROW


def test_a_write_that_acks_but_does_not_take(make: Make) -> None:
    h = make("stuck-flash")
    h.unseal(0x0414, 0x3672)
    assert program(h, rows=3) == ["ok", "ok", "ok"]
    assert h.df_read(0x4200) == ROW
    assert h.df_read(0x4220) != ROW  # verify catches it
    assert h.df_read(0x4240) == ROW
    assert h.dev.stats.df_writes == 3


def test_random_nacks_are_seeded_and_leave_the_global_rng_alone(make: Make) -> None:
    def pattern(seed: int) -> list[bool]:
        h = make("default", seed=seed)
        h.dev.faults.nack_rate = 0.3
        out = []
        for _ in range(60):
            try:
                h.read_word(0x09)
                out.append(True)
            except OSError:
                out.append(False)
        return out

    state = random.getstate()
    a, b, c = pattern(5), pattern(5), pattern(6)
    assert random.getstate() == state
    assert a == b
    assert a != c
    assert 5 < a.count(False) < 35


def test_flaky_scenario_nacks_about_one_percent(make: Make) -> None:
    h = make("flaky")
    failures = 0
    for _ in range(2000):
        try:
            h.read_word(0x09)
        except OSError:
            failures += 1
    assert 5 <= failures <= 45


def test_corrupt_scenario_flips_occasional_bytes(make: Make) -> None:
    h = make("corrupt")
    bad = 0
    for _ in range(1000):
        raw = h.read(0x09, 3)
        bad += raw[2] != pec_of(W, 0x09, R, raw[0], raw[1])
    assert 5 <= bad <= 50


def test_seed_override_changes_the_random_sequence(make: Make) -> None:
    def failures(seed: int | None) -> list[int]:
        h = make("flaky", seed=seed) if seed is not None else make("flaky")
        out = []
        for i in range(1500):
            try:
                h.read_word(0x09)
            except OSError:
                out.append(i)
        return out

    assert failures(None) == failures(None)
    assert failures(None) != failures(99)
