"""Looking for key words in what the station showed or stored, token by token (a key hidden in
a longer number is not a leak, and looking for substrings would find keys in timestamps)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[0-9a-z]+", text.lower()))


def leaked(words: Iterable[int], text: str) -> list[str]:
    """The written forms of ``words`` (hex with or without 0x, decimal) found in ``text``."""
    found = tokens(text)
    forms = {form for w in words for form in (f"{w:04x}", f"0x{w:04x}", f"0x{w:x}", str(w))}
    return sorted(forms & found)


def database_text(path: Path) -> str:
    """Every text and number stored in a SQLite file, table by table (blobs left out)."""
    con = sqlite3.connect(path)
    out = []
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in con.execute(f'SELECT * FROM "{table}"'):
            out += [str(v) for v in row if not isinstance(v, bytes)]
    con.close()
    return "\n".join(out)
