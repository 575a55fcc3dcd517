"""Looking for key words in what the station showed or stored.

A key word can be written many ways: hex with or without ``0x`` (``a5c3``, ``0xA5C3``), decimal
(``42435``), as the two bytes the bus carries, spaced (``c3 a5``, ``0xC3, 0xA5``, ``C3:A5``) in
either order, or with the other word of its pair as one 32-bit value the way bqStudio shows a key
(``0x5A3CA5C3``). Whole words are matched token by token (a key hidden in a longer number is not
a leak, and looking for substrings would find keys in timestamps and hashes).
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[0-9a-z]+", text.lower()))


def word_forms(word: int) -> set[str]:
    """How one 16-bit word reads as a token."""
    return {f"{word:04x}", f"0x{word:04x}", f"0x{word:x}", str(word)}


def pair_forms(pairs: Iterable[tuple[int, int]]) -> set[str]:
    """How a key pair (first, second) reads as one 32-bit token, in both orders."""
    out: set[str] = set()
    for first, second in pairs:
        for value in ((second << 16) | first, (first << 16) | second):
            out |= {f"{value:08x}", f"0x{value:08x}", str(value)}
    return out


def _byte_spaced(word: int) -> list[re.Pattern[str]]:
    lo, hi = f"{word & 0xFF:02x}", f"{word >> 8:02x}"
    between = r"(?:\s*[,:;\-]?\s*)"
    patterns = []
    for a, b in ((lo, hi), (hi, lo)):
        patterns.append(re.compile(rf"(?<![0-9a-z])(?:0x)?{a}{between}(?:0x)?{b}(?![0-9a-z])"))
    return patterns


def leaked(words: Iterable[int], text: str, *, pairs: Sequence[tuple[int, int]] = ()) -> list[str]:
    """The written forms of ``words`` (and of the 32-bit ``pairs``) found in ``text``."""
    words = list(words)
    lowered = text.lower()
    found = tokens(lowered)
    forms = {form for w in words for form in word_forms(w)} | pair_forms(pairs)
    hits = sorted(forms & found)
    for word in words:
        for pattern in _byte_spaced(word):
            hits += [f"{m.group(0)!r} (bytes of 0x{word:04x})" for m in pattern.finditer(lowered)]
    return hits


def database_text(path: Path) -> str:
    """Every text and number stored in a SQLite file, table by table (blobs left out, but the
    compressed parameter changes read)."""
    con = sqlite3.connect(path)
    out = []
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in con.execute(f'SELECT * FROM "{table}"'):
            out += [str(v) for v in row if not isinstance(v, bytes)]
    if "parameter_changes" in tables:
        for (blob,) in con.execute("SELECT compressed FROM parameter_changes"):
            out.append(zlib.decompress(blob).decode("utf-8", "replace"))
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


def files_text(folder: Path) -> str:
    """The text files under ``folder`` (labels' ZPL and SVG, logs), read as text."""
    if not folder.exists():
        return ""
    out = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in {".zpl", ".svg", ".log", ".txt", ".json"}:
            out.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(out)
