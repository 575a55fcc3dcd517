"""Label previews: the files a label would be made of, for checking a layout, never a print.

A preview goes to its own folder (never the file printer's, where a watcher could print it) or to
standard output, under ``<serial>-preview.*`` (the next preview of the same serial replaces it):
no print number is used up and nothing is recorded.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from station.labels.errors import LabelError, PrinterSpecError
from station.labels.printers import file_stem, parse_printer_spec
from station.labels.render import LabelArtwork
from station.refusal import Refused


class PreviewRefused(LabelError, Refused):
    """A preview would land where printed labels go."""

    failure_code = "PREVIEW_REFUSED"


def printer_folder(printer_spec: str) -> Path | None:
    """The folder a ``file:`` printer writes to, else None."""
    try:
        spec = parse_printer_spec(printer_spec)
    except PrinterSpecError:
        return None
    return Path(spec.target) if spec.kind == "file" else None


def write_preview(
    artwork: LabelArtwork, folder: Path, *, printer_spec: str = ""
) -> tuple[Path, ...]:
    """Write ``<serial>-preview.png/.svg/.zpl`` into ``folder``; refuses the printer's folder."""
    printed = printer_folder(printer_spec) if printer_spec else None
    if printed is not None and _same(folder, printed):
        raise PreviewRefused(
            f"{folder} is where the printer {printer_spec} puts printed labels: a preview there "
            "would look like a print; give another folder with --out, or - for standard output"
        )
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{file_stem(artwork.serial)}-preview"
    payloads = {
        ".png": artwork.png,
        ".svg": artwork.svg.encode("utf-8"),
        ".zpl": artwork.zpl.encode("utf-8"),
    }
    paths = []
    for suffix, payload in payloads.items():
        path = folder / f"{stem}{suffix}"
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".preview-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        paths.append(path)
    return tuple(paths)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
