"""The dashboard in a real headless Chromium (the system's package), served by uvicorn on a
port of this computer: the pages load, the charts carry their data points, a filter typed into a
form changes the figures, a bar leads to its packs.

Skipped, saying why, where no Chromium can start. These tests also take the README's pictures:
``STATION_UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/web/test_browser.py`` writes
``docs/screenshots/dashboard-{line,failures,spc}.png``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from station.store.reader import StoreReader
from station.store.report_records import ReportFilter
from station.web import DashboardSettings, create_app
from station.web.serve import bind
from tests.web import browser as chromium
from tests.web.line import RUNNING, STALE_SOCKET, Line

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def served(reader: StoreReader) -> Iterator[str]:
    """The dashboard on a free port of 127.0.0.1, for as long as the module's tests run."""
    settings = DashboardSettings(port=0)
    sock = bind(settings)  # listening already: the browser's requests wait for the server
    config = uvicorn.Config(
        create_app(reader, settings), log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join()
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[chromium.Browser]:
    try:
        started = chromium.start(tmp_path_factory.mktemp("chromium-profile"))
    except chromium.BrowserUnavailable as exc:
        pytest.skip(f"no headless Chromium here, the browser tests are skipped: {exc}")
    with started:
        yield started


def shoot(b: chromium.Browser, name: str, tmp_path: Path) -> None:
    """A picture of the page: always checked, kept for the README when asked."""
    path = b.screenshot(tmp_path / f"{name}.png")
    data = path.read_bytes()
    assert data.startswith(PNG)
    assert len(data) > 20_000  # a page with its charts, not a blank
    if os.environ.get("STATION_UPDATE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"dashboard-{name}.png").write_bytes(data)


def count(b: chromium.Browser, selector: str) -> int:
    return int(b.evaluate(f"document.querySelectorAll({selector!r}).length"))


def test_line_page(browser: chromium.Browser, served: str, tmp_path: Path) -> None:
    browser.load(served + "/")
    assert browser.evaluate("document.title") == "Line · packline station"
    running = browser.evaluate("document.querySelector('[data-count=running]').textContent")
    assert running.strip() == str(len(RUNNING))
    stale = browser.evaluate(
        "[...document.querySelectorAll('tr.STALE')].map(r => r.dataset.socket)"
    )
    assert stale == ["/".join(STALE_SOCKET)]
    # the page asks the browser to load it again by itself
    assert browser.evaluate("document.querySelector('meta[http-equiv=refresh]').content") == "15"
    shoot(browser, "line", tmp_path)


def test_failures_bars_lead_to_their_packs(
    browser: chromium.Browser, served: str, reader: StoreReader, tmp_path: Path
) -> None:
    browser.load(served + "/failures")
    pareto = reader.failures(ReportFilter(since=reader.now() - timedelta(days=7)))
    bars = browser.evaluate(
        "[...document.querySelectorAll('svg.chart')[0].querySelectorAll('rect.bar')]"
        ".map(b => [b.dataset.key, +b.dataset.value, b.getBoundingClientRect().height])"
    )
    assert [(k, n) for k, n, _ in bars] == [(b.key, b.count) for b in pareto.by_code]
    heights = [h for _, _, h in bars]
    assert heights == sorted(heights, reverse=True)  # drawn, tallest first
    assert heights[-1] > 0
    shoot(browser, "failures", tmp_path)
    browser.evaluate("document.querySelector('svg.chart a').dispatchEvent(new MouseEvent('click'))")
    browser.wait_for("Page.loadEventFired")
    top = pareto.by_code[0].key
    codes = browser.evaluate(
        "[...document.querySelectorAll('#behind tr')].slice(1).map(r => r.cells[5].textContent)"
    )
    assert len(codes) == min(pareto.by_code[0].count, 200)
    assert set(codes) == {top}


def test_spc_chart_has_its_points(
    browser: chromium.Browser, served: str, reader: StoreReader, tmp_path: Path
) -> None:
    browser.load(served + "/spc?measurement=cell%20voltage%20(worst)&points=150")
    expected = reader.spc(ReportFilter(), "cell voltage (worst)", points=150)
    values = browser.evaluate(
        "[...document.querySelectorAll('svg.chart circle.point')].map(c => +c.dataset.value)"
    )
    assert values == [p.value for p in expected.points]
    assert len(values) == 150
    # the points the run rules flag are drawn as signals (the cells of each lot sit apart)
    signals = [i for i, p in enumerate(expected.points) if p.rules]
    drawn = browser.evaluate(
        "[...document.querySelectorAll('svg.chart circle.point')]"
        ".flatMap((c, i) => c.classList.contains('signal') ? [i] : [])"
    )
    assert drawn == signals
    assert signals
    # points are drawn inside the chart, above one another as their values are
    ys = browser.evaluate(
        "[...document.querySelectorAll('svg.chart circle.point')].map(c => +c.getAttribute('cy'))"
    )
    order = sorted(range(150), key=lambda i: values[i])
    assert [ys[i] for i in order] == sorted(ys, reverse=True)
    assert count(browser, "svg.chart line.level.ucl") == 1
    shoot(browser, "spc", tmp_path)


def test_a_filter_typed_into_the_form_changes_the_figures(
    browser: chromium.Browser, served: str, reader: StoreReader, line: Line
) -> None:
    day = line.now.date().isoformat()
    browser.load(f"{served}/yield?bucket=shift&since={day}&until={day}")
    total = "document.querySelector('#total').cells[1].textContent"
    everything = int(browser.evaluate(total))
    browser.submit("form.filters", {"lot": "LOT-0012"})
    assert browser.evaluate("location.search").find("lot=LOT-0012") > 0
    start = datetime.combine(line.now.date(), datetime.min.time(), UTC)
    lot = ReportFilter(start, start + timedelta(days=1), lot="LOT-0012")
    expected = sum(r.attempt_no == 1 for r in reader.export(lot))
    assert int(browser.evaluate(total)) == expected
    assert 0 < expected < everything
    # the chart was drawn again from the filtered figures
    points = count(browser, "svg.chart circle.point.fpy")
    assert points == int(browser.evaluate("document.querySelector('svg.chart').dataset.points"))
