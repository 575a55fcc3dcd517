"""Options and error handling shared by every ``station`` command.

Exit codes: 0 success or PASS, 1 the operation failed (FAIL, bus error, a station fault), 2 usage
or configuration error. Every error printed says what happened and what to do; no traceback
reaches a screen: a station fault's traceback goes to the log.

Text that came from outside (a scanned serial, a file, the database) may hold control characters:
:func:`echo` and the errors below show them escaped (``\x1b``), never raw, so nothing typed or
stored can drive the terminal that shows it.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from station.cli.logsetup import current, follow_config
from station.config import StationConfig, load_config
from station.keys import KeyStore

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2

log = logging.getLogger("station.cli")


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


#: what a path option or argument names: a file that must exist, a file to write, a folder
EXISTING_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)
NEW_FILE = click.Path(dir_okay=False, path_type=Path)
FOLDER = click.Path(file_okay=False, path_type=Path)


def path_option(
    flag: str, dest: str, kind: click.Path, text: str | None = None, *, required: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--flag PATH`` given to the command as ``dest`` (a :class:`~pathlib.Path` or None)."""
    return click.option(flag, dest, required=required, default=None, type=kind, help=text)


def badge_option(
    text: str, *, required: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--by BADGE``: whose badge (and PIN) authorises what the command does."""
    return click.option("--by", "by", required=required, default=None, metavar="BADGE", help=text)


def db_option(text: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``--db URL``: the database instead of the configured one."""
    return click.option("--db", "database", default=None, metavar="URL", help=text)


config_option = path_option(
    "--config",
    "config_path",
    NEW_FILE,
    "Station configuration file (default: $STATION_CONFIG, else built-in emulator demo).",
)


def bus_option(f: Callable[P, R]) -> Callable[P, R]:
    f = click.option(
        "--pec",
        "pec",
        type=click.Choice(["auto", "on", "off"]),
        default=None,
        help="SMBus packet error checking: auto checks PEC when the gauge appends it (and reads "
        "every deciding value twice when it does not); on refuses a gauge that sends none; off "
        "expects none (a gauge that sends it is still checked). Default: config, else auto.",
    )(f)
    return click.option(
        "--bus",
        "bus",
        default=None,
        metavar="SPEC",
        help="/dev/i2c-N, sim[:SCENARIO], or package.module:callable (default: config).",
    )(f)


bus_trace_option = click.option(
    "--bus-trace",
    "bus_trace",
    type=NEW_FILE,
    default=None,
    metavar="FILE",
    help="Write every bus transaction to FILE (keys shown as <key>; bounded in size). "
    "Default: the bus_trace setting.",
)

keys_option = path_option(
    "--keys",
    "keys_path",
    NEW_FILE,
    "Key-store file (default: $STATION_KEYS or the config; keys are never taken on the "
    "command line).",
)


def load_station_config(config_path: Path | None, **flags: Any) -> StationConfig:
    """The effective configuration: file and environment, then the command's flags. Logging
    follows it (the log folder, journal or file, the station's name on every record)."""
    config = load_config(config_path).with_overrides("flag", **flags)
    follow_config(config)
    return config


def load_key_store(config: StationConfig, keys_path: Path | None) -> KeyStore:
    path = keys_path or (Path(config.keys) if config.keys else None)
    return KeyStore.load(path) if path is not None else KeyStore.builtin()


#: How each kind of station error leaves a command, first match wins: (module, class, exit as,
#: with the failure code in brackets). A class is looked up only when its module is already
#: loaded (an error of a module nobody imported cannot be in flight), so commands that never
#: touch the database do not pay for importing it.
ERROR_EXITS: tuple[tuple[str, str, type[click.ClickException], bool], ...] = (
    ("station.config", "ConfigError", UsageProblem, False),
    ("station.keys", "KeyStoreError", UsageProblem, False),
    ("station.bus.errors", "BusOpenError", UsageProblem, False),
    ("station.bus.errors", "BusError", Failed, True),
    ("station.gauge.errors", "GaugeError", Failed, True),
    ("station.recipe.errors", "ProfileNotFound", UsageProblem, False),
    ("station.recipe.errors", "RecipeError", Failed, True),
    ("station.store.errors", "StoreInputError", UsageProblem, False),
    # an unreachable database or a schema out of date included: the operation failed (nothing
    # is programmed that cannot be recorded)
    ("station.store.errors", "StoreError", Failed, True),
    ("station.sequence.authority", "NotAuthorised", Failed, True),
    ("station.sequence.line", "ShiftRefused", UsageProblem, False),
    # any other refusal: the station declined, with its reason
    ("station.refusal", "Refused", Failed, False),
)


def cli_error(exc: BaseException) -> click.ClickException | None:
    """The message and exit code for a station error, or None for anything else (a defect)."""
    for module_name, class_name, exit_as, coded in ERROR_EXITS:
        module = sys.modules.get(module_name)
        kind = getattr(module, class_name, None) if module is not None else None
        if kind is not None and isinstance(exc, kind):
            code = getattr(exc, "failure_code", "")
            return exit_as(f"[{code}] {exc}" if coded and code else str(exc))
    return None


def handle_errors(f: Callable[P, R]) -> Callable[P, R]:
    """Turn the station's typed errors into clear messages and the right exit code
    (:data:`ERROR_EXITS`); anything else is a station fault, logged with its traceback."""

    @functools.wraps(f)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return f(*args, **kwargs)
        except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise  # click's own: a message or an exit code already
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            known = cli_error(exc)
            if known is not None:
                raise known from None
            raise Failed(station_fault(exc)) from None

    return wrapper


def station_fault(exc: BaseException) -> str:
    """Log a station defect with its traceback; the words for the screen instead of it."""
    ctx = click.get_current_context(silent=True)
    command = ctx.command_path if ctx is not None else "station"
    log.critical("station fault in %s: %s", command, type(exc).__name__, exc_info=exc)
    state = current()
    where = state.where() if state is not None else "the station log"
    return (
        f"station fault: unexpected {type(exc).__name__}: {exc}\n"
        "This is a fault of the station itself, not of the pack or of what you typed: call a "
        f"technician. The details are logged in {where}."
    )


def fault_exit(exc: BaseException) -> int:
    """For the entry point: say a station fault in words on stderr, and the exit code."""
    click.echo(f"Error: {station_fault(exc)}", err=True)
    return EXIT_FAIL
