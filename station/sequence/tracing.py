"""A pack's full record as display sections (the operator terminal's trace view)."""

from __future__ import annotations

from datetime import datetime

from station.sequence.service import Section
from station.store import AttemptTrace, PackTrace
from station.store.records import MeasurementRecord


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return "-"


def trace_sections(trace: PackTrace | None, serial: str) -> list[Section]:
    if trace is None:
        return [Section(f"Pack {serial}", (("record", "no attempt on this serial"),))]
    claim = f"{trace.claim.station}/{trace.claim.socket}" if trace.claim else "-"
    out = [
        Section(
            f"Pack {trace.serial}",
            (
                ("first seen", _when(trace.first_seen)),
                ("attempts", str(len(trace.attempts))),
                ("in progress at", claim),
            ),
        )
    ]
    out += [_attempt_section(a) for a in trace.attempts]
    if trace.audit:
        rows = tuple(
            (f"{_when(e.at)} {e.action}", f"{e.who} at {e.station} {dict(e.detail)}")
            for e in trace.audit
        )
        out.append(Section("Audit", rows))
    return out


def _attempt_section(a: AttemptTrace) -> Section:
    s = a.summary
    outcome = s.outcome.value
    if s.failure_code:
        outcome += f" [{s.failure_code}] at {s.failing_step}"
    if s.emulated:
        outcome += "  (EMULATED: a run on the emulator, not a real pack)"
    rows: list[tuple[str, str]] = [
        ("outcome", outcome),
        ("when", f"{_when(s.started_at)} → {_when(s.ended_at)}"),
        ("where", f"station {s.station_id} socket {s.socket}, operator {s.operator}"),
        ("lot", s.lot or "-"),
        ("recipe", f"{s.recipe_name} {s.recipe_version} ({s.recipe_hash[:12]})"),
        ("key set", s.key_set_id),
        ("label", s.label_state.value),
    ]
    if s.reason:
        rows.append(("reason", s.reason))
    if s.rework_of:
        rows.append(("rework of", f"attempt {s.rework_of}, by {s.rework_authorised_by}"))
    for step in a.steps:
        rows.append((f"  {step.name}", f"{step.outcome.value}  {step.message}"))
        rows += [_measurement_row(m) for m in step.measurements]
    rows += [(f"  set {p.name}", f"{p.before} → {p.after} {p.unit}".strip()) for p in a.parameters]
    rows += [
        (f"  image {img.role.value}", f"{img.ranges_text} sha256 {img.sha256[:16]}")
        for img in a.images
    ]
    rows += [
        (
            f"  label {lab.outcome.value}",
            f"{_when(lab.printed_at)} {lab.printer} {lab.error or ''}".strip(),
        )
        for lab in a.labels
    ]
    return Section(f"Attempt {s.id} (#{s.attempt_no})", tuple(rows))


def _measurement_row(m: MeasurementRecord) -> tuple[str, str]:
    value = m.text if m.text is not None else (f"{m.value:g}" if m.value is not None else "-")
    limits = ""
    if m.low is not None or m.high is not None:
        lo = "" if m.low is None else f"{m.low:g}"
        hi = "" if m.high is None else f"{m.high:g}"
        limits = f" [{lo}..{hi}]"
    outcome = m.outcome.value if m.outcome else ""
    return (f"    {m.name}", f"{value} {m.unit}{limits} {outcome}".strip())
