"""The serial-number rule: which scanned serials a recipe accepts and what each one writes.

A recipe gives a regular expression with named groups, an example (shown on the operator screen,
and checked against the pattern), how a group becomes the 16-bit SBS SerialNumber, and a template
for Manufacturer Info A (``{serial}`` is the whole scanned text, ``{name}`` a named group).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from station.recipe.errors import SerialRejected

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


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
                f"serial {serial!r} does not match this recipe's pattern {self.pattern} "
                f"(example: {self.example}); check the label or the recipe chosen for this line"
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
