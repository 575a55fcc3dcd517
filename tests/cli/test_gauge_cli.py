"""``station gauge ...`` through click's runner, on the emulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from station.cli import cli


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STATION_CONFIG", "STATION_KEYS", "STATION_BUS", "STATION_PEC"):
        monkeypatch.delenv(var, raising=False)


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["gauge", *args], input=stdin)


def state_bus(tmp_path: Path, scenario: str = "default") -> str:
    return f"sim:{scenario}?state={tmp_path / 'pack.state'}"


def keys_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "keys.toml"
    path.write_text(body, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def test_info_shows_identity_mode_and_measurements() -> None:
    result = run("info", "--bus", "sim")
    assert result.exit_code == 0, result.output
    assert "0x4500" in result.output
    assert "1.09" in result.output
    assert "build 22" in result.output
    assert "0x0121" in result.output
    assert "SEALED" in result.output
    assert "Cell 1 voltage" in result.output
    assert "°C" in result.output
    for word in ("OperationStatus", "SafetyStatus", "PFStatus", "ManufacturingStatus"):
        assert word in result.output


def test_info_with_pec() -> None:
    result = run("info", "--bus", "sim?hpe=1", "--pec", "on")
    assert result.exit_code == 0, result.output
    assert "PEC on" in result.output


def test_pec_auto_finds_out_whether_the_gauge_appends_it() -> None:
    assert "PEC on" in run("info", "--bus", "sim?hpe=1").output
    assert "PEC off" in run("info", "--bus", "sim").output
    # A gauge that appends PEC is checked whatever the setting.
    assert "PEC on" in run("info", "--bus", "sim?hpe=1", "--pec", "off").output


def test_pec_on_refuses_a_gauge_that_sends_none() -> None:
    result = run("info", "--bus", "sim", "--pec", "on")
    assert result.exit_code == 1
    assert "PEC_NOT_SENT" in result.output
    assert "pec = auto" in result.output


def test_info_uses_the_configured_bus(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text('bus = "sim:unsealed"\n', encoding="utf-8")
    result = run("info", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "UNSEALED" in result.output


def test_info_decodes_faults() -> None:
    result = run("info", "--bus", "sim:safety")
    assert "COV" in result.output


def test_read_df_writes_the_whole_data_flash_and_leaves_the_pack_sealed(tmp_path: Path) -> None:
    out = tmp_path / "df.bin"
    bus = state_bus(tmp_path)
    result = run("read-df", "--bus", bus, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size == 0x2000
    assert "sha256" in result.output
    after = run("info", "--bus", bus)
    assert "SEALED" in after.output
    assert "UNSEALED" not in after.output


def test_read_df_of_a_range(tmp_path: Path) -> None:
    out = tmp_path / "mfg.bin"
    result = run("read-df", "--bus", "sim", "--out", str(out), "--start", "0x4580", "--length", "2")
    assert result.exit_code == 0, result.output
    assert out.stat().st_size == 2


def test_read_df_on_an_unsealed_pack_leaves_it_unsealed(tmp_path: Path) -> None:
    bus = state_bus(tmp_path, "unsealed")
    result = run("read-df", "--bus", bus, "--out", str(tmp_path / "df.bin"), "--length", "64")
    assert result.exit_code == 0, result.output
    assert "UNSEALED" in run("info", "--bus", bus).output


def test_read_df_outside_data_flash_is_a_usage_error(tmp_path: Path) -> None:
    result = run("read-df", "--bus", "sim", "--out", str(tmp_path / "x"), "--start", "0x3000")
    assert result.exit_code == 2
    assert "outside data flash" in result.output


def test_a_missing_key_set_exits_2_before_touching_the_pack(tmp_path: Path) -> None:
    result = run("read-df", "--bus", "sim", "--out", str(tmp_path / "x"), "--key-set", "nope")
    assert result.exit_code == 2
    assert "key set 'nope' is not in the key store" in result.output
    assert not (tmp_path / "x").exists()


def test_a_key_store_file_that_does_not_exist_exits_2(tmp_path: Path) -> None:
    result = run("unseal", "--bus", "sim", "--keys", str(tmp_path / "missing.toml"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize("spec", ["nonsense", "sim:no-such-scenario", "no_such_module:make"])
def test_a_bad_bus_spec_exits_2(spec: str) -> None:
    result = run("info", "--bus", spec)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output


def test_wrong_keys_exit_1(tmp_path: Path) -> None:
    keys = keys_file(tmp_path, '[key_sets.wrong]\nunseal = ["0x1111", "0x2222"]\n')
    result = run("unseal", "--bus", "sim", "--keys", str(keys), "--key-set", "wrong")
    assert result.exit_code == 1
    assert "SEALED_UNKNOWN_KEYS" in result.output
    assert "0x1111" not in result.output
    assert "1111" not in result.output


def test_foreign_keys_exit_1_on_read_df(tmp_path: Path) -> None:
    result = run("read-df", "--bus", "sim:foreign-keys", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "supervisor" in result.output


def test_unseal_full_access_seal_reset(tmp_path: Path) -> None:
    bus = state_bus(tmp_path)
    assert "UNSEALED" in run("unseal", "--bus", bus).output
    assert "FULL ACCESS" in run("full-access", "--bus", bus).output
    result = run("reset", "--bus", bus)
    assert result.exit_code == 0, result.output
    assert "after reset" in result.output
    sealed = run("seal", "--bus", bus)
    assert sealed.exit_code == 0, sealed.output
    assert "SEALED" in sealed.output


def test_mac_read_by_name_and_code() -> None:
    result = run("mac", "DeviceType", "--bus", "sim")
    assert result.exit_code == 0, result.output
    assert "0x4500" in result.output
    assert "00 45" in result.output
    status = run("mac", "0x0054", "--bus", "sim")
    assert "SEC=SEALED" in status.output
    fw = run("mac", "FirmwareVersion", "--bus", "sim")
    assert "1.09" in fw.output


def test_mac_that_changes_the_pack_asks_first(tmp_path: Path) -> None:
    bus = state_bus(tmp_path, "unsealed")
    before = run("mac", "ManufacturingStatus", "--bus", bus).output
    declined = run("mac", "FETControl", "--bus", bus, stdin="n\n")
    assert declined.exit_code == 1
    assert "changes the pack" in declined.output
    assert run("mac", "ManufacturingStatus", "--bus", bus).output == before
    accepted = run("mac", "FETControl", "--bus", bus, stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "sent FETControl" in accepted.output
    assert run("mac", "ManufacturingStatus", "--bus", bus).output != before


def test_mac_toggle_on_a_sealed_pack_unseals_and_reseals(tmp_path: Path) -> None:
    bus = state_bus(tmp_path)
    result = run("mac", "Gauging", "--yes", "--bus", bus)
    assert result.exit_code == 0, result.output
    assert "entered UNSEALED" in result.output
    assert "put back to SEALED" in result.output
    assert "SEALED" in run("mac", "OperationStatus", "--bus", bus).output


def test_mac_seal_and_reset_with_yes(tmp_path: Path) -> None:
    bus = state_bus(tmp_path, "unsealed")
    assert "SEALED" in run("mac", "Seal", "--yes", "--bus", bus).output
    reset = run("mac", "DeviceReset", "--yes", "--bus", bus)
    assert reset.exit_code == 0, reset.output
    assert "after reset" in reset.output


def test_mac_shutdown() -> None:
    result = run("mac", "Shutdown", "--yes", "--bus", "sim")
    assert result.exit_code == 0, result.output
    assert "silent" in result.output


def test_mac_unknown_and_forbidden_commands_exit_2() -> None:
    unknown = run("mac", "Frobnicate", "--bus", "sim")
    assert unknown.exit_code == 2
    assert "DeviceType" in unknown.output  # the known names are listed
    assert run("mac", "0x0F00", "--bus", "sim").exit_code == 2
    keys = run("mac", "SecurityKeys", "--bus", "sim", "--yes")
    assert keys.exit_code == 2
    assert "keys never leave the key store" in keys.output


def test_scenarios_are_listed() -> None:
    result = run("scenarios")
    assert result.exit_code == 0
    assert "default" in result.output
    assert "flaky" in result.output


def test_a_plugin_bus_works_end_to_end() -> None:
    result = run("info", "--bus", "tests.gauge.plugin_bus:make")
    assert result.exit_code == 0, result.output
    assert "0x4500" in result.output
    assert "tests.gauge.plugin_bus:make" in result.output


def test_a_plugin_bus_reads_data_flash(tmp_path: Path) -> None:
    out = tmp_path / "df.bin"
    result = run("read-df", "--bus", "tests.gauge.plugin_bus:make_unsealed", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size == 0x2000
