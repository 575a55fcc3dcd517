"""Run one blocking service call in a thread worker and hand the answer back on the UI thread.

Every :class:`StationService` call may touch the database or the bus, so none runs on the event
loop: the screen stays responsive and the answer arrives through ``call_from_thread``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from textual.dom import DOMNode
from textual.worker import Worker

from station.refusal import Refused

T = TypeVar("T")

log = logging.getLogger("station.tui")


def call_service(
    node: DOMNode,
    job: Callable[[], T],
    done: Callable[[T], None],
    refused: Callable[[str], None],
    *,
    group: str = "service",
) -> Worker[None]:
    """Run ``job`` in a thread; then ``done(value)`` or ``refused(reason)`` on the UI thread.

    A :class:`~station.refusal.Refused` is the service's way of refusing with a reason for the
    operator; any other exception (a ``ValueError`` too) is a station fault: logged with its
    traceback, and shown too (without it), so it is never lost in a log nobody reads.
    """
    app = node.app

    def work() -> None:
        try:
            value = job()
        except Refused as exc:
            app.call_from_thread(refused, str(exc))
            return
        except Exception as exc:
            log.exception("station fault in %s", getattr(job, "__qualname__", "a service call"))
            app.call_from_thread(
                refused,
                f"Station fault ({type(exc).__name__}): {exc}. Call a technician: the details "
                "are in the station log.",
            )
            return
        app.call_from_thread(done, value)

    return node.run_worker(work, thread=True, exit_on_error=False, group=group)
