"""``station recipe ...`` and ``station profile ...`` through click's runner."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner, Result

from station.cli import cli
from tests.recipe.helpers import EXAMPLE_3S, EXAMPLE_4S, FIXTURES, RECIPES, line_of, variant


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_validate_the_shipped_recipes() -> None:
    paths = [str(p) for p in sorted(RECIPES.glob("*.toml"))]
    result = run("recipe", "validate", *paths)
    assert result.exit_code == 0, result.output
    for p in paths:
        assert f"{p}: OK" in result.output
    assert "sha256:" in result.output


def test_validate_lists_every_problem_and_fails(tmp_path: Path) -> None:
    bad = variant(
        tmp_path,
        ('"COV Threshold High Temp" = "4250 mV"', '"COV Threshold High Temp" = "5000 mV"'),
        ('"COV Threshold Low Temp" =', '"COV Treshold Low Temp" ='),
        ("{ cells = 4, SLEEP = true }", "{ cells = 3, SLEEP = true }"),
        ('"Design Capacity cWh" = "15120 cWh"', '"Design Capacity cWh" = "1512 cWh"'),
    )
    result = run("recipe", "validate", str(EXAMPLE_4S), str(bad))
    assert result.exit_code == 1
    out = result.output
    assert f"{EXAMPLE_4S}: OK" in out
    assert f"{bad}: INVALID" in out
    cov = line_of(bad, '"COV Threshold High Temp"')
    assert f"{bad}:{cov}: COV Threshold High Temp = 5000 mV:" in out
    assert "(allowed: at most 4500 mV for li-ion)" in out
    assert 'did you mean "COV Threshold Low Temp"' in out
    assert "configures 3 cells in series but the recipe is for 4" in out
    assert "factor of ten" in out
    assert "1 of 2 recipes refused" in out


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("recipe", "validate").exit_code == 2
    assert run("recipe", "validate", str(tmp_path / "absent.toml")).exit_code == 2


def test_show_lists_values_bytes_hash_and_cost() -> None:
    result = run("recipe", "show", str(EXAMPLE_4S), "--date", "2026-03-14")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "hash       sha256:" in out
    assert "NOT signed off" in out
    row = next(line for line in out.splitlines() if line.startswith("OTC Threshold "))
    assert row.split() == ["OTC", "Threshold", "55.0", "°C", "26", "02", "0x44B5"]
    da = next(line for line in out.splitlines() if line.startswith("DA Configuration"))
    assert "0x13 (cells=4, SLEEP)" in da
    assert da.rstrip().endswith("0x457B")
    assert "Serial Number *" in out
    assert "0x007B" in out
    assert "23662 (2026-03-14)" in out
    assert "plan vs profile defaults:" in out
    assert "writes" in out
    assert "ms at 100 kHz" in out


def test_show_refuses_a_serial_the_recipe_cannot_take() -> None:
    result = run("recipe", "show", str(EXAMPLE_4S), "--serial", "XX-1")
    assert result.exit_code == 2
    # The expected form in words, not the regular expression.
    assert 'expected "PK4S-" and six digits, e.g. PK4S-000123' in result.output
    assert "is not a serial of this recipe" in result.output


def test_diff_shows_parameter_differences() -> None:
    result = run("recipe", "diff", str(EXAMPLE_4S), str(EXAMPLE_3S))
    assert result.exit_code == 1
    out = result.output
    assert "cells: 4 → 3" in out
    dv = next(line for line in out.splitlines() if line.startswith("Design Voltage"))
    assert "14400 mV" in dv
    assert "10800 mV" in dv
    assert not any(line.startswith("OTC Threshold") for line in out.splitlines())
    same = run("recipe", "diff", str(EXAMPLE_4S), str(EXAMPLE_4S))
    assert same.exit_code == 0
    assert "program the same values" in same.output


def test_import_gg_csv_writes_recipe_and_private_keys(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "recipe",
        "import",
        str(FIXTURES / "pk4s-export.gg.csv"),
        "--out",
        str(out),
        "--profile",
        "bq40z50-r1",
        "--serial-pattern",
        r"^PK4S-(?P<unit>\d{6})$",
        "--serial-example",
        "PK4S-000123",
    )
    assert result.exit_code == 0, result.output
    keys = out / "pk4s-export.keys.toml"
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o600
    assert "36720414" not in result.output
    assert "fill in before use" in result.output
    assert (out / "pk4s-export.toml").is_file()


def test_import_refuses_a_malformed_flashstream(tmp_path: Path) -> None:
    result = run("recipe", "import", str(FIXTURES / "wrong-address.bq.fs"), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "wrong-address.bq.fs:3" in result.output
    assert not list(tmp_path.glob("*.toml"))


def test_import_flashstream_makes_a_flashstream_recipe(tmp_path: Path) -> None:
    result = run(
        "recipe",
        "import",
        str(FIXTURES / "every-line-kind.bq.fs"),
        "--out",
        str(tmp_path),
        "--serial-pattern",
        r"^PK-(?P<unit>\d{4})$",
        "--serial-example",
        "PK-0001",
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "every-line-kind.toml").read_text()
    assert "[flashstream]" in text
    assert (tmp_path / "every-line-kind.bq.fs").is_file()


def test_profile_show_and_grep() -> None:
    result = run("profile", "show", "bq40z50-r1", "--grep", "Mfg Status")
    assert result.exit_code == 0, result.output
    assert "0x4580" in result.output
    assert "  .GAUGE_EN" in result.output
    assert "relocate Settings:Manufacturing:Mfg Status Init → 0x4580" in result.output
    assert run("profile", "show", "nope").exit_code == 2


def test_profile_import_trm_table(tmp_path: Path) -> None:
    result = run(
        "profile",
        "import",
        str(FIXTURES / "bq4050-data-flash-summary.csv"),
        "--out",
        str(tmp_path),
        "--id",
        "bq4050-test",
        "--device-type",
        "0x4500",
        "--firmware",
        "1.09",
    )
    # The raw TI table has an I2 with max 65535: the importer refuses it until a change fixes it.
    assert result.exit_code == 1
    assert "Min Blow Fuse Voltage" in result.output
    header = tmp_path / "h.toml"
    shipped = Path(__file__).resolve().parents[2] / "station/recipe/profile/shipped/bq40z50-r1.toml"
    header.write_text(shipped.read_text().replace('table = "bq40z50-r1.csv"', 'table = "h.csv"'))
    result = run(
        "profile",
        "import",
        str(FIXTURES / "bq4050-data-flash-summary.csv"),
        "--out",
        str(tmp_path),
        "--header",
        str(header),
    )
    assert result.exit_code == 0, result.output
    assert "536 parameters" in result.output
    listed = run("profile", "list", "--profiles", str(tmp_path))
    assert listed.exit_code == 0
    assert "bq40z50-r1" in listed.output


def test_profile_import_from_gg_csv(tmp_path: Path) -> None:
    result = run(
        "profile",
        "import",
        str(FIXTURES / "pk4s-export.gg.csv"),
        "--out",
        str(tmp_path),
        "--id",
        "pk4s-layout",
    )
    assert result.exit_code == 0, result.output
    shown = run("profile", "show", "pk4s-layout", "--profiles", str(tmp_path))
    assert shown.exit_code == 0, shown.output
    assert "0x44B5" in shown.output


def test_validate_checks_key_sets_against_a_key_store(tmp_path: Path) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(
        '[key_sets.pk-production]\nunseal = ["0x1111", "0x2222"]\n'
        'full_access = ["0x3333", "0x4444"]\n',
        encoding="utf-8",
    )
    os.chmod(keys, 0o600)
    ok = run("recipe", "validate", str(EXAMPLE_3S), "--keys", str(keys))
    assert ok.exit_code == 0, ok.output
    keys.write_text('[key_sets.other]\nunseal = ["0x1111", "0x2222"]\n', encoding="utf-8")
    missing = run("recipe", "validate", str(EXAMPLE_3S), "--keys", str(keys))
    assert missing.exit_code == 1
    assert "key set 'pk-production' is not in the key store" in missing.output
    assert "0x1111" not in missing.output


def test_show_of_a_flashstream_recipe_lists_writes_backup_and_verify_mask(tmp_path: Path) -> None:
    from tests.recipe.fsrecipe import write_flashstream_recipe

    path = write_flashstream_recipe(tmp_path)
    result = run("recipe", "show", str(path), "--date", "2026-03-14")
    assert result.exit_code == 0, result.output
    out = result.output
    # The stream's writes, line by line, with the parameters they touch.
    assert "line 14   writes 0x444D-0x4452 (6 bytes): Design Capacity mAh" in out
    # What is backed up first: the stream's blocks and the per-unit fields' blocks.
    backs_up = next(line for line in out.splitlines() if line.startswith("backs up"))
    assert "9 blocks, 288 bytes" in backs_up
    assert "0x4040-0x409F" in backs_up
    verify = next(line for line in out.splitlines() if line.startswith("verify"))
    assert "0x444D-0x4452" in verify
    assert "0x4040-0x4060" in verify  # Manufacturer Info A, a per-unit field
    assert "never compared: 0x5F80-0x5FFF" in out
    # Per-unit fields are marked as such; the stream's own values are not.
    assert (
        next(line for line in out.splitlines() if line.startswith("Manufacture Date")).split()[2]
        == "*"
    )
    assert "Design Capacity mAh *" not in out
    # Key words never show.
    assert "14 04" not in out
    assert "72 36" not in out
    assert "never shown" in out
