"""Traceability data in bulk, for report tests and benchmarks: copies of what the real engine
records.

Attempts look like a line's: most packs pass first time, some fail and are retested, a few are
aborted or interrupted. Each attempt is a copy of a real attempt the engine recorded on the
emulator (:mod:`tests.bench.demo_runs`: its steps, messages, measurements, failure code,
parameter changes and which images it keeps) under a new serial and new times, with the measured
values varying as on a line (cells per lot, the temperature over the day) and judged against
their limits again. Everything is derived from ``seed``, so two runs with the same spec write the
same database. Rows go in with explicit ids through the driver's ``executemany`` (thousands of
rows per statement), which is what makes a million attempts practical.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select

from station.store import ImageRole, parameters
from station.store.images import BLOCK, encode_blocks
from station.store.models import (
    Attempt,
    AttemptImage,
    FlashImage,
    Measurement,
    Pack,
    ParameterChanges,
    Step,
)
from station.store.records import JUDGED_OUTCOMES, MeasurementRecord
from tests.bench.demo_batch import Batch, Ids
from tests.bench.demo_runs import SERIAL, RecordedRuns, RunTemplate, recorded_runs

#: the outcomes first-pass yield counts (an aborted or interrupted run is not judged)
_JUDGED = frozenset(str(o) for o in JUDGED_OUTCOMES)
DF_START = 0x4000
DF_LENGTH = 0x2000
#: the blocks a recipe touches (backed up before, read back after)
TOUCHED = (0x4040, 0x4060, 0x4080, 0x4420, 0x4440, 0x4480, 0x44A0, 0x4560, 0x4580)

#: "none": no image; "blocks": what the station keeps, a before block set shared by every
#: factory-fresh pack and an after block set per pack; "shared": one before and one after dump
#: for every pack (records only); "per-pack": a whole before and after dump per pack
ImageMode = Literal["none", "blocks", "shared", "per-pack"]


@dataclass(frozen=True)
class DemoSpec:
    attempts: int
    #: packs that fail once are retested with this probability
    retest_rate: float = 0.8
    fail_rate: float = 0.05
    interrupted_rate: float = 0.002
    #: stopped by the operator
    aborted_rate: float = 0.003
    #: parameter changes per attempt that reaches the apply step (up to 24)
    parameters: int = 24
    stations: int = 4
    lots: int = 40
    recipes: int = 3
    images: ImageMode = "blocks"
    seed: int = 1
    start: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 6, 0, tzinfo=UTC))
    #: time between two attempts starting on one station
    takt_s: float = 40.0
    serial_prefix: str = "DEMO"
    #: attempts written per transaction
    chunk: int = 2000


@dataclass(frozen=True)
class DemoResult:
    attempts: int
    packs: int
    #: packs whose first attempt was judged (PASS, FAIL or ERROR): first-pass yield's base
    first_judged: int
    first_pass: int
    passed: int


def generate(engine: Engine, spec: DemoSpec) -> DemoResult:
    """Append ``spec.attempts`` synthetic attempts to the (upgraded) database of ``engine``."""
    rng = random.Random(spec.seed)
    # The spread of the checked measurements has its own generator, so the outcomes of a seed
    # stay what they were before the values varied.
    noise = random.Random(spec.seed ^ 0x5EED)
    base_image = _base_image(rng)
    ids = Ids(engine)
    totals = {"attempts": 0, "packs": 0, "first_judged": 0, "first_pass": 0, "passed": 0}
    batch = Batch(engine)
    with engine.begin() as conn:
        shared = _shared_images(conn, batch, ids, base_image, spec.images)
    runs = recorded_runs()
    for plan in _plans(rng, spec, runs):
        template = _template(runs, plan)
        _add_attempt(batch, ids, _Copy(rng, noise, spec, plan, template), base_image, shared)
        totals["attempts"] += 1
        totals["packs"] += plan.attempt_no == 1
        totals["first_judged"] += plan.attempt_no == 1 and plan.outcome in _JUDGED
        totals["first_pass"] += plan.attempt_no == 1 and plan.outcome == "PASS"
        totals["passed"] += plan.outcome == "PASS"
        if len(batch.rows[Attempt.__tablename__]) >= spec.chunk:
            batch.flush(engine)
    batch.flush(engine)
    return DemoResult(**totals)


@dataclass
class _Plan:
    serial: str
    attempt_no: int
    outcome: str
    failing: int | None
    started: datetime
    station: int
    lot: int
    recipe: int


def _plans(rng: random.Random, spec: DemoSpec, runs: RecordedRuns) -> Iterator[_Plan]:
    weights = [t.weight for t in runs.failures]
    made = 0
    pack = 0
    per_station = [spec.start] * spec.stations
    while made < spec.attempts:
        pack += 1
        serial = f"{spec.serial_prefix}{spec.seed:02d}{pack:09d}"
        lot = (pack * spec.lots) // max(spec.attempts, 1)
        recipe = rng.randrange(spec.recipes)
        attempt_no = 0
        while made < spec.attempts:
            attempt_no += 1
            station = rng.randrange(spec.stations)
            per_station[station] += timedelta(seconds=spec.takt_s * rng.uniform(0.8, 1.3))
            roll = rng.random()
            unjudged = spec.interrupted_rate + spec.aborted_rate
            if roll < spec.interrupted_rate:
                # how many of a pass's steps were recorded before the process died
                outcome, failing = "INTERRUPTED", rng.randrange(1, len(runs.passed.steps))
            elif roll < unjudged:
                outcome, failing = "ABORTED", rng.randrange(len(runs.aborted))
            elif roll < unjudged + spec.fail_rate:
                failing = rng.choices(range(len(runs.failures)), weights=weights)[0]
                outcome = str(runs.failures[failing].outcome)
            else:
                outcome, failing = "PASS", None
            made += 1
            yield _Plan(
                serial, attempt_no, outcome, failing, per_station[station], station, lot, recipe
            )
            if outcome == "PASS" or rng.random() > spec.retest_rate or attempt_no >= 3:
                break


def _base_image(rng: random.Random) -> bytes:
    # A data flash is mostly structured constants with some per-unit values: blocks of fill
    # bytes and small integers, with a sprinkling of noise.
    out = bytearray()
    while len(out) < DF_LENGTH:
        kind = rng.random()
        run = rng.randrange(4, 48)
        if kind < 0.35:
            out += bytes([0xFF]) * run
        elif kind < 0.6:
            out += bytes(run)
        else:
            out += bytes(rng.randrange(0, 256) if rng.random() < 0.5 else 0 for _ in range(run))
    return bytes(out[:DF_LENGTH])


def _blocks(image: bytes) -> dict[int, bytes]:
    return {a: image[a - DF_START : a - DF_START + BLOCK] for a in TOUCHED}


def _image_row(
    ids: Ids,
    payload: bytes,
    start: int,
    length: int,
    *,
    sparse: bool,
    base: tuple[int, bytes] | None = None,
) -> tuple[Any, ...]:
    """A flash_images row; with ``base`` (id, bytes), compressed against the base's bytes."""
    if base is None:
        base_id, compressed = None, zlib.compress(payload, 9)
    else:
        packer = zlib.compressobj(9, zdict=base[1])
        base_id, compressed = base[0], packer.compress(payload) + packer.flush()
    return (
        ids.take(FlashImage.__tablename__),
        hashlib.sha256(payload).digest(),
        start,
        length,
        sparse,
        base_id,
        compressed,
    )


