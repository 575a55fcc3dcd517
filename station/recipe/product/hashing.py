"""The recipe content hash the database pins.

SHA-256 over, in order, framed so no two inputs can collide by concatenation:

1. the recipe's canonical text (UTF-8; line endings normalised to LF, no byte-order mark);
2. the gauge profile it names: header text, then table text (a changed address or sign-off is a
   changed recipe);
3. every file the recipe references (golden image, FlashStream), by its path relative to the
   recipe and its exact bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_FORMAT = "packline-recipe-hash/1"


def canonical_text(text: str) -> str:
    """The text the hash covers: ``\\r\\n`` and lone ``\\r`` become ``\\n``; a BOM is dropped."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def content_hash(
    recipe_text: str,
    profile_parts: Sequence[tuple[str, bytes]],
    files: Sequence[tuple[str, bytes]],
) -> str:
    h = hashlib.sha256()
    h.update(HASH_FORMAT.encode() + b"\n")
    parts: list[tuple[str, str, bytes]] = [("recipe", "", canonical_text(recipe_text).encode())]
    parts += [("profile", name, data) for name, data in profile_parts]
    parts += [("file", name, data) for name, data in files]
    for kind, name, data in parts:
        h.update(f"{kind} {name} {len(data)}\n".encode())
        h.update(data)
        h.update(b"\n")
    return h.hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
