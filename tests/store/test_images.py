"""Data-flash images (dumps and block sets): content-addressed, compressed, stored once, checked
when read back."""

from __future__ import annotations

import hashlib
import itertools
import os
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from station.store import (
    ImageCorruptError,
    ImageRole,
    Store,
    StoreInputError,
    UnknownImageError,
)
from station.store.images import decode_blocks, encode_blocks, ranges_of
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


# ---- block sets: the touched blocks of an attempt, kept as one image ------------------------

#: blocks as a recipe touches them: two runs of contiguous blocks and a lone one
TOUCHED = (0x4040, 0x4060, 0x4080, 0x4420, 0x4440, 0x4560)


def _blocks(fill: int = 0, *, serial: bytes = b"") -> dict[int, bytes]:
    out = {a: bytes((a >> 5) + n + fill & 0xFF for n in range(32)) for a in TOUCHED}
    if serial:
        out[TOUCHED[0]] = serial.ljust(32, b"\0")
    return out


def test_block_set_round_trip(store: Store) -> None:
    blocks = _blocks()
    image = store.store_blocks(blocks)
    assert store.load_blocks(image) == blocks
    assert _rows(store) == 1


def test_identical_block_sets_are_stored_once_whatever_their_order(store: Store) -> None:
    blocks = _blocks()
    first = store.store_blocks(blocks)
    reordered = {a: bytearray(blocks[a]) for a in reversed(TOUCHED)}
    assert store.store_blocks(reordered) == first  # type: ignore[arg-type]
    assert store.store_blocks(_blocks(fill=1)) != first
    assert _rows(store) == 2


def test_a_block_set_is_not_a_dump_of_the_same_bytes(store: Store) -> None:
    run = {0x4000: DF[:32], 0x4020: DF[32:64]}
    dump = store.store_image(DF[:64], 0x4000)
    blocks = store.store_blocks(run)
    assert blocks != dump
    assert store.load_image(blocks) == (0x4000, DF[:64])  # contiguous: readable as a dump too
    assert store.load_blocks(dump) == run  # and a dump on block boundaries as blocks


def test_separate_blocks_are_not_read_as_contiguous_bytes(store: Store) -> None:
    image = store.store_blocks(_blocks())
    with pytest.raises(StoreInputError, match="load_blocks"):
        store.load_image(image)


def test_trace_shows_a_block_sets_ranges_length_and_hash(store: Store, clock: WallClock) -> None:
    attempt = store.start_attempt(start_record("PK-1"))
    before = store.store_blocks(_blocks())
    after = store.store_blocks(_blocks(fill=7, serial=b"PK-1"), base=before)
    store.link_images(attempt, before=before, after=after)
    trace = store.trace("PK-1")
    assert trace is not None
    refs = trace.attempts[0].images
    assert [(r.role, r.image_id, r.sparse) for r in refs] == [
        (ImageRole.BEFORE, before, True),
        (ImageRole.AFTER, after, True),
    ]
    for ref in refs:
        assert ref.ranges == ((0x4040, 96), (0x4420, 64), (0x4560, 32))
        assert ref.ranges_text == "0x4040-0x409F, 0x4420-0x445F, 0x4560-0x457F"
        assert (ref.start, ref.length) == (0x4040, 6 * 32)
    # The hash is the canonical encoding's: each run's address, length and bytes, in order.
    blocks = _blocks()
    encoding = b"".join(
        a.to_bytes(4, "big")
        + n.to_bytes(4, "big")
        + b"".join(blocks[x] for x in range(a, a + n, 32))
        for a, n in refs[0].ranges
    )
    assert refs[0].sha256 == hashlib.sha256(encoding).hexdigest()


def test_an_after_set_stored_against_its_before_set_costs_its_differences(
    store: Store,
) -> None:
    before_blocks = {a: os.urandom(32) for a in TOUCHED}  # incompressible on its own
    after_blocks = dict(before_blocks)
    after_blocks[TOUCHED[0]] = b"PK-0042".ljust(32, b"\0")
    before = store.store_blocks(before_blocks)
    after = store.store_blocks(after_blocks, base=before)
    assert store.load_blocks(after) == after_blocks
    sizes = _stored(store)
    alone = len(zlib.compress(encode_blocks(after_blocks)[0], 9))
    assert sizes[before] > 6 * 32
    assert sizes[after] < alone // 3
    # Stored again without a base, the same content is the same image.
    assert store.store_blocks(after_blocks) == after


