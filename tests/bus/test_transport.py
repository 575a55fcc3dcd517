import errno

import pytest

from station.bus import (
    BadResponseError,
    BusGoneError,
    NackError,
    PecError,
    RetryPolicy,
    ShortReadError,
    SMBusTransport,
)
from station.clock import VirtualClock
from station.pec import crc8
from tests.bus.fakes import ScriptedDevice


def make(
    pec: bool = False, retries: int = 3
) -> tuple[ScriptedDevice, SMBusTransport, VirtualClock]:
    dev = ScriptedDevice()
    clock = VirtualClock()
    return dev, SMBusTransport(dev, clock, pec=pec, retry=RetryPolicy(retries=retries)), clock


def test_write_word_is_little_endian_without_pec() -> None:
    dev, t, _ = make()
    t.write_word(0x00, 0x0414)
    assert dev.writes == [bytes([0x00, 0x14, 0x04])]


def test_write_word_appends_pec_over_address_command_and_data() -> None:
    dev, t, _ = make(pec=True)
    t.write_word(0x00, 0x3672)
    frame = bytes([0x16, 0x00, 0x72, 0x36])
    assert dev.writes == [bytes([0x00, 0x72, 0x36, crc8(frame)])]


def test_send_byte_and_block_write_add_count_and_pec() -> None:
    dev, t, _ = make(pec=True)
    t.send_byte(0x08)
    t.block_write(0x44, bytes([0x30, 0x00]))
    assert dev.writes[0] == bytes([0x08, crc8([0x16, 0x08])])
    assert dev.writes[1] == bytes([0x44, 0x02, 0x30, 0x00, crc8([0x16, 0x44, 0x02, 0x30, 0x00])])


def test_block_write_of_34_bytes_goes_through() -> None:
    dev, t, _ = make()
    payload = bytes([0x80, 0x45]) + bytes(range(32))
    t.block_write(0x44, payload)
    assert dev.writes == [bytes([0x44, 34]) + payload]


@pytest.mark.parametrize("size", [0, 256])
def test_block_write_refuses_impossible_sizes(size: int) -> None:
    _, t, _ = make()
    with pytest.raises(ValueError, match="1-255"):
        t.block_write(0x44, bytes(size))


@pytest.mark.parametrize("pec", [False, True])
def test_read_word(pec: bool) -> None:
    dev, t, _ = make(pec=pec)
    dev.registers[0x09] = bytes([0x40, 0x38])  # 14400 mV
    assert t.read_word(0x09) == 14400


@pytest.mark.parametrize("pec", [False, True])
def test_block_read_parses_count(pec: bool) -> None:
    dev, t, _ = make(pec=pec)
    dev.registers[0x44] = bytes([4, 0x01, 0x00, 0x00, 0x45])
    assert t.block_read(0x44, max_len=34) == bytes([0x01, 0x00, 0x00, 0x45])


def test_block_read_of_34_bytes() -> None:
    dev, t, _ = make(pec=True)
    body = bytes([0x00, 0x40]) + bytes(range(32))
    dev.registers[0x44] = bytes([34]) + body
    assert t.block_read(0x44) == body


def test_pec_mismatch_is_retried_then_succeeds() -> None:
    dev, t, _ = make(pec=True)
    dev.registers[0x09] = bytes([0x40, 0x38])
    dev.corrupt_next = 1
    assert t.read_word(0x09) == 14400
    assert t.stats.retries == 1


def test_pec_mismatch_that_persists_is_a_typed_error() -> None:
    dev, t, _ = make(pec=True, retries=2)
    dev.registers[0x09] = bytes([0x40, 0x38])
    dev.corrupt_next = 10
    with pytest.raises(PecError) as info:
        t.read_word(0x09, label="Voltage")
    assert info.value.attempts == 3
    assert "Voltage (read word 0x09)" in str(info.value)
    assert info.value.failure_code == "BUS_PEC"


def test_corruption_passes_unseen_without_pec() -> None:
    dev, t, _ = make(pec=False)
    dev.registers[0x09] = bytes([0x40, 0x38])
    dev.corrupt_next = 1
    assert t.read_word(0x09) != 14400


def test_nack_is_retried_with_backoff_in_virtual_time() -> None:
    dev, t, clock = make()
    dev.registers[0x09] = bytes([0x40, 0x38])
    dev.fail_next = [errno.EREMOTEIO, errno.EREMOTEIO]
    assert t.read_word(0x09) == 14400
    assert t.stats.retries == 2
    assert clock.monotonic() == pytest.approx(0.002 + 0.004)


def test_nack_that_persists_names_the_command() -> None:
    dev, t, _ = make(retries=1)
    dev.fail_next = [errno.EREMOTEIO] * 5
    with pytest.raises(NackError, match=r"write word 0x00.*after 2 attempts"):
        t.write_word(0x00, 0x0030)
    assert dev.transactions == 2


def test_retries_can_be_switched_off_per_call() -> None:
    dev, t, _ = make()
    dev.fail_next = [errno.EREMOTEIO]
    with pytest.raises(NackError):
        t.send_byte(0x22, retries=0)
    assert dev.transactions == 1


def test_adapter_gone_is_not_retried() -> None:
    dev, t, _ = make()
    dev.fail_next = [errno.ENODEV]
    with pytest.raises(BusGoneError, match="adapter disappeared"):
        t.read_word(0x09)
    assert dev.transactions == 1


def test_count_byte_above_the_command_limit_is_refused() -> None:
    dev, t, _ = make(retries=0)
    dev.registers[0x44] = bytes([40]) + bytes(40)
    with pytest.raises(BadResponseError, match="count byte 40"):
        t.block_read(0x44, max_len=34)


def test_short_block_is_refused() -> None:
    dev, t, _ = make(retries=0)
    dev.registers[0x44] = bytes([1, 0x01])
    with pytest.raises(ShortReadError, match="at least 2"):
        t.block_read(0x44, min_len=2)


def test_errors_never_carry_written_data() -> None:
    dev, t, _ = make(retries=0)
    dev.fail_next = [errno.EREMOTEIO]
    with pytest.raises(NackError) as info:
        t.write_word(0x00, 0x3672)
    assert "3672" not in str(info.value).upper()
    assert "14066" not in str(info.value)
