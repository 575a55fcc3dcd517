"""ZPL II for Zebra printers: the printer draws the Code 128 bars itself at full resolution.

Field data is made safe two ways:

- text fields use ``^FH_``: ``^``, ``~``, ``_`` and every non-ASCII character (as its UTF-8
  bytes, the label runs ``^CI28``) are written as ``_XX`` hex, so no command prefix can appear
  inside field data;
- the bar code field carries the exact Code 128 symbol values of the preview, written with the
  ``^BC`` invocation codes: ``>:``/``>;``/``>9`` start set B/C/A, ``>5``/``>6``/``>7`` switch to
  C/B/A, and the three characters ``^BC`` cannot take literally are ``>0`` (``>``), ``><``
  (``^``) and ``>=`` (``~``). The printer adds the check character and the stop pattern.
"""

from __future__ import annotations

from station.labels.code128 import CODE_A, CODE_B, CODE_C, START_A, START_B, START_C
from station.labels.layout import LabelLayout

_STARTS = {START_A: (">9", "A"), START_B: (">:", "B"), START_C: (">;", "C")}
_SWITCHES = {CODE_A: (">7", "A"), CODE_B: (">6", "B"), CODE_C: (">5", "C")}
_BC_SPECIAL = {">": ">0", "^": "><", "~": ">="}


def escape_field(text: str) -> str:
    """Field data for a ``^FH_`` field: printable ASCII as is, the rest as ``_XX`` hex bytes."""
    out: list[str] = []
    for char in text:
        if " " <= char <= "~" and char not in "^~_":
            out.append(char)
        else:
            out.extend(f"_{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def barcode_field_data(values: tuple[int, ...]) -> str:
    """``^BC`` field data for symbol values (start, data, check); the check value is dropped."""
    if values[0] not in _STARTS:
        raise ValueError(f"Code 128 values must begin with a start code, got {values[0]}")
    prefix, code_set = _STARTS[values[0]]
    out = [prefix]
    for value in values[1:-1]:
        if value in _SWITCHES and _SWITCHES[value][1] != code_set:
            invocation, code_set = _SWITCHES[value]
            out.append(invocation)
        elif code_set == "C" and value < 100:
            out.append(f"{value:02d}")
        elif value < (96 if code_set == "B" else 64):
            char = chr(value + 32)
            out.append(_BC_SPECIAL.get(char, char))
        else:
            raise ValueError(f"Code 128 value {value} in set {code_set} is not used for serials")
    return "".join(out)


def zpl_from_layout(layout: LabelLayout) -> str:
    stock = layout.stock
    page_w = stock.width_dots
    portrait = stock.orientation == "portrait"
    rotation = "R" if portrait else "N"

    def origin(x: int, y: int, thickness: int) -> str:
        # portrait turns the landscape artwork clockwise: a box at (x, y), `thickness` tall,
        # lands with its top-left corner at (page_w - y - thickness, x)
        if portrait:
            return f"^FO{page_w - y - thickness},{x}"
        return f"^FO{x},{y}"

    lines = ["^XA", "^CI28", f"^PW{page_w}", f"^LL{stock.height_dots}", "^LH0,0"]
    for box in layout.boxes:
        size = f"{box.height},{box.width}" if portrait else f"{box.width},{box.height}"
        lines.append(f"{origin(box.x, box.y, box.height)}^GB{size},{box.thickness}^FS")
    for text in layout.texts:
        lines.append(
            f"{origin(text.x, text.y, text.height)}^A0{rotation},{text.height},{text.height}"
            f"^FH_^FD{escape_field(text.text)}^FS"
        )
    bc = layout.barcode
    data = barcode_field_data(bc.symbol.values)
    if portrait:
        # ^FO places the whole rotated field, interpretation line included, and that line's
        # depth is the printer's choice: print the bars alone and the serial as its own field.
        lines.append(
            f"{origin(bc.x, bc.y, bc.bar_height)}^BY{bc.module_dots}"
            f"^BC{rotation},{bc.bar_height},N,N,N^FD{data}^FS"
        )
        text_x = bc.x + (bc.bars_width - bc.text_width) // 2
        text_y = bc.y + bc.bar_height + bc.text_gap
        lines.append(
            f"{origin(text_x, text_y, bc.text_height)}^A0{rotation},{bc.text_height},"
            f"{bc.text_height}^FH_^FD{escape_field(bc.symbol.text)}^FS"
        )
    else:
        # the font command before ^BC sets the interpretation line's font
        lines.append(
            f"{origin(bc.x, bc.y, bc.bar_height)}^BY{bc.module_dots}"
            f"^A0N,{bc.text_height},{bc.text_height}"
            f"^BCN,{bc.bar_height},Y,N,N^FD{data}^FS"
        )
    lines.append("^XZ")
    return "\n".join(lines) + "\n"
