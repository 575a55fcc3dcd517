"""Typed errors of the recipe layer, and the :class:`Problem` record every validation reports.

A :class:`Problem` says where (file, line), what (parameter, value), what is allowed and why it
matters. Validators collect every problem before raising, so an engineer fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from station.refusal import Refused


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, precise enough to fix without guessing."""

    file: str
    line: int | None
    why: str
    parameter: str | None = None
    value: str | None = None
    allowed: str | None = None
    code: str = "INVALID"

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        parts = [f"{self.location()}:"]
        if self.parameter is not None:
            parts.append(f"{self.parameter}")
            if self.value is not None:
                parts[-1] += f" = {self.value}"
            parts[-1] += ":"
        elif self.value is not None:
            parts.append(f"{self.value}:")
        parts.append(self.why)
        text = " ".join(parts)
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text


def undecodable_line(data: bytes, exc: UnicodeDecodeError) -> int:
    """The line (from 1) of ``data`` where it stops being text in the expected encoding."""
    return data[: exc.start].count(b"\n") + 1


def unreadable(exc: OSError) -> str:
    """Why a file could not be read, as every problem says it: ``cannot be read (...)``."""
    return f"cannot be read ({exc.strerror or exc})"


class RecipeError(Exception):
    """Base of the recipe layer's errors; ``failure_code`` is what the database records."""

    failure_code: ClassVar[str] = "RECIPE_ERROR"


class ProblemsError(RecipeError):
    """Several problems found in one file; ``str()`` lists them all, one per line."""

    failure_code: ClassVar[str] = "RECIPE_INVALID"
    headline: ClassVar[str] = "the file is not valid"

    def __init__(self, problems: Sequence[Problem], headline: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        head = headline or self.headline
        lines = [f"{head} ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"]
        lines.extend(f"  {p}" for p in self.problems)
        super().__init__("\n".join(lines))


class RecipeInvalid(ProblemsError):
    """A recipe breaks a rule; no pack may be programmed with it until it is fixed."""

    failure_code = "RECIPE_INVALID"
    headline = "recipe refused; fix the file and validate it again with `station recipe validate`"


class ProfileInvalid(ProblemsError):
    """A gauge profile is inconsistent (overlapping addresses, bad types, limits...)."""

    failure_code = "PROFILE_INVALID"
    headline = "gauge profile refused; an engineer must fix the profile file"


class FileFormatError(ProblemsError):
    """A TI file (.gg.csv, FlashStream, S-record, data-flash dump) is malformed."""

    failure_code = "FILE_FORMAT"
    headline = "file refused before touching any pack"


class ProfileNotFound(RecipeError):
    failure_code = "PROFILE_NOT_FOUND"


class CodecError(Refused):
    """A value does not fit its data-flash type (range, length, character set).

    Always a value from outside: a recipe, an imported file, a profile's type, bytes read from a
    pack. The readers turn it into a :class:`Problem` with the file and line; one that reaches a
    face unconverted is still the station declining that value. It is not a ``ValueError``: a
    ``ValueError`` from a bug is a station defect, never taken for a value that does not fit.
    """


class SerialRejected(RecipeError):
    """A scanned serial does not fit the recipe's rule; the pack must not be started."""

    failure_code = "SERIAL_REJECTED"


class UnverifiedWriteRefused(RecipeError):
    """Writing addresses nobody has confirmed for this firmware, on real hardware."""

    failure_code = "UNVERIFIED_ADDRESS"

    def __init__(
        self, profile_id: str, parameters: Iterable[str], *, disputes: Iterable[str] = ()
    ) -> None:
        self.profile_id = profile_id
        self.parameters = tuple(parameters)
        self.disputes = tuple(disputes)
        shown = ", ".join(self.parameters[:6])
        more = f" and {len(self.parameters) - 6} more" if len(self.parameters) > 6 else ""
        disputed = f" ({'; '.join(self.disputes)})" if self.disputes else ""
        super().__init__(
            f"nobody has confirmed the addresses of {shown}{more} in profile {profile_id!r} for "
            f"this firmware{disputed}; a wrong address can corrupt the gauge's configuration, so "
            "they are not written to a real pack. Nothing was written. Confirm each parameter on "
            "a reference pack (or against a bqStudio export of the same firmware) and record it "
            "in a [[signoff]] entry of the profile, or run on the emulator"
        )


class FirmwareMismatch(RecipeError):
    """The pack's gauge is not the one the recipe was written for."""

    failure_code = "FIRMWARE_MISMATCH"


class PlanError(RecipeError):
    """A write plan cannot be made (a block was not read, or the result would be unsafe)."""

    failure_code = "PLAN_ERROR"


class FlashStreamFailed(RecipeError):
    """A FlashStream line failed on the pack; execution stopped at that line."""

    failure_code = "FLASHSTREAM_FAILED"

    def __init__(self, line_number: int, text: str, reason: str, *, compare: bool) -> None:
        self.line_number = line_number
        self.text = text
        self.reason = reason
        self.compare = compare
        super().__init__(
            f"FlashStream stopped at line {line_number} ({text.strip()}): {reason}. The pack is "
            "partly programmed: do not ship it; re-run the recipe or send it to rework"
        )