def _find_or_add(
    conn: Connection,
    batch: Batch,
    ids: Ids,
    payload: bytes,
    start: int,
    length: int,
    sparse: bool,
) -> int:
    found = conn.scalar(
        select(FlashImage.id).where(
            FlashImage.sha256 == hashlib.sha256(payload).hexdigest(),
            FlashImage.start_address == start,
            FlashImage.sparse == sparse,
        )
    )
    if found is not None:
        return int(found)
    row = _image_row(ids, payload, start, length, sparse=sparse)
    batch.rows[FlashImage.__tablename__].append(row)
    batch.write(conn)
    return int(row[0])


def _shared_images(
    conn: Connection, batch: Batch, ids: Ids, base: bytes, mode: ImageMode
) -> tuple[int, int] | None:
    """The image ids every pack shares: (before, after); after is 0 when it is per pack."""
    if mode == "shared":
        return (
            _find_or_add(conn, batch, ids, base, DF_START, len(base), False),
            _find_or_add(conn, batch, ids, base[::-1], DF_START, len(base), False),
        )
    if mode == "blocks":
        encoded, _ = encode_blocks(_blocks(base))
        return (_find_or_add(conn, batch, ids, encoded, TOUCHED[0], len(TOUCHED) * BLOCK, True), 0)
    return None


