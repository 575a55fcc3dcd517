"""Data-flash reads and writes against the fake: framing, echo checks, refusals, write pacing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.bus import BusGoneError
from station.gauge import (
    DataFlashRangeError,
    EchoMismatchError,
    FlashWriteTimeoutError,
    GaugeTimings,
    SecurityMode,
    SecurityModeError,
)
from tests.gauge.fakes import SEALED, UNSEALED, FakeGauge, make_gauge


def test_read_df_whole_region_with_one_address_write() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    seen: list[tuple[int, int]] = []
    data = gauge.read_df(0x4000, 0x2000, progress=lambda done, total: seen.append((done, total)))
    assert data == bytes(fake.df)
    assert fake.writes_to(0x44)[-1:] == [bytes([2, 0x00, 0x40])]
    assert len([w for w in fake.writes_to(0x44) if w == bytes([2, 0x00, 0x40])]) == 1
    addressed = max(i for i, t in enumerate(fake.log) if t.data == bytes([2, 0x00, 0x40]))
    reads = [t for t in fake.log[addressed + 1 :] if t.kind == "read" and t.command == 0x44]
    assert len(reads) == 256
    assert len(fake.log) == addressed + 1 + 256  # nothing else once the reads began
    assert seen[0] == (32, 0x2000)
    assert seen[-1] == (0x2000, 0x2000)


def test_read_df_unaligned_range() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    assert gauge.read_df(0x4581, 3) == bytes(fake.df[0x581:0x584])
    assert gauge.read_df(0x5FF0, 16) == bytes(fake.df[0x1FF0:0x2000])


def test_read_df_refuses_ranges_outside_data_flash_before_the_bus() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    for start, length in ((0x3FF0, 32), (0x5FF0, 17), (0x4000, 0)):
        with pytest.raises(DataFlashRangeError):
            gauge.read_df(start, length)
    assert fake.log == []


def test_a_block_with_the_wrong_address_echo_is_re_addressed() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.security_mode()
    fake.wrong_echo_next = 1
    assert gauge.read_df(0x4000, 64) == bytes(fake.df[:64])
    assert fake.writes_to(0x44).count(bytes([2, 0x00, 0x40])) == 2


def test_a_block_that_keeps_lying_is_an_echo_error() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.security_mode()
    fake.wrong_echo_next = 5
    with pytest.raises(EchoMismatchError, match="data-flash read 0x4000"):
        gauge.read_df(0x4000, 32)


def test_read_df_while_sealed_is_refused_with_a_clear_message() -> None:
    fake, gauge, _ = make_gauge()
    with pytest.raises(SecurityModeError) as err:
        gauge.read_df(0x4000, 32)
    assert "data-flash read" in str(err.value)
    assert "SEALED" in str(err.value)
    assert "unseal" in str(err.value)
    assert not [w for w in fake.writes_to(0x44) if w[2] >= 0x40]


@pytest.mark.parametrize("behaviour", ["nack", "zeros"])
def test_a_gauge_sealed_behind_the_drivers_back_is_detected(behaviour: str) -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.security_mode()  # the driver now believes UNSEALED
    fake.mode = SEALED
    fake.sealed_df = behaviour
    with pytest.raises(SecurityModeError):
        gauge.read_df(0x4000, 32)


def test_write_df_frames_the_address_and_waits_for_the_flash() -> None:
    fake, gauge, clock = make_gauge(mode=UNSEALED)
    gauge.security_mode()
    start = clock.monotonic()
    gauge.write_df(0x4580, bytes([0x38, 0x02]))
    assert fake.df[0x580:0x582] == bytes([0x38, 0x02])
    assert fake.writes_to(0x44)[-1] == bytes([4, 0x80, 0x45, 0x38, 0x02])
    busy = fake.flash_busy_s + 0.0004
    elapsed = clock.monotonic() - start
    assert busy <= elapsed <= busy + 2 * GaugeTimings().flash_poll_s  # polled, no worst case
    probes = [t for t in fake.log if t.command == 0x16]
    assert [t.answered for t in probes][-1] is True
    assert not all(t.answered for t in probes)


def test_write_df_of_32_bytes_carries_34() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.write_df(0x4000, bytes(range(32)))
    assert fake.writes_to(0x44)[-1] == bytes([34, 0x00, 0x40, *range(32)])


@pytest.mark.parametrize(
    ("address", "length"), [(0x3FFF, 1), (0x5F80, 1), (0x5F70, 17), (0x4000, 0), (0x4000, 33)]
)
def test_write_df_range_refused_before_the_bus(address: int, length: int) -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    with pytest.raises(DataFlashRangeError):
        gauge.write_df(address, bytes(length))
    assert fake.log == []


def test_the_write_guard_sees_every_write_and_can_veto_it() -> None:
    calls: list[tuple[int, int]] = []

    class Unknown(Exception):
        pass

    def guard(address: int, length: int) -> None:
        calls.append((address, length))
        if address == 0x4340:
            raise Unknown("not in the profile")

    fake, gauge, _ = make_gauge(mode=UNSEALED, write_guard=guard)
    gauge.write_df(0x4580, b"\x01\x02")
    before = len(fake.log)
    with pytest.raises(Unknown):
        gauge.write_df(0x4340, b"\x00")
    assert calls == [(0x4580, 2), (0x4340, 1)]
    assert len(fake.log) == before  # vetoed before the bus


def test_write_df_while_sealed_is_refused() -> None:
    fake, gauge, _ = make_gauge()
    with pytest.raises(SecurityModeError) as err:
        gauge.write_df(0x4580, b"\x01")
    assert err.value.required == (SecurityMode.UNSEALED, SecurityMode.FULL_ACCESS)
    assert fake.df_writes == []


def test_a_flash_that_stays_busy_times_out() -> None:
    fake, gauge, clock = make_gauge(mode=UNSEALED)
    fake.flash_busy_s = 50
    with pytest.raises(FlashWriteTimeoutError) as err:
        gauge.write_df(0x4580, b"\x01")
    assert err.value.failure_code == "DF_WRITE_TIMEOUT"
    assert "0x4580" in str(err.value)
    assert clock.monotonic() < 1.2


def test_a_write_that_is_not_acknowledged_is_sent_again_once_the_gauge_answers() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.security_mode()

    def nack_first_write(f: FakeGauge, kind: str, command: int, data: bytes) -> None:
        if command == 0x44 and len(data) > 3 and not getattr(f, "done", False):
            f.done = True  # type: ignore[attr-defined]
            f.nack_next = 1

    fake.hook = nack_first_write
    gauge.write_df(0x4400, b"\xaa\xbb")
    assert fake.df_writes == [(0x4400, b"\xaa\xbb")]
    assert fake.writes_to(0x44).count(bytes([4, 0x00, 0x44, 0xAA, 0xBB])) == 2


def test_a_write_to_a_vanished_adapter_is_bus_gone() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.security_mode()
    fake.gone = True
    with pytest.raises(BusGoneError):
        gauge.write_df(0x4400, b"\x01")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    address=st.integers(0x4000, 0x5F7F),
    data=st.binary(min_size=1, max_size=32),
)
def test_df_round_trip_on_the_fake(address: int, data: bytes) -> None:
    data = data[: 0x5F80 - address]
    _fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.write_df(address, data)
    assert gauge.read_df(address, len(data)) == data
