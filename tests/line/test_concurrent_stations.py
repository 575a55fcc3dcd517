"""Several stations, one database: every distinct pack passes and is recorded; a serial scanned
at two stations at the same moment passes exactly once and the other station is told why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from station.store import AttemptOutcome, Store
from tests.databases import backends, fresh_database

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "pk4s3p-3500.toml"


def _station(url: str, tmp: Path, station: str, serial: str) -> subprocess.Popen[str]:
    env = {**os.environ, "STATION_ID": station, "STATION_CONFIG": ""}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "station",
            "program",
            # realtime=0.3: the emulated pack takes ~0.4 s of real time, so runs overlap.
            "--bus",
            "sim?realtime=0.3",
            "--recipe",
            str(RECIPE),
            "--serial",
            serial,
            "--operator",
            f"op-{station}",
            "--db",
            url,
            "--printer",
            f"file:{tmp / station}",
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("backend", backends())
def test_many_stations_one_database(tmp_path: Path, backend: str) -> None:
    with fresh_database(backend, tmp_path) as url:
        Store.open(url).close()  # schema once, as `station db upgrade` would at install
        runs = {f"ST-{i:02d}": f"PK4S-{100 + i:06d}" for i in range(1, 5)}
        shared = "PK4S-000777"
        procs = {name: _station(url, tmp_path, name, serial) for name, serial in runs.items()}
        procs["ST-21"] = _station(url, tmp_path, "ST-21", shared)
        procs["ST-22"] = _station(url, tmp_path, "ST-22", shared)
        # a guard against a hung process only: six stations on a loaded machine take their time
        outputs = {name: p.communicate(timeout=900) for name, p in procs.items()}
        codes = {name: procs[name].returncode for name in procs}

        for name in runs:
            assert codes[name] == 0, {n: o[0][:300] for n, o in outputs.items()}
        shared_codes = sorted([codes["ST-21"], codes["ST-22"]])
        assert shared_codes == [0, 1], {n: outputs[n][0][-600:] for n in ("ST-21", "ST-22")}
        loser = "ST-21" if codes["ST-21"] else "ST-22"
        text = outputs[loser][0]
        assert "SERIAL_BUSY" in text or "SERIAL_ALREADY_PASSED" in text, text[-600:]

        with Store.open(url) as store:
            for serial in runs.values():
                (attempt,) = store.pack_history(serial)
                assert attempt.outcome is AttemptOutcome.PASS
            history = store.pack_history(shared)
            assert [a.outcome for a in history] == [AttemptOutcome.PASS]
            # No attempt lost: every process that opened one left it finished.
            assert store.report(include_emulated=True).running == 0
            assert store.report(include_emulated=True).attempts == len(runs) + 1
