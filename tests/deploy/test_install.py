"""deploy/install.sh --prefix: the files, modes, unit and udev rule a line terminal gets, and that a
second run changes nothing while an update reinstalls the package and keeps edited files.

The package is installed from a snapshot of the source tree with --no-deps: the installed
``station`` command then runs with the dependencies of the environment running these tests.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.config import load_config
from station.keys import KeyStore

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "deploy" / "install.sh"
VENV = "opt/packline-station/venv"


@dataclass(frozen=True)
class Installed:
    prefix: Path
    source: Path


def snapshot_source(dest: Path) -> Path:
    """A frozen copy of what the package is built from, so edits elsewhere cannot race the test."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("station", "db", "recipes"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".gitignore"):
        shutil.copy2(REPO / name, dest / name)
    return dest


def run_install(prefix: Path, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "bash",
            str(INSTALL),
            "--prefix",
            str(prefix),
            "--source",
            str(source),
            "--no-start",
            "--no-deps",
            "--python",
            sys.executable,
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under root: its type, permission bits, and content or link target."""
    digest: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            st = path.lstat()
            rel = str(path.relative_to(root))
            mode = f"{stat.S_IMODE(st.st_mode):04o}"
            if stat.S_ISLNK(st.st_mode):
                digest[rel] = f"link {os.readlink(path)}"
            elif stat.S_ISDIR(st.st_mode):
                digest[rel] = f"dir {mode}"
            else:
                digest[rel] = f"file {mode} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return digest


def copy_prefix(installed: Installed, dest: Path) -> Path:
    shutil.copytree(installed.prefix, dest, symlinks=True)
    return dest


def shared_install(tmp_path_factory: pytest.TempPathFactory, name: str, *extra: str) -> Installed:
    """One install per test run under ``name``, shared read-only: tests that change a tree
    work on a copy.

    Under pytest-xdist the workers share the folder above their own and take turns through a
    lock, so the install runs once rather than once per worker.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    base = shared / name
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / "output.txt"
        if not done.exists():
            shutil.rmtree(base, ignore_errors=True)
            source = snapshot_source(base / "src")
            result = run_install(base / "root", source, *extra)
            assert result.returncode == 0, result.stderr + result.stdout
            done.write_text(result.stdout, encoding="utf-8")
    return Installed(base / "root", base / "src")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return shared_install(tmp_path_factory, "deploy-install")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def unit_entries(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
            continue
        key, _, value = line.partition("=")
        sections[current].append((key, value))
    return sections


def unit_value(sections: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    values = [v for k, v in sections[section] if k == key]
    assert len(values) == 1, f"{section}.{key}: {values}"
    return values[0]


def test_folders_and_modes(installed: Installed) -> None:
    root = installed.prefix
    assert mode_of(root / "etc/station") == 0o755
    assert mode_of(root / "etc/station/station.toml") == 0o644
    assert mode_of(root / "etc/station/keys.toml") == 0o600
    assert mode_of(root / "etc/station/station.env") == 0o600
    assert mode_of(root / "var/lib/station") == 0o750
    assert mode_of(root / "var/lib/station/labels") == 0o750
    assert mode_of(root / "var/lib/station/logs") == 0o750
    assert mode_of(root / "var/lib/station/label-previews") == 0o750
    assert (root / "etc/station/recipes").is_dir()
    assert mode_of(root / "usr/local/bin/station") == 0o755


def test_config_is_the_example_and_loads(installed: Installed) -> None:
    config_path = installed.prefix / "etc/station/station.toml"
    example = REPO / "deploy/station.toml.example"
    assert config_path.read_bytes() == example.read_bytes()
    config = load_config(config_path, environ={})
    assert config.database == "sqlite:////var/lib/station/station.sqlite3"
    assert config.keys == "/etc/station/keys.toml"


def test_key_store_is_private_empty_and_loadable(installed: Installed) -> None:
    path = installed.prefix / "etc/station/keys.toml"
    assert path.read_text(encoding="utf-8").startswith("#")
    store = KeyStore.load(path)  # refuses a key store others can read
    assert store.ids() == ["ti-default"]


def test_unit_runs_the_venv_station_on_tty1_and_restarts(installed: Installed) -> None:
    unit_path = installed.prefix / "etc/systemd/system/station-terminal.service"
    assert mode_of(unit_path) == 0o644
    unit = unit_entries(unit_path)
    exec_start = unit_value(unit, "Service", "ExecStart")
    assert exec_start == f"/{VENV}/bin/station run"
    program = installed.prefix / exec_start.split()[0].lstrip("/")
    assert program.is_file()
    assert os.access(program, os.X_OK)
    # The script names the interpreter where the venv lives on the terminal, not in the prefix.
    assert program.read_text(encoding="utf-8").splitlines()[0] == f"#!/{VENV}/bin/python"
    assert unit_value(unit, "Service", "Restart") == "always"
    assert unit_value(unit, "Service", "RestartSec") == "2"
    # SIGTERM aborts a run at its next safe point; the unit waits for that.
    assert unit_value(unit, "Service", "TimeoutStopSec") == "60"
    assert unit_value(unit, "Service", "User") == "station"
    assert unit_value(unit, "Service", "TTYPath") == "/dev/tty1"
    assert unit_value(unit, "Service", "StandardInput") == "tty"
    assert unit_value(unit, "Service", "StandardOutput") == "tty"
    assert unit_value(unit, "Unit", "Conflicts") == "getty@tty1.service"
    assert unit_value(unit, "Install", "WantedBy") == "multi-user.target"
    environment = unit_value(unit, "Service", "Environment").split()
    assert "STATION_CONFIG=/etc/station/station.toml" in environment
    assert "TERM=linux" in environment
    assert (installed.prefix / "etc/station/station.toml").is_file()
    workdir = unit_value(unit, "Service", "WorkingDirectory")
    assert (installed.prefix / workdir.lstrip("/")).is_dir()


def test_installed_console_script_runs(installed: Installed) -> None:
    venv = installed.prefix / VENV
    deps = sysconfig.get_paths()["purelib"]  # --no-deps: borrow this environment's packages
    env = {**os.environ, "PYTHONPATH": deps, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [str(venv / "bin/python"), str(venv / "bin/station"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        cwd=installed.prefix,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "station" in result.stdout
    # It is the installed copy that ran, not the checkout.
    located = subprocess.run(
        [str(venv / "bin/python"), "-c", "import station; print(station.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=installed.prefix,
        check=True,
        timeout=60,
    )
    assert located.stdout.strip().startswith(str(venv))


def test_wrapper_uses_the_terminal_config(installed: Installed) -> None:
    text = (installed.prefix / "usr/local/bin/station").read_text(encoding="utf-8")
    assert "STATION_CONFIG:=/etc/station/station.toml" in text
    assert f"exec /{VENV}/bin/station " in text


def test_udev_rule_and_module(installed: Installed) -> None:
    rule = (installed.prefix / "etc/udev/rules.d/99-station-i2c.rules").read_text(encoding="utf-8")
    lines = [line for line in rule.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1
    assert 'KERNEL=="i2c-[0-9]*"' in lines[0]
    assert 'GROUP="i2c"' in lines[0]
    assert 'MODE="0660"' in lines[0]
    modules = (installed.prefix / "etc/modules-load.d/station-i2c.conf").read_text(encoding="utf-8")
    assert [m for m in modules.splitlines() if m and not m.startswith("#")] == ["i2c-dev"]


def test_journal_keeps_the_runs_across_reboots_within_bounds(installed: Installed) -> None:
    conf = installed.prefix / "etc/systemd/journald.conf.d/60-station.conf"
    assert mode_of(conf) == 0o644
    sections = unit_entries(conf)
    assert unit_value(sections, "Journal", "Storage") == "persistent"
    assert unit_value(sections, "Journal", "SystemMaxUse") == "512M"
    assert unit_value(sections, "Journal", "SystemKeepFree") == "1G"
    assert unit_value(sections, "Journal", "MaxRetentionSec") == "3month"
    # the service's log folder (commands run as the station user log there) is the example's
    config = load_config(installed.prefix / "etc/station/station.toml", environ={})
    assert config.log_dir == "/var/lib/station/logs"
    log = (installed.prefix / "var/lib/station/install.log").read_text(encoding="utf-8")
    assert "systemctl restart systemd-journald.service" in log.splitlines()


def test_system_changes_are_recorded_not_run(installed: Installed) -> None:
    log = (installed.prefix / "var/lib/station/install.log").read_text(encoding="utf-8")
    commands = [line for line in log.splitlines() if not line.startswith("#")]
    useradd = next(c for c in commands if c.startswith("useradd "))
    assert "--system" in useradd
    assert useradd.endswith(" station")
    groups = re.search(r"--groups (\S+)", useradd)
    assert groups is not None
    assert {"i2c", "dialout"} <= set(groups.group(1).split(","))
    assert "groupadd --system i2c" in commands
    assert (
        "chown station: /var/lib/station /var/lib/station/labels /var/lib/station/logs "
        "/var/lib/station/label-previews /etc/station/keys.toml"
    ) in commands
    assert "systemctl daemon-reload" in commands
    assert "systemctl enable station-terminal.service" in commands
    assert "udevadm control --reload" in commands
    assert not any("restart station-terminal" in c for c in commands)  # --no-start
    assert len(commands) == len(set(commands))


def test_second_run_changes_nothing(installed: Installed, tmp_path: Path) -> None:
    prefix = copy_prefix(installed, tmp_path / "root")
    before = tree_digest(prefix)
    assert before == tree_digest(installed.prefix)
    again = run_install(prefix, installed.source)
    assert again.returncode == 0, again.stderr + again.stdout
    assert "packline-station is up to date" in again.stdout
    assert tree_digest(prefix) == before


def test_update_reinstalls_and_keeps_edited_files(installed: Installed, tmp_path: Path) -> None:
    prefix = copy_prefix(installed, tmp_path / "root")
    source = tmp_path / "src"
    shutil.copytree(installed.source, source)
    marker = "# changed for the update test\n"
    with (source / "station/clock.py").open("a", encoding="utf-8") as f:
        f.write(marker)
    config = prefix / "etc/station/station.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"ST-01"', '"ST-07"'))
    keys = prefix / "etc/station/keys.toml"
    keys.write_text('[key_sets.line-7]\nunseal = ["0x1111", "0x2222"]\n', encoding="utf-8")
    keys.chmod(0o644)  # someone loosened it: the installer puts it back

    result = run_install(prefix, source)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "installed packline-station" in result.stdout
    installed_clock = next((prefix / VENV).glob("lib/python*/site-packages/station/clock.py"))
    assert installed_clock.read_text(encoding="utf-8").endswith(marker)
    assert load_config(config, environ={}).station_id == "ST-07"
    assert "does not declare a production database" not in result.stderr
    assert mode_of(keys) == 0o600
    assert "line-7" in KeyStore.load(keys).ids()


def test_an_older_config_without_a_production_database_is_flagged(
    installed: Installed, tmp_path: Path
) -> None:
    prefix = copy_prefix(installed, tmp_path / "root")
    config = prefix / "etc/station/station.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("production = true", "production = false")
    )
    result = run_install(prefix, installed.source)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "does not declare a production database" in result.stderr
    assert "production = false" in config.read_text(encoding="utf-8")  # kept as edited


def test_other_service_user(installed: Installed, tmp_path: Path) -> None:
    prefix = copy_prefix(installed, tmp_path / "root")
    result = run_install(prefix, installed.source, "--user", "packer")
    assert result.returncode == 0, result.stderr + result.stdout
    unit = unit_entries(prefix / "etc/systemd/system/station-terminal.service")
    assert unit_value(unit, "Service", "User") == "packer"
    log = (prefix / "var/lib/station/install.log").read_text(encoding="utf-8")
    assert re.search(r"^useradd .* packer$", log, re.MULTILINE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wheel", "x.whl", "--source", "."], "either --source or --wheel"),
        (["--prefix", "/"], "real install"),
        (["--user", "Bad Name"], "not a valid user name"),
        (["--colour"], "unknown option"),
        (["--prefix"], "--prefix needs a value"),
    ],
)
def test_bad_arguments_are_refused_clearly(args: list[str], message: str, tmp_path: Path) -> None:
    if args[:1] != ["--prefix"]:
        args = ["--prefix", str(tmp_path / "root"), *args]
    result = subprocess.run(
        ["bash", str(INSTALL), *args], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "root").exists()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_are_shellcheck_clean() -> None:
    result = subprocess.run(
        ["shellcheck", str(INSTALL), str(REPO / ".ci/postgres.sh"), str(REPO / ".ci/chromium.sh")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout


def verify_unit(unit: Path, tmp_path: Path) -> None:
    """``systemd-analyze verify`` finds nothing wrong with an installed unit."""
    # The venv's path exists only on the terminal: verify the directives with a program that exists.
    checked = tmp_path / unit.name
    text = unit.read_text(encoding="utf-8")
    checked.write_text(re.sub(r"(?m)^ExecStart=.*$", "ExecStart=/bin/true", text), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(checked)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is missing")
def test_unit_has_no_unknown_or_invalid_directives(installed: Installed, tmp_path: Path) -> None:
    verify_unit(installed.prefix / "etc/systemd/system/station-terminal.service", tmp_path)
