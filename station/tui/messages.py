"""Textual messages that carry the sequence engine's events from the run worker to the screen."""

from __future__ import annotations

from textual.message import Message

from station.sequence.events import Event, RunResult


class EngineEvent(Message):
    """One event from ``StationService.run``, posted from the worker thread."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class RunEnded(Message):
    """The run call returned (``result``) or raised (``error``: the text to show)."""

    def __init__(self, result: RunResult | None, error: str = "") -> None:
        super().__init__()
        self.result = result
        self.error = error


class RunSettled(Message):
    """A run's verdict is on screen: nothing is being done to a pack any more."""


class SocketEvent(Message):
    """One engine event of one socket's run (several sockets), posted from its worker."""

    def __init__(self, socket: str, event: Event) -> None:
        super().__init__()
        self.socket = socket
        self.event = event


class SocketRunEnded(Message):
    """One socket's run call returned (``result``) or raised (``error``)."""

    def __init__(self, socket: str, result: RunResult | None, error: str = "") -> None:
        super().__init__()
        self.socket = socket
        self.result = result
        self.error = error
