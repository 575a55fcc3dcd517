"""The state file: a pack keeps its memory across device instances, and ship mode."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from station.clock import VirtualClock
from station.emulator import EmulatorStateError, open_emulator
from tests.emulator.raw import RawHost, nacks

ROW = bytes(range(32))


def open_pack(path: Path, scenario: str = "default") -> RawHost:
    clock = VirtualClock()
    return RawHost(open_emulator(scenario, clock=clock, state_path=path, host_pec=True), clock)


def test_state_survives_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    a = open_pack(path)
    a.unseal(0x0414, 0x3672)
    a.df_write(0x4300, ROW)
    a.wait_idle()
    a.dev.pack.temperature_c = 30.0
    a.dev.save()
    a.dev.close()

    b = open_pack(path)
    assert b.sec() == 0b10
    assert b.df_read(0x4300) == ROW
    assert b.read_word(0x08) == 300 + 2731
    assert b.dev.counters.df_writes == 1
    assert b.dev.counters.transactions > a.dev.transaction_count


def test_half_written_pack_stays_half_written(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    a = open_pack(path, "gone-mid-write")
    a.unseal(0x0414, 0x3672)
    for i in range(3):
        try:
            a.df_write(0x4300 + 32 * i, ROW)
        except OSError:
            break
        a.wait_idle()
    # The process dies here; the next one sees exactly the rows that took.
    b = open_pack(path, "unsealed")
    assert b.df_read(0x4300) == ROW
    assert b.df_read(0x4320) == ROW
    assert b.df_read(0x4340) != ROW


def test_state_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    h = open_pack(path, "unsealed")
    h.df_write(0x4300, ROW)
    assert json.loads(path.read_text())["security"] == "UNSEALED"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.json"]


def test_configuration_loaded_at_reset_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    a = open_pack(path, "unsealed")
    a.df_write(a.dev.df_address("da_configuration"), bytes([0x13]))
    a.wait_idle()
    b = open_pack(path)
    assert b.dev.cell_count == 3  # no reset happened yet
    b.mac(0x0041)
    b.wait_idle()
    assert b.dev.cell_count == 4


def test_damaged_state_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    path.write_text("{not json")
    with pytest.raises(EmulatorStateError):
        open_pack(path)
    path.write_text(json.dumps({"format": "packline-emulator-state", "version": 1}))
    with pytest.raises(EmulatorStateError, match="delete it"):
        open_pack(path)


def test_shutdown_goes_silent_until_woken(host: RawHost) -> None:
    host.mac(0x0010)
    assert host.operation_status() & (1 << 16)  # SDM while the delay runs
    host.clock.sleep(host.dev.timing.shutdown_delay_s)
    for cmd in (0x09, 0x16, 0x0D):
        nacks(partial(host.read_word, cmd))
    assert host.dev.is_shut_down
    host.dev.wake()
    assert host.read_word(0x09) > 0
    assert not host.operation_status() & (1 << 16)


def test_shutdown_works_sealed_through_0x44(host: RawHost) -> None:
    host.mac_block(0x0010)
    host.clock.sleep(1.0)
    nacks(lambda: host.read_word(0x09))


def test_opening_a_shut_down_pack_wakes_it(tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    a = open_pack(path)
    a.mac(0x0010)
    a.clock.sleep(1.0)
    nacks(lambda: a.read_word(0x09))
    b = open_pack(path)
    assert b.read_word(0x09) > 0
    assert b.sec() == 0b11
