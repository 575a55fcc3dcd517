"""The dashboard's settings: listen address, user, token (a secret), shift start times."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from station.config import (
    ConfigError,
    StationConfig,
    load_config,
    parse_shift_starts,
    split_listen,
)

TOKEN = "n0t-a-real-token-but-long-enough"


def test_defaults_listen_on_this_computer_without_a_token() -> None:
    config = StationConfig()
    assert split_listen(config.dashboard_listen) == ("127.0.0.1", 8080)
    assert config.dashboard_token == ""
    assert parse_shift_starts(config.shift_starts) == (time(6), time(14), time(22))


def test_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(
        '[dashboard]\ndashboard_listen = "0.0.0.0:9000"\nshift_starts = ["22:00", "07:30"]\n',
        encoding="utf-8",
    )
    config = load_config(path, environ={"STATION_DASHBOARD_TOKEN": TOKEN})
    assert config.dashboard_listen == "0.0.0.0:9000"
    assert parse_shift_starts(config.shift_starts) == (time(7, 30), time(22))
    assert config.dashboard_token == TOKEN
    assert config.sources["dashboard_token"] == "environment STATION_DASHBOARD_TOKEN"
    env = load_config(None, environ={"STATION_SHIFT_STARTS": "06:00,18:00"})
    assert env.shift_starts == ("06:00", "18:00")


def test_the_token_is_masked_and_never_repeated_in_errors() -> None:
    config = load_config(None, environ={"STATION_DASHBOARD_TOKEN": TOKEN})
    assert config.masked()["dashboard_token"] == "***"
    assert StationConfig().masked()["dashboard_token"] == ""
    with pytest.raises(ConfigError) as short:
        load_config(None, environ={"STATION_DASHBOARD_TOKEN": "hunter2"})
    assert "at least 16" in str(short.value)
    assert "hunter2" not in str(short.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:8443", ("::1", 8443)),
        ("dash.plant.local:8080", ("dash.plant.local", 8080)),
    ],
)
def test_listen_addresses(text: str, expected: tuple[str, int]) -> None:
    assert split_listen(text) == expected


@pytest.mark.parametrize("text", ["8080", "127.0.0.1", ":8080", "::1:8080", "host:99999", "a b:1"])
def test_bad_listen_addresses_are_refused_with_examples(text: str) -> None:
    with pytest.raises(ConfigError, match=r"HOST:PORT, e\.g\. 127\.0\.0\.1:8080"):
        load_config(None, environ={"STATION_DASHBOARD_LISTEN": text})


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["6h"], "not a time of day"),
        (["06:10"], "quarter hour"),
        ([], "at least one"),
        (["06:00", "6:00"], "twice"),
        (["24:00"], "not a time of day"),
    ],
)
def test_bad_shift_starts_are_refused(given: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_shift_starts(given)


def test_shift_starts_from_a_file_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text('shift_starts = ["06:00", "13:50"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="quarter hour"):
        load_config(path, environ={})
    path.write_text("shift_starts = 6\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="list of times"):
        load_config(path, environ={})


def test_bad_user_names_are_refused() -> None:
    with pytest.raises(ConfigError, match="dashboard_user"):
        load_config(None, environ={"STATION_DASHBOARD_USER": "a:b"})
