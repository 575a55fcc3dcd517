"""Which bytes on the wire carry keys: one rule (station.gauge.security), used by the bus trace
and the engineer CLI. Whatever the key words, a trace line of a key transaction shows none."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from station.bus.trace import Transaction, render
from station.gauge import mac as macs
from station.gauge.security import KEY_MACS, KeyRedactor, key_bytes_from
from station.pec import crc8
from tests.leaks import leaked_anywhere

words = st.integers(min_value=0, max_value=0xFFFF)


def tx(operation: str, wrote: bytes, read: bytes = b"") -> Transaction:
    return Transaction(0.5, 0.001, 0x0B, operation, wrote[0], "label", wrote, read, "ok", 1)


def with_pec(frame: bytes) -> bytes:
    return frame + bytes([crc8([0x16, *frame])])


def test_the_cli_refuses_exactly_the_key_macs() -> None:
    from station.cli.gauge import NOT_FROM_CLI

    assert NOT_FROM_CLI == KEY_MACS == {macs.SECURITY_KEYS}


def test_what_carries_keys() -> None:
    assert key_bytes_from(0x00, bytes([0x14, 0x04])) == 0  # a key word
    assert key_bytes_from(0x44, bytes([0x0A, 0x35, 0x00, 1, 2, 3, 4, 5, 6, 7, 8])) == 3
    assert key_bytes_from(0x44, bytes([0x02, 0x54, 0x00])) is None  # OperationStatus
    assert key_bytes_from(0x44, bytes([0x22, 0x00, 0x40, *range(32)])) is None  # data flash
    assert key_bytes_from(0x16, bytes([0x35, 0x00])) is None  # not a MAC register


@given(first=words, second=words, pec=st.booleans())
def test_a_key_word_write_shows_no_key(first: int, second: int, pec: bool) -> None:
    redact = KeyRedactor()
    for word in (first, second):
        frame = bytes([0x00, word & 0xFF, word >> 8])
        line = render(t := tx("write word", with_pec(frame) if pec else frame), redact(t))
        assert "W: 00 <key> |" in line
        assert leaked_anywhere([first, second], line.split("W:")[1]) == []


@given(keys=st.lists(words, min_size=4, max_size=4), pec=st.booleans())
def test_a_security_keys_write_and_its_answer_show_no_key(keys: list[int], pec: bool) -> None:
    redact = KeyRedactor()
    data = b"".join(k.to_bytes(2, "little") for k in keys)
    frame = bytes([0x44, 10, 0x35, 0x00]) + data
    write = tx("block write", with_pec(frame) if pec else frame)
    assert "W: 44 0A 35 00 <key> |" in render(write, redact(write))
    # the same MAC asked for its answer (reads of 0x0035 return the keys), from 0x44 and 0x23
    ask = tx("block write", bytes([0x44, 0x02, 0x35, 0x00]))
    assert "W: 44 02 35 00 |" in render(ask, redact(ask))  # the code alone: nothing to hide
    answer = tx("block read", bytes([0x44]), bytes([10, 0x35, 0x00]) + data)
    assert "R: 0A 35 00 <key> |" in render(answer, redact(answer))
    bare = tx("block read", bytes([0x23]), bytes([8]) + data)
    assert "R: 08 <key> |" in render(bare, redact(bare))
    # What follows the frame's known head (asserted above) must show no key. The head itself is
    # left out: its bytes (44 0A 35 00, 08, the register 23) read like the decimal key words 44,
    # 35, 8 or 23 and made the line look like a leak.
    for t, head in ((write, "W: 44 0A 35 00"), (answer, "R: 0A 35 00"), (bare, "R: 08")):
        assert leaked_anywhere(keys, render(t, redact(t)).split(head)[1]) == []


def test_ordinary_traffic_is_shown_whole() -> None:
    redact = KeyRedactor()
    ask = tx("block write", bytes([0x44, 0x02, 0x54, 0x00]))
    answer = tx("block read", bytes([0x44]), bytes([6, 0x54, 0x00, 1, 3, 0, 0]))
    df = tx("block write", bytes([0x44, 0x04, 0x00, 0x44, 0x12, 0x34]))
    sbs = tx("read word", bytes([0x09]), bytes([0x10, 0x0E]))
    assert [redact(t) for t in (ask, answer, df, sbs)] == [(None, None)] * 4
    assert "R: 06 54 00 01 03 00 00 |" in render(answer, (None, None))


def test_a_mac_answer_after_a_word_to_0x00_is_hidden() -> None:
    # A MAC sent as a word to 0x00 cannot be told from a key word: its answer may be keys.
    redact = KeyRedactor()
    redact(tx("write word", bytes([0x00, 0x35, 0x00])))
    assert redact(tx("block read", bytes([0x23]), bytes([8, *range(8)]))) == (None, 1)
    redact(tx("block write", bytes([0x44, 0x02, 0x54, 0x00])))  # a new MAC: answers are shown
    assert redact(tx("block read", bytes([0x23]), bytes([4, 1, 3, 0, 0]))) == (None, None)
