"""Looking for key words in what the station showed or stored, token by token (a key hidden in
a longer number is not a leak, and looking for substrings would find keys in timestamps)."""

from __future__ import annotations

import itertools
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


def leaked_anywhere(words: Iterable[int], text: str) -> list[str]:
    """Every form of ``words`` a trace or log could show: :func:`leaked`'s forms, the word's
    bytes swapped (``efbe``, as a little-endian dump shows it), two words as one 32-bit value in
    either order (``d00dbeef`` as bqStudio shows a key pair), and the two bytes next to each other
    in either order inside a run of byte-spaced hex (``BE EF`` / ``EF BE``)."""
    words = list(words)
    found = set(leaked(words, text))
    tokens_seen = tokens(text)
    swapped = {f"{(w & 0xFF) << 8 | w >> 8:04x}" for w in words}
    pairs = {f"{a:04x}{b:04x}" for a in words for b in words}
    found |= (swapped | {f"0x{s}" for s in swapped} | pairs | {f"0x{p}" for p in pairs}) & (
        tokens_seen
    )
    wanted = {(w >> 8, w & 0xFF) for w in words} | {(w & 0xFF, w >> 8) for w in words}
    for run in re.findall(r"(?:\b[0-9a-fA-F]{2}\b[ :,]?)+", text):
        values = [int(b, 16) for b in re.findall(r"[0-9a-fA-F]{2}", run)]
        for pair in itertools.pairwise(values):
            if pair in wanted:
                found.add(f"{pair[0]:02x} {pair[1]:02x}")
    return sorted(found)
