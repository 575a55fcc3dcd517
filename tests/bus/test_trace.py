"""The bus trace: every try of every transaction, as on the wire, in a bounded file; a trace that
cannot be written never stops the bus."""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path

from station.bus import NackError, RetryPolicy, SMBusTransport
from station.bus.trace import BusTrace, Transaction, render
from station.clock import VirtualClock
from tests.bus.fakes import ScriptedDevice


def nothing_secret(tx: Transaction) -> tuple[int | None, int | None]:
    return None, None


def traced(
    pec: bool = False, retries: int = 3
) -> tuple[ScriptedDevice, SMBusTransport, list[Transaction]]:
    seen: list[Transaction] = []
    dev = ScriptedDevice()
    transport = SMBusTransport(
        dev, VirtualClock(), pec=pec, retry=RetryPolicy(retries=retries), trace=seen.append
    )
    return dev, transport, seen


def test_each_try_is_traced_with_its_bytes_result_and_retry() -> None:
    dev, t, seen = traced(pec=True)
    dev.registers[0x16] = bytes([0xC0, 0x00])
    dev.fail_next = [errno.EREMOTEIO]
    assert t.read_word(0x16, label="BatteryStatus") == 0x00C0
    assert t._wire is None  # nothing of the wire is kept once traced
    first, second = seen
    assert (first.attempt, first.retrying, first.result) == (1, True, "BUS_NACK: injected")
    assert (second.attempt, second.retrying, second.result) == (2, False, "ok")
    assert second.wrote == bytes([0x16])
    assert second.read[:2] == bytes([0xC0, 0x00])
    assert len(second.read) == 3
    assert second.at_s > first.at_s  # the back-off went by on the transport's clock
    line = render(second, (None, None))
    assert "read word 0x16 BatteryStatus" in line
    assert "try 2" in line
    assert "W: 16 | R: C0 00" in line
    assert line.endswith("| ok")
    assert render(first, (None, None)).endswith("BUS_NACK: injected; retrying")


def test_a_write_is_traced_as_sent_and_a_give_up_says_so() -> None:
    dev, t, seen = traced(retries=1)
    dev.fail_next = [errno.EREMOTEIO, errno.EREMOTEIO]
    with contextlib.suppress(NackError):
        t.block_write(0x44, bytes([0x54, 0x00]), label="OperationStatus (MAC 0x0054)")
    assert [tx.retrying for tx in seen] == [True, False]
    assert all(tx.wrote == bytes([0x44, 0x02, 0x54, 0x00]) for tx in seen)
    assert "W: 44 02 54 00 | BUS_NACK: injected" in render(seen[-1], (None, None))


def test_secret_bytes_are_shown_as_key_pec_included() -> None:
    tx = Transaction(0.0, 0.0, 0x0B, "write word", 0x00, "k", bytes([0, 0xEF, 0xBE, 0x5A]), b"",
                     "ok", 1)  # fmt: skip
    line = render(tx, (1, None))
    assert "W: 00 <key> |" in line
    assert "EF" not in line
    assert "BE" not in line
    assert "5A" not in line


def test_the_trace_file_is_bounded_and_keeps_the_latest(tmp_path: Path) -> None:
    path = tmp_path / "trace.txt"
    trace = BusTrace(path, redactor=lambda: nothing_secret, max_bytes=8192)
    dev, t, _ = traced()
    t.trace = trace.session("test session")
    dev.registers[0x16] = bytes([0x00, 0x00])
    for n in range(2000):
        t.write_word(0x0A, n & 0xFFFF, label=f"write {n}")
    trace.close()
    files = [path, tmp_path / "trace.txt.1"]
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in files}
    for p in files:
        assert p.stat().st_size <= 8192
        assert p.read_text().startswith("# columns:")
    assert "write 1999 " in path.read_text()


def test_a_trace_that_cannot_be_written_does_not_stop_the_bus(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the trace's folder should be")
    trace = BusTrace(blocker / "trace.txt", redactor=lambda: nothing_secret)
    dev, t, _ = traced()
    t.trace = trace.session("lost")
    t.write_word(0x0A, 1)
    assert dev.writes == [bytes([0x0A, 0x01, 0x00])]
    assert trace.dropped >= 1


def test_without_a_trace_nothing_is_kept_of_the_bytes() -> None:
    dev = ScriptedDevice()
    t = SMBusTransport(dev, VirtualClock())
    t.write_word(0x00, 0xBEEF)
    assert t._wire is None  # key words are not held by the transport after the call
