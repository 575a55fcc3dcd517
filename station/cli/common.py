"""Options and error handling shared by every ``station`` command.

Exit codes: 0 success or PASS, 1 the operation failed (FAIL, bus error), 2 usage or configuration
error. Every error printed says what happened and what to do; no traceback reaches an operator.

Text that came from outside (a scanned serial, a file, the database) may hold control characters:
:func:`echo` and the errors below show them escaped (``\x1b``), never raw, so nothing typed or
stored can drive the terminal that shows it.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from station.config import ConfigError, StationConfig, load_config
from station.keys import KeyStore, KeyStoreError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


#: C0 and C1 controls (but newline and tab), DEL, and the Unicode marks that reorder text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes: ``"A\x1b[2J"`` → ``"A\\x1b[2J"``."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match[0])
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, text)


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` of text that may hold characters from outside, escaped."""
    click.echo(printable(text), err=err, nl=nl)


class Failed(click.ClickException):
    """The operation ran and failed (exit 1)."""

    exit_code = EXIT_FAIL

    def format_message(self) -> str:
        return printable(self.message)


class UsageProblem(click.ClickException):
    """The command cannot run as given (exit 2)."""

    exit_code = EXIT_USAGE

    def format_message(self) -> str:
        return printable(self.message)


def ask_pin(badge: str, what: str = "PIN") -> str:
    """Ask for a badge's PIN without echoing it (from the terminal, or a line on stdin)."""
    return str(
        click.prompt(
            f"{what} for badge {printable(badge)}",
            hide_input=True,
            default="",
            show_default=False,
        )
    )


def config_option(f: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Station configuration file (default: $STATION_CONFIG, else built-in emulator demo).",
    )(f)


def bus_option(f: Callable[P, R]) -> Callable[P, R]:
    f = click.option(
        "--pec/--no-pec", "pec", default=None, help="SMBus packet error checking (default: config)."
    )(f)
    return click.option(
        "--bus",
        "bus",
        default=None,
        metavar="SPEC",
        help="/dev/i2c-N, sim[:SCENARIO], or package.module:callable (default: config).",
    )(f)


def keys_option(f: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--keys",
        "keys_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Key-store file (default: $STATION_KEYS or the config; keys are never taken on the "
        "command line).",
    )(f)


def load_station_config(config_path: Path | None, **flags: Any) -> StationConfig:
    """The effective configuration: file and environment, then the command's flags."""
    config = load_config(config_path)
    return config.with_overrides("flag", **flags)


def load_key_store(config: StationConfig, keys_path: Path | None) -> KeyStore:
    path = keys_path or (Path(config.keys) if config.keys else None)
    return KeyStore.load(path) if path is not None else KeyStore.builtin()


def handle_errors(f: Callable[P, R]) -> Callable[P, R]:
    """Turn the station's typed errors into clear messages and the right exit code."""
    from station.bus.errors import BusError, BusOpenError
    from station.gauge.errors import GaugeError

    @functools.wraps(f)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return f(*args, **kwargs)
        except (ConfigError, KeyStoreError, BusOpenError) as exc:
            raise UsageProblem(str(exc)) from None
        except (BusError, GaugeError) as exc:
            raise Failed(f"[{exc.failure_code}] {exc}") from None
        except click.ClickException:
            raise
        except Exception as exc:
            # The database layer is imported only when one of its errors is in flight, so
            # engineer commands that never touch it start fast.
            from station.sequence.authority import NotAuthorised
            from station.store.errors import SchemaError, StoreError, StoreUnavailableError

            if isinstance(exc, NotAuthorised):
                raise Failed(f"[{exc.failure_code}] {exc}") from None
            if isinstance(exc, StoreUnavailableError | SchemaError):
                # Nothing is programmed that cannot be recorded: stop before any pack.
                raise UsageProblem(f"[{exc.failure_code}] {exc}") from None
            if isinstance(exc, StoreError):
                raise Failed(f"[{exc.failure_code}] {exc}") from None
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper
