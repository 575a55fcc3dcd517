"""Text from outside the terminal (the service, the database, a scanner) made safe to show.

Anything the station did not write itself is shown as plain text: never parsed as markup (a
``[/]`` in a badge or a reason must not end the terminal), and with control characters shown
as visible codes, so an escape sequence in a serial cannot reach the real terminal.
"""

from __future__ import annotations

from textual.content import Content

#: what a control character looks like on screen: the Unicode "control picture" (␛, ␀, ␇ …)
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "␡"}


def printable(text: str) -> str:
    """``text`` with every control character (C0, DEL, C1) replaced by a visible picture."""
    out = []
    for char in text:
        code = ord(char)
        if code in _PICTURES and char not in "\n":
            out.append(_PICTURES[code])
        elif 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        else:
            out.append(char)
    return "".join(out)


def plain(text: str) -> Content:
    """Service text as plain content: no markup is interpreted, control characters shown."""
    return Content(printable(text))


def only_printable(text: str) -> str:
    """What a field keeps of typed or pasted text: printable characters only, one line."""
    line = text.splitlines()[0] if text else ""
    return "".join(c for c in line if c.isprintable())


def markup(template: str, **values: str) -> Content:
    """The station's own ``template`` (Textual markup) with ``values`` inserted as plain text."""
    return Content.from_markup(template, **{k: printable(v) for k, v in values.items()})
