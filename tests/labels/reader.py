"""A bar code reader and a ZPL reader written for the tests, independently of station.labels.

The Code 128 pattern table below is the symbology's own (bar/space widths in modules, value 0 to
105, then stop), typed from the standard rather than taken from python-barcode.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from itertools import groupby

from PIL import Image

_TABLE = """
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213
221312 231212 112232 122132 122231 113222 123122 123221 223211 221132
221231 213212 223112 312131 311222 321122 321221 312212 322112 322211
212123 212321 232121 111323 131123 131321 112313 132113 132311 211313
231113 231311 112133 112331 132131 113123 113321 133121 313121 211331
231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
314111 221411 431111 111224 111422 121124 121421 141122 141221 112214
112412 122114 122411 142112 142211 241211 221114 413111 241112 134111
111242 121142 121241 114212 124112 124211 411212 421112 421211 212141
214121 412121 111143 111341 131141 114113 114311 411113 411311 113141
114131 311141 411131 211412 211214 211232
"""
WIDTHS = tuple(_TABLE.split())
STOP = "2331112"
VALUE_OF = {pattern: value for value, pattern in enumerate(WIDTHS)}
START_SETS = {103: "A", 104: "B", 105: "C"}


def modules_of(widths: str) -> str:
    """``"2331112"`` → ``"11000111010" + "11"``: bar first, alternating."""
    out = []
    for index, width in enumerate(widths):
        out.append(("1" if index % 2 == 0 else "0") * int(width))
    return "".join(out)


def modules_for_values(values: list[int] | tuple[int, ...]) -> str:
    return "".join(modules_of(WIDTHS[value]) for value in values) + modules_of(STOP)


def check_value(values: list[int] | tuple[int, ...]) -> int:
    return (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103


def text_of_values(values: list[int] | tuple[int, ...]) -> str:
    """Start code, data values and check value → text (raises AssertionError on a bad symbol)."""
    assert values[0] in START_SETS, f"no start code: {values}"
    assert check_value(values[:-1]) == values[-1], f"bad check value: {values}"
    code_set = START_SETS[values[0]]
    out = []
    for value in values[1:-1]:
        switch = {99: "C", 100: "B", 101: "A"}.get(value)
        if switch and switch != code_set:
            code_set = switch
        elif code_set == "C":
            assert value < 100
            out.append(f"{value:02d}")
        else:
            assert value < 96, f"unexpected value {value} in set {code_set}"
            out.append(chr(value + 32) if code_set == "B" or value < 64 else chr(value - 64))
    return "".join(out)


@dataclass(frozen=True)
class Scan:
    text: str
    module: int  # module width in pixels
    quiet_left: int  # quiet zones in modules
    quiet_right: int


def scan_row(row: list[int]) -> Scan | None:
    """Decode one row of pixels (0 = black); every element must be a whole number of modules."""
    runs = [(black, len(list(group))) for black, group in groupby(pixel == 0 for pixel in row)]
    for start in range(1, len(runs)):
        if not runs[start][0] or runs[start - 1][0]:
            continue
        found = _scan_from(runs, start)
        if found is not None:
            return found
    return None


def _scan_from(runs: list[tuple[bool, int]], start: int) -> Scan | None:
    first = [width for _, width in runs[start : start + 6]]
    if len(first) < 6 or sum(first) % 11:
        return None
    module = sum(first) // 11
    values: list[int] = []
    index = start
    while True:
        stop = [width for _, width in runs[index : index + 7]]
        exact = len(stop) == 7 and all(w % module == 0 for w in stop)
        if exact and "".join(str(w // module) for w in stop) == STOP:
            break
        chunk = [width for _, width in runs[index : index + 6]]
        if len(chunk) < 6 or any(w % module for w in chunk):
            return None
        pattern = "".join(str(w // module) for w in chunk)
        if pattern not in VALUE_OF:
            return None
        values.append(VALUE_OF[pattern])
        index += 6
    if len(values) < 2 or values[0] not in START_SETS:
        return None
    try:
        text = text_of_values(values)
    except AssertionError:
        return None
    left = runs[start - 1][1] // module
    right = runs[index + 7][1] // module if index + 7 < len(runs) else 0
    return Scan(text, module, left, right)


def scan_image(image: Image.Image) -> list[Scan]:
    """Every row of a 1-bit or greyscale image that decodes as Code 128."""
    grey = image.convert("L")
    width, height = grey.size
    raw = grey.tobytes()
    found = []
    for y in range(height):
        row = [0 if value < 128 else 255 for value in raw[y * width : (y + 1) * width]]
        scan = scan_row(row)
        if scan is not None:
            found.append(scan)
    return found


def scan_png(png: bytes, *, portrait: bool = False) -> list[Scan]:
    image = Image.open(io.BytesIO(png))
    if portrait:
        image = image.transpose(Image.Transpose.ROTATE_90)  # undo the clockwise turn
    return scan_image(image)


# --- ZPL -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZplField:
    commands: str  # everything between the previous ^FS and ^FD
    data: str  # raw field data between ^FD and ^FS

    @property
    def hex_indicator(self) -> str | None:
        match = re.search(r"\^FH(.?)", self.commands)
        if match is None:
            return None
        return match[1] if match[1] and match[1] != "^" else "_"

    @property
    def is_code128(self) -> bool:
        return "^BC" in self.commands

    def text(self) -> str:
        """The data as the printer sees it after ^FH hex decoding (or ^BC invocation codes)."""
        if self.is_code128:
            return decode_bc_data(self.data)
        indicator = self.hex_indicator
        return unescape_hex(self.data, indicator) if indicator else self.data


def zpl_fields(zpl: str) -> list[ZplField]:
    fields = []
    for chunk in zpl.split("^FS")[:-1]:
        commands, marker, data = chunk.partition("^FD")
        if marker:
            fields.append(ZplField(commands, data))
    return fields


def unescape_hex(data: str, indicator: str = "_") -> str:
    raw = bytearray()
    index = 0
    while index < len(data):
        if data[index] == indicator:
            raw.append(int(data[index + 1 : index + 3], 16))
            index += 3
        else:
            raw.extend(data[index].encode("utf-8"))
            index += 1
    return raw.decode("utf-8")


_INVOCATION = {
    "><": 62,
    ">0": 30,
    ">=": 94,
    ">1": 95,
    ">2": 96,
    ">3": 97,
    ">4": 98,
    ">5": 99,
    ">6": 100,
    ">7": 101,
    ">8": 102,
}
_STARTS = {">9": 103, ">:": 104, ">;": 105}


def bc_values(data: str) -> list[int]:
    """``^BC`` field data (mode N) → symbol values with a computed check value."""
    values = []
    index = 0
    code_set = "B"
    if data[:2] in _STARTS:
        values.append(_STARTS[data[:2]])
        code_set = START_SETS[values[0]]
        index = 2
    else:
        values.append(104)
    while index < len(data):
        pair = data[index : index + 2]
        if data[index] == ">":
            value = _INVOCATION[pair]
            values.append(value)
            index += 2
            switch = {99: "C", 100: "B", 101: "A"}.get(value)
            if switch is not None and switch != code_set:
                code_set = switch
            continue
        if code_set == "C":
            assert re.fullmatch(r"\d\d", pair), f"bad set C pair {pair!r} in {data!r}"
            values.append(int(pair))
            index += 2
        else:
            values.append(ord(data[index]) - 32)
            index += 1
    values.append(check_value(values))
    return values


def decode_bc_data(data: str) -> str:
    return text_of_values(bc_values(data))
