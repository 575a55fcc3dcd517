"""Data-flash images, content-addressed: identical bytes at the same address are stored once.

A full dump is an image at the data-flash start address; a "touched blocks" dump is several
partial images, each at its own start address. Bytes are zlib-compressed; the SHA-256 is of the
uncompressed bytes, so it can be compared with a golden image's hash.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.attempts import running_attempt
from station.store.database import Database
from station.store.errors import (
    ImageCorruptError,
    StoreInputError,
    UnknownImageError,
)
from station.store.models import AttemptImage, FlashImage
from station.store.records import ImageRole

_LEVEL = 6
#: larger than any BQ40Z50 data flash; refuses a wrong buffer before it fills the database
MAX_IMAGE_BYTES = 1 << 20


def store_image(db: Database, data: bytes, start: int = 0) -> int:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StoreInputError(f"an image is bytes, not a {type(data).__name__}")
    data = bytes(data)
    if not 0 <= start <= 0xFFFF_FFFF:
        raise StoreInputError(f"image start address {start} is not a 32-bit address")
    if len(data) > MAX_IMAGE_BYTES:
        raise StoreInputError(f"image of {len(data)} bytes is larger than any data flash")
    digest = hashlib.sha256(data).hexdigest()
    for _ in range(3):
        with db.tx() as s:
            found = _find(s, digest, start)
            if found is not None:
                return found
        try:
            with db.tx() as s:
                row = FlashImage(
                    sha256=digest,
                    start_address=start,
                    length=len(data),
                    compressed=zlib.compress(data, _LEVEL),
                )
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            continue  # stored by another socket at the same moment: use that one
    raise StoreInputError("the image could not be stored; retry")


def _find(s: Session, digest: str, start: int) -> int | None:
    return s.scalar(
        select(FlashImage.id).where(FlashImage.sha256 == digest, FlashImage.start_address == start)
    )


def load_image(db: Database, image_id: int) -> tuple[int, bytes]:
    """``(start address, bytes)`` of an image, checked against its SHA-256."""
    with db.tx() as s:
        row = s.get(FlashImage, image_id)
        if row is None:
            raise UnknownImageError(f"image {image_id} is not in the traceability database")
        data = zlib.decompress(row.compressed)
        if len(data) != row.length or hashlib.sha256(data).hexdigest() != row.sha256:
            raise ImageCorruptError(
                f"image {image_id} no longer matches its SHA-256 {row.sha256}: the database "
                "copy is damaged; restore the database from a backup"
            )
        return row.start_address, data


def link_images(
    db: Database,
    attempt_id: int,
    *,
    before: int | None = None,
    after: int | None = None,
    before_parts: Sequence[int] = (),
    after_parts: Sequence[int] = (),
) -> None:
    links: list[tuple[ImageRole, int]] = []
    if before is not None:
        links.append((ImageRole.BEFORE, before))
    if after is not None:
        links.append((ImageRole.AFTER, after))
    links += [(ImageRole.BEFORE_PART, i) for i in before_parts]
    links += [(ImageRole.AFTER_PART, i) for i in after_parts]
    with db.tx() as s:
        running_attempt(s, attempt_id)
        existing = set(
            s.execute(
                select(AttemptImage.role, AttemptImage.image_id).where(
                    AttemptImage.attempt_id == attempt_id
                )
            ).tuples()
        )
        for role, image_id in links:
            if (role, image_id) in existing:
                continue
            if s.get(FlashImage, image_id) is None:
                raise UnknownImageError(
                    f"image {image_id} is not in the traceability database; store it first"
                )
            whole = role in (ImageRole.BEFORE, ImageRole.AFTER)
            if whole and any(r == role for r, _ in existing):
                raise StoreInputError(
                    f"attempt {attempt_id} already has a {role.lower()} image; an attempt has "
                    "one of each"
                )
            s.add(AttemptImage(attempt_id=attempt_id, role=role, image_id=image_id))
            existing.add((role, image_id))
