"""TOML tables declared once, as typed models: each table is a frozen dataclass whose fields say
which entries the table holds, of what kind, with what default and what is wrong with a bad value.

A :class:`Reader` reads a parsed file table by table into those dataclasses. It never stops at a
problem: each one is recorded with its file and line (positions from :mod:`tomltext`), the entry
it concerns and what is allowed, and the entry gets its kind's fallback so the rest of the file
is still read. Rules that need more than one entry, or another file (a gauge profile), are
explicit functions of the loaders that use this module.

A field takes part when it is declared with :func:`entry`; other fields (set by the loader) are
left to their defaults.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from station.recipe import tomltext
from station.recipe.errors import Problem
from station.recipe.units import UnitError, convert, parse_quantity

T = TypeVar("T")
KeyPath = tuple[str, ...]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: What an entry holds when the file does not write it.
MISSING: Any = _Missing()


@dataclass(frozen=True)
class Style:
    """How one kind of file words its problems."""

    #: how a value the file holds reads in a problem
    show: Callable[[object], str]
    #: the problem of an entry that must be text and is not ("{key}" is the entry's name)
    not_text: str
    #: whether text entries lose their surrounding blanks
    strip: bool
    #: whether a problem of an entry names it ("serial.example") as its parameter
    names_entries: bool
    #: the code of a problem that does not give its own
    code: str


@dataclass
class Reader:
    """Reads the tables of one parsed TOML file and collects every problem found in it."""

    file: str
    lines: Mapping[KeyPath, int]
    style: Style
    #: the folder relative file names are resolved against
    base: Path = Path()
    problems: list[Problem] = field(default_factory=list)

    def line(self, *path: str) -> int | None:
        return tomltext.line_of(self.lines, *path)

    def add(
        self,
        path: Sequence[str],
        why: str,
        *,
        parameter: str | None = None,
        value: str | None = None,
        allowed: str | None = None,
        code: str | None = None,
        line: int | _Missing | None = MISSING,
    ) -> None:
        """A problem at ``path`` (its line, or the nearest written parent's)."""
        if parameter is None and self.style.names_entries and len(path) >= 2:
            parameter = ".".join(path[:2])  # the entry, e.g. serial.example
        self.problems.append(
            Problem(
                self.file,
                self.line(*path) if isinstance(line, _Missing) else line,
                why,
                parameter=parameter,
                value=value,
                allowed=allowed,
                code=code or self.style.code,
            )
        )

    def tables(self, doc: Mapping[str, Any], known: Collection[str]) -> None:
        """Name every table of ``doc`` that is not one of ``known``."""
        for key in doc:
            if key not in known:
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f"; did you mean [{close[0]}]?" if close else ""
                self.add([key], f"unknown table [{key}]{hint}", allowed=", ".join(sorted(known)))

    def table(
        self, doc: Mapping[str, Any], name: str, model: type[T], *, required: bool = True
    ) -> T:
        """Top-level table ``[name]`` of ``doc`` read into ``model``; a table that is missing,
        not a table, or holds entries ``model`` does not declare is a problem."""
        return self.entries(self.raw_table(doc, name, model, required=required), model, (name,))

    def raw_table(
        self,
        doc: Mapping[str, Any],
        name: str,
        model: type[Any] | None = None,
        *,
        required: bool = True,
    ) -> dict[str, Any]:
        """Top-level table ``[name]`` as written (``{}`` when it is missing or not a table);
        its entries are checked against ``model``'s when one is given."""
        value = doc.get(name)
        if value is None:
            if required:
                self.add([], f"the [{name}] table is missing")
            return {}
        if not isinstance(value, dict):
            self.add([name], f"{name} must be a table ([{name}])")
            return {}
        if model is not None:
            allowed = sorted(names(model))
            for key in value:
                if key not in allowed:
                    close = difflib.get_close_matches(key, allowed, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    self.add(
                        [name, key],
                        f"unknown entry {key!r} in [{name}]{hint}",
                        allowed=", ".join(allowed),
                    )
        return value

    def entries(
        self, table: Mapping[str, Any], model: type[T], path: KeyPath, *, line: int | None = None
    ) -> T:
        """``model`` from the entries of ``table`` (found at ``path``), in declaration order;
        ``line``, when given, is where every problem of these entries is reported."""
        values: dict[str, object] = {}
        for f in fields(model):  # type: ignore[arg-type]
            kind = f.metadata.get("entry")
            if isinstance(kind, Kind):
                at = Place(self, (*path, f.name), f.name in table, line)
                values[f.name] = kind.read(at, table.get(f.name, MISSING))
        return model(**values)


@dataclass(frozen=True)
class Place:
    """Where an entry is: the reader, its key path, and whether the file writes it."""

    reader: Reader
    path: KeyPath
    present: bool
    pinned: int | None = None

    @property
    def key(self) -> str:
        return self.path[-1]

    @property
    def style(self) -> Style:
        return self.reader.style

    def add(
        self,
        why: str,
        *,
        value: str | None = None,
        allowed: str | None = None,
        on_table: bool = False,
    ) -> None:
        """A problem of this entry, on its own line, or on its table's (``on_table``, or when
        the file does not write the entry)."""
        path = self.path if self.present and not on_table else self.path[:-1]
        line: int | _Missing | None = MISSING if self.pinned is None else self.pinned
        self.reader.add(path, why, value=value, allowed=allowed, line=line)


class Kind:
    """What an entry holds. :meth:`read` returns the value, or the fallback after a problem."""

    default: object = MISSING

    def read(self, at: Place, value: object) -> object:
        raise NotImplementedError


def entry(kind: Kind) -> Any:
    """Declare a dataclass field as a TOML entry of ``kind``."""
    default = kind.default
    if isinstance(default, _Missing):
        default = None
    return field(default=default, metadata={"entry": kind})


def names(model: type[Any]) -> list[str]:
    """The entries ``model`` declares, in order."""
    return [f.name for f in fields(model) if isinstance(f.metadata.get("entry"), Kind)]


# -- kinds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw(Kind):
    """Anything; judged by a loader function (against a profile, say)."""

    default: object = None

    def read(self, at: Place, value: object) -> object:
        return self.default if value is MISSING else value


@dataclass(frozen=True)
class Loose(Kind):
    """Whatever is written, made text (an entry nothing depends on)."""

    default: object = ""
    many: bool = False

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return self.default
        if self.many:
            return tuple(str(v) for v in value)  # type: ignore[attr-defined]
        return str(value)


@dataclass(frozen=True)
class Text(Kind):
    """Text in quotes; optionally required and of a pattern."""

    required: bool = False
    pattern: re.Pattern[str] | None = None
    #: why a value off the pattern is refused, and what is allowed
    why: str = ""
    allowed: str | None = None
    #: an empty text is read as None
    blank_is_none: bool = False
    default: object = ""

    def read(self, at: Place, value: object) -> object:
        text = "" if value is MISSING else value
        if not isinstance(text, str):
            at.add(at.style.not_text.format(key=at.key), value=at.style.show(text))
            text = ""
        elif self.required and not text.strip():
            at.add(f"{at.key} is required")
        if at.style.strip:
            text = text.strip()
        if text and self.pattern is not None and not self.pattern.match(text):
            at.add(self.why, value=repr(text), allowed=self.allowed)
        return None if self.blank_is_none and not text else text


@dataclass(frozen=True)
class Flag(Kind):
    """true or false."""

    default: bool = False

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return self.default
        if not isinstance(value, bool):
            at.add(f"{at.key} is true or false", value=at.style.show(value))
            return self.default
        return value


@dataclass(frozen=True)
class Choice(Kind):
    """One of a few words (``options`` may be a function: choices that are data)."""

    options: Collection[str] | Callable[[], Collection[str]] = ()
    why: str = ""
    default: object = MISSING
    #: list the options as what is allowed
    lists_options: bool = False
    #: what a refused value is read as
    fallback: object = None
    #: the problem shows the refused value
    shows_value: bool = True

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            value = self.default
        options = self.options() if callable(self.options) else self.options
        if not isinstance(value, str) or value not in options:
            allowed = ", ".join(sorted(options)) if self.lists_options else None
            shown = at.style.show(value) if self.shows_value else None
            at.add(self.why, value=shown, allowed=allowed)
            return self.fallback
        return value


@dataclass(frozen=True)
class WholeNumber(Kind):
    """A whole number from ``low`` to ``high``, written as a number or as text ("0x4500")."""

    low: int = 0
    high: int = 0
    example: str = ""
    default: object = MISSING

    def read(self, at: Place, value: object) -> object:
        try:
            if isinstance(value, bool):
                raise ValueError
            number = value if isinstance(value, int) else int(str(value), 0)
        except (TypeError, ValueError):
            shown = repr(None) if value is MISSING else at.style.show(value)
            at.add(f"{at.key} must be a number ({self.example})", value=shown)
            return 0
        if not self.low <= number <= self.high:
            at.add(
                f"{at.key} is out of range", value=str(number), allowed=f"{self.low}..{self.high}"
            )
        return number


@dataclass(frozen=True)
class Texts(Kind):
    """A non-empty list of text entries of one pattern (firmware versions, say)."""

    why: str = ""
    pattern: re.Pattern[str] | None = None
    item_why: str = ""
    #: an entry that is not text fails the list as a whole (else it fails the pattern)
    all_text: bool = True
    default: object = ()

    def read(self, at: Place, value: object) -> object:
        items = [] if value is MISSING else value
        if (
            not isinstance(items, list)
            or not items
            or (self.all_text and not all(isinstance(v, str) for v in items))
        ):
            at.add(self.why)
            return ()
        for item in items:
            if not isinstance(item, str) or (self.pattern and not self.pattern.match(item)):
                at.add(self.item_why, value=repr(item))
        return tuple(str(v) if not isinstance(v, str) else v for v in items)


@dataclass(frozen=True)
class WholeNumbers(Kind):
    """A list of whole numbers (possibly empty)."""

    why: str = ""
    default: object = ()

    def read(self, at: Place, value: object) -> object:
        items = [] if value is MISSING else value
        if not isinstance(items, list) or not all(isinstance(v, int) for v in items):
            at.add(self.why)
            return ()
        return tuple(items)


def quantity(at: Place, value: object, unit: str) -> Fraction | None:
    """A number in ``unit``, or a text with its own unit ("4.2 V"); None after a problem."""
    try:
        if isinstance(value, bool):
            raise UnitError("true/false is not a quantity")
        if isinstance(value, float) and not math.isfinite(value):
            raise UnitError(f"{value} is not a quantity")
        if isinstance(value, int | float):
            return Fraction(Decimal(repr(value)) if isinstance(value, float) else value)
        if not isinstance(value, str):
            raise UnitError("a quantity is a number or a string with a unit")
        q = parse_quantity(value)
        return convert(Fraction(q.number), q.unit, unit) if q.unit else Fraction(q.number)
    except UnitError as exc:
        at.add(f"{exc} (expected {unit})", value=at.style.show(value))
        return None


@dataclass(frozen=True)
class QuantityEntry(Kind):
    """A quantity in ``unit``: ``"4250 mV"``, ``"4.25 V"`` or a plain number in ``unit``."""

    unit: str = ""
    #: the problem of a missing entry ("{key}" is its name); None: the entry is optional
    required: str | None = None
    positive: bool = False

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            if self.required is not None:
                at.add(self.required.format(key=at.key), on_table=True)
            return None
        q = quantity(at, value, self.unit)
        if q is not None and self.positive and q <= 0:
            at.add(f"must be above 0 {self.unit}")
        return q


@dataclass(frozen=True)
class Window(Kind):
    """Two quantities in ``unit``, low then high: ``["3000 mV", "4200 mV"]``."""

    unit: str = ""

    def read(self, at: Place, value: object) -> object:
        if value is MISSING:
            return None
        if not isinstance(value, list) or len(value) != 2:
            at.add(
                'a window is two values, e.g. ["3000 mV", "4200 mV"]', value=at.style.show(value)
            )
            return None
        low, high = (quantity(at, v, self.unit) for v in value)
        if low is None or high is None:
            return None
        if not low < high:
            at.add("the low end must be below the high end", value=at.style.show(value))
            return None
        return low, high


@dataclass(frozen=True)
class File(Kind):
    """The name of an existing file, relative to the file that names it."""

    def read(self, at: Place, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            at.add("file names the file, relative to the recipe")
            return None
        full = Path(value) if Path(value).is_absolute() else at.reader.base / value
        if not full.is_file():
            at.add(f"{full} does not exist", value=repr(value))
            return None
        return full
