"""A pack's trace and a report as lines of text, for ``station trace`` and ``station report``."""

from __future__ import annotations

import json
from collections.abc import Iterator

from station.cli.store_options import number, plain, seconds, stamp
from station.store import AttemptSummary, AttemptTrace, CalibrationStat, PackTrace, Report


def trace_lines(t: PackTrace, *, all_parameters: bool) -> Iterator[str]:
    yield f"Pack {t.serial}: first seen {stamp(t.first_seen)}, {len(t.attempts)} attempt(s)"
    if t.claim is not None:
        c = t.claim
        yield (
            f"  in work: station {c.station} socket {c.socket} (host {c.host}, pid {c.pid}) "
            f"since {stamp(c.claimed_at)}, last heartbeat {stamp(c.heartbeat_at)}"
        )
    for a in t.attempts:
        yield ""
        yield from attempt_lines(a, all_parameters=all_parameters)
    if t.audit:
        yield ""
        yield "Audit:"
        for e in t.audit:
            detail = json.dumps(plain(e.detail), sort_keys=True)
            yield f"  {stamp(e.at)}  {e.action}  by {e.who} at {e.station or '-'}  {detail}"


def attempt_lines(a: AttemptTrace, *, all_parameters: bool) -> Iterator[str]:
    yield from _summary_lines(a.summary, released=a.recipe_released)
    yield from _step_lines(a)
    yield from _calibration_lines(a)
    yield from _parameter_lines(a, all_parameters=all_parameters)
    yield from _image_lines(a)
    yield from _label_lines(a)


def _summary_lines(s: AttemptSummary, *, released: bool) -> Iterator[str]:
    verdict = str(s.outcome)
    if s.failure_code:
        verdict += f" [{s.failure_code}]"
    if s.failing_step:
        verdict += f" at step {s.failing_step!r}"
    emulated = "  [EMULATED: a run on the emulator, not a real pack]" if s.emulated else ""
    yield f"Attempt {s.attempt_no} (id {s.id}): {verdict}{emulated}"
    yield (
        f"  started {stamp(s.started_at)}, ended {stamp(s.ended_at)}, "
        f"cycle {seconds(s.cycle_time_s)}"
    )
    yield (
        f"  station {s.station_id} socket {s.socket}, operator {s.operator}, work order "
        f"{s.work_order or '-'}, lot {s.lot or '-'}"
    )
    release = "released" if released else "NOT RELEASED"
    yield f"  recipe {s.recipe_name} {s.recipe_version} ({release}) sha256 {s.recipe_hash}"
    yield (
        f"  software {s.software_version}, key set {s.key_set_id}, label "
        f"{s.label_state}, host {s.host} pid {s.pid}"
    )
    if s.rework_of is not None:
        yield f"  rework of attempt id {s.rework_of}, authorised by {s.rework_authorised_by}"
    if s.reason:
        yield f"  reason: {s.reason}"


def _step_lines(a: AttemptTrace) -> Iterator[str]:
    if not a.steps:
        return
    yield "  steps:"
    for st in a.steps:
        code = f" [{st.failure_code}]" if st.failure_code else ""
        message = f"  {st.message}" if st.message else ""
        yield (
            f"    {st.ordinal:>3}  {st.name:<28} {st.outcome:<7} "
            f"{seconds(st.duration_s):>8}{code}{message}"
        )
        for m in st.measurements:
            shown = m.text if m.text is not None else number(m.value, m.unit)
            limits = f"[{number(m.low)} .. {number(m.high)}]"
            if m.low is None and m.high is None:
                limits = ""
            yield f"           {m.name:<26} {shown:>14}  {limits:<22} {m.outcome}"


def _parameter_lines(a: AttemptTrace, *, all_parameters: bool) -> Iterator[str]:
    if not a.parameters:
        return
    changed = [p for p in a.parameters if p.changed]
    yield f"  parameters: {len(changed)} changed, {len(a.parameters) - len(changed)} unchanged"
    for p in a.parameters if all_parameters else changed:
        mark = "*" if p.changed else " "
        unit = f" {p.unit}" if p.unit else ""
        yield f"   {mark} {p.name:<32} {p.before or '-'} -> {p.after or '-'}{unit}"


