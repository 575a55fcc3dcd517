"""Each pack's calibration: its figures kept per attempt, shown by ``station trace``, and their
distribution per lot for ``station report`` (mean, sigma, min, max), so drift is visible."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, func, insert, select

from station.store.attempts import require_running
from station.store.database import Database
from station.store.errors import StoreInputError
from station.store.models import CALIBRATION_KINDS, Attempt, CalibrationValue
from station.store.records import CalibrationStat, CalibrationValueRecord
from station.store.report_records import ReportFilter
from station.store.reports import conditions


def record_calibration(
    db: Database, attempt_id: int, values: Sequence[CalibrationValueRecord]
) -> None:
    """Keep a pack's calibration figures (references, raw averages, constants, residuals)."""
    for v in values:
        if v.kind not in CALIBRATION_KINDS:
            raise StoreInputError(f"calibration value kind {v.kind!r}; one of {CALIBRATION_KINDS}")
    with db.conn() as conn:
        require_running(conn, attempt_id)
        last = conn.scalar(
            select(func.max(CalibrationValue.seq)).where(CalibrationValue.attempt_id == attempt_id)
        )
        rows = [
            {
                "attempt_id": attempt_id,
                "seq": (last or 0) + n,
                "kind": v.kind,
                "name": v.name[:64],
                "value": _finite(v.value),
                "old_value": _finite(v.old_value),
                "unit": v.unit[:16],
                "tolerance": _finite(v.tolerance),
                "passed": v.passed,
                "instrument": v.instrument[:160] if v.instrument else None,
                "detail": v.detail,
            }
            for n, v in enumerate(values, start=1)
        ]
        if rows:
            conn.execute(insert(CalibrationValue), rows)


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def calibration_of(
    conn: Connection, attempt_ids: Sequence[int]
) -> dict[int, list[CalibrationValueRecord]]:
    out: dict[int, list[CalibrationValueRecord]] = defaultdict(list)
    if not attempt_ids:
        return out
    c = CalibrationValue
    rows = conn.execute(
        select(
            c.attempt_id,
            c.kind,
            c.name,
            c.value,
            c.unit,
            c.old_value,
            c.tolerance,
            c.passed,
            c.instrument,
            c.detail,
        )
        .where(c.attempt_id.in_(attempt_ids))
        .order_by(c.attempt_id, c.seq)
    )
    for r in rows:
        out[r.attempt_id].append(
            CalibrationValueRecord(
                r.kind,
                r.name,
                r.value,
                r.unit,
                r.old_value,
                r.tolerance,
                r.passed,
                r.instrument,
                r.detail,
            )
        )
    return out


def calibration_distribution(db: Database, f: ReportFilter) -> list[CalibrationStat]:
    """Per lot, each constant's new value and each residual error over the matching attempts."""
    c = CalibrationValue
    query = (
        select(Attempt.lot, c.kind, c.name, c.unit, c.value)
        .join(Attempt, Attempt.id == c.attempt_id)
        .where(*conditions(f), c.kind.in_(("constant", "residual")), c.value.is_not(None))
    )
    groups: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    with db.conn() as conn:
        for row in conn.execute(query):
            if row.value is not None:
                groups[(row.lot or "", row.kind, row.name, row.unit)].append(float(row.value))
    out = []
    for (lot, kind, name, unit), values in sorted(groups.items()):
        n = len(values)
        mean = sum(values) / n
        sigma = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
        out.append(CalibrationStat(lot, kind, name, unit, n, mean, sigma, min(values), max(values)))
    return out
