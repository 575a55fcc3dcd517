"""Data-flash images: content-addressed, compressed, stored once, checked when read back."""

from __future__ import annotations

import hashlib
import os
import zlib

import pytest
from sqlalchemy import func, select, update

from station.store import (
    ImageCorruptError,
    ImageRole,
    Store,
    StoreInputError,
    UnknownImageError,
)
from station.store.models import FlashImage
from tests.store.helpers import WallClock, passing_steps, start_record

DF = bytes(range(256)) * 32  # 8 KiB with structure, like a data-flash dump


def _rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(FlashImage)).scalar_one())


def test_identical_images_are_stored_once(store: Store) -> None:
    first = store.store_image(DF, 0x4000)
    again = store.store_image(bytes(DF), 0x4000)
    assert first == again
    assert _rows(store) == 1


def test_same_bytes_at_another_address_is_another_image(store: Store) -> None:
    assert store.store_image(DF[:32], 0x4000) != store.store_image(DF[:32], 0x4020)
    assert _rows(store) == 2


def test_image_round_trip_is_exact_and_compressed(store: Store, clock: WallClock) -> None:
    image = store.store_image(DF, 0x4000)
    assert store.load_image(image) == (0x4000, DF)
    attempt = store.start_attempt(start_record("PK-1"))
    store.link_images(attempt, before=image, after=image)
    trace = store.trace("PK-1")
    assert trace is not None
    refs = trace.attempts[0].images
    assert [r.role for r in refs] == [ImageRole.BEFORE, ImageRole.AFTER]
    ref = refs[0]
    assert ref.sha256 == hashlib.sha256(DF).hexdigest()
    assert (ref.start, ref.length) == (0x4000, len(DF))
    assert 0 < ref.stored_bytes < len(DF) // 4  # zlib: structured data shrinks a lot


def test_random_bytes_survive_even_if_they_do_not_compress(store: Store) -> None:
    noise = os.urandom(4096)
    assert store.load_image(store.store_image(noise, 0))[1] == noise


def test_touched_blocks_are_partial_images(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    parts = [store.store_image(DF[n : n + 32], 0x4000 + n) for n in (0, 0x100, 0x200)]
    after_parts = [store.store_image(b"\xaa" * 32, 0x4100)]
    store.link_images(attempt, before_parts=parts, after_parts=after_parts)
    store.link_images(attempt, before_parts=parts)  # linking again changes nothing
    trace = store.trace("PK-1")
    assert trace is not None
    got = [(r.role, r.start) for r in trace.attempts[0].images]
    assert got == [
        (ImageRole.BEFORE_PART, 0x4000),
        (ImageRole.BEFORE_PART, 0x4100),
        (ImageRole.BEFORE_PART, 0x4200),
        (ImageRole.AFTER_PART, 0x4100),
    ]


def test_one_before_and_one_after_image_per_attempt(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    a = store.store_image(DF, 0x4000)
    b = store.store_image(DF[::-1], 0x4000)
    store.link_images(attempt, before=a)
    store.link_images(attempt, before=a)
    with pytest.raises(StoreInputError, match="already has a before image"):
        store.link_images(attempt, before=b)
    with pytest.raises(UnknownImageError):
        store.link_images(attempt, after=99999)


def test_packs_share_the_golden_after_image(store: Store, clock: WallClock) -> None:
    golden = DF[::-1]
    for serial in ("PK-1", "PK-2", "PK-3"):
        attempt = store.start_attempt(start_record(serial))
        for s in passing_steps(clock):
            store.record_step(attempt, s)
        unit = bytearray(DF)
        unit[0 : len(serial)] = serial.encode()
        store.link_images(
            attempt,
            before=store.store_image(bytes(unit), 0x4000),
            after=store.store_image(golden, 0x4000),
        )
    assert _rows(store) == 4  # three before-images, one shared after-image


def test_damaged_image_is_detected(store: Store) -> None:
    image = store.store_image(DF, 0x4000)
    with store.engine.begin() as conn:
        conn.execute(
            update(FlashImage)
            .where(FlashImage.id == image)
            .values(compressed=zlib.compress(DF[:-1] + b"\x00"))
        )
    with pytest.raises(ImageCorruptError, match="restore the database"):
        store.load_image(image)


def test_image_input_is_checked(store: Store) -> None:
    with pytest.raises(StoreInputError):
        store.store_image("not bytes", 0)  # type: ignore[arg-type]
    with pytest.raises(StoreInputError):
        store.store_image(b"x", -1)
    with pytest.raises(UnknownImageError):
        store.load_image(4242)
