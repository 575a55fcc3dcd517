"""deploy/install.sh --dashboard --prefix: a supervisor's computer gets the dashboard service
pointed at the line's database, a token for browsers, and nothing of a line terminal (no key
store, no I2C rules, no terminal on tty1); the installed copy serves the pages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from station.config import load_config
from station.store import Store
from station.web import DashboardSettings
from tests.deploy.test_install import (
    VENV,
    Installed,
    copy_prefix,
    mode_of,
    run_install,
    shared_install,
    tree_digest,
    unit_entries,
    unit_value,
    verify_unit,
)
from tests.web.served import dashboard_process, get

LINE_DB = "postgresql+psycopg://dashboard@db.plant.local/traceability"


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return shared_install(
        tmp_path_factory, "deploy-dashboard", "--dashboard", "--database", LINE_DB
    )


def environment_file(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def test_the_dashboard_unit(dashboard: Installed) -> None:
    path = dashboard.prefix / "etc/systemd/system/station-dashboard.service"
    assert mode_of(path) == 0o644
    unit = unit_entries(path)
    assert unit_value(unit, "Service", "ExecStart") == f"/{VENV}/bin/station dashboard"
    assert unit_value(unit, "Service", "User") == "station"
    assert unit_value(unit, "Service", "EnvironmentFile") == "-/etc/station/dashboard.env"
    assert unit_value(unit, "Service", "Environment") == "STATION_CONFIG=/etc/station/station.toml"
    assert unit_value(unit, "Service", "Restart") == "always"
    assert unit_value(unit, "Service", "ProtectSystem") == "strict"
    assert unit_value(unit, "Service", "NoNewPrivileges") == "yes"
    assert unit_value(unit, "Unit", "Wants") == "network-online.target"
    assert unit_value(unit, "Install", "WantedBy") == "multi-user.target"
    program = dashboard.prefix / f"{VENV}/bin/station"
    assert os.access(program, os.X_OK)


def test_pointed_at_the_line_database_with_a_token(dashboard: Installed) -> None:
    config_path = dashboard.prefix / "etc/station/station.toml"
    env_path = dashboard.prefix / "etc/station/dashboard.env"
    assert mode_of(env_path) == 0o600
    env = environment_file(env_path)
    assert len(env["STATION_DASHBOARD_TOKEN"]) >= 24
    config = load_config(config_path, environ=env)
    assert config.database == LINE_DB
    assert config.sources["dashboard_token"] == "environment STATION_DASHBOARD_TOKEN"
    assert config.masked()["dashboard_token"] == "***"
    # opening it to the network needs only the listen address: the token is there
    wide = DashboardSettings.from_config(config, listen="0.0.0.0:8080")
    wide.check()
    # the rest of the file is the example's, comments included
    example = (Path(__file__).resolve().parents[2] / "deploy/station.toml.example").read_text(
        encoding="utf-8"
    )
    sqlite = 'url = "sqlite:////var/lib/station/station.sqlite3"'
    assert example.count(sqlite) == 1
    expected = example.replace(sqlite, f'url = "{LINE_DB}"')
    assert config_path.read_text(encoding="utf-8") == expected


def test_nothing_of_a_line_terminal(dashboard: Installed) -> None:
    root = dashboard.prefix
    for absent in (
        "etc/station/keys.toml",
        "etc/station/station.env",
        "etc/station/recipes",
        "var/lib/station/labels",
        "etc/systemd/system/station-terminal.service",
        "etc/udev/rules.d/99-station-i2c.rules",
        "etc/modules-load.d/station-i2c.conf",
        "etc/sysctl.d/60-station-console.conf",
    ):
        assert not (root / absent).exists(), absent
    log = (root / "var/lib/station/install.log").read_text(encoding="utf-8")
    commands = [line for line in log.splitlines() if not line.startswith("#")]
    useradd = next(c for c in commands if c.startswith("useradd "))
    assert "--groups" not in useradd
    assert "chown station: /var/lib/station /var/lib/station/logs" in commands
    assert "systemctl enable station-dashboard.service" in commands
    assert not any(re.search(r"getty|udevadm|modprobe|sysctl|groupadd", c) for c in commands)
    assert mode_of(root / "var/lib/station") == 0o750
    assert (root / "usr/local/bin/station").is_file()


def test_a_second_run_changes_nothing_and_keeps_the_token(
    dashboard: Installed, tmp_path: Path
) -> None:
    prefix = copy_prefix(dashboard, tmp_path / "root")
    before = tree_digest(prefix)
    # the configuration names a PostgreSQL: its driver stays without --with-postgres
    again = run_install(prefix, dashboard.source, "--dashboard")
    assert again.returncode == 0, again.stderr + again.stdout
    assert "packline-station is up to date" in again.stdout
    assert tree_digest(prefix) == before


def test_an_existing_config_is_kept_and_said_so(dashboard: Installed, tmp_path: Path) -> None:
    prefix = copy_prefix(dashboard, tmp_path / "root")
    result = run_install(
        prefix, dashboard.source, "--dashboard", "--database", "postgresql+psycopg://x@other/db"
    )
    assert result.returncode == 0, result.stderr
    assert "kept as it is" in result.stderr
    assert load_config(prefix / "etc/station/station.toml", environ={}).database == LINE_DB


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dashboard", "--database", "postgresql://dash:secret@db/x"], "carries a password"),
        (["--database", LINE_DB], "is for --dashboard"),
        (["--dashboard", "--database", "db.plant.local"], "not a database URL"),
        (["--dashboard", "--database", 'postgresql://a@b/c"d'], "not a database URL"),
    ],
)
def test_bad_database_arguments_are_refused(args: list[str], message: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "bash",
            str(Path(__file__).resolve().parents[2] / "deploy/install.sh"),
            "--prefix",
            str(tmp_path / "root"),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "root").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is missing")
def test_the_unit_has_no_unknown_or_invalid_directives(
    dashboard: Installed, tmp_path: Path
) -> None:
    verify_unit(dashboard.prefix / "etc/systemd/system/station-dashboard.service", tmp_path)


def test_the_installed_dashboard_serves_with_its_token(
    dashboard: Installed, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'station.sqlite3'}"
    Store.open(database).close()  # an empty station database, at this software's schema
    token = environment_file(dashboard.prefix / "etc/station/dashboard.env")[
        "STATION_DASHBOARD_TOKEN"
    ]
    venv = dashboard.prefix / VENV
    env = {
        **os.environ,
        "PYTHONPATH": sysconfig.get_paths()["purelib"],  # --no-deps: this environment's
        "PYTHONDONTWRITEBYTECODE": "1",
        "STATION_CONFIG": str(dashboard.prefix / "etc/station/station.toml"),
        "STATION_DB": database,
        "STATION_DASHBOARD_LISTEN": "127.0.0.1:0",
        "STATION_DASHBOARD_TOKEN": token,
    }
    command = [str(venv / "bin/python"), str(venv / "bin/station"), "dashboard"]
    with dashboard_process(command, env, cwd=tmp_path) as served:
        status, body = get(served.url, token)
        assert status == 200
        assert "No station has recorded an attempt" in body
        assert get(served.url)[0] == 401
