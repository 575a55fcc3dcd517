"""What the dashboard needs from the station configuration, and the rule for where it may listen.

Only these settings reach the web application: the key store, keys and badges never do.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import time

from station.config import StationConfig, parse_shift_starts, split_listen

#: seconds between the Line page's own refreshes
REFRESH_S = 15


class ListenRefused(Exception):
    """The dashboard would be reachable from other computers without a token."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this computer only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class DashboardSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    user: str = "supervisor"
    #: empty: no token, and then the dashboard answers this computer only
    token: str = field(default="", repr=False)
    shift_starts: tuple[time, ...] = (time(6), time(14), time(22))
    refresh_s: int = REFRESH_S

    @classmethod
    def from_config(cls, config: StationConfig, *, listen: str | None = None) -> DashboardSettings:
        """The configuration's settings; ``listen`` (``HOST:PORT``) overrides its address."""
        text = listen or config.dashboard_listen
        try:
            host, port = split_listen(text)
        except ValueError:
            raise ListenRefused(
                f"--listen {text!r} is not HOST:PORT; use e.g. 127.0.0.1:8080 (this computer "
                "only) or 0.0.0.0:8080 (every network, with a dashboard_token)"
            ) from None
        return cls(
            host=host,
            port=port,
            user=config.dashboard_user,
            token=config.dashboard_token,
            shift_starts=parse_shift_starts(config.shift_starts),
        )

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def check(self) -> None:
        """Refuse to listen beyond this computer without a token."""
        if not self.loopback and not self.token:
            raise ListenRefused(
                f"the dashboard would listen on {self.host}, reachable from other computers, "
                "without a token: nobody could be kept out. Set dashboard_token (at least 16 "
                "characters; STATION_DASHBOARD_TOKEN in /etc/station/dashboard.env for the "
                "service), or listen on 127.0.0.1"
            )
