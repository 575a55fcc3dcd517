"""Data-flash images, content-addressed: identical content at the same address is stored once.

Two kinds share one table:

* a dump (:func:`store_image`): contiguous bytes from a start address, e.g. the whole data flash;
  its SHA-256 is of the bytes, so it compares with a golden image's hash;
* a block set (:func:`store_blocks`): any set of aligned 32-byte blocks, e.g. the blocks a recipe
  touched, kept as ONE row in a canonical encoding: for each run of contiguous blocks, in address
  order, its address (4 bytes, big-endian), its length (4 bytes, big-endian) and its bytes. Runs
  are maximal, so a set of blocks has exactly one encoding; its SHA-256 is that encoding's, and
  identical sets (the "before" blocks of factory-fresh packs) are stored once.

Bytes are zlib-compressed and checked against their SHA-256 when read back. An image stored with
a ``base`` (the attempt's before image, for its after image) is compressed with the base's bytes
as zlib's preset dictionary: it then costs little more than its differences.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.attempts import require_running
from station.store.database import Database, new_id
from station.store.errors import ImageCorruptError, StoreInputError, UnknownImageError
from station.store.models import AttemptImage, FlashImage
from station.store.records import ImageRole

_LEVEL = 9
#: larger than any BQ40Z50 data flash; refuses a wrong buffer before it fills the database
MAX_IMAGE_BYTES = 1 << 20
#: the data-flash block: what ManufacturerBlockAccess reads and writes at once
BLOCK = 32
_HEADER = 8
_TOP = 1 << 32
#: a base may itself have a base (a chain of deltas); a longer chain is a damaged database
_MAX_BASES = 8

Ranges = tuple[tuple[int, int], ...]


# ---- the block-set encoding ------------------------------------------------------------------


def encode_blocks(blocks: Mapping[int, bytes]) -> tuple[bytes, Ranges]:
    """The canonical encoding of ``blocks`` and its ``(address, bytes)`` runs."""
    if not isinstance(blocks, Mapping):
        raise StoreInputError(f"blocks are a mapping of address to bytes, not a {type(blocks)}")
    if not blocks:
        raise StoreInputError("a block set needs at least one block; there is nothing to store")
    if len(blocks) * BLOCK > MAX_IMAGE_BYTES:
        raise StoreInputError(f"{len(blocks)} blocks are more than any data flash holds")
    runs: list[tuple[int, bytearray]] = []
    for address in sorted(_address(a) for a in blocks):
        data: object = blocks[address]
        if not isinstance(data, bytes | bytearray | memoryview) or len(data) != BLOCK:
            raise StoreInputError(
                f"block 0x{address:04X} must be {BLOCK} bytes, not "
                f"{len(data) if isinstance(data, bytes | bytearray | memoryview) else data!r}"
            )
        if runs and runs[-1][0] + len(runs[-1][1]) == address:
            runs[-1][1].extend(data)
        else:
            runs.append((address, bytearray(data)))
    out = bytearray()
    for address, data in runs:
        out += address.to_bytes(4, "big") + len(data).to_bytes(4, "big") + data
    return bytes(out), tuple((a, len(d)) for a, d in runs)


def _address(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreInputError(f"a block address is an integer, not {value!r}")
    if not 0 <= value < _TOP or value % BLOCK:
        raise StoreInputError(
            f"block address {value:#x} is not a 32-bit address on a {BLOCK}-byte boundary"
        )
    return value


def decode_blocks(encoded: bytes) -> tuple[dict[int, bytes], Ranges]:
    """Blocks and runs back from the canonical encoding; ValueError if it is not one."""
    blocks: dict[int, bytes] = {}
    ranges: list[tuple[int, int]] = []
    at = 0
    end_of_last = -1
    while at < len(encoded):
        if at + _HEADER > len(encoded):
            raise ValueError("truncated run header")
        address = int.from_bytes(encoded[at : at + 4], "big")
        length = int.from_bytes(encoded[at + 4 : at + 8], "big")
        at += _HEADER
        if address % BLOCK or not length or length % BLOCK or address <= end_of_last:
            raise ValueError(f"run at 0x{address:X}+{length} is not canonical")
        if at + length > len(encoded):
            raise ValueError("truncated run")
        for offset in range(0, length, BLOCK):
            blocks[address + offset] = bytes(encoded[at + offset : at + offset + BLOCK])
        ranges.append((address, length))
        end_of_last = address + length
        at += length
    if not ranges:
        raise ValueError("no block")
    return blocks, tuple(ranges)


def ranges_of(encoded: bytes) -> Ranges:
    """The runs of a block-set encoding, read from its headers only."""
    ranges: list[tuple[int, int]] = []
    at = 0
    while at + _HEADER <= len(encoded):
        address = int.from_bytes(encoded[at : at + 4], "big")
        length = int.from_bytes(encoded[at + 4 : at + 8], "big")
        ranges.append((address, length))
        at += _HEADER + length
    return tuple(ranges)


# ---- storing and loading ---------------------------------------------------------------------


def store_image(db: Database, data: bytes, start: int = 0, *, base: int | None = None) -> int:
    """Keep a contiguous data-flash dump (once per content and address); returns its id.

    ``base``: an image whose bytes resemble these (the before dump, for the after dump): it
    is stored as its differences."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StoreInputError(f"an image is bytes, not a {type(data).__name__}")
    data = bytes(data)
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < _TOP:
        raise StoreInputError(f"image start address {start} is not a 32-bit address")
    if len(data) > MAX_IMAGE_BYTES:
        raise StoreInputError(f"image of {len(data)} bytes is larger than any data flash")
    return _store(db, data, start, len(data), sparse=False, base=base)


