"""Station configuration: one TOML file, overridden by environment variables, then by CLI flags.

A built-in default runs on the emulator with ``./db/station.sqlite3`` so a fresh checkout works
without any file. ``station config check`` prints the effective values and where each came from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Any

from station.database_urls import mask_url_password
from station.files import CONFIG_LIMIT, TomlUnreadable, read_toml_limited

CONFIG_ENV = "STATION_CONFIG"

#: environment variable → setting it overrides
ENV_OVERRIDES: dict[str, str] = {
    "STATION_ID": "station_id",
    "STATION_SOCKET": "socket",
    "STATION_BUS": "bus",
    "STATION_PEC": "pec",
    "STATION_BUS_SPEED_HZ": "bus_speed_hz",
    "STATION_DB": "database",
    "STATION_KEYS": "keys",
    "STATION_RECIPES": "recipes",
    "STATION_PROFILES": "profiles",
    "STATION_PRINTER": "printer",
    "STATION_LABELS": "labels_dir",
    "STATION_SUPERVISOR_BADGES": "supervisor_badges",
    "STATION_ENGINEER_BADGES": "engineer_badges",
    "STATION_BELL": "bell",
    "STATION_LOG_DIR": "log_dir",
    "STATION_LOG_TO": "log_to",
    "STATION_BUS_TRACE": "bus_trace",
    "STATION_INSTRUMENTS": "instruments",
    "STATION_DASHBOARD_LISTEN": "dashboard_listen",
    "STATION_DASHBOARD_USER": "dashboard_user",
    "STATION_DASHBOARD_TOKEN": "dashboard_token",
    "STATION_SHIFT_STARTS": "shift_starts",
    "STATION_REFERENCE_CHECK": "reference_check",
    "STATION_SCAN_ROUTING": "scan_routing",
}

#: Where the station's log records go: see station.logs.
LOG_DESTINATIONS = ("auto", "journal", "file")

#: ``pec``: ``auto`` (default) checks PEC when the gauge appends it and confirms every read that
#: decides something by a second read when it does not; ``on`` refuses a gauge that sends no PEC;
#: ``off`` expects none, yet a gauge found appending PEC is still checked.
PEC_SETTINGS = ("auto", "on", "off")

#: settings that are secrets: never shown, never in a message
SECRET_SETTINGS = frozenset({"dashboard_token"})
#: a dashboard token shorter than this is refused (it is the only lock on a listening dashboard)
MIN_TOKEN_LENGTH = 16

_STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
#: A socket name is recorded with every attempt and claim (16 characters in the database).
_SOCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")
#: ``[database]`` keys → settings (``database = "URL"`` at the top level works too).
_DATABASE_TABLE = {"url": "database", "production": "production"}


#: ``scan_routing`` values: where a scanned serial goes on a station with several sockets.
SCAN_ROUTINGS = ("socket-barcode", "next-idle")


class ConfigError(Exception):
    """The configuration is unusable; the message names the file, key, value and what is allowed."""


_SOCKET_KEYS = ("id", "bus", "instrument", "printer")


@dataclass(frozen=True)
class SocketConfig:
    """One ``[[sockets]]`` table: a fixture with its own pack, bus and, optionally, its own
    instrument and label printer (else the station's)."""

    id: str
    bus: str
    instrument: str = ""
    printer: str = ""


@dataclass(frozen=True)
class StationConfig:
    """Every setting a station needs, with the defaults of the emulator demo."""

    station_id: str = "ST-01"
    socket: str = "A"
    bus: str = "sim"
    pec: str = "auto"
    bus_speed_hz: int = 100_000
    database: str = "sqlite:///db/station.sqlite3"
    #: A production database refuses emulated runs and demo releases (deploy/install.sh sets it).
    production: bool = False
    keys: str = ""  # empty: the built-in ti-default key set only
    recipes: str = "recipes"
    profiles: str = ""  # engineers' own gauge profiles, beside the ones shipped in the package
    printer: str = "file:labels"
    #: where ``station label preview`` writes: never the file printer's folder
    labels_dir: str = "label-previews"
    # Supervisor locks: when set, the operator terminal skips the choice at shift start.
    recipe: str = ""
    operator: str = ""
    lot: str = ""
    # The operator terminal rings the bell on FAIL, ERROR and an ignored scan.
    bell: bool = True
    # Badges with more than operator rights (supervisor: rework, reprint; engineer: engineer mode).
    supervisor_badges: tuple[str, ...] = ()
    engineer_badges: tuple[str, ...] = ()
    #: ``[[sockets]]``: several fixtures on one station; empty: the one socket ``socket`` on ``bus``
    sockets: tuple[SocketConfig, ...] = ()
    #: with several sockets, where a scanned pack serial goes: ``socket-barcode`` (the operator
    #: scans the fixture's SOCKET:ID first) or ``next-idle`` (the first idle socket takes it)
    scan_routing: str = "socket-barcode"
    # Logs: the folder of the rotating log file, and whether records go to the journal (auto:
    # when started by systemd) or the file. A bus trace file ("" for none) gets every transaction.
    log_dir: str = "logs"
    log_to: str = "auto"
    bus_trace: str = ""
    #: the instrument file (reference instruments per socket); "" = simulated on the emulator
    instruments: str = ""
    # The dashboard (station dashboard): where it listens; beyond this computer, browsers must
    # give the user name and token (HTTP basic auth) or the token (Authorization: Bearer).
    dashboard_listen: str = "127.0.0.1:8080"
    dashboard_user: str = "supervisor"
    dashboard_token: str = ""
    #: local times the shifts start, for "this shift" and the yield per shift
    shift_starts: tuple[str, ...] = ("06:00", "14:00", "22:00")
    #: a shift starts only after the line's reference pack (``station gauge register-reference``)
    #: read as it was registered, once per shift
    reference_check: bool = False
    #: where each value came from: "default", a file path, an environment variable, or "flag"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def with_overrides(self, source: str, **values: Any) -> StationConfig:
        """Apply non-empty overrides (CLI flags), validating them like file values."""
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        checked = _validate(given, where=source)
        srcs = dict(self.sources)
        srcs.update({k: source for k in checked})
        return replace(self, **checked, sources=srcs)

    def socket_ids(self) -> tuple[str, ...]:
        """The station's sockets, in the order of the file."""
        return tuple(s.id for s in self.sockets) or (self.socket,)

    def for_socket(self, socket_id: str) -> StationConfig:
        """The configuration of one socket: its id, bus and printer (the station's printer when
        it names none). Refuses an id the station does not have, naming those it has."""
        if not self.sockets:
            if socket_id != self.socket:
                raise ConfigError(
                    f"this station has one socket, {self.socket!r}, not {socket_id!r}; several "
                    "sockets are declared as [[sockets]] tables in the configuration file"
                )
            return self
        for sock in self.sockets:
            if sock.id == socket_id:
                return replace(
                    self,
                    socket=sock.id,
                    bus=sock.bus,
                    printer=sock.printer or self.printer,
                    sockets=(sock,),
                )
        known = ", ".join(s.id for s in self.sockets)
        raise ConfigError(f"this station has no socket {socket_id!r}; its sockets: {known}")

    def masked(self) -> dict[str, str]:
        """Effective values for display, with secrets (database passwords) masked."""
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name == "sources":
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool):
                text = str(value).lower()
            elif f.name == "sockets":
                text = "; ".join(f"{x.id} on {x.bus}" for x in value)
            elif isinstance(value, tuple):
                text = ", ".join(value)
            else:
                text = str(value)
            if f.name == "database":
                text = mask_url_password(value)
            if f.name in SECRET_SETTINGS and text:
                text = "***"
            out[f.name] = text
        return out


