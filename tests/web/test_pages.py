"""Every page over HTTP (Starlette's test client): what it shows agrees with the exported
attempts, its charts carry their data points, and its filters change the figures."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
from starlette.testclient import TestClient

from station.store.reader import StoreReader
from station.store.report_records import ReportFilter
from station.web.charts import fmt
from tests.web.html import Element, parse
from tests.web.line import RECIPE, RETESTED, RUNNING, STALE_SOCKET, Line

JUDGING = {"PASS", "FAIL", "ERROR"}


def page(client: TestClient, path: str, status: int = 200) -> Element:
    response = client.get(path)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


def counts(rows: list) -> Counter[str]:
    return Counter(r.outcome for r in rows)


# ---- Line ------------------------------------------------------------------------------------


def test_line_shows_this_shifts_counts_and_every_socket(
    client: TestClient, reader: StoreReader, line: Line
) -> None:
    doc = page(client, "/")
    # the shift that holds `now`, by the default shift starts (06:00, 14:00, 22:00 UTC here)
    start = line.now.replace(
        hour=6 if line.now.hour < 14 else 14, minute=0, second=0, microsecond=0
    )
    rows = list(reader.export(ReportFilter(since=start, until=start + timedelta(hours=8))))
    by_outcome = counts(rows)
    firsts = [r for r in rows if r.attempt_no == 1 and r.outcome in JUDGING]
    tiles = {e.attrs["data-count"]: e.text for e in doc.find(cls="value")}
    assert tiles["passed"] == str(by_outcome["PASS"])
    assert tiles["failed"] == str(by_outcome["FAIL"])
    assert tiles["errors"] == str(by_outcome["ERROR"])
    assert tiles["aborted"] == str(by_outcome["ABORTED"])
    assert tiles["interrupted"] == str(by_outcome["INTERRUPTED"])
    assert tiles["running"] == str(len(RUNNING))
    fpy = sum(r.outcome == "PASS" for r in firsts) / len(firsts)
    assert tiles["fpy"] == f"{100 * fpy:.1f} %"
    sockets = {e.attrs["data-socket"]: e for e in doc.find("tr") if "data-socket" in e.attrs}
    assert len(sockets) >= 8
    for station, socket, serial in RUNNING:
        row = sockets[f"{station}/{socket}"]
        assert serial in row.text
        assert "Identify gauge" in row.text
        expected = "STALE" if (station, socket) == STALE_SOCKET else "WORKING"
        assert expected in row.classes
    refresh = doc.find("meta", http_equiv="refresh")
    assert refresh[0].attrs["content"] == "15"


# ---- Yield -----------------------------------------------------------------------------------


def _yield_oracle(reader: StoreReader, f: ReportFilter) -> tuple[int, float]:
    rows = [r for r in reader.export(f) if r.attempt_no == 1]
    judged = [r for r in rows if r.outcome in JUDGING]
    return len(rows), sum(r.outcome == "PASS" for r in judged) / len(judged)


def test_yield_per_hour_with_its_chart(client: TestClient, reader: StoreReader, line: Line) -> None:
    doc = page(client, "/yield?bucket=hour")
    periods = [e for e in doc.find("tr") if "data-period" in e.attrs]
    assert len(periods) == 24
    chart = doc.find("svg", cls="chart")[0]
    with_packs = [p for p in periods if p.find("td")[1].text != "0"]
    # a first-pass and a final yield point for every hour that had packs
    assert len(chart.find("circle", cls="point fpy")) == len(with_packs)
    assert len(chart.find("circle", cls="point final")) == len(with_packs)
    total = doc.find("tr", id="total")[0]
    cells = [td.text for td in total.find("td")]
    since = line.now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    packs, fpy = _yield_oracle(reader, ReportFilter(since=since, until=since + timedelta(hours=24)))
    assert cells[1] == str(packs)
    assert cells[7] == f"{100 * fpy:.1f} %"


def test_a_filter_changes_the_yield(client: TestClient, reader: StoreReader, line: Line) -> None:
    day = line.now.date().isoformat()
    everything = page(client, f"/yield?bucket=shift&since={day}&until={day}")
    one_lot = page(client, f"/yield?bucket=shift&since={day}&until={day}&lot=LOT-0012")
    start = datetime.combine(line.now.date(), datetime.min.time(), UTC)
    all_packs, _ = _yield_oracle(reader, ReportFilter(start, start + timedelta(days=1)))
    lot_packs, lot_fpy = _yield_oracle(
        reader, ReportFilter(start, start + timedelta(days=1), lot="LOT-0012")
    )
    assert 0 < lot_packs < all_packs
    totals = [
        [td.text for td in d.find("tr", id="total")[0].find("td")] for d in (everything, one_lot)
    ]
    assert totals[0][1] == str(all_packs)
    assert totals[1][1] == str(lot_packs)
    assert totals[1][7] == f"{100 * lot_fpy:.1f} %"
    # the form keeps what was asked
    assert one_lot.find("input", name="lot")[0].attrs["value"] == "LOT-0012"


# ---- Failures --------------------------------------------------------------------------------


def test_failures_pareto_bars_and_the_packs_behind_them(
    client: TestClient, reader: StoreReader, line: Line
) -> None:
    doc = page(client, "/failures")
    since = line.now - timedelta(days=7)
    rows = list(reader.export(ReportFilter(since=since)))
    codes = Counter(r.failure_code for r in rows if r.outcome in ("FAIL", "ERROR"))
    charts = doc.find("svg", cls="chart")
    bars = charts[0].find("rect", cls="bar")
    assert [(b.attrs["data-key"], int(b.attrs["data-value"])) for b in bars] == sorted(
        codes.items(), key=lambda kv: (-kv[1], kv[0])
    )
    assert charts[0].attrs["data-points"] == str(len(codes))
    note = doc.find("p", cls="note")[0].text
    assert f"{sum(r.outcome == 'ABORTED' for r in rows)} aborted" in note
    # the link around the biggest bar lists its packs, each with that code
    link = next(a for a in charts[0].find("a") if a.find("rect", cls="bar"))
    target = urlsplit(link.attrs["href"])
    behind = page(client, f"{target.path}?{target.query}")
    listed = behind.find("table", id="behind")[0].find("tr")[1:]
    top = bars[0].attrs["data-key"]
    assert len(listed) == min(codes[top], 200)
    assert all(top in row.text for row in listed)


def test_failures_by_step_link_and_filter(client: TestClient, reader: StoreReader) -> None:
    doc = page(client, "/failures?station=ST-02")
    rows = [
        r
        for r in reader.export(
            ReportFilter(station="ST-02", since=reader.now() - timedelta(days=7))
        )
        if r.outcome in ("FAIL", "ERROR")
    ]
    steps = Counter(r.failing_step for r in rows)
    bars = doc.find("svg", cls="chart")[1].find("rect", cls="bar")
    assert {b.attrs["data-key"]: int(b.attrs["data-value"]) for b in bars} == steps
    assert doc.find("select", name="station")[0].find("option", selected="")[0].text == "ST-02"


# ---- SPC -------------------------------------------------------------------------------------


def test_spc_individuals_chart_of_a_measurement(client: TestClient, reader: StoreReader) -> None:
    doc = page(client, "/spc?measurement=temperature&points=80")
    chart = doc.find("svg", cls="chart")[0]
    points = chart.find("circle", cls="point")
    assert len(points) == 80
    values = [float(p.attrs["data-value"]) for p in points]
    # the newest 80 temperatures, oldest first, as exported
    exported = [
        m
        for m in reader.export_measurements(ReportFilter(since=reader.now() - timedelta(hours=3)))
        if m.name == "temperature" and m.value is not None
    ]
    exported.sort(key=lambda m: (m.started_at, m.attempt_id))
    assert values == [m.value for m in exported[-80:]]
    figures = {e.attrs["data-figure"]: e.text for e in doc.find("td") if "data-figure" in e.attrs}
    assert figures["mean"] == fmt(statistics.fmean(values))
    assert figures["spec"] == "10 / 45"
    for kind in ("centre", "ucl", "lcl"):
        assert chart.find("line", cls=f"level {kind}"), kind
    # every flagged point is listed under the chart
    flagged = [p for p in points if "signal" in p.classes]
    assert figures["signals"] == str(len(flagged))
    # a point links to its pack
    links = [a.attrs["href"] for a in chart.find("a")]
    assert len(links) == 80
    assert all(unquote(h).startswith("/pack/") for h in links)


def test_spc_lists_the_measurements_and_a_filter_changes_the_chart(
    client: TestClient, reader: StoreReader
) -> None:
    doc = page(client, "/spc")
    options = [o.text for o in doc.find("select", name="measurement")[0].find("option")]
    assert options[0] == "cell imbalance (mV)"  # checked measurements first
    assert "temperature (°C)" in options
    assert any("no limits" in o for o in options)
    everything = page(client, "/spc?measurement=cell%20imbalance&points=50")
    one_station = page(client, "/spc?measurement=cell%20imbalance&points=50&station=ST-01")
    a = [p.attrs["data-value"] for p in everything.find("circle", cls="point")]
    b = [p.attrs["data-value"] for p in one_station.find("circle", cls="point")]
    assert len(a) == len(b) == 50
    assert a != b


def test_spc_points_outside_the_specification_are_marked(client: TestClient) -> None:
    doc = page(client, f"/spc?measurement=cell%20imbalance&points=5&recipe={RECIPE}")
    points = doc.find("svg", cls="chart")[0].find("circle", cls="point")
    assert [p.attrs["data-value"] for p in points] == ["61.0", "6.0"]
    assert ["out-of-spec" in p.classes for p in points] == [True, False]


# ---- Pack ------------------------------------------------------------------------------------


def test_pack_page_shows_the_trace_and_the_data_flash_diff(client: TestClient) -> None:
    doc = page(client, f"/pack/{RETESTED}")
    headings = [h.text for h in doc.find("h2")]
    assert headings[:2] == [
        "Attempt 1: FAIL [CELL_IMBALANCE] at step “Verify”",
        "Attempt 2: PASS",
    ]
    diff = doc.find("table", id="diff-1")[0].find("tr")[1:]
    assert [[td.text for td in row.find("td")] for row in diff] == [
        ["Design Capacity mAh", "4400 mAh", "10500 mAh", ""],
        ["CUV Threshold", "2500 mV", "2800 mV", ""],
    ]
    everything = page(client, f"/pack/{RETESTED}?all=1")
    assert len(everything.find("table", id="diff-1")[0].find("tr")) == 4
    assert "cell imbalance 61 mV above 50 mV" in doc.text


def test_serial_search(client: TestClient, line: Line) -> None:
    found = page(client, "/pack?serial=PK4S-9001")
    assert [a.text for a in found.find("ul", id="found")[0].find("a")] == [
        "PK4S-900101",
        "PK4S-900102",
        "PK4S-900103",
    ]
    one = page(client, "/pack?serial=PK4S-90000")  # one match: its trace at once
    assert one.find("h1")[0].text == f"Pack {RETESTED}"
    none = page(client, "/pack?serial=NOPE")
    assert "No pack serial starts with" in none.text
    unknown = page(client, "/pack/NOPE-1", status=404)
    assert "not in this database" in unknown.text


# ---- problems --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/yield?since=yesterday", "not a date"),
        ("/yield?bucket=week", "allowed hour, shift, day"),
        ("/yield?since=2026-02-02&until=2026-02-01", "ends before it starts"),
        ("/yield?bucket=hour&since=2020-01-01", "wider bucket"),
        ("/spc?points=1", "allowed from 2 to 2000"),
        ("/spc?points=many", "not a whole number"),
        ("/failures?lot=" + "L" * 200, "at most 128"),
    ],
)
def test_bad_parameters_say_what_is_wrong(client: TestClient, path: str, message: str) -> None:
    doc = page(client, path, status=400)
    assert message in doc.find("p", cls="refusal")[0].text


def test_unknown_pages_are_404(client: TestClient) -> None:
    for path in ("/nope", "/export/keys.toml", "/../etc/station/keys.toml", "/static/x"):
        response = client.get(path)
        assert response.status_code == 404, path


def test_chart_text_is_escaped() -> None:
    from station.store.views import ParetoBar
    from station.web.charts import pareto_chart, to_svg

    bars = (ParetoBar('<script>alert("x")</script>', 3, 1.0),)
    svg = to_svg(pareto_chart(bars, title="a & b", link=lambda key: f"/x?k={key}&y='1'"))
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    assert 'aria-label="a &amp; b"' in svg
    assert "&amp;y=&#x27;1&#x27;" in svg
    parse(svg)  # well formed enough for a parser