def store_blocks(db: Database, blocks: Mapping[int, bytes], *, base: int | None = None) -> int:
    """Keep a set of aligned 32-byte data-flash blocks ``{address: bytes}`` (not necessarily
    contiguous) as ONE image, stored once per content; returns its id.

    ``base``: an image whose bytes resemble these (the before blocks, for the after blocks):
    it is stored as its differences. Link the image with :meth:`link_images` (``before=``
    or ``after=``); the trace shows its address ranges, length and SHA-256."""
    encoded, ranges = encode_blocks(blocks)
    return _store(db, encoded, ranges[0][0], sum(n for _, n in ranges), sparse=True, base=base)


def _store(
    db: Database, payload: bytes, start: int, length: int, *, sparse: bool, base: int | None
) -> int:
    digest = hashlib.sha256(payload).hexdigest()
    key = (
        FlashImage.sha256 == digest,
        FlashImage.start_address == start,
        FlashImage.sparse == sparse,
    )
    for _ in range(3):
        # Look first in a read transaction, insert in another: SQLite cannot turn a read
        # snapshot into a write once another socket has written.
        with db.conn() as conn:
            found = conn.scalar(select(FlashImage.id).where(*key))
            if found is not None:
                return int(found)
            row = {
                "sha256": digest,
                "start_address": start,
                "length": length,
                "sparse": sparse,
                **_compressed(conn, payload, base),
            }
        try:
            with db.conn() as conn:
                return new_id(conn.execute(insert(FlashImage).values(row)))
        except IntegrityError:
            continue  # stored by another socket at the same moment: use that one
    raise StoreInputError("the image could not be stored; retry")


def _compressed(conn: Connection, payload: bytes, base: int | None) -> dict[str, Any]:
    """``base_id`` and ``compressed``: against ``base``'s bytes when that is smaller."""
    plain = zlib.compress(payload, _LEVEL)
    if base is None:
        return {"base_id": None, "compressed": plain}
    try:
        reference = payload_of(conn, base)
    except ImageCorruptError:
        # A damaged base must not stop the line: this image is kept whole instead.
        return {"base_id": None, "compressed": plain}
    packer = zlib.compressobj(_LEVEL, zdict=reference)
    delta = packer.compress(payload) + packer.flush()
    if len(delta) >= len(plain):
        return {"base_id": None, "compressed": plain}
    return {"base_id": base, "compressed": delta}


def payload_of(conn: Connection | Session, image_id: int, *, _depth: int = 0) -> bytes:
    """The uncompressed bytes of an image (a dump, or a block set's encoding), checked against
    its SHA-256."""
    row = conn.execute(
        select(
            FlashImage.length,
            FlashImage.sparse,
            FlashImage.sha256,
            FlashImage.base_id,
            FlashImage.compressed,
        ).where(FlashImage.id == image_id)
    ).first()
    if row is None:
        raise UnknownImageError(f"image {image_id} is not in the traceability database")
    try:
        if row.base_id is None:
            payload = zlib.decompress(row.compressed)
        elif _depth >= _MAX_BASES:
            raise zlib.error("base chain too long")
        else:
            unpacker = zlib.decompressobj(zdict=payload_of(conn, row.base_id, _depth=_depth + 1))
            payload = unpacker.decompress(row.compressed) + unpacker.flush()
    except zlib.error:
        payload = b""
    if hashlib.sha256(payload).hexdigest() != row.sha256 or (
        not row.sparse and len(payload) != row.length
    ):
        raise ImageCorruptError(
            f"image {image_id} no longer matches its SHA-256 {row.sha256}: the database copy "
            "is damaged; restore the database from a backup"
        )
    return payload


