"""The dashboard: a read-only web view of the line for supervisors and quality engineers.

A face like the terminal and the command line: it reads the traceability database through
:class:`~station.store.reader.StoreReader` (a read-only connection) and turns figures into HTML
and SVG. It never reaches the key store, the gauges or the sequence engine.
"""

from station.web.app import create_app
from station.web.serve import serve
from station.web.settings import DashboardSettings, ListenRefused

__all__ = ["DashboardSettings", "ListenRefused", "create_app", "serve"]
