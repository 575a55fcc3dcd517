"""The journal handler speaks systemd's native protocol: what a datagram reader (journald) gets is
the message with its traceback and the station's fields, however big."""

from __future__ import annotations

import array
import fcntl
import logging
import os
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.logs import bind
from station.logs.fields import FieldsFilter
from station.logs.journal import JournalHandler, encode_entry, started_by_systemd


def decode_entry(data: bytes) -> dict[str, str]:
    """The reader's side of the protocol (as journald parses it)."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        line = data[pos:end]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            fields[name.decode()] = value.decode()
            pos = end + 1
        else:
            (size,) = struct.unpack("<Q", data[end + 1 : end + 9])
            fields[line.decode()] = data[end + 9 : end + 9 + size].decode()
            assert data[end + 9 + size : end + 10 + size] == b"\n"
            pos = end + 10 + size
    return fields


@given(
    st.dictionaries(
        st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True),
        st.text(alphabet=st.characters(exclude_categories=["Cs"])),
        max_size=6,
    )
)
def test_any_fields_round_trip(fields: dict[str, str]) -> None:
    assert decode_entry(encode_entry(fields)) == fields


def test_field_names_are_checked() -> None:
    with pytest.raises(ValueError, match="not a journal field name"):
        encode_entry({"attempt": "1"})


@pytest.fixture
def journald() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket standing in for journald (AF_UNIX paths are short: not in tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="jd") as folder:
        path = os.path.join(folder, "socket")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(path)
        server.settimeout(5)
        yield server, path
        server.close()


def receive(server: socket.socket) -> dict[str, str]:
    data, ancillary, _, _ = server.recvmsg(1 << 20, socket.CMSG_SPACE(4))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fd = array.array("i", payload[:4])[0]
            try:
                seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
                assert seals & fcntl.F_SEAL_WRITE, "journald refuses an unsealed memfd"
                data = os.pread(fd, os.fstat(fd).st_size, 0)  # as journald maps it
            finally:
                os.close(fd)
    return decode_entry(data)


def logger_to(handler: logging.Handler) -> logging.Logger:
    handler.addFilter(FieldsFilter({"station": "ST-01", "socket": "A"}))
    log = logging.getLogger("station.test.journal")
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log


def test_a_record_arrives_with_the_runs_fields_and_its_traceback(
    journald: tuple[socket.socket, str],
) -> None:
    server, path = journald
    handler = JournalHandler(path)
    log = logger_to(handler)
    with bind(serial="PK4S-000123", attempt=1234, step="verify"):
        try:
            raise ZeroDivisionError("a defect")
        except ZeroDivisionError:
            log.exception("station fault during verify")
    entry = receive(server)
    handler.close()
    assert entry["MESSAGE"].startswith("station fault during verify\nTraceback")
    assert "ZeroDivisionError: a defect" in entry["MESSAGE"]
    assert entry["PRIORITY"] == "3"
    assert entry["SYSLOG_IDENTIFIER"] == "station"
    assert (entry["STATION"], entry["SOCKET"], entry["ATTEMPT"]) == ("ST-01", "A", "1234")
    assert (entry["SERIAL"], entry["STEP"]) == ("PK4S-000123", "verify")
    assert entry["LOGGER"] == "station.test.journal"
    assert entry["CODE_FUNC"] == "test_a_record_arrives_with_the_runs_fields_and_its_traceback"


def test_an_entry_too_big_for_a_datagram_goes_through_a_sealed_memfd(
    journald: tuple[socket.socket, str],
) -> None:
    server, path = journald
    handler = JournalHandler(path)
    handler._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    log = logger_to(handler)
    big = "x" * 200_000
    log.info("a long one: %s", big, extra={"failure_code": "BUS_NACK"})
    entry = receive(server)
    handler.close()
    assert entry["MESSAGE"] == f"a long one: {big}"
    assert entry["FAILURE_CODE"] == "BUS_NACK"


def test_a_journal_that_is_not_there_loses_the_record_quietly(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    handler = JournalHandler(str(tmp_path / "no-socket"))
    log = logger_to(handler)
    log.warning("nobody listens")
    handler.close()
    assert handler.dropped == 1
    assert capfd.readouterr() == ("", "")


def test_started_by_systemd(tmp_path: Path) -> None:
    assert started_by_systemd({"INVOCATION_ID": "8d3c..."})
    assert not started_by_systemd({})
    with (tmp_path / "stream").open("w") as stream:
        st = os.fstat(stream.fileno())
        journal = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        assert started_by_systemd(journal, stream.fileno())
        # inherited by a child whose stderr is something else: not the journal
        assert not started_by_systemd({"JOURNAL_STREAM": "1:2"}, stream.fileno())