def _checked(db: Database, image_id: int) -> tuple[int, bool, bytes]:
    """``(start, sparse, uncompressed payload)``, checked against the image's SHA-256."""
    with db.conn() as conn:
        payload = payload_of(conn, image_id)
        start, sparse = conn.execute(
            select(FlashImage.start_address, FlashImage.sparse).where(FlashImage.id == image_id)
        ).one()
    return int(start), bool(sparse), payload


def load_image(db: Database, image_id: int) -> tuple[int, bytes]:
    """``(start address, bytes)``: a dump, or a block set whose blocks are contiguous."""
    start, sparse, payload = _checked(db, image_id)
    if not sparse:
        return start, payload
    blocks = _decoded(image_id, payload)
    addresses = sorted(blocks)
    if addresses[-1] - addresses[0] != BLOCK * (len(addresses) - 1):
        raise StoreInputError(
            f"image {image_id} is a set of separate blocks, not contiguous bytes; read it "
            "with load_blocks"
        )
    return addresses[0], b"".join(blocks[a] for a in addresses)


def load_blocks(db: Database, image_id: int) -> dict[int, bytes]:
    """``{address: 32 bytes}``: a block set, or a dump cut into its blocks."""
    start, sparse, payload = _checked(db, image_id)
    if sparse:
        return _decoded(image_id, payload)
    if start % BLOCK or len(payload) % BLOCK:
        raise StoreInputError(
            f"image {image_id} is a dump at 0x{start:X} of {len(payload)} bytes, not whole "
            f"{BLOCK}-byte blocks; read it with load_image"
        )
    return {start + n: payload[n : n + BLOCK] for n in range(0, len(payload), BLOCK)}


def _decoded(image_id: int, payload: bytes) -> dict[int, bytes]:
    try:
        return decode_blocks(payload)[0]
    except ValueError:
        # The hash matched, so this is what was stored: not a corruption but a foreign row.
        raise StoreInputError(f"image {image_id} is not a block set this store wrote") from None


def link_images(
    db: Database,
    attempt_id: int,
    *,
    before: int | None = None,
    after: int | None = None,
    before_parts: Sequence[int] = (),
    after_parts: Sequence[int] = (),
) -> None:
    """Link stored images to a running attempt: one ``before`` and one ``after`` image
    (a dump or a block set), and any number of older-style ``*_parts``."""
    links: list[tuple[ImageRole, int]] = []
    if before is not None:
        links.append((ImageRole.BEFORE, before))
    if after is not None:
        links.append((ImageRole.AFTER, after))
    links += [(ImageRole.BEFORE_PART, i) for i in before_parts]
    links += [(ImageRole.AFTER_PART, i) for i in after_parts]
    if not links:
        return
    with db.conn() as conn:
        require_running(conn, attempt_id)
        existing = {
            (str(role), int(image_id))
            for role, image_id in conn.execute(
                select(AttemptImage.role, AttemptImage.image_id).where(
                    AttemptImage.attempt_id == attempt_id
                )
            )
        }
        wanted = {i for _, i in links}
        known = set(conn.scalars(select(FlashImage.id).where(FlashImage.id.in_(wanted))))
        rows = []
        for role, image_id in links:
            if (role, image_id) in existing:
                continue
            if image_id not in known:
                raise UnknownImageError(
                    f"image {image_id} is not in the traceability database; store it first"
                )
            whole = role in (ImageRole.BEFORE, ImageRole.AFTER)
            if whole and any(r == role for r, _ in existing):
                raise StoreInputError(
                    f"attempt {attempt_id} already has a {role.lower()} image; an attempt has "
                    "one of each"
                )
            rows.append({"attempt_id": attempt_id, "role": role, "image_id": image_id})
            existing.add((role, image_id))
        if rows:
            conn.execute(insert(AttemptImage), rows)
