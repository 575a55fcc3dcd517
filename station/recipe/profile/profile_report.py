"""A profile described for an engineer, and the words every report uses for values and address
ranges. A face (``station profile show``, the engineer screen) prints what these give.

A report is :class:`Line` s and :class:`Table` s: a line has an optional label (printed in a
column of its own) and its text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from station.recipe.profile.dftypes import decode_sbs_date
from station.recipe.profile.image import BLOCK_SIZE
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile


@dataclass(frozen=True)
class Line:
    """One line of a report: ``label`` (None: the text stands alone) and its text."""

    label: str | None
    text: str
    #: the label column's width
    width: int = 10

    def __str__(self) -> str:
        return self.text if self.label is None else f"{self.label:<{self.width}} {self.text}"


@dataclass(frozen=True)
class Table:
    """Rows of cells under headers."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def value_text(p: Parameter, raw: object) -> tuple[str, str]:
    """A stored value as an engineer reads it, and its unit: ``("55.0", "°C")``, ``("0x0013
    (cells=4, SLEEP)", "")`` (named bits), ``('"PK4S"', "")``, ``("23662 (2026-03-14)", "")``."""
    if isinstance(raw, str):
        return f'"{raw}"', ""
    if p.is_hex and isinstance(raw, int):
        text = f"0x{raw:0{2 * p.size}X}"
        named = [
            f"{f.name}={f.get(raw)}" if not f.is_flag else f.name
            for f in p.fields
            if not f.is_flag or f.get(raw)
        ]
        return (f"{text} ({', '.join(named)})" if named else text), ""
    if p.unit == "date" and isinstance(raw, int):
        day = decode_sbs_date(raw)
        return f"{raw} ({day.isoformat() if day else 'not a date'})", ""
    eng = p.to_engineering(raw)  # type: ignore[arg-type]
    return (f"{eng:.7g}" if isinstance(eng, float) else str(eng)), p.unit


def address_ranges(addresses: Iterable[int]) -> str:
    """``0x4040-0x4061, 0x406C-0x409E``: contiguous runs of addresses."""
    runs: list[list[int]] = []
    for a in sorted(set(addresses)):
        if runs and runs[-1][1] + 1 == a:
            runs[-1][1] = a
        else:
            runs.append([a, a])
    return ", ".join(f"0x{lo:04X}-0x{hi:04X}" if hi > lo else f"0x{lo:04X}" for lo, hi in runs)


def signoff_line(profile: Profile, written: Sequence[Parameter]) -> Line:
    """Whether real packs accept ``written``: every parameter needs a sign-off."""
    unconfirmed = profile.unverified(written)
    if not unconfirmed:
        return Line("sign-off", f"all {len(written)} parameters it writes are confirmed")
    names = ", ".join(profile.short_name(p) for p in unconfirmed[:5])
    more = f" and {len(unconfirmed) - 5} more" if len(unconfirmed) > 5 else ""
    disputed = [
        f"{profile.short_name(p)}: {d.text()}" for p in unconfirmed for d in profile.disputes_of(p)
    ]
    return Line(
        "sign-off",
        f"NOT signed off: {len(unconfirmed)} of {len(written)} parameters it writes "
        f"are unconfirmed ({names}{more}); real packs are refused until an engineer confirms "
        "each of them (the emulator accepts it)"
        + (f"\n           disputed addresses: {'; '.join(disputed)}" if disputed else ""),
    )


# -- a profile --------------------------------------------------------------------------------


def _wide(label: str, text: str) -> Line:
    """A line of a profile report, whose labels are wider ("device type")."""
    return Line(label, text, 12)


def profile_lines(prof: Profile) -> list[Line]:
    """Identity, files, sign-offs, disputes, timing and documented changes of a profile."""
    lines = [
        _wide("profile", f"{prof.id}: {prof.description}"),
        _wide("files", f"{prof.header_path} + {prof.table_path}"),
        _wide(
            "device type",
            f"0x{prof.device_type:04X}   firmware {', '.join(prof.firmware)}"
            + (f"   builds {', '.join(map(str, prof.builds))}" if prof.builds else ""),
        ),
    ]
    if not prof.signoffs:
        lines.append(
            _wide("sign-off", "none: writes to real packs are refused for every parameter")
        )
    for so in prof.signoffs:
        lines.append(
            _wide(
                "sign-off",
                f"{so.by} {so.on} ({so.method}, {so.evidence}): {len(so.parameters)} parameters",
            )
        )
    for d in prof.disputes:
        lines.append(
            _wide("disputed", f"{d.parameter}: {d.text()}{' — ' + d.why if d.why else ''}")
        )
    lines += _timing_lines(prof)
    for change in prof.changes:
        lines.append(
            _wide(
                "change",
                f"{change.action} {change.parameter}"
                f"{' → ' + change.value if change.value else ''}: {change.why}",
            )
        )
    return lines


def _timing_lines(prof: Profile) -> list[Line]:
    t = prof.timing
    standing = ("verified" if t.verified else "UNCONFIRMED") + (f": {t.source}" if t.source else "")
    return [
        _wide(
            "timing",
            f"DF write {t.df_write_busy_ms} ms + {t.df_write_per_byte_ms} ms/byte, reset "
            f"{t.reset_wait_ms} ms, signature {t.signature_wait_ms} ms, seal {t.seal_busy_ms} ms"
            f" ({standing})",
        ),
        _wide(
            "pacing",
            f"nothing follows a write that drew no NACK for {t.df_write_min_ms} ms "
            f"({t.source_of('df_write_min_ms')})",
        ),
        _wide(
            "retries",
            f"a NACKed write is sent again after {t.df_write_backoff_ms} ms, doubled, "
            f"{t.df_write_attempts} attempts in all ({t.source_of('df_write_attempts')})",
        ),
    ]


def parameter_table(prof: Profile, pattern: str | None = None) -> Table:
    """Every parameter (whose name contains ``pattern``) by address, with its named bits."""
    rows: list[tuple[str, ...]] = []
    for p in sorted(prof.parameters, key=lambda q: q.address):
        name = prof.short_name(p)
        if pattern and pattern.casefold() not in (name + " " + p.key).casefold():
            continue
        default, unit = value_text(p, p.default)
        rows.append(
            (
                name,
                f"0x{p.address:04X}",
                p.dtype.name,
                unit,
                p.range_text(),
                default,
                "yes" if p.verified else "no",
                p.source[:40],
            )
        )
        for f in p.fields:
            rows.append(
                (
                    f"  .{f.name}",
                    f.bits_text(),
                    "",
                    "",
                    f"{f.min_value}..{f.max_value}",
                    str(f.get(p.default) if isinstance(p.default, int) else ""),
                    "yes" if f.verified else "no",
                    (f.note or f.source)[:40],
                )
            )
    headers = ("parameter", "address", "type", "unit", "range", "default", "verified", "source")
    return Table(headers, tuple(rows))


def profile_footer(prof: Profile) -> Line:
    return Line(None, f"{len(prof.parameters)} parameters; block size {BLOCK_SIZE} bytes")
