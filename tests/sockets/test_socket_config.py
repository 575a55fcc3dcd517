"""``[[sockets]]`` in the station configuration, checked as a whole, and ``station program
--socket``: each socket its own bus (and printer), a clear error for what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from station.cli import cli
from station.config import ConfigError, StationConfig, load_config
from station.sequence.sockets import check_sockets, shared_adapters
from station.store import Store
from tests.station_cli import clean_environment

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "pk4s3p-3500.toml"

FOUR = """
station_id = "ST-07"
printer = "file:labels"

[[sockets]]
id = "A"
bus = "sim:mux?channels=4@0x70:0"

[[sockets]]
id = "B"
bus = "sim:mux?channels=4@0x70:1"
printer = "file:labels-b"

[[sockets]]
id = "C"
bus = "/dev/i2c-3@0x70:2"
instrument = "scpi-tcp:10.0.0.9"

[[sockets]]
id = "D"
bus = "sim?adapter=D"
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)


def config_file(tmp: Path, text: str) -> Path:
    path = tmp / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sockets_are_read_in_order_with_their_own_bus_printer_and_instrument(
    tmp_path: Path,
) -> None:
    config = load_config(config_file(tmp_path, FOUR), environ={})
    assert config.socket_ids() == ("A", "B", "C", "D")
    b = config.for_socket("B")
    assert (b.socket, b.bus, b.printer) == ("B", "sim:mux?channels=4@0x70:1", "file:labels-b")
    a = config.for_socket("A")
    assert a.printer == "file:labels"  # the station's printer when the socket names none
    assert config.sockets[2].instrument == "scpi-tcp:10.0.0.9"
    assert shared_adapters(config) == {"sim:mux?channels=4": ["A", "B"]}
    assert "A on sim:mux?channels=4@0x70:0" in config.masked()["sockets"]


def test_a_station_without_sockets_has_its_one_socket() -> None:
    config = StationConfig()
    assert config.socket_ids() == ("A",)
    assert config.for_socket("A") is config
    with pytest.raises(ConfigError, match="one socket, 'A', not 'B'"):
        config.for_socket("B")


def test_an_unknown_socket_is_refused_naming_the_sockets(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, FOUR), environ={})
    with pytest.raises(ConfigError, match="no socket 'E'; its sockets: A, B, C, D"):
        config.for_socket("E")


@pytest.mark.parametrize(
    ("tables", "says"),
    [
        ('[[sockets]]\nbus = "sim"\n', "socket 1 .* has no id"),
        ('[[sockets]]\nid = "A"\n', "socket 1 .* has no bus"),
        ('[[sockets]]\nid = "A"\nbus = "sim"\ncolour = 1\n', r"unknown key\(s\) \['colour'\]"),
        ('[[sockets]]\nid = "A B"\nbus = "sim"\n', "1-16 letters"),
        ('[[sockets]]\nid = "A"\nbus = "sim"\nprinter = 3\n', "printer = 3 must be a string"),
        (
            '[[sockets]]\nid = "A"\nbus = "sim?adapter=1"\n[[sockets]]\nid = "A"\nbus = "sim"\n',
            "socket 2 .* 'A' is used twice",
        ),
        ('sockets = "A"\n', r"\[\[sockets\]\] tables"),
    ],
)
def test_a_wrong_socket_table_is_refused_saying_what_a_socket_needs(
    tmp_path: Path, tables: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        load_config(config_file(tmp_path, tables), environ={})


@pytest.mark.parametrize(
    ("buses", "says"),
    [
        (("/dev/i2c-1@0x70:3", "/dev/i2c-1@0x70:3"), "both reach the pack"),
        (("/dev/i2c-1", "/dev/i2c-1"), "own channel of an I2C multiplexer"),
        (("sim", "sim"), "both reach the pack"),
        (("/dev/i2c-1@0x70:9", "sim"), "socket A: bus = .*channel 0-7"),
        (("sim:mux?channels=8", "sim"), "the emulated mux alone, with no pack"),
    ],
)
def test_sockets_that_cannot_work_together_are_refused(
    tmp_path: Path, buses: tuple[str, str], says: str
) -> None:
    text = "".join(
        f'[[sockets]]\nid = "{sid}"\nbus = "{bus}"\n' for sid, bus in zip("AB", buses, strict=True)
    )
    config = load_config(config_file(tmp_path, text), environ={})
    with pytest.raises(ConfigError, match=says):
        check_sockets(config)


def test_sockets_on_one_adapter_through_a_udev_alias_are_one_pack(tmp_path: Path) -> None:
    node = tmp_path / "i2c-9"
    node.touch()
    alias = tmp_path / "fixture-bus"
    alias.symlink_to(node)
    text = "".join(
        f'[[sockets]]\nid = "{sid}"\nbus = "{path}@0x70:1"\n'
        for sid, path in (("A", node), ("B", alias))
    )
    config = load_config(config_file(tmp_path, text), environ={})
    with pytest.raises(ConfigError, match="sockets A and B both reach"):
        check_sockets(config)


def station(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def program(tmp: Path, config: Path, serial: str, *extra: str) -> Result:
    return station(
        "program",
        "--config",
        str(config),
        "--recipe",
        str(RECIPE),
        "--serial",
        serial,
        "--operator",
        "alice",
        "--db",
        f"sqlite:///{tmp}/db.sqlite3",
        *extra,
    )


def test_station_program_runs_the_pack_of_the_socket_it_names(tmp_path: Path) -> None:
    config = config_file(tmp_path, FOUR)
    done = program(tmp_path, config, "PK4S-000201", "--socket", "B")
    assert done.exit_code == 0, done.output
    assert "station ST-07 socket B, bus sim:mux?channels=4@0x70:1" in done.output
    assert "PASS: pack PK4S-000201" in done.output
    assert list((tmp_path / "labels-b").iterdir())  # socket B's own printer
    other = program(tmp_path, config, "PK4S-000202", "--socket", "D")
    assert other.exit_code == 0, other.output
    with Store.open(f"sqlite:///{tmp_path}/db.sqlite3") as store:
        (b,) = store.pack_history("PK4S-000201")
        (d,) = store.pack_history("PK4S-000202")
    assert (b.station_id, b.socket) == ("ST-07", "B")
    assert d.socket == "D"
    trace = station("trace", "PK4S-000201", "--db", f"sqlite:///{tmp_path}/db.sqlite3")
    assert "station ST-07 socket B" in trace.output
    report = station("report", "--include-emulated", "--db", f"sqlite:///{tmp_path}/db.sqlite3")
    assert report.exit_code == 0, report.output
    assert "attempts by station/socket:" in report.output
    assert "ST-07/B" in report.output
    assert "ST-07/D" in report.output


def test_station_program_on_several_sockets_needs_to_be_told_which(tmp_path: Path) -> None:
    config = config_file(tmp_path, FOUR)
    done = program(tmp_path, config, "PK4S-000203")
    assert done.exit_code == 2
    assert "sockets A, B, C, D: name the pack's with --socket ID" in done.output
    wrong = program(tmp_path, config, "PK4S-000203", "--socket", "Z")
    assert wrong.exit_code == 2
    assert "no socket 'Z'" in wrong.output