_SETTINGS = {f.name: f for f in fields(StationConfig) if f.name != "sources"}


def _validate(values: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _SETTINGS:
            allowed = ", ".join(sorted(_SETTINGS))
            raise ConfigError(f"{where}: unknown setting {key!r}; allowed settings: {allowed}")
        out[key] = _coerce(key, value, where=where)
    return out


def _sockets(value: Any, *, where: str) -> tuple[SocketConfig, ...]:
    """``[[sockets]]`` tables: each with an id and a bus, ids unique."""
    example = '[[sockets]]\nid = "A"\nbus = "/dev/i2c-1@0x70:0"'
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigError(f"{where}: sockets are [[sockets]] tables, e.g.\n{example}")
    out: list[SocketConfig] = []
    for n, table in enumerate(value, start=1):
        here = f"{where}: socket {n} ([[sockets]] table {n})"
        unknown = set(table) - set(_SOCKET_KEYS)
        if unknown:
            raise ConfigError(
                f"{here}: unknown key(s) {sorted(unknown)}; a socket has {', '.join(_SOCKET_KEYS)}"
            )
        for key in ("id", "bus"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise ConfigError(f"{here} has no {key}; every socket needs one, e.g.\n{example}")
        for key in ("instrument", "printer"):
            if key in table and not isinstance(table[key], str):
                raise ConfigError(f"{here}: {key} = {table[key]!r} must be a string")
        sock = SocketConfig(
            id=table["id"].strip(),
            bus=table["bus"].strip(),
            instrument=str(table.get("instrument", "")).strip(),
            printer=str(table.get("printer", "")).strip(),
        )
        if not _SOCKET.match(sock.id):
            raise ConfigError(
                f"{here}: id = {sock.id!r}; allowed: 1-16 letters, digits, '.', '_' or '-' "
                "(it is printed on the fixture's socket barcode SOCKET:ID)"
            )
        if any(o.id == sock.id for o in out):
            raise ConfigError(f"{here}: socket id {sock.id!r} is used twice; ids are unique")
        out.append(sock)
    return tuple(out)


def parse_shift_starts(values: Sequence[str], *, where: str = "shift_starts") -> tuple[time, ...]:
    """``["06:00", "14:00", "22:00"]`` as times, sorted; each on a quarter hour, at least one."""
    starts: list[time] = []
    for item in values:
        found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", item)
        if found is None or int(found[1]) > 23 or int(found[2]) > 59:
            raise ConfigError(f"{where}: {item!r} is not a time of day; use HH:MM, e.g. 06:00")
        if int(found[2]) % 15:
            raise ConfigError(
                f"{where}: {item!r} is not on a quarter hour; use e.g. 06:00, 14:30 or 22:45"
            )
        starts.append(time(int(found[1]), int(found[2])))
    if not starts:
        raise ConfigError(f"{where}: at least one shift start time is needed, e.g. 06:00")
    if len(set(starts)) != len(starts):
        raise ConfigError(f"{where}: {list(values)} names one time twice")
    return tuple(sorted(starts))


def _coerce(key: str, value: Any, *, where: str) -> Any:
    if key == "sockets":
        return _sockets(value, where=where)
    if key == "shift_starts":
        items = _string_list(key, value, where=where, example="times", sample="06:00")
        parse_shift_starts(items, where=f"{where}: shift_starts")
        return tuple(i.strip() for i in items)
    if key == "pec":
        return _pec_setting(value, where=where)
    kind = type(getattr(StationConfig(), key))
    if kind is tuple:
        items = _string_list(key, value, where=where, example="badge codes", sample="SUP-0001")
        return tuple(i.strip() for i in items if i.strip())
    if kind is bool:
        return _flag(key, value, where=where)
    if kind is int:
        return _bus_speed(key, value, where=where)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} = {value!r} must be a string")
    text = value.strip()
    if key in _NOT_EMPTY and not text:
        raise ConfigError(f"{where}: {key} must not be empty")
    if key in _TEXT_FORMS:
        valid, allowed = _TEXT_FORMS[key]
        if not valid(text):
            raise ConfigError(f"{where}: {key} = {value!r}; {allowed}")
    elif key in _TEXT_CHECKS:
        _TEXT_CHECKS[key](value, where=where)
    return text


def _string_list(key: str, value: Any, *, where: str, example: str, sample: str) -> list[str]:
    """A TOML list of strings, or one comma-separated string (an environment variable)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f'{where}: {key} must be a list of {example}, e.g. ["{sample}"]')
    return list(items)


def _flag(key: str, value: Any, *, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{where}: {key} = {value!r} is not true or false")


def _bus_speed(key: str, value: Any, *, where: str) -> int:
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: inf in TOML
        number = None
    if number is None or not 10_000 <= number <= 1_000_000:
        raise ConfigError(
            f"{where}: {key} = {value!r}; allowed: a whole number of hertz from 10000 to "
            "1000000 (the BQ40Z50 runs at 10-100 kHz, 400 kHz only in SMBus XL mode)"
        )
    return number


_NOT_EMPTY = frozenset({"bus", "database", "recipes", "printer", "labels_dir", "socket", "log_dir"})


#: text settings with a form: what a valid one looks like, and the message's "allowed" part
_TEXT_FORMS: dict[str, tuple[Callable[[str], object], str]] = {
    "station_id": (
        _STATION_ID.match,
        "allowed: 1-32 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    "log_to": (
        LOG_DESTINATIONS.__contains__,
        "allowed: auto (the journal when started by systemd, else the log file), journal, file",
    ),
    "scan_routing": (
        SCAN_ROUTINGS.__contains__,
        "allowed: socket-barcode (the operator scans the fixture's SOCKET:ID barcode, then the "
        "pack serial) or next-idle (the first idle socket takes the serial)",
    ),
    "socket": (
        _SOCKET.match,
        "allowed: 1-16 letters, digits, '.', '_' or '-', starting with a letter or digit (it is "
        'recorded with every pack), e.g. "A"',
    ),
    "dashboard_user": (
        re.compile(r"[A-Za-z0-9._-]{1,64}").fullmatch,
        "allowed: 1-64 letters, digits, '.', '_' or '-'",
    ),
}


def _check_dashboard_token(value: str, *, where: str) -> None:
    text = value.strip()
    if text and len(text) < MIN_TOKEN_LENGTH:
        # The value itself is never repeated in a message.
        raise ConfigError(
            f"{where}: dashboard_token is {len(text)} characters long; use at least "
            f"{MIN_TOKEN_LENGTH} random ones, e.g. from `python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(24))'`"
        )


def _check_database(value: str, *, where: str) -> None:
    text = value.strip()
    if "://" not in text:
        raise ConfigError(
            f"{where}: database = {mask_url_password(value)!r} is not a database URL; e.g. "
            "sqlite:///var/lib/station/station.sqlite3 or postgresql+psycopg://user@host/traceability"
        )


def _pec_setting(value: Any, *, where: str) -> str:
    """``auto``/``on``/``off``; the true/false of older files mean on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value).strip().lower()
    words = {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off"}
    text = words.get(text, text)
    if text not in PEC_SETTINGS:
        raise ConfigError(
            f"{where}: pec = {value!r}; allowed: auto (check PEC when the gauge sends it, the "
            "default), on (refuse a gauge that sends none), off"
        )
    return text


def split_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as (host, port); raises ValueError."""
    found = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([^\s:\[\]]+):(\d{1,5})", text)
    if found is None:
        raise ValueError(text)
    host = found[1] or found[3]
    port = int(found[2] or found[4])
    if port > 65535:
        raise ValueError(text)
    return host, port


def _check_listen(text: str, *, where: str) -> None:
    try:
        split_listen(text)
    except ValueError:
        raise ConfigError(
            f"{where}: dashboard_listen = {text!r}; allowed: HOST:PORT, e.g. 127.0.0.1:8080 "
            "(this computer only), 0.0.0.0:8080 (every network, with a dashboard_token) or "
            "[::1]:8080"
        ) from None


#: the other checks of text settings; each raises ConfigError
_TEXT_CHECKS: dict[str, Callable[..., None]] = {
    "dashboard_listen": lambda value, *, where: _check_listen(value.strip(), where=where),
    "dashboard_token": _check_dashboard_token,
    "database": _check_database,
}


def load_config(
    path: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> StationConfig:
    """Defaults, then the file (``path``, else ``$STATION_CONFIG``), then environment variables."""
    env = os.environ if environ is None else environ
    config = StationConfig(sources={name: "default" for name in _SETTINGS})
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    if path is not None:
        config = _apply_file(config, path)
    env_values = {ENV_OVERRIDES[k]: v for k, v in env.items() if k in ENV_OVERRIDES and v != ""}
    if env_values:
        srcs = dict(config.sources)
        for var, key in ENV_OVERRIDES.items():
            if key in env_values and var in env:
                checked = _validate({key: env_values[key]}, where=f"environment {var}")
                config = replace(config, **checked)
                srcs[key] = f"environment {var}"
        config = replace(config, sources=srcs)
    return config


def _apply_file(config: StationConfig, path: Path) -> StationConfig:
    try:
        _, raw = read_toml_limited(path, CONFIG_LIMIT, what="configuration file")
    except TomlUnreadable as exc:
        why = "does not exist" if exc.missing else exc.why
        raise ConfigError(f"configuration file {path} {why}") from None
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "sockets":
            flat[key] = value
        elif key == "database" and isinstance(value, dict):
            # [database] url = "...", production = true
            for sub, subvalue in value.items():
                if sub not in _DATABASE_TABLE:
                    raise ConfigError(
                        f"{path}: unknown entry {sub!r} in [database]; allowed: url, production"
                    )
                flat[_DATABASE_TABLE[sub]] = subvalue
        elif isinstance(value, dict):
            # A table groups settings for readability ([shift] recipe/operator/lot); keys stay flat.
            for sub, subvalue in value.items():
                flat[sub] = subvalue
        else:
            flat[key] = value
    checked = _validate(flat, where=str(path))
    srcs = dict(config.sources)
    srcs.update({k: str(path) for k in checked})
    return replace(config, **checked, sources=srcs)
