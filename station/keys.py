"""Security keys: secret words, key sets and the key store file.

Keys are values passed to the gauge driver, never constants in code. They never appear in logs,
exceptions, ``repr`` or the database: only a key-set id does.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from station.files import KEY_STORE_LIMIT, TomlUnreadable, read_toml_limited

#: The environment variable naming the key-store file when ``--keys`` is not given.
KEYS_ENV = "STATION_KEYS"

#: TI's factory defaults (BQ40Z50 TRM: unseal 0x0414 then 0x3672; full access 0xFFFF, 0xFFFF).
TI_DEFAULT_ID = "ti-default"


class KeyStoreError(Exception):
    """The key store cannot be used; the message says why and what to do. Never contains a key."""


class SecretWord:
    """A 16-bit key word that hides itself from logs, reprs and formatting."""

    __slots__ = ("_value",)

    def __init__(self, value: int) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError("a key word is a 16-bit value (0x0000-0xFFFF)")
        self._value = value

    def reveal(self) -> int:
        """The value itself: only the gauge driver calls this, to put it on the bus."""
        return self._value

    def __repr__(self) -> str:
        return "SecretWord(<hidden>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "<hidden>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretWord) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecretWord", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("key words cannot be pickled")


@dataclass(frozen=True)
class KeyPair:
    """Two key words in the order they are sent (first, then second within 4 s)."""

    first: SecretWord
    second: SecretWord

    @classmethod
    def of(cls, first: int, second: int) -> KeyPair:
        return cls(SecretWord(first), SecretWord(second))

    def __repr__(self) -> str:
        return "KeyPair(<hidden>)"


@dataclass(frozen=True)
class KeySet:
    """A named set of keys: unseal words and, optionally, full-access words."""

    id: str
    unseal: KeyPair
    full_access: KeyPair | None = field(default=None)

    def __repr__(self) -> str:
        fa = "yes" if self.full_access is not None else "no"
        return f"KeySet(id={self.id!r}, unseal=<hidden>, full_access={fa})"


def ti_default_keys() -> KeySet:
    return KeySet(
        TI_DEFAULT_ID, unseal=KeyPair.of(0x0414, 0x3672), full_access=KeyPair.of(0xFFFF, 0xFFFF)
    )


def parse_key_pair(value: object, *, where: str) -> KeyPair:
    """Read a key pair written either as two words in send order (``["0x0414", "0x3672"]``) or as
    bqStudio shows it, one 32-bit value with the first word low (``"0x36720414"``)."""
    if isinstance(value, list) and len(value) == 2:
        words = [_parse_word(v, where=where, bits=16) for v in value]
        return KeyPair.of(words[0], words[1])
    if isinstance(value, str | int) and not isinstance(value, bool):
        whole = _parse_word(value, where=where, bits=32)
        return KeyPair.of(whole & 0xFFFF, whole >> 16)
    raise KeyStoreError(
        f'{where}: a key is two 16-bit words in send order, e.g. ["0x0414", "0x3672"], '
        'or one 32-bit value as bqStudio shows it, e.g. "0x36720414"'
    )


def _parse_word(value: object, *, where: str, bits: int) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = value if isinstance(value, int) else int(str(value).strip(), 0)
    except ValueError:
        raise KeyStoreError(f"{where}: not a number (hex like 0x0414 or decimal)") from None
    if not 0 <= number < (1 << bits):
        raise KeyStoreError(f"{where}: out of range for a {bits}-bit key value")
    return number


class KeyStore:
    """Key sets by id, from a TOML file plus the built-in ``ti-default``.

    File layout::

        [key_sets.acme-prod-2026]
        unseal = ["0x1234", "0x5678"]        # first word, second word
        full_access = "0x9ABCDEF0"          # or one 32-bit value as bqStudio shows it
    """

    def __init__(self, key_sets: Mapping[str, KeySet], path: Path | None = None) -> None:
        self._sets = dict(key_sets)
        self._sets.setdefault(TI_DEFAULT_ID, ti_default_keys())
        self.path = path

    @classmethod
    def builtin(cls) -> KeyStore:
        return cls({})

    @classmethod
    def load(cls, path: Path, *, require_private: bool = True) -> KeyStore:
        """Load a key-store file.

        With ``require_private`` (the default) a file that anyone but its owner can read is
        refused: keys are what stop a pack from being reprogrammed in the field.
        """
        try:
            st = path.stat()
        except FileNotFoundError:
            raise KeyStoreError(
                f"key store {path} does not exist: create it (mode 600) or point --keys / "
                f"{KEYS_ENV} at the right file"
            ) from None
        if require_private and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            mode = stat.S_IMODE(st.st_mode)
            raise KeyStoreError(
                f"key store {path} is accessible to group or others (mode {mode:04o}); keys "
                f"must be readable only by the station user. Fix it with: chmod 600 {path}"
            )
        try:
            _, raw = read_toml_limited(path, KEY_STORE_LIMIT, what="key store")
        except TomlUnreadable as exc:
            # The file's own words never appear: only why it could not be read.
            raise KeyStoreError(f"key store {path} {exc.why}") from None
        return cls(parse_key_sets(raw, where=str(path)), path=path)

    def get(self, key_set_id: str) -> KeySet:
        try:
            return self._sets[key_set_id]
        except KeyError:
            known = ", ".join(sorted(self._sets))
            where = f" in {self.path}" if self.path else ""
            raise KeyStoreError(
                f"key set {key_set_id!r} is not in the key store{where} (known: {known}); "
                "add it to the key-store file or fix the recipe's key_set"
            ) from None

    def __contains__(self, key_set_id: object) -> bool:
        return key_set_id in self._sets

    def ids(self) -> list[str]:
        return sorted(self._sets)

    def __repr__(self) -> str:
        return f"KeyStore(path={self.path}, ids={self.ids()})"


def parse_key_sets(raw: Mapping[str, object], *, where: str) -> dict[str, KeySet]:
    sets_raw = raw.get("key_sets", {})
    if not isinstance(sets_raw, dict):
        raise KeyStoreError(f"{where}: [key_sets] must be a table of key sets")
    unknown_top = set(raw) - {"key_sets"}
    if unknown_top:
        raise KeyStoreError(f"{where}: unknown top-level entries {sorted(unknown_top)}")
    result: dict[str, KeySet] = {}
    for key_id, entry in sets_raw.items():
        here = f"{where}: key_sets.{key_id}"
        if not isinstance(entry, dict):
            raise KeyStoreError(f"{here} must be a table with 'unseal' and optional 'full_access'")
        unknown = set(entry) - {"unseal", "full_access", "description"}
        if unknown:
            raise KeyStoreError(f"{here}: unknown entries {sorted(unknown)}")
        if "unseal" not in entry:
            raise KeyStoreError(f"{here}: 'unseal' is missing")
        unseal = parse_key_pair(entry["unseal"], where=f"{here}.unseal")
        fa = entry.get("full_access")
        full = parse_key_pair(fa, where=f"{here}.full_access") if fa is not None else None
        result[key_id] = KeySet(key_id, unseal=unseal, full_access=full)
    return result
