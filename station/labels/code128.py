"""Code 128 symbol for a pack serial: python-barcode's encoding, checked before anything is drawn.

python-barcode picks the code sets (B for text, C for runs of digits). Its 0.16.1 release drops
a leading "99" (the data value 99 is mistaken for a switch to set C), so every encoding is decoded
back here and compared with the serial; when they differ the serial is encoded in set B alone,
which can always carry printable ASCII. The same symbol values drive the PNG/SVG bars and the
ZPL field data, so the printer draws exactly the bars the preview shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from barcode import Code128
from barcode.charsets import code128 as tables

from station.labels.errors import LabelEncodingError

START_A, START_B, START_C = 103, 104, 105
CODE_A, CODE_B, CODE_C = 101, 100, 99
STOP_MODULES = 13  # stop pattern (11) plus the final 2-module termination bar
QUIET_ZONE_MODULES = 10  # ISO/IEC 15417: at least 10 X on each side


@dataclass(frozen=True)
class Code128Symbol:
    """Symbol values (start, data, check; stop excluded) and the module string they draw."""

    text: str
    values: tuple[int, ...]
    modules: str  # "1" bar module, "0" space module, start to termination bar, no quiet zones

    @property
    def width_modules(self) -> int:
        return len(self.modules)


def encode(serial: str) -> Code128Symbol:
    """Encode a serial (printable ASCII), verified to decode back to itself."""
    values = list(Code128(serial).encoded)  # a fresh instance: it keeps code-set state
    values.append(checksum(values))
    if decode(values) != serial:
        # python-barcode lost data (see the module docstring): fall back to set B only
        values = [START_B, *(ord(char) - 32 for char in serial)]
        values.append(checksum(values))
    symbol = Code128Symbol(serial, tuple(values), modules_for(values))
    if decode(symbol.values) != serial:
        raise LabelEncodingError(
            f"the Code 128 symbol for serial {serial!r} decodes to {decode(symbol.values)!r}; "
            "the label is not made"
        )
    return symbol


def checksum(values: list[int] | tuple[int, ...]) -> int:
    """Modulo-103 check value over the start code and the data values."""
    return (values[0] + sum(pos * value for pos, value in enumerate(values[1:], start=1))) % 103


def modules_for(values: list[int] | tuple[int, ...]) -> str:
    patterns: list[str] = [tables.CODES[value] for value in values]
    return "".join(patterns) + str(tables.STOP) + "11"


def decode(values: list[int] | tuple[int, ...]) -> str:
    """Text carried by start, data and check values; raises on a bad check or a bad value.

    Written from the Code 128 value tables, independently of python-barcode's encoder.
    """
    if len(values) < 2 or values[0] not in (START_A, START_B, START_C):
        raise LabelEncodingError(f"Code 128 values {list(values)} do not begin with a start code")
    if checksum(values[:-1]) != values[-1]:
        raise LabelEncodingError(f"Code 128 values {list(values)} have a wrong check value")
    code_set = {START_A: "A", START_B: "B", START_C: "C"}[values[0]]
    out: list[str] = []
    for value in values[1:-1]:
        if code_set != "A" and value == CODE_A:
            code_set = "A"
        elif code_set != "B" and value == CODE_B:
            code_set = "B"
        elif code_set != "C" and value == CODE_C:
            code_set = "C"
        elif code_set == "C" and value < 100:
            out.append(f"{value:02d}")
        elif code_set == "B" and value < 96:
            out.append(chr(value + 32))
        elif code_set == "A" and value < 96:
            out.append(chr(value + 32) if value < 64 else chr(value - 64))
        else:
            raise LabelEncodingError(
                f"Code 128 value {value} is not used for serials (code set {code_set})"
            )
    return "".join(out)
