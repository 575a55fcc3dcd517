"""``station program`` end to end on the emulator, then ``trace``, labels, ``config check``,
``recipe release``: what an engineer at a terminal sees, and what the database keeps."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from station.cli import cli
from station.store import AttemptOutcome, LabelState, Store
from tests.labels.reader import decode_bc_data, scan_png, zpl_fields
from tests.leaks import database_text, leaked
from tests.pins import PIN, give_pin
from tests.station_cli import clean_environment

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "pk4s3p-3500.toml"
SERIAL = "PK4S-000123"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)


def station(*args: str, typed: str | None = None) -> Result:
    """Run ``station ARGS``; ``typed`` is what is typed at its prompts (a PIN)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, input=typed)


def program(
    tmp: Path, *extra: str, bus: str = "sim", serial: str = SERIAL, typed: str | None = None
) -> Result:
    return station(
        "program",
        "--bus",
        bus,
        "--recipe",
        str(RECIPE),
        "--serial",
        serial,
        "--operator",
        "alice",
        "--db",
        f"sqlite:///{tmp}/db.sqlite3",
        "--printer",
        f"file:{tmp}/labels",
        *extra,
        typed=typed,
    )


def test_program_passes_and_trace_shows_everything(tmp_path: Path) -> None:
    done = program(tmp_path, "--lot", "LOT-7")
    assert done.exit_code == 0, done.output
    assert f"PASS: pack {SERIAL}" in done.output
    assert "time on the emulator's bus model" in done.output

    trace = station("trace", SERIAL, "--db", f"sqlite:///{tmp_path}/db.sqlite3")
    assert trace.exit_code == 0, trace.output
    out = trace.output
    with Store.open(f"sqlite:///{tmp_path}/db.sqlite3") as store:
        (attempt,) = store.pack_history(SERIAL)
    assert attempt.outcome is AttemptOutcome.PASS
    assert attempt.recipe_hash[:12] in out
    for step in (
        "Check serial",
        "Identify gauge",
        "Unseal",
        "Back up data flash",
        "Apply recipe",
        "Reset gauge",
        "Verify",
        "Seal",
        "Print label",
    ):
        assert step in out, step
    assert "cells seen" in out
    assert "cell imbalance" in out
    assert "COV Threshold Low Temp" in out
    assert "4250 mV" in out
    assert "LOT-7" in out


def test_the_label_files_scan_back_to_the_serial_and_the_print_is_recorded(
    tmp_path: Path,
) -> None:
    assert program(tmp_path).exit_code == 0
    files = sorted((tmp_path / "labels").iterdir())
    assert [f.suffix for f in files] == [".png", ".svg", ".zpl"]
    png = next(f for f in files if f.suffix == ".png").read_bytes()
    scans = scan_png(png)
    assert scans
    assert {s.text for s in scans} == {SERIAL}
    assert Image.open(next(f for f in files if f.suffix == ".png")).size[0] > 300
    zpl = files[2].read_text()
    (barcode,) = [f for f in zpl_fields(zpl) if "^BC" in f.commands]
    assert decode_bc_data(barcode.data) == SERIAL
    with Store.open(f"sqlite:///{tmp_path}/db.sqlite3") as store:
        trace = store.trace(SERIAL)
    assert trace is not None
    (attempt,) = trace.attempts
    assert attempt.summary.label_state is LabelState.PRINTED
    assert attempt.labels[0].printer == f"file:{tmp_path}/labels"


def test_reprint_needs_a_supervisor_and_is_audited(tmp_path: Path) -> None:
    assert program(tmp_path).exit_code == 0
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    refused = station(
        "label",
        "print",
        "--serial",
        SERIAL,
        "--by",
        "alice",
        "--reason",
        "torn",
        "--db",
        db,
        "--printer",
        f"file:{tmp_path}/labels",
    )
    assert refused.exit_code == 1
    assert "needs a supervisor badge" in refused.output
    give_pin(db, "SUP-9")
    os.environ["STATION_SUPERVISOR_BADGES"] = "SUP-9"
    try:
        ok = station(
            "label",
            "print",
            "--serial",
            SERIAL,
            "--by",
            "SUP-9",
            "--reason",
            "torn",
            "--db",
            db,
            "--printer",
            f"file:{tmp_path}/labels",
            typed=f"{PIN}\n",
        )
    finally:
        del os.environ["STATION_SUPERVISOR_BADGES"]
    assert ok.exit_code == 0, ok.output
    assert "written to" in ok.output
    with Store.open(db) as store:
        reprints = store.audit_entries(subject=SERIAL, action="LABEL_REPRINTED")
    assert reprints
    assert reprints[0].who == "SUP-9"


