"""FlashStream files: strict parsing with line numbers, and the executor over SMBus primitives."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.bus.errors import NackError
from station.clock import VirtualClock
from station.recipe.errors import FileFormatError, FlashStreamFailed
from station.recipe.ti.flashstream import (
    FlashStreamProgress,
    parse_flashstream,
    run_flashstream,
)
from tests.recipe.helpers import FIXTURES


def load(name: str):  # type: ignore[no-untyped-def]
    return parse_flashstream((FIXTURES / name).read_bytes(), name)


def test_every_line_kind() -> None:
    fs = load("every-line-kind.bq.fs")
    assert [(ln.number, ln.op) for ln in fs.lines] == [
        (3, "SWW"),
        (4, "SWW"),
        (5, "X"),
        (8, "SWB"),
        (9, "X"),
        (11, "SWB"),
        (12, "SCL"),
        (14, "SWC"),
        (15, "SCW"),
    ]
    assert fs.lines[0].command == 0x00
    assert fs.lines[0].word == 0x0414
    assert fs.lines[3].data == bytes([0x4D, 0x44, 0x04, 0x29])  # no count byte in the file
    assert fs.lines[6].length == 4
    assert fs.lines[6].data == bytes([0x4D, 0x44, 0x04, 0x29])
    assert fs.lines[7].command == 0x08
    assert fs.lines[8].word == 0x2904
    assert fs.total_delay_ms == 270


def test_crlf_line_endings_are_accepted() -> None:
    fs = load("crlf.bq.fs")
    assert [ln.op for ln in fs.lines] == ["SWW", "X"]


@pytest.mark.parametrize(
    ("name", "line", "why"),
    [
        ("wrong-address.bq.fs", 3, "is not the gauge"),
        ("odd-hex.bq.fs", 1, "odd number of hex digits"),
        ("byte-too-big.bq.fs", 1, "0x1FF > 0xFF"),
        ("unknown-command.bq.fs", 2, "unknown command 'SWX:'"),
        ("i2c-dialect.bq.fs", 2, "I2C/HDQ FlashStream dialect"),
        ("scl-length.bq.fs", 1, "length 3 but 2 expected bytes"),
        ("bad-delay.bq.fs", 1, "one decimal number of milliseconds"),
        ("no-final-newline.bq.fs", 2, "no newline"),
        ("too-many-bytes.bq.fs", 2, "97 data bytes on one line; at most 96"),
    ],
)
def test_malformed_files_name_the_line(name: str, line: int, why: str) -> None:
    with pytest.raises(FileFormatError) as exc:
        load(name)
    assert any(p.line == line and why in p.why and p.file == name for p in exc.value.problems), (
        exc.value
    )


def test_all_bad_lines_are_listed_before_anything_runs() -> None:
    text = "SWW: 16 00 14 04\nSWB: 17 44 00\nSWW: 16 00 4 04\nQQ: 1\nX: 5\n"
    with pytest.raises(FileFormatError) as exc:
        parse_flashstream(text, "x.bq.fs")
    assert [p.line for p in exc.value.problems] == [2, 3, 4]


@pytest.mark.parametrize("text", ["", "; only a comment\n", "\n\n", b"\xff\xfe\n"])
def test_empty_or_binary_files(text: str | bytes) -> None:
    with pytest.raises(FileFormatError):
        parse_flashstream(text, "x.bq.fs")


class FakeTransport:
    """SMBus primitives that record what they were asked and answer from a script."""

    address = 0x0B

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, object]] = []
        self.words: dict[int, int] = {0x18: 0x2904}
        self.blocks: dict[int, bytes] = {0x44: bytes([0x4D, 0x44, 0x04, 0x29])}
        self.nack_on_call: int | None = None

    def _log(self, kind: str, command: int, value: object) -> None:
        self.calls.append((kind, command, value))
        if self.nack_on_call == len(self.calls):
            raise NackError("not acknowledged", command=f"0x{command:02X}")

    def send_byte(
        self, command: int, *, label: str | None = None, retries: int | None = None
    ) -> None:
        self._log("send", command, None)

    def write_word(
        self, command: int, value: int, *, label: str | None = None, retries: int | None = None
    ) -> None:
        self._log("word", command, value)

    def read_word(
        self, command: int, *, label: str | None = None, retries: int | None = None
    ) -> int:
        self._log("read word", command, None)
        return self.words[command]

    def block_write(
        self, command: int, data: bytes, *, label: str | None = None, retries: int | None = None
    ) -> None:
        self._log("block", command, bytes(data))

    def block_read(
        self,
        command: int,
        *,
        max_len: int = 34,
        min_len: int = 0,
        label: str | None = None,
        retries: int | None = None,
    ) -> bytes:
        self._log("read block", command, max_len)
        return self.blocks[command]


def test_executor_runs_every_line_and_waits_on_the_clock() -> None:
    fs = load("every-line-kind.bq.fs")
    t, clock = FakeTransport(), VirtualClock()
    seen: list[FlashStreamProgress] = []
    result = run_flashstream(fs, t, clock, progress=seen.append)
    assert [c[:2] for c in t.calls] == [
        ("word", 0x00),
        ("word", 0x00),
        ("block", 0x44),
        ("block", 0x44),
        ("read block", 0x44),
        ("send", 0x08),
        ("read word", 0x18),
    ]
    assert t.calls[2][2] == bytes([0x4D, 0x44, 0x04, 0x29])
    assert clock.monotonic() == pytest.approx(0.270)
    assert result.lines_run == 9
    assert result.elapsed_s == pytest.approx(0.270)
    assert [p.done for p in seen] == list(range(1, 10))
    assert seen[-1].total == 9


def test_executor_stops_at_the_first_compare_failure() -> None:
    fs = load("every-line-kind.bq.fs")
    t = FakeTransport()
    t.blocks[0x44] = bytes([0x4D, 0x44, 0x04, 0x28])
    with pytest.raises(FlashStreamFailed) as exc:
        run_flashstream(fs, t, VirtualClock())
    assert exc.value.line_number == 12
    assert exc.value.text == "SCL: 16 44 04 4D 44 04 29"
    assert exc.value.compare
    assert "byte 3 reads 0x28, the file expects 0x29" in str(exc.value)
    assert ("send", 0x08, None) not in t.calls  # nothing after the failing line


def test_executor_reports_a_short_block_and_a_word_mismatch() -> None:
    t = FakeTransport()
    t.blocks[0x44] = bytes([0x4D, 0x44, 0x04])
    with pytest.raises(FlashStreamFailed, match="block of 3 bytes, the file expects 4"):
        run_flashstream(load("every-line-kind.bq.fs"), t, VirtualClock())
    t = FakeTransport()
    t.words[0x18] = 0x1234
    with pytest.raises(FlashStreamFailed, match="read 0x1234, the file expects 0x2904") as exc:
        run_flashstream(load("every-line-kind.bq.fs"), t, VirtualClock())
    assert exc.value.line_number == 15


def test_executor_stops_at_a_bus_error_with_the_line() -> None:
    t = FakeTransport()
    t.nack_on_call = 3
    with pytest.raises(FlashStreamFailed) as exc:
        run_flashstream(load("every-line-kind.bq.fs"), t, VirtualClock())
    assert exc.value.line_number == 8
    assert "BUS_NACK" in str(exc.value)
    assert len(t.calls) == 3
    assert exc.value.failure_code == "FLASHSTREAM_FAILED"


def test_operator_abort_between_lines() -> None:
    t = FakeTransport()
    with pytest.raises(FlashStreamFailed, match="stopped by the operator"):
        run_flashstream(
            load("every-line-kind.bq.fs"), t, VirtualClock(), should_abort=lambda: len(t.calls) >= 2
        )
    assert len(t.calls) == 2


LINES = st.sampled_from(
    [
        "SWW: 16 00 14 04",
        "SWB: 16 44 00 40",
        "SCL: 16 44 01 00",
        "X: 10",
        "; c",
        "",
        "SWC: 16 08",
        "SCW: 16 18 00 00",
        "SWB: 17 44 00",
        "SWW: 16 0 1",
        "W: 16 00",
        "X: -1",
        "SWB: 16",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=12), st.booleans())
def test_fuzz_gives_a_stream_or_format_errors(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    try:
        fs = parse_flashstream(text, "fuzz.bq.fs")
    except FileFormatError as exc:
        lines_named = [p.line for p in exc.problems]
        fs = None
    else:
        lines_named = []
    assert all(n is not None and n >= 1 for n in lines_named)
    if fs is not None:
        assert fs.lines
        assert all(len(line.data) <= 96 for line in fs.lines)


@given(st.binary(max_size=200))
def test_fuzz_bytes(data: bytes) -> None:
    with contextlib.suppress(FileFormatError):
        parse_flashstream(data, "fuzz.bq.fs")
