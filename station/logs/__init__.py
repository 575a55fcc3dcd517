"""The station's logs: where records go, what they carry, and how a technician reads them back.

Library code only emits records (``logging.getLogger("station....")``); the ``station`` entry
point calls :func:`configure` once. Under systemd records go to the journal with structured
fields; otherwise to a size-bounded rotating file in the station's log folder; to stderr only for
a command-line run that asks for it (``-v`` / ``--log-level``), never on the operator terminal.
"""

from station.logs.fields import bind, bound, run_fields
from station.logs.setup import Face, LogSettings, LogSetup, configure

__all__ = ["Face", "LogSettings", "LogSetup", "bind", "bound", "configure", "run_fields"]
