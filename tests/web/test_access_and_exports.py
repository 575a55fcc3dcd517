"""Who may look, what looking may do (nothing), and the CSV exports (as `station export`)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.routing import Route

from station.cli import cli
from station.store.reader import StoreReader
from station.web import DashboardSettings, ListenRefused, create_app
from tests.web.conftest import client_for, db_file
from tests.web.html import parse
from tests.web.line import RETESTED, Line

TOKEN = "a-dashboard-token-0123456789"
PAGES = ["/", "/yield", "/failures", "/spc", f"/pack/{RETESTED}", "/export/attempts.csv"]


def basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


# ---- exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ("?lot=LOT-0004", ["--lot", "LOT-0004"]),
        ("?station=ST-03&since=2026-01-05T08:00&until=2026-01-05T09:00", None),
    ],
    ids=["lot", "station-window"],
)
@pytest.mark.parametrize("rows", ["attempts", "measurements"])
def test_csv_exports_are_what_station_export_writes(
    reader: StoreReader, line: Line, query: str, flags: list[str] | None, rows: str
) -> None:
    if flags is None:  # the CLI reads local times as the terminal's: give it UTC explicitly
        flags = [
            "--station",
            "ST-03",
            "--since",
            "2026-01-05T08:00+00:00",
            "--until",
            "2026-01-05T09:00+00:00",
        ]
    with client_for(reader) as client:
        response = client.get(f"/export/{rows}.csv{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="{rows}-' in response.headers["content-disposition"]
    expected = CliRunner().invoke(
        cli, ["export", "--db", line.url, "--format", "csv", "--rows", rows, *flags]
    )
    assert expected.exit_code == 0, expected.output
    assert response.text == expected.stdout
    assert response.text.count("\n") > 10


def test_every_page_links_the_export_of_what_it_shows(reader: StoreReader, line: Line) -> None:
    with client_for(reader) as client:
        for path in ("/", "/yield?lot=LOT-0004", "/failures", "/spc", f"/pack/{RETESTED}"):
            doc = parse(client.get(path).text)
            links = [a.attrs["href"] for a in doc.find("a") if "/export/" in a.attrs["href"]]
            assert {h.split("?")[0] for h in links} == {
                "/export/attempts.csv",
                "/export/measurements.csv",
            }, path
            exported = client.get(links[0])
            assert exported.status_code == 200
            if path.startswith("/pack/"):
                serials = {row.split(",")[0] for row in exported.text.splitlines()[1:]}
                assert serials == {RETESTED}


# ---- read-only -------------------------------------------------------------------------------


def test_looking_changes_nothing_in_the_database(reader: StoreReader, line: Line) -> None:
    path = db_file(line)
    files = sorted(path.parent.glob(path.name + "*"))

    def digest() -> dict[str, str]:
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    before = digest()
    with client_for(reader) as client:
        for p in [*PAGES, "/yield?bucket=hour", "/failures?code=CELL_IMBALANCE", "/pack?serial=P"]:
            assert client.get(p).status_code == 200, p
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            response = client.request(method, "/")
            assert response.status_code == 405
            assert response.headers["allow"] == "GET, HEAD"
    assert digest() == before


def test_the_application_has_only_its_pages() -> None:
    # Nothing serves files: neither the key store nor anything else of the station's.
    reader = object.__new__(StoreReader)
    app = create_app(reader, DashboardSettings())
    paths = {r.path for r in app.routes if isinstance(r, Route)}
    assert paths == {
        "/",
        "/yield",
        "/failures",
        "/spc",
        "/pack",
        "/pack/{serial:path}",
        "/export/attempts.csv",
        "/export/measurements.csv",
    }


# ---- access ----------------------------------------------------------------------------------


def test_every_answer_forbids_outside_content_framing_and_caching(reader: StoreReader) -> None:
    with client_for(reader) as client:
        response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers


def test_without_a_token_only_this_computer_is_answered(reader: StoreReader) -> None:
    with client_for(reader, client=("192.168.1.20", 40000)) as outsider:
        response = outsider.get("/")
    assert response.status_code == 403
    assert "answers this computer only" in response.text
    # a page elsewhere reaching the dashboard through a name that resolves to 127.0.0.1
    with client_for(reader, base_url="http://attacker.example:8080") as rebound:
        assert rebound.get("/").status_code == 403
    for base in ("http://localhost:8080", "http://[::1]:8080"):
        with client_for(reader, base_url=base) as local:
            assert local.get("/").status_code == 200, base


def test_with_a_token_every_request_needs_it(reader: StoreReader) -> None:
    settings = DashboardSettings(host="0.0.0.0", token=TOKEN, user="quality")
    with client_for(reader, settings, client=("10.1.2.3", 40000)) as client:
        for path in PAGES:
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Basic realm=")
            assert TOKEN not in refused.text
        assert client.get("/", headers=basic("quality", TOKEN)).status_code == 200
        assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        for headers in (
            basic("quality", TOKEN[:-1]),
            basic("supervisor", TOKEN),
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": "Basic not-base64!"},
            {"Authorization": TOKEN},
        ):
            assert client.get("/", headers=headers).status_code == 401, headers
        # the token is needed from this computer too
        with client_for(reader, settings) as local:
            assert local.get("/").status_code == 401


def test_listening_beyond_this_computer_needs_a_token() -> None:
    with pytest.raises(ListenRefused, match="without a token"):
        DashboardSettings(host="0.0.0.0").check()
    with pytest.raises(ListenRefused, match="without a token"):
        DashboardSettings(host="dash.plant.local").check()
    DashboardSettings(host="0.0.0.0", token=TOKEN).check()
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        DashboardSettings(host=host).check()


def test_settings_come_from_the_station_config(tmp_path: Path) -> None:
    from station.config import load_config

    config = load_config(None, environ={"STATION_DASHBOARD_TOKEN": TOKEN})
    settings = DashboardSettings.from_config(config, listen="[::1]:9000")
    assert (settings.host, settings.port, settings.token) == ("::1", 9000, TOKEN)
    assert settings.url == "http://[::1]:9000/"
    assert TOKEN not in repr(settings)
    with pytest.raises(ListenRefused, match="not HOST:PORT"):
        DashboardSettings.from_config(config, listen="9000")


def test_a_database_that_goes_away_gives_a_page_that_says_so(tmp_path: Path) -> None:
    from station.store import Store

    url = f"sqlite:///{tmp_path / 'station.sqlite3'}"
    Store.open(url).close()
    with StoreReader.open(url) as reader, client_for(reader) as client:
        assert client.get("/").status_code == 200
        (tmp_path / "station.sqlite3").unlink()
        for leftover in tmp_path.glob("station.sqlite3-*"):
            leftover.unlink()
        reader.engine.dispose()  # a new connection finds no file
        response = client.get("/")
    assert response.status_code == 503
    doc = parse(response.text)
    assert "cannot be reached" in doc.find("p", cls="refusal")[0].text
    assert "nothing was changed" in doc.text
