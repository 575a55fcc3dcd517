"""Finding a command in one of the driver's tables by code or by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def look_up(
    by_code: Mapping[int, T], by_name: Mapping[str, T], which: int | str, *, what: str, digits: int
) -> T:
    """The entry for a code or a name (case-insensitive); a KeyError that names what was asked
    (``what``: "a MAC command"; ``digits``: how many hex digits a code shows)."""
    if isinstance(which, int):
        found, shown = by_code.get(which), f"0x{which:0{digits}X}"
    else:
        found, shown = by_name.get(which.strip().lower()), repr(which)
    if found is None:
        raise KeyError(f"{shown} is not {what} this driver knows")
    return found
