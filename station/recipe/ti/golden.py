"""Golden data-flash images: a raw 8 KiB dump or the data-flash range of an S-record file.

Bytes that cannot be compared after programming are masked: the non-writable tail 0x5F80-0x5FFF
always, ranges the recipe names (bytes the gauge rewrites itself), and per-unit fields (those are
compared against the per-unit values instead).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from station.files import IMPORT_LIMIT, read_limited
from station.recipe.errors import FileFormatError, Problem, unreadable
from station.recipe.profile.image import DF_END, DF_SIZE, DF_START, WRITABLE_END, DataFlashImage
from station.recipe.ti.srec import parse_srec

SREC_SUFFIXES = (".srec", ".s19", ".s28", ".s37", ".mot", ".sx")
_RANGE = re.compile(r"^\s*(0x[0-9A-Fa-f]{1,4})\s*(?:-\s*(0x[0-9A-Fa-f]{1,4}))?\s*$")


@dataclass(frozen=True)
class GoldenImage:
    """The data flash 0x4000-0x5FFF of a golden unit."""

    path: Path
    data: bytes  # DF_SIZE bytes
    present: bytes  # 1 where the file gave the byte
    no_verify: tuple[tuple[int, int], ...]  # inclusive address ranges never compared
    outside_bytes: int = 0  # bytes of the file outside data flash (firmware), ignored

    def byte(self, address: int) -> int | None:
        i = address - DF_START
        return self.data[i] if 0 <= i < DF_SIZE and self.present[i] else None

    def image(self) -> DataFlashImage:
        """The whole data flash as an image (bytes the file did not give read 0xFF)."""
        return DataFlashImage.from_bytes(DF_START, self.data)

    def masked(self, address: int) -> bool:
        if address >= WRITABLE_END:
            return True
        return any(lo <= address <= hi for lo, hi in self.no_verify)


def parse_ranges(items: Sequence[object], where: str, line: int | None) -> list[tuple[int, int]]:
    """``["0x4066-0x406B", "0x4100"]`` → inclusive ranges inside data flash."""
    out: list[tuple[int, int]] = []
    problems: list[Problem] = []
    for item in items:
        m = _RANGE.match(str(item))
        if not m:
            problems.append(
                Problem(
                    where,
                    line,
                    'a verify-mask range is "0x4066-0x406B" or "0x4100"',
                    value=repr(item),
                )
            )
            continue
        lo = int(m.group(1), 16)
        hi = int(m.group(2), 16) if m.group(2) else lo
        if not DF_START <= lo <= hi < DF_END:
            problems.append(
                Problem(
                    where,
                    line,
                    "a verify-mask range lies inside 0x4000-0x5FFF with its start before its end",
                    value=str(item),
                )
            )
            continue
        out.append((lo, hi))
    if problems:
        raise FileFormatError(problems)
    return out


def load_golden(path: Path, no_verify: Sequence[tuple[int, int]] = ()) -> GoldenImage:
    """A golden image from ``path`` (S-record by extension, else a raw dump of exactly 8 KiB)."""
    try:
        data = read_limited(path, IMPORT_LIMIT, what="golden image")
    except OSError as exc:
        raise FileFormatError([Problem(str(path), None, unreadable(exc))]) from None
    if path.suffix.lower() in SREC_SUFFIXES:
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise FileFormatError(
                [Problem(str(path), None, "an S-record file is ASCII text")]
            ) from None
        srec = parse_srec(text, str(path))
        image, present = srec.extract(DF_START, DF_END)
        if not any(present):
            raise FileFormatError(
                [
                    Problem(
                        str(path),
                        None,
                        "the S-record file holds no byte of "
                        "data flash (0x4000-0x5FFF): it is a firmware-only "
                        "image",
                    )
                ]
            )
        return GoldenImage(path, image, present, tuple(no_verify), srec.outside(DF_START, DF_END))
    if len(data) != DF_SIZE:
        raise FileFormatError(
            [
                Problem(
                    str(path),
                    None,
                    f"a raw data-flash dump is exactly "
                    f"{DF_SIZE} bytes (0x4000-0x5FFF); this file has "
                    f"{len(data)}",
                )
            ]
        )
    return GoldenImage(path, data, bytes([1]) * DF_SIZE, tuple(no_verify))