def test_label_preview_writes_files_without_recording_a_print(tmp_path: Path) -> None:
    assert program(tmp_path).exit_code == 0
    preview = station(
        "label",
        "preview",
        "--serial",
        SERIAL,
        "--out",
        str(tmp_path / "pv"),
        "--db",
        f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert preview.exit_code == 0, preview.output
    assert len(list((tmp_path / "pv").iterdir())) == 3
    with Store.open(f"sqlite:///{tmp_path}/db.sqlite3") as store:
        trace = store.trace(SERIAL)
    assert trace is not None
    assert len(trace.attempts[0].labels) == 1  # the print from the run, not the preview


def test_failing_pack_exits_1_with_the_reason_and_what_to_do(tmp_path: Path) -> None:
    done = program(tmp_path, bus="sim:foreign-keys")
    assert done.exit_code == 1
    assert "FAIL: pack" in done.output
    assert "SEALED_UNKNOWN_KEYS" in done.output
    assert "do:" in done.output
    assert "supervisor" in done.output


def test_already_passed_exits_1_and_rework_by_a_supervisor_passes(tmp_path: Path) -> None:
    assert program(tmp_path).exit_code == 0
    again = program(tmp_path)
    assert again.exit_code == 1
    assert "SERIAL_ALREADY_PASSED" in again.output
    give_pin(f"sqlite:///{tmp_path}/db.sqlite3", "SUP-9")
    os.environ["STATION_SUPERVISOR_BADGES"] = "SUP-9"
    try:
        rework = program(
            tmp_path, "--rework-by", "SUP-9", "--reason", "customer return", typed=f"{PIN}\n"
        )
    finally:
        del os.environ["STATION_SUPERVISOR_BADGES"]
    assert rework.exit_code == 0, rework.output
    assert "rework of attempt 1" in rework.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--serial", "PK4S-12"], "SERIAL_REJECTED"),
        (["--bus", "COM3"], "/dev/i2c-N"),
        (["--bus", "sim:no-such-scenario"], "unknown emulator scenario"),
        (["--db", "nonsense"], "not a database URL"),
        (["--printer", "lpt1"], "printer"),
    ],
)
def test_usage_and_configuration_errors_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = {
        "--bus": "sim",
        "--serial": SERIAL,
        "--db": f"sqlite:///{tmp_path}/db.sqlite3",
        "--printer": f"file:{tmp_path}/labels",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    done = CliRunner().invoke(
        cli, ["program", "--recipe", str(RECIPE), "--operator", "alice", *flat]
    )
    assert done.exit_code == 2, done.output
    assert message in done.output
    assert "Traceback" not in done.output


def test_a_key_store_readable_by_others_stops_the_station_with_the_fix(tmp_path: Path) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text('[key_sets.acme]\nunseal = ["0x1111", "0x2222"]\n', encoding="utf-8")
    keys.chmod(0o644)
    done = program(tmp_path, "--keys", str(keys))
    assert done.exit_code == 2
    assert "chmod 600" in done.output
    assert "0x1111" not in done.output
    assert "1111" not in done.output


def test_config_check_masks_the_database_password(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text(
        'station_id = "ST-9"\ndatabase = "postgresql+psycopg://line:s3cret@127.0.0.1:1/trace"\n',
        encoding="utf-8",
    )
    done = station("config", "check", "--config", str(config))
    assert "s3cret" not in done.output
    assert "line:***@" in done.output
    assert "ST-9" in done.output
    assert str(config) in done.output
    assert "PROBLEM database" in done.output  # nothing listens on port 1
    assert done.exit_code == 1


def test_recipe_release_then_the_line_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    give_pin(db, "ENG-1")
    monkeypatch.setenv("STATION_ENGINEER_BADGES", "ENG-1")
    done = station("recipe", "release", str(RECIPE), "--by", "ENG-1", "--db", db, typed=f"{PIN}\n")
    assert done.exit_code == 0, done.output
    assert "released pk4s3p-3500 1.0.0" in done.output
    with Store.open(db) as store:
        (release,) = store.released_recipes()
    assert release.released_by == "ENG-1"


def test_keys_never_appear_in_output_logs_or_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(
        '[key_sets.acme-prod]\nunseal = ["0xA5C3", "0x5A3C"]\nfull_access = ["0xC3A5", "0x3C5A"]\n',
        encoding="utf-8",
    )
    keys.chmod(0o600)
    recipe = tmp_path / "prod.toml"
    text = RECIPE.read_text(encoding="utf-8")
    text = text.replace('production_key_set = ""', 'production_key_set = "acme-prod"')
    text = text.replace("full_access = false", "full_access = true")
    recipe.write_text(text, encoding="utf-8")
    caplog.set_level(logging.DEBUG)
    done = station(
        "program",
        "--bus",
        "sim?hpe=1",
        "--recipe",
        str(recipe),
        "--serial",
        SERIAL,
        "--operator",
        "alice",
        "--db",
        f"sqlite:///{tmp_path}/db.sqlite3",
        "--printer",
        f"file:{tmp_path}/labels",
        "--keys",
        str(keys),
    )
    assert done.exit_code == 0, done.output
    assert "acme-prod" in done.output
    again = station("trace", SERIAL, "--db", f"sqlite:///{tmp_path}/db.sqlite3")
    seen = "\n".join([done.output, again.output, caplog.text])
    stored = database_text(tmp_path / "db.sqlite3")
    words = (0xA5C3, 0x5A3C, 0xC3A5, 0x3C5A)
    assert leaked(words, seen) == []
    assert leaked(words, stored) == []
