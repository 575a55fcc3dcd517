"""The Zebra network printer: raw ZPL to TCP port 9100, confirmed by the printer's host status."""

from __future__ import annotations

import socket

from station.labels.errors import (
    PrinterNotConfirmedError,
    PrinterOfflineError,
    PrinterRefusedError,
    PrinterTimeoutError,
)
from station.labels.printer_spec import ZPL_RAW_PORT, PrinterSpec, PrintResult
from station.labels.render import LabelArtwork
from station.labels.zebra_status import (
    HOST_STATUS_QUERY,
    StatusUnreadable,
    complete,
    parse_host_status,
)

DEFAULT_CONNECT_TIMEOUT_S = 3.0
DEFAULT_SEND_TIMEOUT_S = 3.0
#: how long a printer may take to answer its host status after the label
DEFAULT_STATUS_TIMEOUT_S = 5.0


class ZplTcpPrinter:
    """Raw ZPL to a printer's TCP port (9100): connect, send the label and a host-status query
    (``~HS``), half-close, and read the status; printed only when the printer confirms."""

    def __init__(
        self,
        host: str,
        port: int = ZPL_RAW_PORT,
        *,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
        status_timeout_s: float = DEFAULT_STATUS_TIMEOUT_S,
    ) -> None:
        if min(connect_timeout_s, send_timeout_s, status_timeout_s) <= 0:
            raise ValueError("printer timeouts must be greater than 0 seconds")
        self.host = host
        self.port = port
        self.connect_timeout_s = connect_timeout_s
        self.send_timeout_s = send_timeout_s
        self.status_timeout_s = status_timeout_s
        self._spec = PrinterSpec("zpl-tcp", host, port)

    @property
    def spec(self) -> PrinterSpec:
        return self._spec

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        payload = artwork.zpl.encode("utf-8")
        where = str(self.spec).removeprefix("zpl-tcp:")
        common = {"printer": str(self.spec), "serial": artwork.serial}
        with self._connect(where, common) as conn:
            self._send(conn, payload, where, common)
            answer = self._read_status(conn, where, common)
        _confirm(answer, where, common)
        return PrintResult(
            serial=artwork.serial,
            printer=str(self.spec),
            kind="zpl-tcp",
            status="confirmed by the printer",
            destination=where,
            job_name=job_name,
            bytes_sent=len(payload),
        )

    def _connect(self, where: str, common: dict[str, str]) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except ConnectionRefusedError as exc:
            raise PrinterRefusedError(
                f"{where} refused the connection (nothing is listening on port {self.port})",
                **common,
            ) from exc
        except TimeoutError as exc:
            raise PrinterTimeoutError(
                f"{where} did not accept a connection within {self.connect_timeout_s:g} s",
                **common,
            ) from exc
        except socket.gaierror as exc:
            raise PrinterOfflineError(
                f"the printer host name {self.host!r} could not be resolved", **common
            ) from exc
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            raise PrinterOfflineError(
                f"{where} dropped the connection while it was being opened", **common
            ) from exc
        except OSError as exc:
            raise PrinterOfflineError(
                f"{where} cannot be reached", detail=exc.strerror or str(exc), **common
            ) from exc

    def _send(
        self, conn: socket.socket, payload: bytes, where: str, common: dict[str, str]
    ) -> None:
        """The label and the host-status query, then a half-close: the printer sees the end."""
        conn.settimeout(self.send_timeout_s)
        try:
            conn.sendall(payload + HOST_STATUS_QUERY)
            conn.shutdown(socket.SHUT_WR)
        except TimeoutError as exc:
            raise PrinterTimeoutError(
                f"{where} stopped taking data: the label ({len(payload)} bytes) was not "
                f"accepted within {self.send_timeout_s:g} s",
                **common,
            ) from exc
        except OSError as exc:
            # reset, broken pipe, aborted: the printer went away mid-label
            raise PrinterOfflineError(
                f"{where} dropped the connection while receiving the label",
                detail=exc.strerror or type(exc).__name__,
                **common,
            ) from exc

    def _read_status(self, conn: socket.socket, where: str, common: dict[str, str]) -> bytes:
        """The printer's answer to ``~HS`` (what it sent before it closed, went quiet, or gave
        the two status strings the station reads)."""
        answer = bytearray()
        conn.settimeout(self.status_timeout_s)
        try:
            while not complete(bytes(answer)) and len(answer) < 4096:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                answer.extend(chunk)
        except TimeoutError:
            if not answer:
                raise PrinterNotConfirmedError(
                    f"{where} took the label but did not answer its status query within "
                    f"{self.status_timeout_s:g} s (a printer out of paper or ribbon, or with its "
                    "head open, does not answer)",
                    **common,
                ) from None
        except OSError as exc:
            raise PrinterOfflineError(
                f"{where} dropped the connection before confirming the label",
                detail=exc.strerror or type(exc).__name__,
                **common,
            ) from exc
        return bytes(answer)


def _confirm(answer: bytes, where: str, common: dict[str, str]) -> None:
    """Raise unless the printer's host status says it can print the label it took."""
    try:
        status = parse_host_status(answer)
    except StatusUnreadable as exc:
        raise PrinterNotConfirmedError(
            f"{where} took the label but its status answer is not a Zebra host status",
            detail=str(exc),
            **common,
        ) from exc
    problems = status.problems()
    if problems:
        raise PrinterNotConfirmedError(
            f"{where} took the label but reports it cannot print: {', '.join(problems)}",
            **common,
        )
