"""Charts as SVG drawn on the server: geometry and markup here, the page around it in templates.

Each chart is a list of marks (rectangles, circles, lines, texts) with their coordinates worked
out; :func:`to_svg` writes them out, escaping every value (a chart of a thousand points is a
few thousand elements: written here, not by a template loop, it costs milliseconds). Data
points are circles of class ``point`` (bars: rectangles of class ``bar``) carrying their value
in ``data-value``, so what a chart shows can be read back from the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from station.store.views import ControlLimits, ParetoBar, RunRule, SpcChart, SpcPoint, YieldPoint

WIDTH = 960
HEIGHT = 320
#: room for the axes' labels: left, right, top, bottom
MARGIN = (64, 56, 16, 56)


@dataclass(frozen=True)
class Mark:
    """One SVG element: ``tag`` with ``attrs``; an optional tooltip, link and text."""

    tag: str
    cls: str
    attrs: tuple[tuple[str, str], ...]
    title: str = ""
    href: str = ""
    text: str = ""


@dataclass(frozen=True)
class Chart:
    label: str
    marks: tuple[Mark, ...]
    width: int = WIDTH
    height: int = HEIGHT
    #: how many data points (or bars) it shows
    points: int = 0
    legend: tuple[tuple[str, str], ...] = field(default=())


#: what XML text and attribute values must not hold as they are
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape(value: str) -> str:
    """``value`` safe inside XML text or a quoted attribute (one pass, in C)."""
    return value.translate(_ENTITIES)


def to_svg(c: Chart) -> str:
    """The chart's SVG element. Tags and attribute names come from this module; every value
    and text is escaped."""
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {c.width} '
        f'{c.height}" width="{c.width}" height="{c.height}" role="img" '
        f'aria-label="{escape(c.label)}" data-points="{c.points}">'
    ]
    for m in c.marks:
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in m.attrs)
        inner = f"<title>{escape(m.title)}</title>" if m.title else ""
        element = f'<{m.tag} class="{escape(m.cls)}"{attrs}>{inner}{escape(m.text)}</{m.tag}>'
        if m.href:
            element = f'<a href="{escape(m.href)}">{element}</a>'
        parts.append(element)
    parts.append("</svg>")
    return "\n".join(parts)


def fmt(value: float | None, digits: int = 4) -> str:
    """A number as people read it: 4 significant digits, no exponent for everyday sizes."""
    if value is None or math.isnan(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude < -4:
        return f"{value:.{digits - 1}e}"
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _n(value: float) -> str:
    return f"{value:.1f}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values spanning ``[low, high]``, about ``count`` of them."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count, 1)
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * step:
            step *= factor
            break
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


class _Frame:
    """The plotting area and the scale from values to pixels."""

    def __init__(self, low: float, high: float, n: int, width: int = WIDTH) -> None:
        left, right, top, bottom = MARGIN
        self.x0, self.x1 = left, width - right
        self.y0, self.y1 = HEIGHT - bottom, top
        if high <= low:
            pad = abs(low) * 0.05 or 1.0
            low, high = low - pad, high + pad
        self.low, self.high = low, high
        self.n = n

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.y0 + share * (self.y1 - self.y0)

    def x(self, index: int) -> float:
        """The centre of slot ``index`` of ``n``."""
        slot = (self.x1 - self.x0) / max(self.n, 1)
        return self.x0 + slot * (index + 0.5)

    @property
    def slot(self) -> float:
        return (self.x1 - self.x0) / max(self.n, 1)

    def axes(self, ticks: Sequence[float], label: Callable[[float], str]) -> list[Mark]:
        marks = [
            Mark("line", "axis", _line(self.x0, self.y0, self.x1, self.y0)),
            Mark("line", "axis", _line(self.x0, self.y0, self.x0, self.y1)),
        ]
        for t in ticks:
            if self.low <= t <= self.high:
                y = self.y(t)
                marks.append(Mark("line", "grid", _line(self.x0, y, self.x1, y)))
                marks.append(
                    Mark("text", "tick", (("x", _n(self.x0 - 6)), ("y", _n(y + 4))), text=label(t))
                )
        return marks

    def x_labels(self, labels: Sequence[str], every: int | None = None) -> list[Mark]:
        step = every or max(1, math.ceil(len(labels) / 12))
        return [
            Mark(
                "text",
                "xlabel",
                (("x", _n(self.x(i))), ("y", _n(self.y0 + 18))),
                text=text,
            )
            for i, text in enumerate(labels)
            if i % step == 0
        ]


def _line(x1: float, y1: float, x2: float, y2: float) -> tuple[tuple[str, str], ...]:
    return (("x1", _n(x1)), ("y1", _n(y1)), ("x2", _n(x2)), ("y2", _n(y2)))


def _circle(x: float, y: float, r: float, value: float) -> tuple[tuple[str, str], ...]:
    return (("cx", _n(x)), ("cy", _n(y)), ("r", _n(r)), ("data-value", repr(value)))


def _polyline(points: Sequence[tuple[float, float]]) -> tuple[tuple[str, str], ...]:
    return (("points", " ".join(f"{_n(x)},{_n(y)}" for x, y in points)),)


# ---- SPC --------------------------------------------------------------------------------------


_Level = tuple[str, float, str]


def _levels(lim: ControlLimits | None) -> tuple[list[_Level], list[_Level]]:
    """The control lines (centre, UCL, LCL) and the specification limits, as (kind, value, text)."""
    lines: list[_Level] = []
    specs: list[_Level] = []
    if lim is None:
        return lines, specs
    lines.append(("centre", lim.mean, f"mean {fmt(lim.mean)}"))
    if lim.sigma:
        assert lim.ucl is not None
        assert lim.lcl is not None
        lines.append(("ucl", lim.ucl, f"UCL {fmt(lim.ucl)}"))
        lines.append(("lcl", lim.lcl, f"LCL {fmt(lim.lcl)}"))
    for kind, spec in (("usl", lim.usl), ("lsl", lim.lsl)):
        if spec is not None:
            specs.append((kind, spec, f"{kind.upper()} {fmt(spec)}"))
    return lines, specs


def _level_marks(frame: _Frame, shown: list[_Level], far: list[_Level], high: float) -> list[Mark]:
    marks: list[Mark] = []
    for kind, value, text in shown:
        y = frame.y(value)
        marks.append(Mark("line", f"level {kind}", _line(frame.x0, y, frame.x1, y), title=text))
        at = (("x", _n(frame.x1 + 4)), ("y", _n(y + 4)))
        marks.append(Mark("text", f"level-label {kind}", at, text=text.split()[0]))
    for kind, value, text in far:
        above = value > high
        y = frame.y1 + 10 if above else frame.y0 - 4
        arrow = "↑" if above else "↓"
        at = (("x", _n(frame.x0 + 6)), ("y", _n(y)))
        marks.append(Mark("text", f"level-label far {kind}", at, text=f"{arrow} {text}"))
    return marks


def _point_mark(
    c: SpcChart,
    i: int,
    p: SpcPoint,
    frame: _Frame,
    radius: float,
    link: Callable[[str], str],
    local: Callable[[datetime], str],
) -> Mark:
    classes = ["point"]
    if p.rules:
        classes.append("signal")
    if p.out_of_spec:
        classes.append("out-of-spec")
    flags = "; ".join(str(r) for r in p.rules)
    if p.out_of_spec:
        flags = "; ".join(x for x in (flags, "outside the specification") if x)
    title = f"{p.serial} · {local(p.started_at)} · {fmt(p.value)} {c.unit}".rstrip()
    if flags:
        title += f" · {flags}"
    return Mark(
        "circle",
        " ".join(classes),
        _circle(frame.x(i), frame.y(p.value), radius, p.value),
        title=title,
        href=link(p.serial),
    )


def individuals_chart(
    c: SpcChart, *, link: Callable[[str], str], local: Callable[[datetime], str]
) -> Chart:
    """Points in time order, the centre line, ±3σ control limits and the specification."""
    values = [p.value for p in c.points]
    if not values:
        return Chart(f"{c.name}: no values", ())
    lines, specs = _levels(c.limits)
    # The scale fits the points and the control limits; a specification limit far from them
    # is named at the edge instead of squashing the points into a line.
    core = values + [v for _, v, _ in lines]
    low, high = min(core), max(core)
    reach = (high - low) or abs(high) * 0.1 or 1.0
    near = [x for x in specs if low - reach <= x[1] <= high + reach]
    far = [x for x in specs if x not in near]
    levels = core + [v for _, v, _ in near]
    low, high = min(levels), max(levels)
    pad = (high - low) * 0.06
    frame = _Frame(low - pad, high + pad, len(values))
    marks = frame.axes(nice_ticks(frame.low, frame.high), fmt)
    marks += _level_marks(frame, lines + near, far, high)
    series = [(frame.x(i), frame.y(v)) for i, v in enumerate(values)]
    marks.append(Mark("polyline", "series", _polyline(series)))
    radius = 3.5 if len(values) <= 150 else 2.2
    marks += [_point_mark(c, i, p, frame, radius, link, local) for i, p in enumerate(c.points)]
    every = max(1, math.ceil(len(c.points) / 6))
    labels = [local(p.started_at)[5:16] if i % every == 0 else "" for i, p in enumerate(c.points)]
    marks += frame.x_labels(labels, every=every)
    return Chart(
        f"Individuals chart of {c.name}",
        tuple(marks),
        points=len(values),
        legend=(
            ("point", "a pack's value"),
            ("signal", "run rule: " + ", ".join(str(r) for r in RunRule)),
            ("ucl", "control limits (mean ± 3σ)"),
            ("usl", "specification limits"),
        ),
    )


# ---- Pareto ------------------------------------------------------------------------------------


def pareto_chart(bars: Sequence[ParetoBar], *, title: str, link: Callable[[str], str]) -> Chart:
    """Bars most frequent first, with the cumulative share as a line over them."""
    if not bars:
        return Chart(f"{title}: none", ())
    top = max(b.count for b in bars)
    frame = _Frame(0, top * 1.08, len(bars))
    marks = frame.axes(nice_ticks(0, top * 1.08), lambda v: fmt(v))
    width = frame.slot * 0.7
    total = sum(b.count for b in bars)
    for i, b in enumerate(bars):
        y = frame.y(b.count)
        marks.append(
            Mark(
                "rect",
                "bar",
                (
                    ("x", _n(frame.x(i) - width / 2)),
                    ("y", _n(y)),
                    ("width", _n(width)),
                    ("height", _n(frame.y0 - y)),
                    ("data-value", str(b.count)),
                    ("data-key", b.key),
                ),
                title=f"{b.key}: {b.count} ({100 * b.count / total:.1f} %, cumulative "
                f"{100 * b.cumulative:.1f} %)",
                href=link(b.key),
            )
        )
        marks.append(
            Mark("text", "bar-count", (("x", _n(frame.x(i))), ("y", _n(y - 4))), text=str(b.count))
        )

    # The cumulative share uses the right-hand axis: 0 to 100 %.
    def share_y(s: float) -> float:
        return frame.y0 + s * (frame.y1 - frame.y0)

    points = [(frame.x(i), share_y(b.cumulative)) for i, b in enumerate(bars)]
    marks.append(Mark("polyline", "cumulative", _polyline(points)))
    for (x, y), b in zip(points, bars, strict=True):
        marks.append(Mark("circle", "cumulative-point", _circle(x, y, 3, b.cumulative)))
    for share in (0.0, 0.5, 0.8, 1.0):
        marks.append(
            Mark(
                "text",
                "tick right",
                (("x", _n(frame.x1 + 6)), ("y", _n(share_y(share) + 4))),
                text=f"{share:.0%}",
            )
        )
    labels = [b.key if len(b.key) <= 18 else b.key[:17] + "…" for b in bars]
    marks += frame.x_labels(labels, every=1 if len(bars) <= 12 else None)
    return Chart(title, tuple(marks), points=len(bars))


# ---- yields ------------------------------------------------------------------------------------


def yield_chart(points: Sequence[YieldPoint]) -> Chart:
    """First-pass and final yield per period, 0-100 % (the lowest figure sets the bottom)."""
    shares = [s for p in points for s in (p.first_pass_yield, p.final_yield) if s is not None]
    if not shares:
        return Chart("Yield: no pack in this window", ())
    bottom = max(0.0, math.floor((min(shares) - 0.02) * 20) / 20)
    frame = _Frame(bottom, 1.0, len(points))
    marks = frame.axes(nice_ticks(bottom, 1.0), lambda v: f"{100 * v:.0f} %")
    for kind in ("final", "fpy"):
        run: list[tuple[float, float]] = []
        segments: list[list[tuple[float, float]]] = [run]
        for i, p in enumerate(points):
            share = p.final_yield if kind == "final" else p.first_pass_yield
            if share is None:  # no pack in the period: a gap in the line
                run = []
                segments.append(run)
                continue
            x, y = frame.x(i), frame.y(share)
            run.append((x, y))
            title = (
                f"{p.period.label}: {'final' if kind == 'final' else 'first-pass'} yield "
                f"{100 * share:.1f} % ({p.final_pass if kind == 'final' else p.first.first_pass}"
                f" of {p.final_judged if kind == 'final' else p.first.first_judged} packs)"
            )
            marks.append(Mark("circle", f"point {kind}", _circle(x, y, 3.5, share), title=title))
        for segment in segments:
            if len(segment) > 1:
                marks.append(Mark("polyline", f"series {kind}", _polyline(segment)))
    marks += frame.x_labels([p.period.short or p.period.label for p in points])
    return Chart(
        "First-pass and final yield",
        tuple(marks),
        points=sum(1 for p in points if p.first_pass_yield is not None),
        legend=(("fpy", "first-pass yield"), ("final", "final yield")),
    )
