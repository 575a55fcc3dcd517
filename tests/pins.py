"""Badge PINs for tests: set straight into a test database with argon2's cheapest parameters, so
checking them costs microseconds (the station verifies with the parameters kept in the hash)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from argon2.profiles import CHEAPEST

from station.store import Store

CHEAP = PasswordHasher.from_parameters(CHEAPEST)
#: the PIN the tests give their supervisor and engineer badges
PIN = "4321"


def give_pin(store_or_url: Store | str, code: str, pin: str = PIN) -> None:
    """Give ``code`` the PIN ``pin`` in the database (as ``station badge set`` would), unless it
    has that PIN already."""
    if not isinstance(store_or_url, Store):
        with Store.open(store_or_url) as store:
            give_pin(store, code, pin)
        return
    kept = store_or_url.badge_pin(code)
    if kept is not None:
        try:
            if CHEAP.verify(kept.pin_hash, pin):
                return
        except VerificationError:
            pass
    store_or_url.set_badge_pin(code, CHEAP.hash(pin), by="test-setup", station="TEST")
