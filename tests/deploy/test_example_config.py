"""deploy/station.toml.example loads, sets and documents every setting, and keeps secrets out."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from station.config import ENV_OVERRIDES, StationConfig, load_config
from station.database_urls import mask_url_password

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "station.toml.example"
# ``sockets`` is a list of tables: the example documents it in comments (see the test below).
SETTINGS = [f.name for f in fields(StationConfig) if f.name not in {"sources", "sockets"}]
SHIFT_LOCKS = {"recipe", "operator", "lot"}


def setting_blocks(text: str) -> dict[str, str]:
    """Each setting's assignment line with the comment lines just above it."""
    blocks: dict[str, str] = {}
    comments: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        match = re.match(r"^([a-z_]+)\s*=", stripped)
        if match:
            # [database] url = "..." is the database setting
            name = "database" if match.group(1) == "url" else match.group(1)
            blocks.setdefault(name, "\n".join([*comments, stripped]))
            comments = []
        elif stripped.startswith("#"):
            comments.append(stripped)
        else:
            comments = []
    return blocks


def test_loads_with_every_setting_taken_from_the_file() -> None:
    config = load_config(EXAMPLE, environ={})
    from_file = {name for name, source in config.sources.items() if source == str(EXAMPLE)}
    assert from_file == set(SETTINGS)


def test_every_setting_is_documented_with_its_environment_variable() -> None:
    blocks = setting_blocks(EXAMPLE.read_text(encoding="utf-8"))
    assert set(SETTINGS) <= set(blocks)
    for variable, setting in ENV_OVERRIDES.items():
        assert variable in blocks[setting], f"{setting}: {variable} is not mentioned"
    for setting in set(SETTINGS) - SHIFT_LOCKS:
        assert "Allowed" in blocks[setting], f"{setting}: allowed values are not described"


def test_shift_locks_live_in_a_shift_table() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(raw["shift"]) == SHIFT_LOCKS
    assert not SHIFT_LOCKS & set(raw)


def test_terminal_paths_are_absolute() -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.database == "sqlite:////var/lib/station/station.sqlite3"
    for value in (config.keys, config.recipes, config.labels_dir, config.log_dir):
        assert value.startswith("/"), value
    assert config.printer.startswith("file:/")


def test_postgres_example_loads_and_carries_no_password(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("# url = ")]
    assert len(lines) == 1
    enabled = text.replace(lines[0], lines[0].removeprefix("# "))
    enabled = re.sub(r'^url = "sqlite:.*$', "", enabled, count=1, flags=re.MULTILINE)
    path = tmp_path / "station.toml"
    path.write_text(enabled, encoding="utf-8")
    config = load_config(path, environ={})
    assert config.database == "postgresql+psycopg://station@db.plant.local/traceability"
    assert mask_url_password(config.database) == config.database  # nothing to mask
    assert "PGPASSWORD" in text
    assert ".pgpass" in text


def test_a_line_terminal_database_is_a_production_one() -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.production is True
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert raw["database"]["production"] is True
    # A preview is never a print: its folder is not the printer's.
    assert config.labels_dir != config.printer.removeprefix("file:")


def test_no_password_anywhere_in_the_example() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert not re.search(r"[a-z+]+://[^/\s:@]+:[^@\s]+@", text)
    assert load_config(EXAMPLE, environ={}).dashboard_token == ""


def test_dashboard_settings_live_in_a_dashboard_table() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(raw["dashboard"]) == {
        "dashboard_listen",
        "dashboard_user",
        "dashboard_token",
        "shift_starts",
    }


@pytest.mark.parametrize("variable", sorted(ENV_OVERRIDES))
def test_environment_still_overrides_the_example(variable: str) -> None:
    values = {
        "STATION_ID": "ST-09",
        "STATION_SOCKET": "B",
        "STATION_BUS": "sim",
        "STATION_PEC": "on",
        "STATION_BUS_SPEED_HZ": "50000",
        "STATION_DB": "sqlite:////tmp/other.sqlite3",
        "STATION_KEYS": "/tmp/keys.toml",
        "STATION_RECIPES": "/tmp/recipes",
        "STATION_PROFILES": "/tmp/profiles",
        "STATION_PRINTER": "file:/tmp/labels",
        "STATION_LABELS": "/tmp/labels",
        "STATION_SUPERVISOR_BADGES": "SUP-1,SUP-2",
        "STATION_ENGINEER_BADGES": "ENG-1",
        "STATION_BELL": "off",
        "STATION_LOG_DIR": "/tmp/station-logs",
        "STATION_LOG_TO": "file",
        "STATION_BUS_TRACE": "/tmp/bus-trace.txt",
        "STATION_INSTRUMENTS": "/tmp/instruments.toml",
        "STATION_DASHBOARD_LISTEN": "0.0.0.0:9090",
        "STATION_DASHBOARD_USER": "quality",
        "STATION_DASHBOARD_TOKEN": "a-token-of-twenty-four-c",
        "STATION_SHIFT_STARTS": "07:00,19:00",
        "STATION_REFERENCE_CHECK": "true",
        "STATION_SCAN_ROUTING": "next-idle",
    }
    if variable not in values:
        pytest.fail(f"{variable} is new: give it a test value here and document it in the example")
    config = load_config(EXAMPLE, environ={variable: values[variable]})
    setting = ENV_OVERRIDES[variable]
    assert config.sources[setting] == f"environment {variable}"
    assert getattr(config, setting) != getattr(load_config(EXAMPLE, environ={}), setting)


def test_printer_value_and_examples_are_accepted_printer_specs() -> None:
    from station.labels.printers import parse_printer_spec

    block = setting_blocks(EXAMPLE.read_text(encoding="utf-8"))["printer"]
    examples = re.findall(r'e\.g\. "([^"]+)"', block)
    assert {spec.split(":")[0] for spec in examples} == {"zpl-tcp", "cups"}
    for spec in [load_config(EXAMPLE, environ={}).printer, *examples]:
        parse_printer_spec(spec)  # raises PrinterSpecError for a form the station refuses


def test_the_sockets_example_loads_once_uncommented(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("# [[sockets]]\n# id")
    block = text[start:].split("\n\n", 1)[0]  # the example ends at the first blank line
    example = "\n".join(line.removeprefix("# ").removeprefix("#") for line in block.splitlines())
    path = tmp_path / "station.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, environ={})
    assert config.socket_ids() == ("A", "B")
    assert config.for_socket("B").bus == "/dev/i2c-1@0x70:1"
    assert config.for_socket("B").printer == "zpl-tcp:10.0.0.21"
