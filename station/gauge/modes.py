"""Security modes of the gauge and which commands each mode allows."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SecurityMode(enum.Enum):
    """OperationStatus SEC1:SEC0 (bits 9:8): 01 FULL ACCESS, 10 UNSEALED, 11 SEALED; 00 reserved."""

    FULL_ACCESS = 1
    UNSEALED = 2
    SEALED = 3

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    def __str__(self) -> str:
        return self.label


#: The modes in which data flash can be read and written.
DF_MODES = (SecurityMode.UNSEALED, SecurityMode.FULL_ACCESS)


@dataclass(frozen=True)
class ModeAccess:
    """What a command allows in each security mode: "" (refused), "r", "w" or "rw"."""

    sealed: str = ""
    unsealed: str = ""
    full_access: str = ""

    def for_mode(self, mode: SecurityMode) -> str:
        if mode is SecurityMode.SEALED:
            return self.sealed
        if mode is SecurityMode.UNSEALED:
            return self.unsealed
        return self.full_access

    def allows(self, mode: SecurityMode, op: str) -> bool:
        return op in self.for_mode(mode)

    def modes_for(self, op: str) -> tuple[SecurityMode, ...]:
        return tuple(m for m in SecurityMode if self.allows(m, op))

    def everywhere(self, op: str) -> bool:
        return len(self.modes_for(op)) == len(SecurityMode)


#: Shorthands for the tables.
ALL_R = ModeAccess("r", "r", "r")
ALL_W = ModeAccess("w", "w", "w")
ALL_RW = ModeAccess("rw", "rw", "rw")
US_R = ModeAccess("", "r", "r")
US_W = ModeAccess("", "w", "w")
FA_RW = ModeAccess("", "", "rw")
SE_R_US_RW = ModeAccess("r", "rw", "rw")