def _unit_image(rng: random.Random, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(24):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _after_blocks(base: bytes, serial: str, day: int) -> bytes:
    """The touched blocks after programming: recipe values, the serial and the date."""
    after = _blocks(base[::-1])
    after[TOUCHED[0]] = serial.encode()[:BLOCK].ljust(BLOCK, b"\0")
    after[TOUCHED[1]] = after[TOUCHED[1]][:-2] + (day & 0xFFFF).to_bytes(2, "little")
    return encode_blocks(after)[0]


def _template(runs: RecordedRuns, plan: _Plan) -> RunTemplate:
    """The real attempt ``plan`` is a copy of."""
    if plan.outcome == "PASS":
        return runs.passed
    assert plan.failing is not None
    if plan.outcome == "INTERRUPTED":
        return runs.interrupted(plan.failing)
    if plan.outcome == "ABORTED":
        return runs.aborted[plan.failing]
    return runs.failures[plan.failing]


@dataclass(frozen=True)
class _Copy:
    """One synthetic attempt: the real one it copies, and what makes it this pack's."""

    rng: random.Random
    noise: random.Random
    spec: DemoSpec
    plan: _Plan
    template: RunTemplate

    def text(self, value: str) -> str:
        return value.replace(SERIAL, self.plan.serial)


def _add_attempt(
    batch: Batch, ids: Ids, copy: _Copy, base_image: bytes, shared: tuple[int, int] | None
) -> None:
    plan, template = copy.plan, copy.template
    pack_id = _pack_id(batch, ids, plan)
    attempt_id = ids.take(Attempt.__tablename__)
    ended = _add_steps(batch, attempt_id, copy)
    if template.parameters and copy.spec.parameters:
        batch.rows[ParameterChanges.__tablename__].append(_parameters(attempt_id, copy))
    interrupted = plan.outcome == "INTERRUPTED"
    batch.rows[Attempt.__tablename__].append(
        (
            attempt_id,
            pack_id,
            plan.attempt_no,
            f"ST-{plan.station + 1:02d}",
            "AB"[plan.attempt_no % 2],
            f"op{copy.rng.randrange(12):02d}",
            f"WO-{plan.lot // 4:04d}",
            f"LOT-{plan.lot:04d}",
            f"pack-{plan.recipe}",
            "1.0",
            hashlib.sha256(f"recipe {plan.recipe}".encode()).hexdigest(),
            "0.1.0",
            template.key_set_id,
            batch.stamp(plan.started),
            batch.stamp(ended),
            plan.outcome,
            template.failure_code,
            template.failing_step,
            None if template.reason is None else copy.text(template.reason),
            None,
            None,
            None,
            None if interrupted else (ended - plan.started).total_seconds(),
            template.label_state,
            "demo",
            1,
        )
    )
    if copy.spec.images != "none":
        _add_images(batch, ids, copy, attempt_id, base_image, shared)


def _pack_id(batch: Batch, ids: Ids, plan: _Plan) -> int:
    pack_id = ids.packs.get(plan.serial)
    if pack_id is None:
        pack_id = ids.take(Pack.__tablename__)
        ids.packs[plan.serial] = pack_id
        batch.rows[Pack.__tablename__].append((pack_id, plan.serial, batch.stamp(plan.started)))
        if len(ids.packs) > 10_000:  # only the current pack can be retested: forget old ones
            ids.packs.pop(next(iter(ids.packs)))
    return pack_id


def _add_steps(batch: Batch, attempt_id: int, copy: _Copy) -> datetime:
    """The template's steps at this attempt's times; returns when the last one ended."""
    stamp = batch.stamp
    at = copy.plan.started
    for step in copy.template.steps:
        duration = copy.rng.uniform(0.3, 6.0)
        batch.rows[Step.__tablename__].append(
            (
                attempt_id,
                step.ordinal,
                step.name,
                step.kind,
                str(step.outcome),
                stamp(at),
                stamp(at + timedelta(seconds=duration)),
                duration,
                step.failure_code,
                copy.text(step.message),
                json.dumps(dict(step.details)),
            )
        )
        at += timedelta(seconds=duration)
        cells: list[float] = []
        for seq, m in enumerate(step.measurements, start=1):
            value, outcome = _measured(m, copy, cells)
            text = None if m.text is None else copy.text(m.text)
            batch.rows[Measurement.__tablename__].append(
                (attempt_id, step.ordinal, seq, m.name, value, text, m.unit, m.low, m.high, outcome)
            )
    return at


def _measured(m: MeasurementRecord, copy: _Copy, cells: list[float]) -> tuple[float | None, str]:
    """This pack's value of ``m`` and its verdict, judged against the limits as recorded."""
    value = m.value
    if value is None:
        return None, str(m.outcome)
    if m.name == "SBS serial number":
        value = float(int(copy.plan.serial[-4:]))
    elif m.unit == "mV" and m.low is None and m.high is None:
        value = round(copy.rng.gauss(value + _lot_offset(copy.plan.lot), 3.0))
        cells.append(value)
    elif m.low is not None or m.high is not None:
        value = _checked_value(m.name, value, cells, copy.plan.started, copy.noise)
    if m.low is None and m.high is None:
        return value, str(m.outcome)
    inside = (m.low is None or value >= m.low) and (m.high is None or value <= m.high)
    return value, "PASS" if inside else "FAIL"


def _add_images(
    batch: Batch,
    ids: Ids,
    copy: _Copy,
    attempt_id: int,
    base_image: bytes,
    shared: tuple[int, int] | None,
) -> None:
    """The before and after images the template kept, as this pack's."""
    rows, roles, plan = batch.rows, copy.template.images, copy.plan
    links: list[tuple[str, int]] = []
    if copy.spec.images == "per-pack":
        for role, image in ((ImageRole.BEFORE, base_image), (ImageRole.AFTER, base_image[::-1])):
            if role in roles:
                row = _image_row(
                    ids, _unit_image(copy.rng, image), DF_START, DF_LENGTH, sparse=False
                )
                rows[FlashImage.__tablename__].append(row)
                links.append((str(role), row[0]))
    else:
        assert shared is not None
        if ImageRole.BEFORE in roles:
            links.append(("BEFORE", shared[0]))
        if ImageRole.AFTER in roles and copy.spec.images == "shared":
            links.append(("AFTER", shared[1]))
        elif ImageRole.AFTER in roles:  # the touched blocks as read back
            encoded = _after_blocks(base_image, plan.serial, plan.started.toordinal())
            links.append(("AFTER", _after_id(batch, ids, encoded, base_image, shared[0])))
    rows[AttemptImage.__tablename__] += [(attempt_id, role, i) for role, i in links]


def _after_id(batch: Batch, ids: Ids, encoded: bytes, base_image: bytes, before: int) -> int:
    after_id = ids.afters.get(encoded)
    if after_id is None:  # a retest the same day reads the same blocks back
        before_blocks = encode_blocks(_blocks(base_image))[0]
        after = _image_row(
            ids,
            encoded,
            TOUCHED[0],
            len(TOUCHED) * BLOCK,
            sparse=True,
            base=(before, before_blocks),
        )
        batch.rows[FlashImage.__tablename__].append(after)
        after_id = ids.afters[encoded] = after[0]
        if len(ids.afters) > 1000:
            ids.afters.pop(next(iter(ids.afters)))
    return int(after_id)


def _lot_offset(lot: int) -> float:
    """Cells of one lot sit a little above or below another's (up to ±6 mV): what an
    individuals chart of the cell voltages shows as shifts."""
    return (zlib.crc32(f"lot {lot}".encode()) % 1201 - 600) / 100


def _checked_value(
    name: str, typical: float, cells: list[float], when: datetime, noise: random.Random
) -> float:
    """A checked measurement that varies as on a line: the worst cell and the imbalance follow
    the cell voltages; the temperature follows the day (warmer in the afternoon)."""
    if cells and name == "cell voltage (worst)":
        return min(cells)
    if cells and name == "cell imbalance":
        return max(cells) - min(cells)
    if name == "temperature":
        hour = when.hour + when.minute / 60
        daily = 1.5 * math.sin(2 * math.pi * (hour - 9) / 24)
        return round(typical + daily + noise.gauss(0.0, 0.4), 1)
    return typical


def _parameters(attempt_id: int, copy: _Copy) -> tuple[Any, ...]:
    """The template's parameter changes; those that name the pack (serial, date) are this
    pack's."""
    plan = copy.plan
    own = {
        "Serial Number": f"0x{zlib.crc32(plan.serial.encode()) & 0xFFFF:04X}",
        "Manufacture Date": f"{plan.started.toordinal()} ({plan.started:%Y-%m-%d})",
        "Manufacturer Info A": json.dumps(plan.serial),
    }
    entries: list[list[str | None]] = []
    for p in copy.template.parameters[: copy.spec.parameters]:
        entry = [p.name, p.before, own.get(p.name, p.after)]
        entries.append([*entry, p.unit] if p.unit else entry)
    return (attempt_id, len(entries), parameters.encode(entries))
