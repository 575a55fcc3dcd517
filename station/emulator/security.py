"""Security modes and key entry (ref §6).

SEALED -> UNSEALED: two Write Words to 0x00, the unseal pair, the second within the key window of
the first and with no other transaction between them. UNSEALED -> FULL ACCESS: the same with the
full-access pair. Seal (MAC 0x0030) goes back to SEALED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from station.emulator.firmware import KeyWords

SecurityMode = Literal["SEALED", "UNSEALED", "FULL_ACCESS"]
MODES: tuple[SecurityMode, ...] = ("SEALED", "UNSEALED", "FULL_ACCESS")
#: OperationStatus SEC1:SEC0 (bits 9:8): 01 FULL ACCESS, 10 UNSEALED, 11 SEALED (ref §6.2).
SEC_BITS: dict[SecurityMode, int] = {"FULL_ACCESS": 0b01, "UNSEALED": 0b10, "SEALED": 0b11}


def as_mode(text: str) -> SecurityMode:
    for mode in MODES:
        if mode == text:
            return mode
    raise ValueError(f"unknown security mode {text!r}; known: {', '.join(MODES)}")


@dataclass
class _FirstWord:
    value: int
    at: float
    index: int


class Security:
    """The gauge's security mode, its keys and a pending first key word."""

    def __init__(self, mode: SecurityMode, keys: KeyWords) -> None:
        self.mode: SecurityMode = mode
        self.keys = keys
        self._first: _FirstWord | None = None

    def __repr__(self) -> str:
        return f"Security(mode={self.mode})"

    def word(self, value: int, *, now: float, index: int, window_s: float) -> bool:
        """A Write Word to 0x00 at transaction ``index``; True when it completed a key pair.

        Every word may be the first of a pair, so a word that does not complete one becomes the
        new pending first word.
        """
        first, self._first = self._first, None
        if first is not None and index == first.index + 1 and now - first.at <= window_s:
            pair = (first.value, value)
            if self.mode == "SEALED" and pair == self.keys.unseal:
                self.mode = "UNSEALED"
                return True
            if self.mode == "UNSEALED" and pair == self.keys.full_access:
                self.mode = "FULL_ACCESS"
                return True
        self._first = _FirstWord(value, now, index)
        return False

    def forget_first_word(self) -> None:
        self._first = None

    def seal(self) -> None:
        self.mode = "SEALED"
        self._first = None
