"""Data-flash access: reads by auto-increment block (confirmed by a second read without PEC)
and writes, each followed by the wait that proves the gauge finished it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from station.bus.errors import BusError, BusGoneError
from station.gauge.access import MBA, GaugeAccess
from station.gauge.dataflash import df_address_bytes, parse_df_block
from station.gauge.errors import GaugeResponseError, UnconfirmedReadError
from station.gauge.modes import DF_MODES
from station.gauge.polling import SILENT, wait_answering, wait_flash_done

log = logging.getLogger("station.gauge")

#: Called with (bytes done, bytes total) as a data-flash read progresses.
Progress = Callable[[int, int], None]


class DataFlashAccess(GaugeAccess):
    """Reading and writing the gauge's data flash (0x4000-0x5FFF) through 0x44."""

    def read_df(self, start: int, length: int, progress: Progress | None = None) -> bytes:
        """Read ``length`` bytes of data flash from ``start`` (any range in 0x4000-0x5FFF).

        One address write, then auto-increment block reads of 2-byte address echo + 32 bytes; every
        echo is checked. The blocks go back to back, the adapter held (one mux channel select). A
        failed block is re-addressed and read again, the adapter left to others meanwhile.
        """
        self.region.check_read(start, length)
        with self._lock:
            self._require_mode(f"data-flash read 0x{start:04X}", DF_MODES)
            out = bytearray()
            failures = 0
            while len(out) < length:
                had = len(out)
                try:
                    with self.transport.exclusive():
                        self._read_df_run(start, length, out, progress)
                except (BusGoneError, ValueError):
                    raise
                except (BusError, GaugeResponseError) as exc:
                    failures = 1 if len(out) > had else failures + 1
                    label = f"data-flash read 0x{start + len(out):04X}"
                    if failures >= self.timings.df_read_attempts:
                        self._explain_refusal(label, DF_MODES, exc)
                        raise
                    log.info("%s failed (%s); re-addressing", label, exc)
                    self.clock.sleep(self.timings.df_retry_backoff_s)
            return bytes(out)

    def _read_df_run(
        self, start: int, length: int, out: bytearray, progress: Progress | None
    ) -> None:
        """Address ``start + len(out)`` and read blocks on into ``out`` until ``length``."""
        address = start + len(out)
        label = f"data-flash read 0x{address:04X}"
        self.transport.block_write(MBA, df_address_bytes(address), label=label, retries=0)
        while len(out) < length:
            label = f"data-flash read 0x{address:04X}"
            raw = self.transport.block_read(MBA, max_len=34, label=label, retries=0)
            data = parse_df_block(self.region, address, raw)
            out += data[: length - len(out)]
            address += len(data)
            if progress is not None:
                progress(len(out), length)

    def confirm_rows(self, rows: Mapping[int, bytes]) -> dict[int, bytes]:
        """Without PEC, read data-flash rows again and return them as two reads in a row agree
        (``rows``: address → what one read gave). With PEC, ``rows`` as they are.

        The second read goes by runs of adjacent rows (one address write per run); a row whose
        reads disagree is read alone until two in a row agree."""
        if self.transport.pec or not rows:
            return dict(rows)
        out: dict[int, bytes] = {}
        # The second reads back to back, the adapter held: one channel select for them all.
        with self._lock, self.transport.exclusive():
            runs: list[list[int]] = []
            for address in sorted(rows):
                if runs and runs[-1][-1] + len(rows[runs[-1][-1]]) == address:
                    runs[-1].append(address)
                else:
                    runs.append([address])
            for run in runs:
                length = sum(len(rows[a]) for a in run)
                data = self.read_df(run[0], length)
                for a in run:
                    again = data[a - run[0] : a - run[0] + len(rows[a])]
                    out[a] = again if again == rows[a] else self._settle_row(a, again)
        return out

    def _settle_row(self, address: int, last: bytes) -> bytes:
        """A row whose last two reads disagreed: read it until two reads in a row agree."""
        self.read_disagreements += 1
        what = f"data-flash read 0x{address:04X}"
        log.info("%s: two reads disagree; reading again", what)
        for _ in range(3, self.timings.confirm_reads + 1):
            value = self.read_df(address, len(last))
            if value == last:
                return value
            self.read_disagreements += 1
            last = value
        raise UnconfirmedReadError(command=what, reads=self.timings.confirm_reads)

    def write_df(self, address: int, data: bytes) -> None:
        """Write 1-32 bytes at ``address`` (0x4000-0x5F7F), then wait while the gauge is busy.

        The range is checked and the write guard consulted before anything touches the bus.
        """
        self.region.check_write(address, len(data))
        if self.write_guard is not None:
            self.write_guard(address, len(data))
        label = f"data-flash write 0x{address:04X}"
        t = self.timings
        with self._lock:
            self._require_mode(label, DF_MODES)
            self._send_df_write(label, df_address_bytes(address) + bytes(data))
            wait_flash_done(self.transport, self.clock, t, label, address=address, length=len(data))

    def _send_df_write(self, label: str, payload: bytes) -> None:
        """The write itself, sent again with growing back-off while the gauge NACKs it."""
        t = self.timings
        backoff = t.df_write_backoff_s
        for attempt in range(1, t.df_write_attempts + 1):
            try:
                self.transport.block_write(MBA, payload, label=label, retries=0)
                return
            except SILENT as exc:
                # Sealed behind our back? Then say so rather than retry.
                self._explain_refusal(label, DF_MODES, exc)
                if attempt >= t.df_write_attempts:
                    raise
                log.info(
                    "%s not acknowledged (%s); sending it again in %.0f ms",
                    label,
                    exc,
                    backoff * 1000,
                )
                self.clock.sleep(backoff)
                backoff = min(backoff * 2, t.df_write_max_backoff_s)
                # A gauge that stays silent ends here (GaugeNotRespondingError), not in
                # another resend.
                wait_answering(
                    self.transport,
                    self.clock,
                    label,
                    timeout_s=t.flash_write_timeout_s,
                    every_s=t.flash_poll_s,
                )
