"""The serial-number rule: which scanned serials a recipe accepts and what each one writes.

A recipe gives a regular expression with named groups, an example (shown on the operator screen,
and checked against the pattern), how a group becomes the 16-bit SBS SerialNumber, and a template
for Manufacturer Info A (``{serial}`` is the whole scanned text, ``{name}`` a named group).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from station.recipe.errors import SerialRejected

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")

_COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_CLASSES = {
    "digit": "digit",
    "0-9": "digit",
    "A-Z": "capital letter",
    "a-z": "small letter",
    "0-9A-F": "hexadecimal digit",
    "A-F0-9": "hexadecimal digit",
    "0-9A-Fa-f": "hexadecimal digit",
    "A-Z0-9": "capital letter or digit",
    "0-9A-Z": "capital letter or digit",
}


def describe_pattern(pattern: str) -> str | None:
    """A serial pattern in an operator's words (``PK4S-`` and six digits), or None when it
    uses more of the regular-expression language than fixed text and counted character classes.
    """
    try:
        from re import _parser as parser  # type: ignore[attr-defined]

        tree = parser.parse(pattern)
    except Exception:
        return None
    words = _PatternWords()
    if not words.walk(tree) or not words.done():
        return None
    parts = words.parts
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _class_words(node: tuple[Any, Any]) -> str | None:
    """A character class the operator knows (``[0-9]``, ``[A-Z]``…) in words, else None."""
    op, arg = node
    if str(op) != "IN":
        return None
    items = []
    for sub_op, sub_arg in arg:
        if str(sub_op) == "CATEGORY" and str(sub_arg) == "CATEGORY_DIGIT":
            items.append("0-9")
        elif str(sub_op) == "RANGE":
            items.append(f"{chr(sub_arg[0])}-{chr(sub_arg[1])}")
        else:
            return None
    return _CLASSES.get("".join(items))


class _PatternWords:
    """Walks a parsed pattern, gathering its parts in words: fixed text and counted classes."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.literal = ""

    def flush(self) -> None:
        if self.literal:
            self.parts.append(f'"{self.literal}"')
            self.literal = ""

    def done(self) -> bool:
        """Flush the last fixed text; False when the pattern said nothing at all."""
        self.flush()
        return bool(self.parts)

    def walk(self, nodes: Any) -> bool:
        for op, arg in nodes:
            name = str(op)
            if name == "AT":  # ^ and $: a serial is always matched whole
                continue
            if name == "LITERAL":
                self.literal += chr(arg)
            elif name == "SUBPATTERN":
                if not self.walk(arg[-1]):
                    return False
            elif name == "MAX_REPEAT":
                if not self.counted(*arg):
                    return False
            elif not self.counted(1, 1, [(op, arg)]):  # one character of a class
                return False
        return True

    def counted(self, low: int, high: int, body: Any) -> bool:
        if len(body) != 1 or low != high or not 0 < low < len(_COUNTS):
            return False
        what = _class_words(body[0])
        if what is None:
            return False
        self.flush()
        self.parts.append(f"{_COUNTS[low]} {what}{'s' if low > 1 else ''}")
        return True


def template_names(template: str) -> list[str]:
    """Placeholders used by a template; ``ValueError`` for a lone brace."""
    names = []
    for m in _PLACEHOLDER.finditer(template):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if m.group(1) is None:
            raise ValueError(f"lone {token!r} in {template!r}; write {token * 2} for a brace")
        names.append(m.group(1))
    return names


def fill_template(template: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values[m.group(1)]

    return _PLACEHOLDER.sub(sub, template)


@dataclass(frozen=True)
class UnitIdentity:
    """What one scanned serial writes into its pack."""

    serial: str
    sbs_serial: int | None
    manufacturer_info_a: str | None


@dataclass(frozen=True)
class SerialRule:
    pattern: str
    example: str
    sbs_group: str | None = None
    sbs_base: int = 10
    sbs_modulo: int | None = None
    manufacturer_info_a: str | None = None
    info_a_size: int = 32
    manufacture_date: bool = True

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @cached_property
    def form(self) -> str:
        """The expected form in words: "PK4S- and six digits, e.g. PK4S-000123"."""
        words = describe_pattern(self.pattern)
        example = self.example if self.regex.fullmatch(self.example) else ""
        if words:
            return f"{words}, e.g. {example}" if example else words
        return f"a serial like {example}" if example else f"a match for {self.pattern}"

    def identify(self, serial: str) -> UnitIdentity:
        """The per-unit values for ``serial``; :class:`SerialRejected` when it does not fit."""
        if not all(0x20 < ord(c) <= 0x7E for c in serial):
            # A serial goes into a Code 128 barcode and the database: printable ASCII only, so
            # another script's digits (which a \d in the pattern would take) cannot make a
            # second serial for the same unit number.
            raise SerialRejected(
                f"serial {serial!r} holds characters other than printable ASCII (letters, "
                "digits, punctuation, no spaces); scan the label again or type it in plain ASCII"
            )
        m = self.regex.fullmatch(serial)
        if m is None:
            raise SerialRejected(
                f"serial {serial!r} is not a serial of this recipe: expected {self.form}; "
                "check the label or the recipe chosen for this line"
            )
        groups = {k: v for k, v in m.groupdict().items() if v is not None}
        sbs: int | None = None
        if self.sbs_group is not None:
            text = groups.get(self.sbs_group, "")
            try:
                number = int(text, self.sbs_base)
            except ValueError:
                raise SerialRejected(
                    f"serial {serial!r}: group {self.sbs_group!r} = {text!r} is not a base-"
                    f"{self.sbs_base} number, so no SBS serial number can be made from it"
                ) from None
            if self.sbs_modulo is not None:
                number %= self.sbs_modulo
            if not 0 <= number <= 0xFFFF:
                raise SerialRejected(
                    f"serial {serial!r}: {number} does not fit the 16-bit SBS SerialNumber "
                    "(0-65535); this serial cannot be programmed with this recipe"
                )
            sbs = number
        info: str | None = None
        if self.manufacturer_info_a is not None:
            info = fill_template(self.manufacturer_info_a, {**groups, "serial": serial})
            if len(info) > self.info_a_size or not all(0x20 <= ord(c) <= 0x7E for c in info):
                raise SerialRejected(
                    f"serial {serial!r}: Manufacturer Info A would be {info!r}, more than "
                    f"{self.info_a_size} printable ASCII characters"
                )
        return UnitIdentity(serial, sbs, info)
