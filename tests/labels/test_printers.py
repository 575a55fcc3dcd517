"""Printers: file output, raw ZPL over TCP against a stand-in Zebra, CUPS through a stub ``lp``."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest

from station.labels import (
    CupsPrinter,
    FilePrinter,
    LabelArtwork,
    PrinterCommandMissingError,
    PrinterError,
    PrinterOfflineError,
    PrinterRefusedError,
    PrinterRejectedError,
    PrinterSpecError,
    PrinterTimeoutError,
    PrinterWriteError,
    ZplTcpPrinter,
    open_printer,
    parse_printer_spec,
    parse_stock,
    render,
)
from tests.labels.fake_printers import FakeZebra, FullBacklogPort, closed_port, write_stub_lp
from tests.labels.samples import make_data

SHORT = 0.3  # seconds; keeps the failure tests fast


@pytest.fixture(scope="module")
def artwork() -> LabelArtwork:
    return render(make_data(), parse_stock("4x2in"))


def huge(artwork: LabelArtwork) -> LabelArtwork:
    """A label far larger than any socket buffer, so a printer that stops reading blocks us."""
    return dataclasses.replace(artwork, zpl=artwork.zpl + "^XA^FX" + "x" * 32_000_000 + "^XZ")


def assert_operator_message(error: PrinterError, serial: str = "PK-2026-000123") -> None:
    message = str(error)
    assert f"Pack {serial} stays PASS and sealed" in message
    assert "NOT printed" in message
    assert f"`station label print --serial {serial}`" in message


# --- specs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "target", "port", "canonical"),
    [
        ("file:labels", "file", "labels", 9100, "file:labels"),
        ("file:/var/lib/station/labels", "file", "/var/lib/station/labels", 9100, None),
        ("zpl-tcp:10.0.0.5", "zpl-tcp", "10.0.0.5", 9100, "zpl-tcp:10.0.0.5:9100"),
        ("zpl-tcp:zebra-line3.local:6101", "zpl-tcp", "zebra-line3.local", 6101, None),
        ("zpl-tcp:[fd00::5]:9100", "zpl-tcp", "fd00::5", 9100, None),
        ("zpl-tcp:[fd00::5]", "zpl-tcp", "fd00::5", 9100, "zpl-tcp:[fd00::5]:9100"),
        ("cups:Zebra_ZD421", "cups", "Zebra_ZD421", 9100, None),
    ],
)
def test_parse_printer_spec(
    text: str, kind: str, target: str, port: int, canonical: str | None
) -> None:
    spec = parse_printer_spec(text)
    assert (spec.kind, spec.target, spec.port) == (kind, target, port)
    assert str(spec) == (canonical or text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "labels",
        "usb:/dev/usb/lp0",
        "file:",
        "zpl-tcp:",
        "zpl-tcp:host:",
        "zpl-tcp:host:99999",
        "zpl-tcp:host:port",
        "zpl-tcp:fd00::5",
        "zpl-tcp:bad host",
        "cups:",
        "cups:has space",
        "cups:a/b",
    ],
)
def test_bad_specs_list_the_three_forms(text: str) -> None:
    with pytest.raises(PrinterSpecError) as caught:
        open_printer(text)
    message = str(caught.value)
    for form in ("file:DIR", "zpl-tcp:HOST[:PORT]", "cups:QUEUE"):
        assert form in message
    assert caught.value.failure_code == "PRINTER_SPEC_INVALID"


def test_open_printer_builds_each_kind(tmp_path: Path) -> None:
    assert isinstance(open_printer(f"file:{tmp_path}"), FilePrinter)
    tcp = open_printer("zpl-tcp:10.0.0.5:6101", connect_timeout_s=1.5, send_timeout_s=2.5)
    assert isinstance(tcp, ZplTcpPrinter)
    assert (tcp.host, tcp.port, tcp.connect_timeout_s, tcp.send_timeout_s) == (
        "10.0.0.5",
        6101,
        1.5,
        2.5,
    )
    assert isinstance(open_printer("cups:zebra"), CupsPrinter)


# --- file printer ---------------------------------------------------------------------------------


def test_file_printer_writes_the_three_files(tmp_path: Path, artwork: LabelArtwork) -> None:
    target = tmp_path / "out" / "labels"  # created on demand
    printer = open_printer(f"file:{target}")
    result = printer.print(artwork, job_name="pack PK-2026-000123")
    names = sorted(path.name for path in result.paths)
    assert names == [
        "PK-2026-000123-001.png",
        "PK-2026-000123-001.svg",
        "PK-2026-000123-001.zpl",
    ]
    assert sorted(os.listdir(target)) == names  # no temporary files left behind
    assert (target / "PK-2026-000123-001.png").read_bytes() == artwork.png
    assert (target / "PK-2026-000123-001.svg").read_text(encoding="utf-8") == artwork.svg
    assert (target / "PK-2026-000123-001.zpl").read_text(encoding="utf-8") == artwork.zpl
    assert result.status == "written to files"
    assert result.attempt == 1
    assert result.printer == f"file:{target}"
    assert "PK-2026-000123-001.png" in result.summary


def test_file_printer_numbers_reprints(tmp_path: Path, artwork: LabelArtwork) -> None:
    printer = FilePrinter(tmp_path)
    first = printer.print(artwork, job_name="pack")
    again = printer.print(artwork, job_name="reprint")
    assert (first.attempt, again.attempt) == (1, 2)
    assert len(os.listdir(tmp_path)) == 6
    assert first.paths[0].read_bytes() == again.paths[0].read_bytes()


def test_file_names_are_safe_for_any_serial(tmp_path: Path) -> None:
    artwork = render(make_data(serial="../PK/01%"), parse_stock("4x2in"))
    result = FilePrinter(tmp_path).print(artwork, job_name="pack")
    assert {path.parent for path in result.paths} == {tmp_path}
    assert result.paths[0].name == "%2E.%2FPK%2F01%25-001.png"


def test_file_printer_failure_leaves_nothing_and_says_what_to_do(
    tmp_path: Path, artwork: LabelArtwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(PrinterWriteError) as caught:
        FilePrinter(tmp_path).print(artwork, job_name="pack")
    assert os.listdir(tmp_path) == []  # the claimed .zpl is withdrawn, temporaries removed
    assert "No space left on device" in str(caught.value)
    assert caught.value.failure_code == "PRINTER_FILE_ERROR"
    assert_operator_message(caught.value)


def test_file_printer_into_a_file_path_fails_cleanly(tmp_path: Path, artwork: LabelArtwork) -> None:
    blocker = tmp_path / "labels"
    blocker.write_text("not a directory")
    with pytest.raises(PrinterWriteError):
        FilePrinter(blocker).print(artwork, job_name="pack")


# --- raw ZPL over TCP -----------------------------------------------------------------------------


def test_zebra_receives_exactly_the_zpl(artwork: LabelArtwork) -> None:
    zebra = FakeZebra("receive")
    printer = open_printer(f"zpl-tcp:127.0.0.1:{zebra.port}")
    result = printer.print(artwork, job_name="pack PK-2026-000123")
    assert zebra.finish() == artwork.zpl.encode("utf-8") + b"~HS"
    assert zebra.connections == 1
    assert result.status == "confirmed by the printer"
    assert "confirmed" in result.summary
    assert result.destination == f"127.0.0.1:{zebra.port}"
    assert result.bytes_sent == len(artwork.zpl.encode("utf-8"))


def test_closed_port_is_refused(artwork: LabelArtwork) -> None:
    port = closed_port()
    printer = ZplTcpPrinter("127.0.0.1", port, connect_timeout_s=SHORT, send_timeout_s=SHORT)
    with pytest.raises(PrinterRefusedError) as caught:
        printer.print(artwork, job_name="pack")
    assert caught.value.failure_code == "PRINTER_REFUSED"
    assert f"refused the connection (nothing is listening on port {port})" in str(caught.value)
    assert_operator_message(caught.value)


def test_printer_that_never_accepts_times_out(artwork: LabelArtwork) -> None:
    port = FullBacklogPort()
    printer = ZplTcpPrinter("127.0.0.1", port.port, connect_timeout_s=SHORT, send_timeout_s=5)
    started = time.monotonic()
    try:
        with pytest.raises(PrinterTimeoutError) as caught:
            printer.print(artwork, job_name="pack")
    finally:
        port.close()
    assert time.monotonic() - started < 3.0
    assert caught.value.failure_code == "PRINTER_TIMEOUT"
    assert "did not accept a connection within 0.3 s" in str(caught.value)
    assert_operator_message(caught.value)


def test_printer_that_stops_reading_times_out(artwork: LabelArtwork) -> None:
    zebra = FakeZebra("never-read")
    printer = ZplTcpPrinter("127.0.0.1", zebra.port, connect_timeout_s=2, send_timeout_s=SHORT)
    started = time.monotonic()
    try:
        with pytest.raises(PrinterTimeoutError) as caught:
            printer.print(huge(artwork), job_name="pack")
    finally:
        zebra.finish()
    assert time.monotonic() - started < 3.0
    assert "stopped taking data" in str(caught.value)
    assert_operator_message(caught.value)


def test_printer_reset_mid_label_is_offline(artwork: LabelArtwork) -> None:
    zebra = FakeZebra("reset")
    printer = ZplTcpPrinter("127.0.0.1", zebra.port, connect_timeout_s=2, send_timeout_s=5)
    try:
        with pytest.raises(PrinterOfflineError) as caught:
            printer.print(huge(artwork), job_name="pack")
    finally:
        zebra.finish()
    assert caught.value.failure_code == "PRINTER_OFFLINE"
    assert "dropped the connection" in str(caught.value)
    assert_operator_message(caught.value)


def test_unknown_host_is_offline(artwork: LabelArtwork) -> None:
    printer = ZplTcpPrinter("printer.invalid", connect_timeout_s=SHORT)
    with pytest.raises(PrinterOfflineError, match="could not be resolved"):
        printer.print(artwork, job_name="pack")


# --- CUPS -----------------------------------------------------------------------------------------


@pytest.fixture
def lp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
    return directory


def test_cups_runs_lp_raw_with_the_zpl_on_stdin(lp_dir: Path, artwork: LabelArtwork) -> None:
    write_stub_lp(lp_dir)
    result = open_printer("cups:Zebra_ZD421").print(artwork, job_name="pack PK-2026-000123")
    argv = json.loads((lp_dir / "argv.json").read_text())
    assert argv == ["-d", "Zebra_ZD421", "-o", "raw", "-t", "pack PK-2026-000123"]
    assert (lp_dir / "stdin.bin").read_bytes() == artwork.zpl.encode("utf-8")
    assert result.status == "queued in CUPS"
    assert result.request_id == "zebra-42"
    assert result.printer == "cups:Zebra_ZD421"


def test_cups_job_name_cannot_smuggle_options(lp_dir: Path, artwork: LabelArtwork) -> None:
    write_stub_lp(lp_dir)
    CupsPrinter("zebra").print(artwork, job_name="x; rm -rf /\n-o fit")
    argv = json.loads((lp_dir / "argv.json").read_text())
    assert argv[:5] == ["-d", "zebra", "-o", "raw", "-t"]
    assert argv[5] == "x; rm -rf / -o fit"  # one argument, no shell, no newline
    assert len(argv) == 6


def test_cups_failure_reports_lp_stderr(lp_dir: Path, artwork: LabelArtwork) -> None:
    write_stub_lp(lp_dir, exit_code=1)
    with pytest.raises(PrinterRejectedError) as caught:
        CupsPrinter("nosuchqueue").print(artwork, job_name="pack")
    message = str(caught.value)
    assert "exit status 1" in message
    assert "lp: The printer or class does not exist." in message
    assert caught.value.failure_code == "PRINTER_CUPS_REJECTED"
    assert_operator_message(caught.value)


def test_cups_timeout(lp_dir: Path, artwork: LabelArtwork) -> None:
    write_stub_lp(lp_dir, hang=True)
    started = time.monotonic()
    with pytest.raises(PrinterTimeoutError, match=r"did not finish within 0.3 s"):
        CupsPrinter("zebra", timeout_s=SHORT).print(artwork, job_name="pack")
    assert time.monotonic() - started < 5.0


def test_missing_lp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, artwork: LabelArtwork) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrinterCommandMissingError) as caught:
        CupsPrinter("zebra").print(artwork, job_name="pack")
    assert caught.value.failure_code == "PRINTER_LP_MISSING"
    assert "Install the CUPS client" in str(caught.value)
    assert_operator_message(caught.value)
