"""Serving the dashboard with uvicorn, on a socket bound here so the address is known at once."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import uvicorn

from station.store.reader import StoreReader
from station.web.app import create_app
from station.web.settings import DashboardSettings

log = logging.getLogger(__name__)


def bind(settings: DashboardSettings) -> socket.socket:
    """A listening socket on the settings' address (port 0: any free port)."""
    settings.check()
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    infos = socket.getaddrinfo(settings.host, settings.port, family, socket.SOCK_STREAM)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(infos[0][4])
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    reader: StoreReader,
    settings: DashboardSettings,
    *,
    sock: socket.socket | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Answer requests until interrupted (Ctrl-C, SIGTERM). ``ready`` gets the URL once bound."""
    sock = sock or bind(settings)
    host, port = sock.getsockname()[:2]
    url = DashboardSettings(host=host, port=port).url
    config = uvicorn.Config(
        create_app(reader, settings),
        log_level="info",
        access_log=True,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    if ready is not None:
        ready(url)
    server.run(sockets=[sock])
