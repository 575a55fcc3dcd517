"""The ``station`` entry point's logging: set up once per command, from the configuration.

The group callback sets it up as soon as the command is known (from the configuration the
environment names), so every command logs; :func:`follow_config` sets it up again when the
command's own ``--config`` or flags change where the records go. The operator terminal (``station``
alone, ``station run``) never logs to stderr, whatever ``-v`` says: stderr is its screen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import click

from station.config import ConfigError, StationConfig, load_config
from station.logs import Face, LogSettings, LogSetup, configure

#: Commands that start the operator terminal.
TERMINAL_COMMANDS = frozenset({None, "run"})
#: Commands that only read: they log nothing to the file or journal (``sudo station logs``
#: must not leave a root-owned log file behind for the station user).
READ_ONLY_COMMANDS = frozenset({"logs"})

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


@dataclass
class LogState:
    """What the entry point decided about logging for this command (``ctx.obj``)."""

    face: Face
    console_level: int | None
    persistent: bool = True
    setup: LogSetup | None = None
    settings: LogSettings | None = field(default=None)

    def apply(self, config: StationConfig, *, persistent: bool | None = None) -> None:
        keep = self.persistent if persistent is None else persistent
        settings = LogSettings(
            station_id=config.station_id,
            socket=config.socket,
            log_dir=Path(config.log_dir),
            log_to=config.log_to if keep else "none",
            console_level=self.console_level,
        )
        if settings == self.settings:
            return
        self.close()
        self.settings = settings
        self.setup = configure(settings, self.face)

    def where(self) -> str:
        return self.setup.describe() if self.setup is not None else "nowhere"

    def close(self) -> None:
        if self.setup is not None:
            lost = self.setup.lost()
            self.setup.close()
            self.setup = None
            if lost and self.face is Face.CLI:
                click.echo(f"note: {lost}", err=True)
        self.settings = None


def console_level(verbose: int, log_level: str | None) -> int | None:
    if log_level:
        return LEVELS[log_level.lower()]
    if verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    return None


def start(ctx: click.Context, verbose: int, log_level: str | None) -> LogState:
    """Called by the ``station`` group: logging for the command about to run."""
    sub = ctx.invoked_subcommand
    state = LogState(
        face=Face.TERMINAL if sub in TERMINAL_COMMANDS else Face.CLI,
        console_level=console_level(verbose, log_level),
        persistent=sub not in READ_ONLY_COMMANDS,
    )
    try:
        state.apply(load_config())
    except ConfigError:
        # The command says what is wrong; its records wait for a configuration that works.
        state.apply(StationConfig(), persistent=False)
    ctx.obj = state
    ctx.call_on_close(state.close)
    return state


def current() -> LogState | None:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    state = ctx.find_root().obj
    return state if isinstance(state, LogState) else None


def follow_config(config: StationConfig) -> None:
    """Send records where the command's effective configuration says (a no-op outside a
    ``station`` command, or when nothing changed)."""
    state = current()
    if state is not None:
        state.apply(config)