def _image_lines(a: AttemptTrace) -> Iterator[str]:
    if not a.images:
        return
    yield "  data-flash images:"
    for i in a.images:
        held = (
            f"{i.ranges_text} ({i.length} bytes)"
            if i.sparse
            else f"0x{i.start:04X} +{i.length} bytes"
        )
        yield f"    {i.role:<11} {held}  sha256 {i.sha256}  (stored {i.stored_bytes} bytes)"


def _label_lines(a: AttemptTrace) -> Iterator[str]:
    if not a.labels:
        return
    yield "  labels:"
    for lab in a.labels:
        extra = f"  reprint: {lab.reprint_reason}" if lab.reprint_reason else ""
        error = f"  error: {lab.error}" if lab.error else ""
        when = stamp(lab.printed_at)
        yield f"    {when}  {lab.outcome}  {lab.printer}  by {lab.by}{extra}{error}"


_CALIBRATION_TITLES = {
    "reference": "references",
    "raw": "raw averages",
    "constant": "constants (old -> new)",
    "residual": "residual errors after calibration",
}


def _calibration_lines(a: AttemptTrace) -> Iterator[str]:
    if not a.calibration:
        return
    yield "  calibration:"
    for kind, title in _CALIBRATION_TITLES.items():
        rows = [v for v in a.calibration if v.kind == kind]
        if not rows:
            continue
        yield f"    {title}:"
        for v in rows:
            if kind == "reference":
                yield f"      {v.name:<12} {number(v.value, v.unit):>14}  by {v.instrument}"
            elif kind == "raw":
                yield f"      {v.name:<26} {number(v.value):>10}  {v.detail}"
            elif kind == "constant":
                yield f"      {v.name:<14} {number(v.old_value)} -> {number(v.value)}  {v.detail}"
            else:
                mark = "ok" if v.passed else "OUT"
                yield (
                    f"      {v.name:<22} {number(v.value, v.unit):>12} (±{number(v.tolerance)}"
                    f" vs {number(v.old_value)})  {mark}"
                )


def calibration_stat_lines(stats: list[CalibrationStat]) -> Iterator[str]:
    if not stats:
        return
    yield "  calibration per lot (mean, sigma, min, max over the attempts):"
    for st in stats:
        what = "error " if st.kind == "residual" else ""
        yield (
            f"    lot {st.lot or '-':<10} {what}{st.name:<22} n={st.count:<4} "
            f"mean {st.mean:.6g}  sigma {st.sigma:.3g}  min {st.minimum:.6g}  "
            f"max {st.maximum:.6g} {st.unit}"
        )


def report_lines(r: Report) -> Iterator[str]:
    f = r.filters
    scope = [
        f"from {stamp(f.since)}" if f.since else "",
        f"until {stamp(f.until)}" if f.until else "",
    ]
    scope += [
        f"{k} {v}" for k, v in (("recipe", f.recipe), ("station", f.station), ("lot", f.lot)) if v
    ]
    if f.include_emulated:
        scope.append("runs on the emulator included")
    yield "Report: " + (", ".join(s for s in scope if s) or "all attempts on real packs")
    yield f"  attempts           {r.attempts}  (on {r.packs} packs)"
    yield f"  passed             {r.passed}"
    yield f"  failed             {r.failed}  (FAIL and ERROR)"
    yield f"  aborted            {r.aborted}  (stopped by the operator; not a failure)"
    yield f"  interrupted        {r.interrupted}  (the station stopped; not a failure)"
    if r.running:
        yield f"  still running      {r.running}"
    if r.first_pass_yield is None:
        yield "  first-pass yield   -  (no pack had its first attempt in this selection)"
    else:
        yield (
            f"  first-pass yield   {100 * r.first_pass_yield:.1f} %  ({r.first_pass} of "
            f"{r.first_attempts} packs passed their first attempt; PASS over PASS + FAIL + "
            "ERROR)"
        )
    yield f"  packs passed       {r.packs_passed}"
    yield f"  median cycle time  {seconds(r.median_cycle_time_s)}"
    if len(r.attempts_by_socket) > 1:
        yield "  attempts by station/socket:"
        for c in r.attempts_by_socket:
            yield f"    {c.count:>7}  {c.key}"
    for title, counts in (("code", r.failures_by_code), ("step", r.failures_by_step)):
        if counts:
            yield f"  failures by {title}:"
            for c in counts:
                yield f"    {c.count:>7}  {c.key}"
