"""Who may look: the one gate in front of every page and export.

- Only GET and HEAD: the dashboard changes nothing, so nothing else is answered.
- With a token: every request must carry it (basic authentication with the dashboard user, or
  ``Authorization: Bearer``), whatever address it comes from.
- Without a token: only this computer is answered, by address and by ``Host`` name (a web page
  elsewhere cannot reach a local dashboard through a rebound DNS name).
- Every answer says: no caching, no framing, nothing loaded from anywhere else.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from station.web.settings import is_loopback

REALM = "packline station dashboard"
#: headers every answer carries
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


def _host_name(host_header: str) -> str:
    """``127.0.0.1:8080`` → ``127.0.0.1``; ``[::1]:8080`` → ``::1``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class AccessGuard:
    """ASGI middleware applying the rules above."""

    def __init__(self, app: ASGIApp, *, token: str, user: str) -> None:
        self.app = app
        self._token = token.encode()
        self._user = user.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # websockets: nothing here speaks them
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, _with_headers(send))
            return
        await self.app(scope, receive, _with_headers(send))

    def _refusal(self, scope: Scope) -> PlainTextResponse | None:
        if scope["method"] not in ("GET", "HEAD"):
            return PlainTextResponse(
                "The dashboard only shows the database; it accepts no changes.\n",
                status_code=405,
                headers={"Allow": "GET, HEAD"},
            )
        headers = Headers(scope=scope)
        if self._token:
            if self._authorised(headers.get("authorization", "")):
                return None
            return PlainTextResponse(
                "This dashboard needs its user name and token (ask the line's supervisor).\n",
                status_code=401,
                headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            )
        client = scope.get("client") or ("", 0)
        if is_loopback(str(client[0])) and is_loopback(_host_name(headers.get("host", ""))):
            return None
        return PlainTextResponse(
            "This dashboard has no token, so it answers this computer only: open it as "
            "http://127.0.0.1:PORT/ here, or configure a dashboard_token to open it elsewhere.\n",
            status_code=403,
        )

    def _authorised(self, header: str) -> bool:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            return hmac.compare_digest(credentials.strip().encode(), self._token)
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, _, password = decoded.partition(b":")
        # Both compared whatever the first gives: the time taken says nothing about either.
        right_user = hmac.compare_digest(user, self._user)
        right_token = hmac.compare_digest(password, self._token)
        return right_user and right_token


def _with_headers(send: Send) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            message = {**message, "headers": headers}
        await send(message)

    return sender
