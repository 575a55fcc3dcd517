"""Database URLs as they may be shown: in logs, on screens, in error messages."""

from __future__ import annotations

import re

#: Query parameters that carry a secret in database URLs (libpq and its drivers).
_SECRET_PARAMS = re.compile(r"([?&;](?:password|passwd|pwd|sslpassword)=)[^&;#]*", re.IGNORECASE)


def mask_url_password(url: str) -> str:
    """A database URL with every password replaced by ``***``: after the user name
    (``user:secret@``, ``:secret@``) and in the query (``?password=secret``)."""
    scheme, sep, rest = url.partition("://")
    if sep:
        # The user information ends at the last '@' before the path or query (a password
        # written with a raw '@' in it is masked whole).
        end = len(rest)
        for mark in "?#":
            at = rest.find(mark)
            if at != -1:
                end = min(end, at)
        at = rest.rfind("@", 0, end)
        if at != -1 and ":" in rest[:at]:
            user = rest[: rest.index(":")]
            rest = f"{user}:***{rest[at:]}"
        url = f"{scheme}{sep}{rest}"
    return _SECRET_PARAMS.sub(r"\1***", url)