def _stored(store: Store) -> dict[int, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(FlashImage.id, func.length(FlashImage.compressed)))
        return {i: int(n) for i, n in rows}


def test_a_damaged_block_set_is_detected_by_its_hash(store: Store) -> None:
    blocks = _blocks()
    image = store.store_blocks(blocks)
    with store.engine.begin() as conn:
        stored = conn.execute(
            select(FlashImage.compressed).where(FlashImage.id == image)
        ).scalar_one()
        damaged = bytearray(zlib.decompress(stored))
        damaged[-1] ^= 0x01  # one bit of the last block, still a valid encoding
        conn.execute(
            update(FlashImage)
            .where(FlashImage.id == image)
            .values(compressed=zlib.compress(bytes(damaged)))
        )
    with pytest.raises(ImageCorruptError, match="SHA-256"):
        store.load_blocks(image)


def test_a_damaged_base_is_detected_through_the_images_stored_against_it(store: Store) -> None:
    before = store.store_blocks(_blocks())
    after = store.store_blocks(_blocks(fill=3), base=before)
    with store.engine.begin() as conn:
        conn.execute(
            update(FlashImage)
            .where(FlashImage.id == before)
            .values(compressed=zlib.compress(b"\x00" * 8))
        )
    with pytest.raises(ImageCorruptError):
        store.load_blocks(after)
    # A new image is then kept whole: the damaged base does not stop the line.
    later = store.store_blocks(_blocks(fill=4), base=before)
    assert store.load_blocks(later) == _blocks(fill=4)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ({}, "at least one block"),
        ({0x4001: bytes(32)}, "32-byte boundary"),
        ({-32: bytes(32)}, "32-byte boundary"),
        ({1 << 32: bytes(32)}, "32-byte boundary"),
        ({0x4000: bytes(31)}, "must be 32 bytes"),
        ({0x4000: "text" * 8}, "must be 32 bytes"),
        ({"0x4000": bytes(32)}, "is an integer"),
        ({True: bytes(32)}, "is an integer"),
    ],
)
def test_block_set_input_is_checked(store: Store, blocks: object, message: str) -> None:
    with pytest.raises(StoreInputError, match=message):
        store.store_blocks(blocks)  # type: ignore[arg-type]
    assert _rows(store) == 0


def test_unknown_block_set_and_unknown_base(store: Store) -> None:
    with pytest.raises(UnknownImageError):
        store.load_blocks(4242)
    with pytest.raises(UnknownImageError):
        store.store_blocks(_blocks(), base=4242)


_block_sets = st.dictionaries(
    st.integers(0, (1 << 27) - 1).map(lambda n: n * 32),
    st.binary(min_size=32, max_size=32),
    min_size=1,
    max_size=40,
)


@given(_block_sets)
def test_the_encoding_round_trips_and_is_canonical(blocks: dict[int, bytes]) -> None:
    encoded, ranges = encode_blocks(blocks)
    assert decode_blocks(encoded) == (blocks, ranges)
    assert ranges_of(encoded) == ranges
    assert sum(n for _, n in ranges) == 32 * len(blocks)
    # Maximal runs: no two runs touch, so one set has one encoding.
    assert all(a + n < b for (a, n), (b, _) in itertools.pairwise(ranges))
    assert encode_blocks(dict(reversed(list(blocks.items()))))[0] == encoded


@given(_block_sets, st.integers(0, 10_000), st.integers(0, 255))
def test_any_changed_byte_changes_the_hash(blocks: dict[int, bytes], where: int, xor: int) -> None:
    encoded, _ = encode_blocks(blocks)
    changed = bytearray(encoded)
    changed[where % len(changed)] ^= xor or 1
    assert hashlib.sha256(bytes(changed)).digest() != hashlib.sha256(encoded).digest()


def test_an_after_dump_stored_against_its_before_dump(store: Store) -> None:
    noise = bytearray(os.urandom(2048))
    before = store.store_image(bytes(noise), 0x4000)
    noise[100:110] = b"PK-0000042"
    after = store.store_image(bytes(noise), 0x4000, base=before)
    assert store.load_image(after) == (0x4000, bytes(noise))
    assert _stored(store)[after] < 200 < _stored(store)[before]
