"""Synthetic traceability data, inserted in bulk: for demos, report tests and benchmarks.

Attempts look like a line's: most packs pass first time, some fail at a step with a code and
are retested, a few are interrupted. Everything is derived from ``seed``, so two runs with the
same spec write the same database. Rows go in with explicit ids through Core ``executemany``
(thousands of rows per statement), which is what makes a million attempts practical.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, insert, select

from station.store.models import (
    Attempt,
    AttemptImage,
    FlashImage,
    Measurement,
    Pack,
    ParameterValue,
    Step,
)
from station.store.records import SEAL_STEP, VERIFY_STEP

#: steps of a synthetic attempt: (name, kind)
STEPS: tuple[tuple[str, str], ...] = (
    ("identify", "identify"),
    ("unseal", "unseal"),
    ("read before image", "read"),
    ("program data flash", "program"),
    ("verify data flash", VERIFY_STEP),
    ("calibrate", "calibrate"),
    ("functional test", "test"),
    ("write serial", "program"),
    ("seal", SEAL_STEP),
    ("read after image", "read"),
)
FAILURES: tuple[tuple[str, int], ...] = (
    ("BUS_NACK", 0),
    ("DF_VERIFY_MISMATCH", 4),
    ("CAL_VOLTAGE_OUT_OF_LIMITS", 5),
    ("FET_TEST_FAILED", 6),
    ("SEAL_NOT_CONFIRMED", 8),
)
DF_START = 0x4000
DF_LENGTH = 0x2000

ImageMode = Literal["none", "shared", "per-pack"]


@dataclass(frozen=True)
class DemoSpec:
    attempts: int
    #: packs that fail once are retested with this probability
    retest_rate: float = 0.8
    fail_rate: float = 0.05
    interrupted_rate: float = 0.002
    measurements_per_step: int = 2
    parameters: int = 6
    stations: int = 4
    lots: int = 40
    recipes: int = 3
    #: "shared": one before and one after image for every pack (records only, deduplicated);
    #: "per-pack": each pack has its own before and after image (a few bytes differ)
    images: ImageMode = "shared"
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
    first_pass: int
    passed: int


def generate(engine: Engine, spec: DemoSpec) -> DemoResult:
    """Append ``spec.attempts`` synthetic attempts to the (upgraded) database of ``engine``."""
    rng = random.Random(spec.seed)
    base_image = _base_image(rng)
    ids = _Ids(engine)
    totals = {"attempts": 0, "packs": 0, "first_pass": 0, "passed": 0}
    with engine.begin() as conn:
        shared = _shared_images(conn, ids, base_image) if spec.images == "shared" else None
    batch = _Batch(engine)
    for plan in _plans(rng, spec):
        _add_attempt(batch, ids, rng, spec, plan, base_image, shared)
        totals["attempts"] += 1
        totals["packs"] += plan.attempt_no == 1
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
            if roll < spec.interrupted_rate:
                outcome, failing = "INTERRUPTED", rng.randrange(len(STEPS))
            elif roll < spec.interrupted_rate + spec.fail_rate:
                outcome, failing = "FAIL", rng.randrange(len(FAILURES))
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
            for model in (Pack, Attempt, Step, Measurement, FlashImage, AttemptImage):
                top = conn.scalar(select(func.max(model.id)))
                self._next[model.__tablename__] = (top or 0) + 1
        self.packs: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


class _Batch:
    ORDER = (Pack, FlashImage, Attempt, Step, Measurement, ParameterValue, AttemptImage)

    def __init__(self, engine: Engine) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {m.__tablename__: [] for m in self.ORDER}
        #: timestamps as the driver takes them (SQLite: SQLAlchemy's DATETIME text, in UTC)
        self.stamp: Callable[[datetime], Any] = (
            _sqlite_stamp if engine.dialect.name == "sqlite" else _utc
        )

    def flush(self, engine: Engine) -> None:
        # Straight to the driver's executemany: SQLAlchemy's per-row parameter processing would
        # cost more than the database's own work, so rows already hold driver-ready values.
        dialect = engine.dialect
        quote = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        with engine.begin() as conn:
            for model in self.ORDER:
                rows = self.rows[model.__tablename__]
                if not rows:
                    continue
                columns = list(rows[0])
                sql = (
                    f"INSERT INTO {quote(model.__tablename__)} "
                    f"({', '.join(quote(c) for c in columns)}) "
                    f"VALUES ({', '.join([mark] * len(columns))})"
                )
                conn.exec_driver_sql(sql, [tuple(r.values()) for r in rows])
                rows.clear()


def _sqlite_stamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


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


def _image_row(ids: _Ids, data: bytes) -> dict[str, Any]:
    return {
        "id": ids.take(FlashImage.__tablename__),
        "sha256": hashlib.sha256(data).hexdigest(),
        "start_address": DF_START,
        "length": len(data),
        "compressed": zlib.compress(data, 6),
    }


def _shared_images(conn: Connection, ids: _Ids, base: bytes) -> tuple[int, int]:
    pair = []
    for data in (base, base[::-1]):
        digest = hashlib.sha256(data).hexdigest()
        found = conn.scalar(
            select(FlashImage.id).where(
                FlashImage.sha256 == digest, FlashImage.start_address == DF_START
            )
        )
        if found is None:
            row = _image_row(ids, data)
            conn.execute(insert(FlashImage), [row])
            found = row["id"]
        pair.append(found)
    return pair[0], pair[1]


def _unit_image(rng: random.Random, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(24):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _add_attempt(
    batch: _Batch,
    ids: _Ids,
    rng: random.Random,
    spec: DemoSpec,
    plan: _Plan,
    base_image: bytes,
    shared: tuple[int, int] | None,
) -> None:
    rows = batch.rows
    pack_id = ids.packs.get(plan.serial)
    if pack_id is None:
        pack_id = ids.take(Pack.__tablename__)
        ids.packs[plan.serial] = pack_id
        rows[Pack.__tablename__].append(
            {"id": pack_id, "serial": plan.serial, "first_seen": batch.stamp(plan.started)}
        )
        if len(ids.packs) > 10_000:  # only the current pack can be retested: forget old ones
            ids.packs.pop(next(iter(ids.packs)))
    attempt_id = ids.take(Attempt.__tablename__)
    if plan.outcome == "PASS":
        last, code, failing_name = len(STEPS) - 1, None, None
    elif plan.outcome == "FAIL":
        assert plan.failing is not None
        code, last = FAILURES[plan.failing]
        failing_name = STEPS[last][0]
    else:
        assert plan.failing is not None
        last, code, failing_name = plan.failing, "INTERRUPTED", None
    at = plan.started
    for ordinal in range(last + 1):
        name, kind = STEPS[ordinal]
        duration = rng.uniform(0.3, 6.0)
        step_id = ids.take(Step.__tablename__)
        failed = plan.outcome == "FAIL" and ordinal == last
        rows[Step.__tablename__].append(
            {
                "id": step_id,
                "attempt_id": attempt_id,
                "ordinal": ordinal + 1,
                "name": name,
                "kind": kind,
                "outcome": "FAIL" if failed else "PASS",
                "started_at": batch.stamp(at),
                "ended_at": batch.stamp(at + timedelta(seconds=duration)),
                "duration_s": duration,
                "failure_code": code if failed else None,
                "message": "",
                "details": "{}",
            }
        )
        at += timedelta(seconds=duration)
        for m in range(spec.measurements_per_step):
            value = rng.gauss(3700.0, 8.0)
            bad = failed and m == 0
            rows[Measurement.__tablename__].append(
                {
                    "id": ids.take(Measurement.__tablename__),
                    "attempt_id": attempt_id,
                    "step_id": step_id,
                    "name": f"{kind} value {m + 1}",
                    "value": 3800.0 if bad else value,
                    "text_value": None,
                    "unit": "mV",
                    "low_limit": 3670.0,
                    "high_limit": 3730.0,
                    "outcome": "FAIL" if bad or not 3670.0 <= value <= 3730.0 else "PASS",
                }
            )
    interrupted = plan.outcome == "INTERRUPTED"
    rows[Attempt.__tablename__].append(
        {
            "id": attempt_id,
            "pack_id": pack_id,
            "attempt_no": plan.attempt_no,
            "station_id": f"ST-{plan.station + 1:02d}",
            "socket": "AB"[plan.attempt_no % 2],
            "operator": f"op{rng.randrange(12):02d}",
            "work_order": f"WO-{plan.lot // 4:04d}",
            "lot": f"LOT-{plan.lot:04d}",
            "recipe_name": f"pack-{plan.recipe}",
            "recipe_version": "1.0",
            "recipe_hash": hashlib.sha256(f"recipe {plan.recipe}".encode()).hexdigest(),
            "software_version": "0.1.0",
            "key_set_id": "line-2026",
            "started_at": batch.stamp(plan.started),
            "ended_at": batch.stamp(at),
            "outcome": plan.outcome,
            "failure_code": code,
            "failing_step": failing_name,
            "reason": None,
            "rework_of": None,
            "rework_authorised_by": None,
            "rework_authorisation_id": None,
            "cycle_time_s": None if interrupted else (at - plan.started).total_seconds(),
            "label_state": "PRINTED" if plan.outcome == "PASS" else "NOT_PRINTED",
            "host": "demo",
            "pid": 1,
        }
    )
    for n in range(spec.parameters):
        before = rng.randrange(1000, 5000)
        rows[ParameterValue.__tablename__].append(
            {
                "attempt_id": attempt_id,
                "name": f"Parameter {n + 1}",
                "before": str(before),
                "after": str(before if n % 2 else 4400),
                "unit": "mAh",
            }
        )
    if spec.images == "none":
        return
    if shared is not None:
        before_id, after_id = shared
    else:
        before_img = _image_row(ids, _unit_image(rng, base_image))
        after_img = _image_row(ids, _unit_image(rng, base_image[::-1]))
        rows[FlashImage.__tablename__] += [before_img, after_img]
        before_id, after_id = before_img["id"], after_img["id"]
    for role, image_id in (("BEFORE", before_id), ("AFTER", after_id)):
        rows[AttemptImage.__tablename__].append(
            {
                "id": ids.take(AttemptImage.__tablename__),
                "attempt_id": attempt_id,
                "role": role,
                "image_id": image_id,
            }
        )
