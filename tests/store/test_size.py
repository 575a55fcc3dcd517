"""Database bytes per pack: a realistic attempt, images included, costs under 4 KiB on SQLite.

The attempt is what a station run records (see ``tests/bench/overhead.py`` for the real thing):
10 steps, 24 measurements, 24 parameter changes, a label, and before/after images of the 9
touched data-flash blocks, the before image the same for every factory-fresh pack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.store import (
    AttemptOutcome,
    LabelOutcome,
    MeasurementRecord,
    ParameterRecord,
    StepOutcome,
    StepRecord,
    Store,
)
from tests.store.helpers import Liveness, WallClock, start_record

BUDGET = 4096
WARM_UP = 20
PACKS = 300

TOUCHED = (0x4040, 0x4060, 0x4080, 0x4420, 0x4440, 0x4480, 0x44A0, 0x4560, 0x4580)
FRESH = {a: bytes((a * 7 + n * 13) & 0xFF for n in range(32)) for a in TOUCHED}

_TEXT = {
    "device type": "0x4500",
    "firmware": "1.09",
    "hardware version": "0x00A1",
    "ChemID": "0x0121",
    "security mode on arrival": "SEALED",
    "security mode": "UNSEALED",
    "security mode after reset": "UNSEALED",
    "SafetyStatus clear": "0x00000000 (expected 0x00000000)",
    "PFStatus clear": "0x00000000 (expected 0x00000000)",
    "ManufacturingStatus": "0x0278 (expected 0x0278 (b3-b9))",
    "security mode after seal and reset": "SEALED",
}
#: (name, kind, message, measurements: (name, value, unit, low, high))
STEPS = (
    ("Check serial", "serial", "serial accepted", [("serial", None, "", None, None),
                                                   ("SBS serial number", 1.0, "", None, None)]),
    ("Identify gauge", "identify", "BQ40Z50 firmware 1.09, sealed", [
        ("device type", None, "", None, None),
        ("firmware", None, "", None, None),
        ("firmware build", 22.0, "", None, None),
        ("hardware version", None, "", None, None),
        ("ChemID", None, "", None, None),
        ("security mode on arrival", None, "", None, None),
    ]),
    ("Unseal", "unseal", "unsealed with key set line-2026", [
        ("security mode", None, "", None, None),
    ]),
    ("Back up data flash", "backup", "9 blocks (288 bytes) stored", [
        ("static DF signature before", 17723.0, "", None, None),
    ]),
    ("Apply recipe", "apply", "10 writes, 119 bytes, 24 parameters changed", []),
    ("Reset gauge", "reset", "gauge answered after reset (unsealed)", [
        ("security mode after reset", None, "", None, None),
    ]),
    ("Verify", "verify", "data flash and pack checks pass", [
        ("data-flash bytes differing", 0.0, "bytes", 0.0, 0.0),
        ("cell 1 voltage", 3702.0, "mV", None, None),
        ("cell 2 voltage", 3699.0, "mV", None, None),
        ("cell 3 voltage", 3701.0, "mV", None, None),
        ("cell 4 voltage", 3698.0, "mV", None, None),
        ("cells seen", 4.0, "", 4.0, 4.0),
        ("cell voltage (worst)", 3698.0, "mV", 3000.0, 4200.0),
        ("cell imbalance", 4.0, "mV", 0.0, 50.0),
        ("temperature", 24.9, "°C", 10.0, 45.0),
        ("SafetyStatus clear", None, "", None, None),
        ("PFStatus clear", None, "", None, None),
        ("ManufacturingStatus", None, "", None, None),
    ]),
    ("Seal", "seal", "sealed (confirmed after reset)", [
        ("security mode after seal and reset", None, "", None, None),
    ]),
    ("Print label", "label", "label {serial} printed on zebra:line1 ({serial}-001.zpl)", []),
    ("Record result", "record", "attempt {attempt}: PASS", []),
)  # fmt: skip
PARAMETERS = (
    ("DA Configuration", "0x12", "0x13"),
    ("Design Capacity mAh", "4400 mAh", "10500 mAh"),
    ("Design Capacity cWh", "6336 cWh", "15120 cWh"),
    ("Device Name", '"BQ40Z50"', '"PK4S3P-3500"'),
    ("Manufacturer Name", '"Texas Instruments"', '"Packline"'),
    ("CUV Threshold", "2500 mV", "2800 mV"),
    *(
        (f"COV {what} {temp} Temp", before, after)
        for what, before, after in (("Threshold", "4300 mV", "4250 mV"),
                                    ("Recovery", "3900 mV", "4100 mV"))
        for temp in ("Low", "Standard", "High", "Rec")
    ),
    ("OCC1 Delay", "6 s", "2 s"),
    ("OCD1 Threshold", "-6000 mA", "-20000 mA"),
    ("OCD1 Delay", "6 s", "2 s"),
    ("OCD2 Threshold", "-8000 mA", "-24000 mA"),
    ("OCD2 Delay", "3 s", "1 s"),
    ("LED Configuration", "0x00D0", "0x00D1"),
    ("Mfg Status Init", "0x0000", "0x0278"),
)  # fmt: skip


def run_pack(store: Store, clock: WallClock, n: int) -> int:
    """One PASS attempt on a fresh pack, recorded call by call as the station does."""
    serial = f"PK4S-{n:06d}"
    claim = store.claim(serial, "ST-01", "A", "line-pc-1", 4242)
    attempt = store.start_attempt(start_record(serial, started_at=clock()), claim=claim)
    for ordinal, (name, kind, message, measured) in enumerate(STEPS):
        started = clock()
        records = tuple(
            MeasurementRecord(
                m_name,
                value,
                text=serial if m_name == "serial" else _TEXT.get(m_name),
                unit=unit,
                low=low,
                high=high,
            )
            for m_name, value, unit, low, high in measured
        )
        if kind == "backup":
            before = store.store_blocks(FRESH)
            store.link_images(attempt, before=before)
        if kind == "apply":
            store.record_parameters(attempt, _changes(serial, clock()))
        if kind == "verify":
            after = dict(FRESH)
            after[TOUCHED[0]] = serial.encode().ljust(32, b"\0")
            after[TOUCHED[4]] = bytes(range(32))
            store.link_images(attempt, after=store.store_blocks(after, base=before))
        if kind == "label":
            store.record_label(attempt, "zebra:line1", LabelOutcome.PRINTED, by="alice")
        ended = clock.advance(seconds=1.7)
        store.record_step(
            attempt,
            StepRecord(
                ordinal=ordinal,
                name=name,
                kind=kind,
                outcome=StepOutcome.PASS,
                started_at=started,
                ended_at=ended,
                duration_s=(ended - started).total_seconds() * 0.999,
                message=message.format(serial=serial, attempt=attempt),
                measurements=records,
            ),
        )
        store.heartbeat(claim)
    store.finish_attempt(attempt, AttemptOutcome.PASS, cycle_time_s=17.3)
    store.release(claim)
    return attempt


def _changes(serial: str, now: datetime) -> list[ParameterRecord]:
    changes = [ParameterRecord(*p) for p in PARAMETERS]
    day = (now.date() - datetime(1980, 1, 1, tzinfo=UTC).date()).days
    changes += [
        ParameterRecord("Serial Number", "0x0001", f"0x{int(serial[-4:]):04X}"),
        ParameterRecord("Manufacture Date", "0 (no date)", f"{day} ({now:%Y-%m-%d})"),
        ParameterRecord(
            "Manufacturer Info A",
            json.dumps("abcdefghijklmnopqrstuvwzxy012345"),
            json.dumps(serial),
        ),
    ]
    return changes


def _database_bytes(store: Store) -> int:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
    return int(pages) * int(size)


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Store, WallClock]]:
    """A SQLite store (the budget is SQLite's) and its wall clock."""
    clock = WallClock(datetime(2026, 7, 1, 6, 0, tzinfo=UTC))
    with Store.open(f"sqlite:///{tmp_path}/size.sqlite3", now=clock, pid_alive=Liveness()) as s:
        yield s, clock


def test_a_realistic_pack_costs_under_4_kib(line: tuple[Store, WallClock]) -> None:
    store, clock = line
    for n in range(WARM_UP):  # the tables' first pages, and the shared before image
        run_pack(store, clock, n)
        clock.advance(seconds=20)
    start = _database_bytes(store)
    for n in range(WARM_UP, WARM_UP + PACKS):
        run_pack(store, clock, n)
        clock.advance(seconds=20)
    per_pack = (_database_bytes(store) - start) / PACKS
    print(f"{per_pack:.0f} bytes per pack")
    # What was kept is all there: the trace of the last pack tells its whole story.
    trace = store.trace(f"PK4S-{WARM_UP + PACKS - 1:06d}")
    assert trace is not None
    (attempt,) = trace.attempts
    assert attempt.summary.outcome == AttemptOutcome.PASS
    assert len(attempt.steps) == 10
    assert sum(len(s.measurements) for s in attempt.steps) == 24
    assert len(attempt.parameters) == 24
    assert [(i.role.value, i.length, len(i.ranges)) for i in attempt.images] == [
        ("BEFORE", 288, 4),
        ("AFTER", 288, 4),
    ]
    assert len(attempt.labels) == 1
    assert per_pack < BUDGET, f"{per_pack:.0f} bytes per pack"


def test_the_fresh_packs_share_one_before_image(line: tuple[Store, WallClock]) -> None:
    store, clock = line
    for n in range(3):
        run_pack(store, clock, n)
    images = set()
    for n in range(3):
        trace = store.trace(f"PK4S-{n:06d}")
        assert trace is not None
        images |= {(i.role.value, i.image_id) for i in trace.attempts[0].images}
    assert len({i for role, i in images if role == "BEFORE"}) == 1
    assert len({i for role, i in images if role == "AFTER"}) == 3
