"""The bring-up commands as an engineer types them: emulator export, verify (with and without a
sign-off), from-export, diff and register-reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.recipe.product.recipe_loader import load_recipe
from station.recipe.profile.library import ProfileLibrary
from station.store import Store
from tests.bringup.helpers import free_address, profile_copy
from tests.pins import PIN, give_pin
from tests.sequence.conftest import RECIPE_4S
from tests.station_cli import clean_environment, db_of, station

ENGINEER = "ENG-7"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("STATION_ENGINEER_BADGES", ENGINEER)
    monkeypatch.setenv("STATION_DB", db_of(tmp_path))


def bus(tmp: Path, scenario: str = "reference") -> str:
    return f"sim:{scenario}?state={tmp}/pack.json"


def export(tmp: Path, *sets: str, scenario: str = "reference") -> Path:
    out = tmp / "ref.gg.csv"
    args = ["gauge", "emulator-export", "--bus", bus(tmp, scenario), "--out", str(out)]
    for s in sets:
        args += ["--set", s]
    result = station(*args)
    assert result.exit_code == 0, result.output
    return out


def test_verify_prints_the_table_and_passes_with_no_released_recipe(tmp_path: Path) -> None:
    out = export(tmp_path)
    result = station(
        "profile", "verify", "bq40z50-r1", "--export", str(out), "--bus", bus(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert "confirmed         Design Capacity mAh" in result.output
    assert "disputed          IO Config" in result.output
    assert "536 parameters of bq40z50-r1: 1 disputed" in result.output
    assert "no released recipe uses profile bq40z50-r1" in result.output


def test_verify_exits_1_when_a_released_recipe_writes_what_was_not_confirmed(
    tmp_path: Path,
) -> None:
    recipe = load_recipe(RECIPE_4S)
    with Store.open(db_of(tmp_path)) as store:
        store.release_recipe(
            recipe.name, recipe.version, recipe.content_hash, recipe.canonical_text, ENGINEER
        )
    out = export(tmp_path, scenario="default")  # factory values: zeros prove nothing
    result = station(
        "profile", "verify", "bq40z50-r1", "--export", str(out), "--bus", bus(tmp_path, "default")
    )
    assert result.exit_code == 1, result.output
    assert "NOT CONFIRMED for released recipe pk4s3p-3500" in result.output
    assert "(confirmed weakly)" in result.output


def test_verify_by_an_engineer_writes_the_sign_off_and_the_evidence(tmp_path: Path) -> None:
    give_pin(db_of(tmp_path), ENGINEER)
    header = profile_copy(tmp_path / "profiles")
    out = export(tmp_path)
    result = station(
        "profile",
        "verify",
        str(header),
        "--export",
        str(out),
        "--bus",
        bus(tmp_path),
        "--by",
        ENGINEER,
        typed=f"{PIN}\n",
    )
    assert result.exit_code == 0, result.output
    assert f"parameters of line-r1 by {ENGINEER} into {header}" in result.output
    signed = ProfileLibrary().load(header)
    assert signed.get("CUV Threshold").verified
    assert not signed.get("IO Config").verified  # disputed: settled first
    audit = station("audit", "--action", "PROFILE_SIGNED_OFF")
    assert "PROFILE_SIGNED_OFF" in audit.output
    assert "line-r1" in audit.output


def test_from_export_builds_a_profile_that_verify_then_accepts(tmp_path: Path) -> None:
    out = export(tmp_path)
    made = station(
        "profile", "from-export", str(out), "--id", "bq40z50-r3", "--out", str(tmp_path / "p")
    )
    assert made.exit_code == 0, made.output
    assert "536 parameters, firmware 1.09, roles from bq40z50-r1, all unverified" in made.output
    header = tmp_path / "p" / "bq40z50-r3.toml"
    profile = ProfileLibrary().load(header)
    assert profile.roles.mfg_status_init == "Settings:Manufacturing:Mfg Status Init"
    assert profile.get("DA Configuration").field("cells") is not None
    assert not any(p.verified for p in profile.parameters)
    shipped = ProfileLibrary().get("bq40z50-r1").get("OTC Threshold")
    made_otc = profile.get("OTC Threshold")
    assert (made_otc.unit, made_otc.scale, made_otc.address) == (
        shipped.unit,
        shipped.scale,
        shipped.address,
    )
    check = station("profile", "verify", str(header), "--export", str(out), "--bus", bus(tmp_path))
    assert check.exit_code == 0, check.output
    assert "address differs" not in check.output


def test_from_export_names_the_roles_the_export_lacks(tmp_path: Path) -> None:
    out = export(tmp_path)
    text = out.read_text(encoding="utf-8").splitlines()
    kept = [line for line in text if not line.startswith("Settings,Manufacturing,Mfg Status Init")]
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    made = station(
        "profile", "from-export", str(out), "--id", "bq40z50-r3", "--out", str(tmp_path / "p")
    )
    assert made.exit_code == 1
    assert "no parameter 'Settings:Manufacturing:Mfg Status Init'" in made.output
    assert not (tmp_path / "p" / "bq40z50-r3.toml").exists()


def test_diff_names_what_moved(tmp_path: Path) -> None:
    shipped = ProfileLibrary().get("bq40z50-r1")
    cuv = shipped.get("CUV Threshold")
    wrong = free_address(shipped, cuv.size)
    header = profile_copy(tmp_path / "profiles", relocate={cuv.key: wrong})
    result = station("profile", "diff", "bq40z50-r1", str(header))
    assert result.exit_code == 0, result.output
    assert f"moved   Protections:CUV:Threshold  0x{cuv.address:04X}" in result.output
    assert "535 parameters the same; 1 moved" in result.output


def test_register_reference_keeps_the_pack_for_the_self_test(tmp_path: Path) -> None:
    give_pin(db_of(tmp_path), ENGINEER)
    result = station(
        "gauge", "register-reference", "--bus", bus(tmp_path), "--by", ENGINEER, typed=f"{PIN}\n"
    )
    assert result.exit_code == 0, result.output
    assert "registered for station ST-01 by ENG-7: firmware 1.09" in result.output
    assert "the self-test is off" in result.output


def test_emulator_export_is_for_the_emulator_only(tmp_path: Path) -> None:
    result = station("gauge", "emulator-export", "--bus", "/dev/i2c-99", "--out", "x.gg.csv")
    assert result.exit_code == 2
    assert not (tmp_path / "x.gg.csv").exists()


def test_verify_refuses_an_export_of_another_firmware_than_the_pack_on_the_bus(
    tmp_path: Path,
) -> None:
    out = export(tmp_path)
    header = profile_copy(tmp_path / "profiles")
    text = header.read_text(encoding="utf-8").replace(
        'firmware = ["1.09"]', 'firmware = ["1.09", "2.01"]'
    )
    header.write_text(text, encoding="utf-8")
    lines = out.read_text(encoding="utf-8").replace(
        "* Firmware Version 1.09", "* Firmware Version 2.01"
    )
    out.write_text(lines, encoding="utf-8")
    result = station("profile", "verify", str(header), "--export", str(out), "--bus", bus(tmp_path))
    assert result.exit_code == 1
    assert "[BRINGUP_REFUSED] the export is from firmware 2.01, the pack on the bus runs 1.09" in (
        result.output
    )


def test_key_rows_of_an_export_never_reach_the_screen(tmp_path: Path) -> None:
    out = export(tmp_path)
    text = out.read_text(encoding="utf-8")
    text += "System Data,Security,Sealed to Unsealed,5A3C1F2E,,H,4,0x5F00,,,,hhhhhhhh\n"
    text += "System Data,Security,Unsealed to Full,7B6D4C9A,,H,4,0x5F04,,,,hhhhhhhh\n"
    out.write_text(text, encoding="utf-8")
    result = station(
        "profile", "verify", "bq40z50-r1", "--export", str(out), "--bus", bus(tmp_path)
    )
    assert result.exit_code == 0, result.output
    for secret in ("5A3C", "1F2E", "7B6D", "4C9A", "5a3c1f2e", "7b6d4c9a"):
        assert secret.casefold() not in result.output.casefold()
