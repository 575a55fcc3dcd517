"""A demonstration database (runs on the emulator, as ``make run`` records them) on the
dashboard: left out by default as a line's dashboard must, shown with ``--include-emulated``
and a notice on every page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from station.store.reader import StoreReader
from station.store.report_records import ReportFilter
from station.store.views import Bucket
from tests.web.conftest import client_for

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "pk4s3p-3500.toml"
SERIALS = ("PK4S-000201", "PK4S-000202")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    for serial in SERIALS:
        done = CliRunner().invoke(
            cli,
            ["program", "--bus", "sim", "--recipe", str(RECIPE), "--serial", serial,
             "--operator", "alice", "--db", url, "--printer", f"file:{folder / 'labels'}"],
            env=env,
            catch_exceptions=False,
        )  # fmt: skip
        assert done.exit_code == 0, done.output
    return url


def test_a_line_dashboard_leaves_the_emulators_runs_out(demo: str) -> None:
    with StoreReader.open(demo) as reader:
        assert reader.line().sockets == ()
        assert reader.stations() == []
        assert reader.recipes() == []
        assert reader.yields(Bucket.DAY, ReportFilter()).total.final_judged == 0
        with client_for(reader) as client:
            page = client.get("/").text
    assert 'id="emulated"' not in page


def test_include_emulated_shows_the_demo_and_says_so(demo: str) -> None:
    with StoreReader.open(demo, include_emulated=True) as reader:
        status = reader.line()
        assert [s.last.serial for s in status.sockets if s.last] == [SERIALS[-1]]
        assert reader.recipes() == ["pk4s3p-3500"]
        series = reader.yields(Bucket.DAY, ReportFilter())
        assert series.total.final_pass == len(SERIALS)
        assert len(list(reader.export(ReportFilter()))) == len(SERIALS)
        with client_for(reader) as client:
            for path in ("/", "/yield", "/failures", "/spc", f"/pack?serial={SERIALS[0]}"):
                page = client.get(path)
                assert page.status_code == 200, path
                assert 'id="emulated"' in page.text, path
                assert "include runs on the emulator" in page.text
