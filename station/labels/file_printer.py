"""The file printer: the label's PNG, SVG and ZPL written into a directory (the demo default)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from station.labels.errors import PrinterWriteError
from station.labels.printer_spec import PrinterSpec, PrintResult
from station.labels.render import LabelArtwork

_UNSAFE_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.-]|^\.")


def file_stem(serial: str) -> str:
    """A serial made safe as a file name, reversibly: ``/`` → ``%2F``, ``%`` → ``%25``."""
    return _UNSAFE_NAME_CHAR.sub(lambda match: f"%{ord(match[0]):02X}", serial)


class FilePrinter:
    """Writes the artwork set into a directory, each file atomically (temporary file + rename)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._spec = PrinterSpec("file", str(directory))

    @property
    def spec(self) -> PrinterSpec:
        return self._spec

    def print(self, artwork: LabelArtwork, *, job_name: str) -> PrintResult:
        serial = artwork.serial
        payloads = {
            ".png": artwork.png,
            ".svg": artwork.svg.encode("utf-8"),
            ".zpl": artwork.zpl.encode("utf-8"),
        }
        temps: dict[str, Path] = {}
        published: list[Path] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for suffix, payload in payloads.items():
                temps[suffix] = self._write_temp(payload)
            stem = file_stem(serial)
            attempt = self._claim(stem, temps[".zpl"])
            paths = [self.directory / f"{stem}-{attempt:03d}{suffix}" for suffix in payloads]
            published.append(paths[-1])
            for suffix, path in zip(payloads, paths, strict=True):
                if suffix != ".zpl":
                    os.replace(temps[suffix], path)
                    del temps[suffix]
                    published.append(path)
        except OSError as exc:
            # a failed print leaves no partial set behind
            for path in published:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise PrinterWriteError(
                f"the label files could not be written to {self.directory}",
                printer=str(self.spec),
                serial=serial,
                detail=exc.strerror or str(exc),
            ) from exc
        finally:
            for temp in temps.values():
                with contextlib.suppress(OSError):
                    temp.unlink()
        return PrintResult(
            serial=serial,
            printer=str(self.spec),
            kind="file",
            status="written to files",
            destination=str(self.directory),
            job_name=job_name,
            bytes_sent=sum(len(payload) for payload in payloads.values()),
            paths=tuple(paths),
            attempt=attempt,
        )

    def _write_temp(self, payload: bytes) -> Path:
        fd, name = tempfile.mkstemp(dir=self.directory, prefix=".label-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name)

    def _claim(self, stem: str, temp_zpl: Path) -> int:
        """Publish the ZPL under the next free attempt number; the hard link makes it exclusive."""
        pattern = re.compile(rf"^{re.escape(stem)}-(\d+)\.(?:png|svg|zpl)$")
        used = [int(m[1]) for name in os.listdir(self.directory) if (m := pattern.match(name))]
        attempt = max(used, default=0) + 1
        while True:
            final = self.directory / f"{stem}-{attempt:03d}.zpl"
            try:
                os.link(temp_zpl, final)
            except FileExistsError:
                attempt += 1
                continue
            except OSError:
                # file systems without hard links (FAT, some network mounts): rename instead
                if final.exists():
                    attempt += 1
                    continue
                os.replace(temp_zpl, final)
            return attempt
