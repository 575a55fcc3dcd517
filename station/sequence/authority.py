"""Who may do what: one rule for the operator terminal and every ``station`` command.

* A badge's role comes from the station configuration (``supervisor_badges``,
  ``engineer_badges``); every other badge is an operator's. Operators scan and run; they have no
  PIN.
* A privileged action needs a badge of the role the action names (:data:`REQUIRED_ROLE`) and that
  badge's PIN. Releases and engineer tasks need an engineer; reworks and reprints a supervisor.
* The person who authorises is never the operator of the run they authorise.
* A PIN is kept as an argon2 hash in the station's database. Every wrong PIN is audited; after
  :data:`MAX_FAILURES` wrong PINs in a row the badge is refused for :data:`LOCKOUT` (counted
  with the store's clock: no waiting happens here), whatever PIN is typed.
* Setting a PIN is itself privileged: a badge changes its own PIN with its current one; an
  engineer sets another badge's PIN. Only the very first engineer PIN of a database can be set
  without one (that is how a new station is set up), and that is audited like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from station.config import StationConfig
from station.refusal import Refused
from station.sequence.service import Badge, Credentials, Role
from station.store import AuditAction, BadgePin, Store

_BADGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$")
_PIN = re.compile(r"^[0-9]{4,12}$")

#: wrong PINs in a row after which a badge is refused for a while ...
MAX_FAILURES = 5
#: ... this long after the last wrong one
LOCKOUT = timedelta(minutes=15)

#: Badges the emulator demo gives supervisor and engineer rights, and their PIN (demo only; a
#: production database refuses the demo).
DEMO_SUPERVISOR = "SUP-0001"
DEMO_ENGINEER = "ENG-0001"
DEMO_PIN = "1234"


class Privilege(StrEnum):
    """What a badge with rights may do; the value reads in a sentence ("... may not X")."""

    RELEASE = "release a recipe"
    REWORK = "authorise a rework"
    REPRINT = "reprint a label"
    ENGINEER_MODE = "open engineer mode"
    CHANGE_RECIPE = "change the recipe during a shift"
    PROFILE_SIGN_OFF = "sign off a gauge profile"
    REGISTER_REFERENCE = "register the line's reference pack"
    SET_PIN = "set another badge's PIN"


#: the one table of who may do what
REQUIRED_ROLE: dict[Privilege, Role] = {
    Privilege.RELEASE: Role.ENGINEER,
    Privilege.REWORK: Role.SUPERVISOR,
    Privilege.REPRINT: Role.SUPERVISOR,
    Privilege.ENGINEER_MODE: Role.ENGINEER,
    Privilege.CHANGE_RECIPE: Role.SUPERVISOR,
    Privilege.PROFILE_SIGN_OFF: Role.ENGINEER,
    Privilege.REGISTER_REFERENCE: Role.ENGINEER,
    Privilege.SET_PIN: Role.ENGINEER,
}


class NotAuthorised(Refused):
    """A badge may not do what was asked; the message says why and what to do. Never holds a
    PIN."""

    failure_code = "NOT_AUTHORISED"


def check_badge_code(code: str) -> str:
    code = code.strip()
    if not _BADGE.match(code):
        raise NotAuthorised(
            f"{code[:40]!r} is not a badge: 1-32 letters, digits, '.', '_', ':' or '-'; scan it "
            "again"
        )
    return code


@dataclass
class Authority:
    """The rule, with what it needs: the configured roles and the store that keeps PINs."""

    config: StationConfig
    store: Store
    demo: bool = False
    hasher: PasswordHasher = field(default_factory=PasswordHasher)

    # -- who is this ---------------------------------------------------------------------------
    def role_of(self, code: str) -> Role:
        supervisors = set(self.config.supervisor_badges)
        engineers = set(self.config.engineer_badges)
        if self.demo:
            supervisors.add(DEMO_SUPERVISOR)
            engineers.add(DEMO_ENGINEER)
        if code in engineers:
            return Role.ENGINEER
        if code in supervisors:
            return Role.SUPERVISOR
        return Role.OPERATOR

    def identify(self, code: str) -> Badge:
        """The badge and its role (no PIN asked: a badge is scanned first, the PIN typed
        after)."""
        code = check_badge_code(code)
        return Badge(code, self.role_of(code))

    # -- may this badge do that ----------------------------------------------------------------
    def authorise(
        self, privilege: Privilege, credentials: Credentials, *, operator: str | None = None
    ) -> Badge:
        """The badge, when it may do ``privilege`` for a run by ``operator``; else
        :class:`NotAuthorised` saying why. Every refusal that involved a PIN is audited."""
        badge = self.identify(credentials.code)
        required = REQUIRED_ROLE[privilege]
        if badge.role is not required:
            raise NotAuthorised(
                f"badge {badge.code} is {_a(badge.role.value)} badge; to {privilege.value}, "
                f"the station needs {_a(required.value)} badge"
            )
        if operator is not None and operator.strip() == badge.code:
            raise NotAuthorised(
                f"badge {badge.code} is the operator of this run: the one who authorises must "
                f"be someone else; ask another {required.value} to {privilege.value}"
            )
        self.check_pin(badge, credentials.pin, purpose=privilege.value)
        return badge

    def check_pin(self, badge: Badge, pin: str, *, purpose: str) -> None:
        """Refuse a wrong PIN, a badge with no PIN, and a badge locked by wrong PINs."""
        kept = self.store.badge_pin(badge.code)
        station = self.config.station_id
        if kept is None:
            self.store.pin_refused(badge.code, station=station, reason=f"no PIN set ({purpose})")
            raise NotAuthorised(
                f"badge {badge.code} has no PIN yet: an engineer sets one with "
                f"`station badge set {badge.code} --by ENGINEER`"
            )
        left = self._locked_for(kept)
        if left is not None:
            self.store.pin_refused(badge.code, station=station, reason=f"locked ({purpose})")
            raise NotAuthorised(
                f"badge {badge.code} is locked after {kept.failures} wrong PINs: try again in "
                f"{_minutes(left)}, or ask an engineer to set a new PIN"
            )
        if not self._matches(kept, pin):
            failures = self.store.pin_refused(
                badge.code, station=station, reason=f"wrong PIN ({purpose})"
            )
            left_tries = MAX_FAILURES - failures
            after = (
                f"{left_tries} more wrong PIN{'s' if left_tries != 1 else ''} lock the badge "
                f"for {_minutes(LOCKOUT)}"
                if left_tries > 0
                else f"the badge is now locked for {_minutes(LOCKOUT)}"
            )
            raise NotAuthorised(f"wrong PIN for badge {badge.code}: {after}")
        if kept.failures:
            self.store.pin_accepted(badge.code)

    def _locked_for(self, kept: BadgePin) -> timedelta | None:
        if kept.failures < MAX_FAILURES or kept.last_failure_at is None:
            return None
        left = kept.last_failure_at + LOCKOUT - self.store.now()
        return left if left > timedelta(0) else None

    def _matches(self, kept: BadgePin, pin: str) -> bool:
        if not _PIN.match(pin):
            return False
        try:
            return bool(self.hasher.verify(kept.pin_hash, pin))
        except (VerificationError, InvalidHashError):
            return False

    # -- PINs ------------------------------------------------------------------------------------
    def set_pin(
        self,
        code: str,
        new_pin: str,
        *,
        current_pin: str | None = None,
        by: Credentials | None = None,
    ) -> str:
        """Give ``code`` a new PIN; returns who set it (audited as PIN_CHANGED).

        ``current_pin``: the badge changes its own PIN. ``by``: an engineer sets it. Neither:
        only for the first engineer PIN of the database.
        """
        badge = self.identify(code)
        if badge.role is Role.OPERATOR:
            raise NotAuthorised(
                f"badge {badge.code} is an operator badge: operators scan without a PIN; add it "
                "to supervisor_badges or engineer_badges in the station configuration first"
            )
        if not _PIN.match(new_pin):
            raise NotAuthorised("a PIN is 4 to 12 digits")
        if by is not None:
            setter = self.authorise(Privilege.SET_PIN, by).code
        elif current_pin is not None:
            self.check_pin(badge, current_pin, purpose="change its own PIN")
            setter = badge.code
        elif badge.role is Role.ENGINEER and not self._any_engineer_pin():
            setter = badge.code  # the first engineer of this database
        else:
            raise NotAuthorised(
                f"badge {badge.code}: a new PIN needs the badge's current PIN, or an engineer's "
                "badge and PIN (--by ENGINEER)"
            )
        self.store.set_badge_pin(
            badge.code, self.hasher.hash(new_pin), by=setter, station=self.config.station_id
        )
        return setter

    def _any_engineer_pin(self) -> bool:
        return any(self.role_of(p.code) is Role.ENGINEER for p in self.store.badge_pins())

    def give_demo_pins(self) -> None:
        """The emulator demo's supervisor and engineer badges get :data:`DEMO_PIN` once."""
        for code in (DEMO_SUPERVISOR, DEMO_ENGINEER):
            if self.store.badge_pin(code) is None:
                self.store.set_badge_pin(
                    code,
                    self.hasher.hash(DEMO_PIN),
                    by="emulator-demo",
                    station=self.config.station_id,
                )

    def has_pin(self, code: str) -> bool:
        return self.store.badge_pin(code) is not None


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _minutes(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


__all__ = [
    "DEMO_ENGINEER",
    "DEMO_PIN",
    "DEMO_SUPERVISOR",
    "LOCKOUT",
    "MAX_FAILURES",
    "REQUIRED_ROLE",
    "AuditAction",
    "Authority",
    "NotAuthorised",
    "Privilege",
]
