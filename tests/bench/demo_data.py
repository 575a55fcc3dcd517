"""Synthetic traceability data, inserted in bulk: for report tests and benchmarks.

Attempts look like a line's: most packs pass first time, some fail at a step with a code and
are retested, a few are interrupted. Each attempt has the steps, measurements, parameter changes
and before/after block sets a real run records (see ``tests/bench/overhead.py`` for the real
thing; ``tests/sequence/test_demo_data.py`` holds the steps and measurements here to what the real
engine records). Everything is derived from ``seed``, so two runs with the same spec write the same
database. Rows go in with explicit ids through the driver's ``executemany`` (thousands of rows
per statement), which is what makes a million attempts practical.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from sqlalchemy import Connection, Engine, func, select

from station.sequence.failures import FAILURES as FAILURE_TABLE
from station.sequence.failures import FailureCode
from station.store import parameters
from station.store.images import BLOCK, encode_blocks
from station.store.models import (
    Attempt,
    AttemptImage,
    FlashImage,
    Measurement,
    Pack,
    ParameterChanges,
    Step,
    to_micros,
)
from station.store.records import JUDGED_OUTCOMES, SEAL_STEP, VERIFY_STEP

#: a measurement of a synthetic attempt: (name, unit, low, high, typical value or None for text)
_M = tuple[str, str, float | None, float | None, float | None]

#: steps of a synthetic attempt, as the station names them: (name, kind, message, measurements)
STEPS: tuple[tuple[str, str, str, tuple[_M, ...]], ...] = (
    (
        "Check serial",
        "serial",
        "serial accepted",
        (
            ("serial", "", None, None, None),
            ("SBS serial number", "", None, None, 1.0),
        ),
    ),
    (
        "Identify gauge",
        "identify",
        "BQ40Z50 firmware 1.09, sealed",
        (
            ("PEC", "", None, None, None),
            ("device type", "", None, None, None),
            ("firmware", "", None, None, None),
            ("firmware build", "", None, None, 22.0),
            ("hardware version", "", None, None, None),
            ("ChemID", "", None, None, None),
            ("security mode on arrival", "", None, None, None),
        ),
    ),
    (
        "Unseal",
        "unseal",
        "unsealed with key set line-2026",
        (("security mode", "", None, None, None),),
    ),
    (
        "Back up data flash",
        "backup",
        "9 blocks (288 bytes) stored",
        (("static DF signature before", "", None, None, 17723.0),),
    ),
    ("Apply recipe", "apply", "10 writes, 119 bytes, 24 parameters changed", ()),
    (
        "Reset gauge",
        "reset",
        "gauge answered after reset (unsealed)",
        (("security mode after reset", "", None, None, None),),
    ),
    (
        "Verify",
        VERIFY_STEP,
        "data flash and pack checks pass",
        (
            ("data-flash bytes differing", "bytes", 0.0, 0.0, 0.0),
            ("cell 1 voltage", "mV", None, None, 3702.0),
            ("cell 2 voltage", "mV", None, None, 3699.0),
            ("cell 3 voltage", "mV", None, None, 3701.0),
            ("cell 4 voltage", "mV", None, None, 3698.0),
            ("cells seen", "", 4.0, 4.0, 4.0),
            ("cell voltage (worst)", "mV", 3000.0, 4200.0, 3698.0),
            ("cell imbalance", "mV", 0.0, 50.0, 4.0),
            ("temperature", "°C", 10.0, 45.0, 24.9),
            ("SafetyStatus clear", "", None, None, None),
            ("PFStatus clear", "", None, None, None),
            ("ManufacturingStatus", "", None, None, None),
        ),
    ),
    (
        "Seal",
        SEAL_STEP,
        "sealed (confirmed after reset)",
        (("security mode after seal and reset", "", None, None, None),),
    ),
    ("Print label", "label", "label printed on zebra:line1", ()),
    ("Record result", "record", "attempt recorded", ()),
)
_TEXTS = {
    "PEC": "off: the gauge sends none; every read that decides is read twice",
    "device type": "0x4500",
    "firmware": "1.09",
    "hardware version": "0x00A1",
    "ChemID": "0x0121",
    "security mode on arrival": "SEALED",
    "security mode": "UNSEALED",
    "static DF signature before": "0x453B",
    "security mode after reset": "UNSEALED",
    "SafetyStatus clear": "0x00000000 (expected 0x00000000)",
    "PFStatus clear": "0x00000000 (expected 0x00000000)",
    "ManufacturingStatus": "0x0278 (expected 0x0278 (b3-b9))",
    "security mode after seal and reset": "SEALED",
}
#: (failure code, index of the step that fails, the measurement out of its limits, how often:
#: a line's failures are a few causes, one more common than the next). The codes are the
#: engine's own, and whose fault each is (FAIL or ERROR) comes from the same table.
FAILURES: tuple[tuple[FailureCode, int, str | None, float], ...] = (
    (FailureCode.VERIFY_MISMATCH, 6, "data-flash bytes differing", 0.38),
    (FailureCode.CELL_IMBALANCE, 6, "cell imbalance", 0.27),
    (FailureCode.BUS_NACK, 1, None, 0.18),
    (FailureCode.SEAL_FAILED, 7, None, 0.11),
    (FailureCode.SEALED_UNKNOWN_KEYS, 2, None, 0.06),
)
_FAILURE_WEIGHTS = [f[3] for f in FAILURES]
#: the outcomes first-pass yield counts (an aborted or interrupted run is not judged)
_JUDGED = frozenset(str(o) for o in JUDGED_OUTCOMES)
_APPLY = 4
DF_START = 0x4000
DF_LENGTH = 0x2000
#: the blocks a recipe touches (backed up before, read back after)
TOUCHED = (0x4040, 0x4060, 0x4080, 0x4420, 0x4440, 0x4480, 0x44A0, 0x4560, 0x4580)
#: parameter changes: (name, before, after); the serial and date ones differ per pack
_PARAMETERS = (
    ("DA Configuration", "0x12", "0x13"),
    ("Design Capacity mAh", "4400 mAh", "10500 mAh"),
    ("Design Capacity cWh", "6336 cWh", "15120 cWh"),
    ("Device Name", '"BQ40Z50"', '"PK4S3P-3500"'),
    ("Manufacturer Name", '"Texas Instruments"', '"Packline"'),
    ("CUV Threshold", "2500 mV", "2800 mV"),
    ("COV Threshold Low Temp", "4300 mV", "4250 mV"),
    ("COV Threshold Standard Temp", "4300 mV", "4250 mV"),
    ("COV Threshold High Temp", "4300 mV", "4250 mV"),
    ("COV Threshold Rec Temp", "4300 mV", "4250 mV"),
    ("COV Recovery Low Temp", "3900 mV", "4100 mV"),
    ("COV Recovery Standard Temp", "3900 mV", "4100 mV"),
    ("COV Recovery High Temp", "3900 mV", "4100 mV"),
    ("COV Recovery Rec Temp", "3900 mV", "4100 mV"),
    ("OCC1 Delay", "6 s", "2 s"),
    ("OCD1 Threshold", "-6000 mA", "-20000 mA"),
    ("OCD1 Delay", "6 s", "2 s"),
    ("OCD2 Threshold", "-8000 mA", "-24000 mA"),
    ("OCD2 Delay", "3 s", "1 s"),
    ("LED Configuration", "0x00D0", "0x00D1"),
    ("Mfg Status Init", "0x0000", "0x0278"),
)

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
    ids = _Ids(engine)
    totals = {"attempts": 0, "packs": 0, "first_judged": 0, "first_pass": 0, "passed": 0}
    batch = _Batch(engine)
    with engine.begin() as conn:
        shared = _shared_images(conn, batch, ids, base_image, spec.images)
    for plan in _plans(rng, spec):
        _add_attempt(batch, ids, rng, noise, spec, plan, base_image, shared)
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


def _plans(rng: random.Random, spec: DemoSpec) -> Iterator[_Plan]:
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
                outcome, failing = "INTERRUPTED", rng.randrange(len(STEPS))
            elif roll < unjudged:
                outcome, failing = "ABORTED", rng.randrange(len(STEPS) - 2)
            elif roll < unjudged + spec.fail_rate:
                failing = rng.choices(range(len(FAILURES)), weights=_FAILURE_WEIGHTS)[0]
                outcome = str(FAILURE_TABLE[FAILURES[failing][0]].fault.outcome)
            else:
                outcome, failing = "PASS", None
            made += 1
            yield _Plan(
                serial, attempt_no, outcome, failing, per_station[station], station, lot, recipe
            )
            if outcome == "PASS" or rng.random() > spec.retest_rate or attempt_no >= 3:
                break


class _Ids:
    """Next free id per table, read once: rows carry explicit ids so children can point at them."""

    def __init__(self, engine: Engine) -> None:
        self._next: dict[str, int] = {}
        with engine.connect() as conn:
            for table, column in (
                (Pack.__tablename__, Pack.id),
                (Attempt.__tablename__, Attempt.id),
                (FlashImage.__tablename__, FlashImage.id),
            ):
                self._next[table] = (conn.scalar(select(func.max(column))) or 0) + 1
        self.packs: dict[str, int] = {}
        #: the latest packs' after block sets (encoding to id)
        self.afters: dict[bytes, int] = {}

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class _Batch:
    """Rows as driver-ready tuples, per table, in the column order of ``COLUMNS``."""

    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        Pack.__tablename__: ("id", "serial", "first_seen"),
        FlashImage.__tablename__: (
            "id",
            "sha256",
            "start_address",
            "length",
            "sparse",
            "base_id",
            "compressed",
        ),
        Attempt.__tablename__: (
            "id",
            "pack_id",
            "attempt_no",
            "station_id",
            "socket",
            "operator",
            "work_order",
            "lot",
            "recipe_name",
            "recipe_version",
            "recipe_hash",
            "software_version",
            "key_set_id",
            "started_at",
            "ended_at",
            "outcome",
            "failure_code",
            "failing_step",
            "reason",
            "rework_of",
            "rework_authorised_by",
            "rework_authorisation_id",
            "cycle_time_s",
            "label_state",
            "host",
            "pid",
        ),
        Step.__tablename__: (
            "attempt_id",
            "ordinal",
            "name",
            "kind",
            "outcome",
            "started_at",
            "ended_at",
            "duration_s",
            "failure_code",
            "message",
            "details",
        ),
        Measurement.__tablename__: (
            "attempt_id",
            "step_ordinal",
            "seq",
            "name",
            "value",
            "text_value",
            "unit",
            "low_limit",
            "high_limit",
            "outcome",
        ),
        ParameterChanges.__tablename__: ("attempt_id", "count", "compressed"),
        AttemptImage.__tablename__: ("attempt_id", "role", "image_id"),
    }

    def __init__(self, engine: Engine) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in self.COLUMNS}
        #: timestamps as the driver takes them (SQLite: microseconds, see ``UTCDateTime``)
        self.stamp: Callable[[datetime], Any] = (
            _sqlite_stamp if engine.dialect.name == "sqlite" else _utc
        )

    def flush(self, engine: Engine) -> None:
        # Straight to the driver's executemany: SQLAlchemy's per-row parameter processing would
        # cost more than the database's own work, so rows already hold driver-ready values.
        with engine.begin() as conn:
            self.write(conn)

    def write(self, conn: Connection) -> None:
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        for table, columns in self.COLUMNS.items():
            rows = self.rows[table]
            if not rows:
                continue
            sql = (
                f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES ({', '.join([mark] * len(columns))})"
            )
            conn.exec_driver_sql(sql, rows)
            rows.clear()
        if dialect.name == "postgresql":
            # Rows went in with explicit ids: move the id sequences past them, so the station's
            # own inserts afterwards get fresh ids.
            for table in (Pack.__tablename__, Attempt.__tablename__, FlashImage.__tablename__):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {quote(table)}))"
                    f" WHERE EXISTS (SELECT 1 FROM {quote(table)})"
                )


def _sqlite_stamp(value: datetime) -> int:
    return to_micros(value)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


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
    ids: _Ids,
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
    batch: _Batch,
    ids: _Ids,
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
    conn: Connection, batch: _Batch, ids: _Ids, base: bytes, mode: ImageMode
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


def _add_attempt(
    batch: _Batch,
    ids: _Ids,
    rng: random.Random,
    noise: random.Random,
    spec: DemoSpec,
    plan: _Plan,
    base_image: bytes,
    shared: tuple[int, int] | None,
) -> None:
    rows = batch.rows
    stamp = batch.stamp
    pack_id = ids.packs.get(plan.serial)
    if pack_id is None:
        pack_id = ids.take(Pack.__tablename__)
        ids.packs[plan.serial] = pack_id
        rows[Pack.__tablename__].append((pack_id, plan.serial, stamp(plan.started)))
        if len(ids.packs) > 10_000:  # only the current pack can be retested: forget old ones
            ids.packs.pop(next(iter(ids.packs)))
    attempt_id = ids.take(Attempt.__tablename__)
    bad_measurement = None
    if plan.outcome == "PASS":
        last, code, failing_name = len(STEPS) - 1, None, None
    elif plan.outcome in ("FAIL", "ERROR"):
        assert plan.failing is not None
        code, last, bad_measurement, _ = FAILURES[plan.failing]
        failing_name = STEPS[last][0]
    else:
        assert plan.failing is not None
        last, code, failing_name = plan.failing, plan.outcome, None
    at = plan.started
    steps, measurements = rows[Step.__tablename__], rows[Measurement.__tablename__]
    for ordinal in range(last + 1):
        name, kind, message, measured = STEPS[ordinal]
        duration = rng.uniform(0.3, 6.0)
        failed = plan.outcome in ("FAIL", "ERROR") and ordinal == last
        steps.append(
            (
                attempt_id,
                ordinal,
                name,
                kind,
                plan.outcome if failed else "PASS",
                stamp(at),
                stamp(at + timedelta(seconds=duration)),
                duration,
                code if failed else None,
                f"failed: {code}" if failed else message,
                "{}",
            )
        )
        at += timedelta(seconds=duration)
        cells: list[float] = []
        for seq, (m_name, unit, low, high, typical) in enumerate(measured, start=1):
            text = plan.serial if m_name == "serial" else _TEXTS.get(m_name)
            value = typical
            if typical is not None and low is None and unit == "mV":
                value = round(rng.gauss(typical + _lot_offset(plan.lot), 3.0))
                cells.append(value)
            elif typical is not None and low is not None:
                value = _checked_value(m_name, typical, cells, plan.started, noise)
            outcome = "INFO" if low is None and high is None else "PASS"
            if failed and m_name == bad_measurement:
                value, outcome = (high or 0.0) + 1.0 + round(noise.expovariate(0.2)), "FAIL"
            measurements.append(
                (attempt_id, ordinal, seq, m_name, value, text, unit, low, high, outcome)
            )
    if last >= _APPLY and spec.parameters:
        rows[ParameterChanges.__tablename__].append(_parameters(attempt_id, spec, plan))
    interrupted = plan.outcome == "INTERRUPTED"
    rows[Attempt.__tablename__].append(
        (
            attempt_id,
            pack_id,
            plan.attempt_no,
            f"ST-{plan.station + 1:02d}",
            "AB"[plan.attempt_no % 2],
            f"op{rng.randrange(12):02d}",
            f"WO-{plan.lot // 4:04d}",
            f"LOT-{plan.lot:04d}",
            f"pack-{plan.recipe}",
            "1.0",
            hashlib.sha256(f"recipe {plan.recipe}".encode()).hexdigest(),
            "0.1.0",
            "line-2026",
            stamp(plan.started),
            stamp(at),
            plan.outcome,
            code,
            failing_name,
            None,
            None,
            None,
            None,
            None if interrupted else (at - plan.started).total_seconds(),
            "PRINTED" if plan.outcome == "PASS" else "NOT_PRINTED",
            "demo",
            1,
        )
    )
    if spec.images == "none":
        return
    before_blocks = encode_blocks(_blocks(base_image))[0]
    links = []
    if spec.images == "shared":
        assert shared is not None
        links = [("BEFORE", shared[0]), ("AFTER", shared[1])]
    elif spec.images == "blocks":
        assert shared is not None
        links = [("BEFORE", shared[0])]
        if last >= _APPLY + 2:  # verified: the touched blocks were read back
            encoded = _after_blocks(base_image, plan.serial, plan.started.toordinal())
            after_id = ids.afters.get(encoded)
            if after_id is None:  # a retest the same day reads the same blocks back
                after = _image_row(
                    ids,
                    encoded,
                    TOUCHED[0],
                    len(TOUCHED) * BLOCK,
                    sparse=True,
                    base=(shared[0], before_blocks),
                )
                rows[FlashImage.__tablename__].append(after)
                after_id = ids.afters[encoded] = after[0]
                if len(ids.afters) > 1000:
                    ids.afters.pop(next(iter(ids.afters)))
            links.append(("AFTER", after_id))
    else:
        before = _image_row(ids, _unit_image(rng, base_image), DF_START, DF_LENGTH, sparse=False)
        after = _image_row(
            ids, _unit_image(rng, base_image[::-1]), DF_START, DF_LENGTH, sparse=False
        )
        rows[FlashImage.__tablename__] += [before, after]
        links = [("BEFORE", before[0]), ("AFTER", after[0])]
    rows[AttemptImage.__tablename__] += [(attempt_id, role, i) for role, i in links]


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


def _parameters(attempt_id: int, spec: DemoSpec, plan: _Plan) -> tuple[Any, ...]:
    entries: list[list[str | None]] = [[n, b, a] for n, b, a in _PARAMETERS]
    entries += [
        ["Serial Number", "0x0001", f"0x{zlib.crc32(plan.serial.encode()) & 0xFFFF:04X}"],
        [
            "Manufacture Date",
            "0 (no date)",
            f"{plan.started.toordinal()} ({plan.started:%Y-%m-%d})",
        ],
        [
            "Manufacturer Info A",
            json.dumps("abcdefghijklmnopqrstuvwzxy012345"),
            json.dumps(plan.serial),
        ],
    ]
    entries = entries[: spec.parameters]
    return (attempt_id, len(entries), parameters.encode(entries))
