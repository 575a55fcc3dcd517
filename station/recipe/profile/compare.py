"""Two gauge profiles side by side (R1 and R3, say): what a firmware change means for recipes.

Parameters are matched by class/subclass/name (case and spacing aside). For each: moved (another
address), changed type, changed limits or default, appeared, vanished; and, for the ones in both,
whether the newer profile has them confirmed. Roles that point elsewhere are named too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile


class Change(StrEnum):
    MOVED = "moved"
    TYPE = "type changed"
    LIMITS = "limits changed"
    DEFAULT = "default changed"
    SCALE = "unit or scale changed"
    APPEARED = "appeared"
    VANISHED = "vanished"


#: the order the report lists them in: what breaks recipes first
CHANGE_ORDER = tuple(Change)


@dataclass(frozen=True)
class Difference:
    key: str
    change: Change
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class ProfileDiff:
    old: Profile
    new: Profile
    differences: tuple[Difference, ...]
    same: int
    role_changes: tuple[str, ...]

    def count(self, change: Change) -> int:
        return sum(1 for d in self.differences if d.change is change)


def _norm(key: str) -> str:
    return " ".join(key.split()).casefold()


def _limits(p: Parameter) -> str:
    lo = "-" if p.minimum is None else str(p.minimum)
    hi = "-" if p.maximum is None else str(p.maximum)
    return f"{lo}..{hi}"


def _unit(p: Parameter) -> str:
    return f"{p.scale} {p.unit}".strip()


def diff_profiles(old: Profile, new: Profile) -> ProfileDiff:
    olds = {_norm(p.key): p for p in old.parameters}
    news = {_norm(p.key): p for p in new.parameters}
    out: list[Difference] = []
    same = 0
    for k, a in olds.items():
        b = news.get(k)
        if b is None:
            out.append(Difference(a.key, Change.VANISHED, f"0x{a.address:04X} {a.dtype}"))
            continue
        before = len(out)
        if a.address != b.address:
            out.append(Difference(a.key, Change.MOVED, f"0x{a.address:04X}", f"0x{b.address:04X}"))
        if a.dtype != b.dtype:
            out.append(Difference(a.key, Change.TYPE, a.dtype.name, b.dtype.name))
        if (a.minimum, a.maximum) != (b.minimum, b.maximum):
            out.append(Difference(a.key, Change.LIMITS, _limits(a), _limits(b)))
        if a.dtype == b.dtype and a.default != b.default:
            out.append(Difference(a.key, Change.DEFAULT, a.format(a.default), b.format(b.default)))
        if (a.scale, a.unit) != (b.scale, b.unit):
            out.append(Difference(a.key, Change.SCALE, _unit(a), _unit(b)))
        if len(out) == before:
            same += 1
    for k, b in news.items():
        if k not in olds:
            out.append(Difference(b.key, Change.APPEARED, "", f"0x{b.address:04X} {b.dtype}"))
    order = {c: i for i, c in enumerate(CHANGE_ORDER)}
    out.sort(key=lambda d: (order[d.change], d.key))
    return ProfileDiff(old, new, tuple(out), same, tuple(_role_changes(old, new)))


def _role_changes(old: Profile, new: Profile) -> list[str]:
    out = []
    for name, a in vars(old.roles).items():
        b = getattr(new.roles, name)
        if _role_text(a) != _role_text(b):
            out.append(f"{name}: {_role_text(a) or '(none)'} → {_role_text(b) or '(none)'}")
    return out


def _role_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _norm(value)
    if isinstance(value, tuple):
        return ", ".join(_role_text(v) for v in value)
    return _norm(str(value))
