"""Writing the files an import makes: created with their mode from the start, never through a
symbolic link, and never over a file already there unless asked."""

from __future__ import annotations

from pathlib import Path

from station.files import create_exclusive


def write_private_text(path: Path, text: str, mode: int = 0o644, *, force: bool = False) -> None:
    """Create ``path`` holding ``text`` with ``mode`` from the start (no moment with wider
    rights), exclusively and never through a symbolic link; an existing file is replaced (as a
    whole, the link itself rather than what it points to) only with ``force``."""
    create_exclusive(path, text.encode("utf-8"), mode=mode, force=force)
