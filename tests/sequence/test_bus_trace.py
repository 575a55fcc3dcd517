"""The bus trace of real runs on the emulator: every transaction is there, and no key is, in any
encoding, whether the keys go through the engine (unseal, full access, production keys) or
through a FlashStream's own lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import station.sequence as sequence
from station.bus.spec import BusSpec, OpenedBus
from station.bus.trace import BusTrace, Transaction
from station.bus.transport import SMBusTransport
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.gauge.security import keyless_bus_trace
from station.logs import Face, LogSettings, configure
from station.recipe.ti.flashstream import parse_flashstream, run_flashstream
from station.sequence import open_service
from station.sequence.events import CancelToken, Outcome
from station.sequence.service import RunRequest
from tests.leaks import leaked_anywhere
from tests.sequence.test_rules import recipe_variant

#: The pack arrives with these (unseal, full access); the recipe installs NEW.
OLD = ((0x5EC1, 0x7A29), (0x93D6, 0x1B4F))
NEW = ((0x6C17, 0x2E95), (0xB83A, 0x4D71))
EVERY_WORD = [w for pair in (*OLD, *NEW) for w in pair]


def key_store(tmp_path: Path) -> Path:
    def pair(words: tuple[int, int]) -> str:
        return f'["0x{words[0]:04X}", "0x{words[1]:04X}"]'

    path = tmp_path / "keys.toml"
    path.write_text(
        f"[key_sets.old]\nunseal = {pair(OLD[0])}\nfull_access = {pair(OLD[1])}\n"
        f"[key_sets.new]\nunseal = {pair(NEW[0])}\nfull_access = {pair(NEW[1])}\n",
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def key_installing_run(
    tmp_path: Path, trace: Path, *, setting: str = "auto", install: bool = True
) -> tuple[Outcome, EmulatedGauge]:
    """A run that opens the pack with OLD and, when ``install``, installs NEW. A recipe that
    installs keys runs only on a pack that appends PEC; the other one runs on a pack without."""
    clock = VirtualClock()
    device = open_emulator("default", clock=clock, host_pec=install)
    device.set_keys(*OLD)

    def bus() -> OpenedBus:
        return OpenedBus(BusSpec("sim", "default", {}, "sim"), device, clock, True, device)

    config = StationConfig(
        bus="sim",
        database=f"sqlite:///{tmp_path}/station.sqlite3",
        printer=f"file:{tmp_path}/labels",
        keys=str(key_store(tmp_path)),
        bus_trace=str(trace),
        pec=setting,
    )
    service = open_service(config, bus_factory=bus)
    keys: dict[str, str | bool] = {"key_set": "old", "full_access": True}
    if install:
        keys["production_key_set"] = "new"
    recipe = recipe_variant(tmp_path, **keys)
    shift = service.shift_for_file(tmp_path / "variant.toml", "alice", "LOT-1")
    assert shift.recipe.hash == recipe.content_hash
    result = service.run(shift, RunRequest("PK4S-000123"), lambda e: None, CancelToken())
    service.socket.store.close()
    return result.outcome, device


@pytest.mark.parametrize("setting", ["auto", "on"])
def test_a_key_installing_run_is_traced_and_logged_without_a_key(
    tmp_path: Path, setting: str
) -> None:
    trace = tmp_path / "trace.txt"
    setup = configure(LogSettings("ST-01", "A", tmp_path / "logs"), Face.CLI, environ={})
    try:
        outcome, device = key_installing_run(tmp_path, trace, setting=setting)
    finally:
        setup.close()
    log = (tmp_path / "logs" / "station.log").read_text(encoding="utf-8")
    assert "step keys PASS" in log
    assert leaked_anywhere(EVERY_WORD, log) == []
    assert outcome is Outcome.PASS
    assert device.security_mode == "SEALED"
    text = trace.read_text(encoding="utf-8")
    assert "# session " in text
    assert f"PEC setting {setting}, attempt 1, pack PK4S-000123" in text
    # the key transactions are there, their keys are not
    assert text.count("W: 00 <key> |") >= 6  # unseal, full access, and the proof with NEW
    assert "SecurityKeys (MAC 0x0035) | try 1 | W: 44 0A 35 00 <key> |" in text
    assert leaked_anywhere(EVERY_WORD, text) == []


def test_a_run_without_pec_is_traced_without_its_unseal_keys(tmp_path: Path) -> None:
    """No PEC on the wire: the key words of unseal and full access are hidden all the same."""
    trace = tmp_path / "trace.txt"
    outcome, _ = key_installing_run(tmp_path, trace, install=False)
    assert outcome is Outcome.PASS
    text = trace.read_text(encoding="utf-8")
    assert text.count("W: 00 <key> |") >= 4  # unseal and full access, two words each
    assert leaked_anywhere(EVERY_WORD, text) == []


def test_the_same_run_without_redaction_would_show_the_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: traced with nothing hidden, every key word is found."""

    def shows_everything(tx: Transaction) -> tuple[int | None, int | None]:
        return None, None

    trace = tmp_path / "raw.txt"
    raw = BusTrace(trace, redactor=lambda: shows_everything)
    monkeypatch.setattr(sequence, "keyless_bus_trace", lambda path: raw)
    key_installing_run(tmp_path, trace)
    raw.close()
    found = leaked_anywhere(EVERY_WORD, trace.read_text(encoding="utf-8"))
    for word in EVERY_WORD:
        low, high = word & 0xFF, word >> 8
        assert f"{low:02x} {high:02x}" in found  # as it went on the wire: little-endian


FLASHSTREAM = """\
; unseal and full access with the pack's own keys, as a bqStudio export may carry them
SWW: 16 00 C1 5E
SWW: 16 00 29 7A
X: 250
SWW: 16 00 D6 93
SWW: 16 00 4F 1B
X: 250
; OperationStatus: the security mode is in it
SWB: 16 44 54 00
SCL: 16 44 06 54 00 01 01 00 00
"""


def test_a_flashstreams_key_lines_are_traced_without_their_keys(tmp_path: Path) -> None:
    clock = VirtualClock()
    device = open_emulator("default", clock=clock)
    device.set_keys(*OLD)
    trace = keyless_bus_trace(tmp_path / "fs.txt")
    transport = SMBusTransport(device, clock, trace=trace.session("FlashStream"))
    result = run_flashstream(parse_flashstream(FLASHSTREAM), transport, clock)
    trace.close()
    assert result.lines_run == 8
    assert device.security_mode == "FULL_ACCESS"  # the keys did go out
    text = (tmp_path / "fs.txt").read_text(encoding="utf-8")
    assert text.count("W: 00 <key> |") == 4
    assert "R: 06 54 00 01 01 00 00" in text  # ordinary answers stay readable
    assert leaked_anywhere(EVERY_WORD, text) == []
