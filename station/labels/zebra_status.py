"""The Zebra host status (``~HS``): what a printer says about itself after a label was sent.

A printer that took the bytes has not necessarily printed them. After the label the station asks
``~HS``; the printer answers three ``<STX>...<ETX><CR><LF>`` strings (ZPL II Programming Guide,
``~HS``). String 1 carries the paper-out, pause, partial-format, corrupt-RAM and temperature
flags, string 2 the head-up and ribbon-out flags. A printer with its media out, ribbon out or head
open does not answer at all. Only a well-formed answer with none of those flags counts as
"printed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOST_STATUS_QUERY = b"~HS"

_STRING = re.compile(rb"\x02([^\x02\x03]*)\x03")
#: field counts of strings 1 and 2 (string 3, password and RAM, is not needed)
_FIELDS_1 = 12
_FIELDS_2 = 11


class StatusUnreadable(ValueError):
    """The answer is not a host status (garbage, cut short)."""


@dataclass(frozen=True)
class HostStatus:
    paper_out: bool
    paused: bool
    formats_in_buffer: int
    partial_format: bool
    corrupt_ram: bool
    under_temperature: bool
    over_temperature: bool
    head_up: bool
    ribbon_out: bool
    thermal_transfer: bool

    def problems(self) -> list[str]:
        """What stops the label from being printed, in words (empty: nothing)."""
        out = []
        if self.paper_out:
            out.append("out of paper")
        if self.head_up:
            out.append("print head open")
        if self.ribbon_out and self.thermal_transfer:
            out.append("out of ribbon")
        if self.paused:
            out.append("paused")
        if self.partial_format:
            out.append("the label arrived incomplete")
        if self.corrupt_ram:
            out.append("its configuration was lost (corrupt RAM)")
        if self.under_temperature:
            out.append("too cold")
        if self.over_temperature:
            out.append("too hot")
        return out


def complete(answer: bytes) -> bool:
    """Whether ``answer`` holds the two status strings the station reads."""
    return len(_STRING.findall(answer)) >= 2


def parse_host_status(answer: bytes) -> HostStatus:
    """The status in a ``~HS`` answer; :class:`StatusUnreadable` when it is not one."""
    strings = _STRING.findall(answer)
    if len(strings) < 2:
        raise StatusUnreadable(f"no host status in the answer ({_shown(answer)})")
    first = _fields(strings[0], _FIELDS_1, 1)
    second = _fields(strings[1], _FIELDS_2, 2)
    flag = _flag
    return HostStatus(
        paper_out=flag(first[1]),
        paused=flag(first[2]),
        formats_in_buffer=int(first[4]),
        partial_format=flag(first[7]),
        corrupt_ram=flag(first[9]),
        under_temperature=flag(first[10]),
        over_temperature=flag(first[11]),
        head_up=flag(second[2]),
        ribbon_out=flag(second[3]),
        thermal_transfer=flag(second[4]),
    )


def _fields(raw: bytes, count: int, which: int) -> list[str]:
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise StatusUnreadable(f"status string {which} is not text ({_shown(raw)})") from None
    fields = [f.strip() for f in text.split(",")]
    if len(fields) != count or not all(re.fullmatch(r"[0-9]{1,8}", f) for f in fields):
        raise StatusUnreadable(f"status string {which} is not {count} numbers ({_shown(raw)})")
    return fields


def _flag(field: str) -> bool:
    if field not in ("0", "1"):
        raise StatusUnreadable(f"a status flag reads {field!r}, not 0 or 1")
    return field == "1"


def _shown(data: bytes, limit: int = 40) -> str:
    text = data[:limit].decode("ascii", "backslashreplace")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return repr(text) + ("..." if len(data) > limit else "") if data else "nothing"
