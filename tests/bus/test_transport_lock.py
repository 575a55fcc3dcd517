"""A transaction holds the adapter per attempt: another socket's transaction may go while this
one backs off before its retry."""

from __future__ import annotations

from station.bus import AdapterLock, NackError, SMBusTransport
from station.clock import VirtualScheduler
from tests.bus.fakes import ScriptedDevice


def test_a_retry_back_off_leaves_the_adapter_to_another_socket() -> None:
    clock = VirtualScheduler()
    lock = AdapterLock("shared", clock)
    working = ScriptedDevice()
    working.registers[0x16] = bytes([0x80, 0x00])
    order: list[str] = []

    class Nacking:
        def i2c_rdwr(self, *msgs: object) -> None:
            order.append("flaky")
            clock.advance(0.0002)  # the address byte on the wire
            raise OSError(121, "Remote I/O error")

    class Answering:
        def i2c_rdwr(self, *msgs: object) -> None:
            order.append("other")
            clock.advance(0.0004)
            working.i2c_rdwr(*msgs)  # type: ignore[arg-type]

    flaky = SMBusTransport(Nacking(), clock, lock=lock)  # type: ignore[arg-type]
    other = SMBusTransport(Answering(), clock, lock=lock)  # type: ignore[arg-type]
    errors: list[Exception] = []

    def read_flaky() -> None:
        try:
            flaky.read_word(0x16)
        except NackError as exc:
            errors.append(exc)

    def read_other() -> None:
        clock.sleep(0.0001)  # arrives while the first attempt is on the wire
        other.read_word(0x16)

    clock.run([("flaky", read_flaky), ("other", read_other)])
    assert len(errors) == 1  # 1 + 3 retries, all NACKed
    assert order.count("flaky") == 4
    # The other socket's read went during the first back-off, not after all four attempts.
    assert order.index("other") == 1, order
