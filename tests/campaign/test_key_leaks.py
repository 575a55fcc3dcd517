"""Key-leak campaign: recipes that carry keys, run through every path, and every place a key could
end up searched for every way it could be written.

Paths: a parameter recipe that installs production keys (a pass, a rework that unseals with those
keys, faults and an abort around the key step) and a FlashStream recipe whose lines carry key
words (a pass, a pack lost on a key line, an abort just before one). Places: the engine's events
and result, the log at DEBUG, the database (every table, the compressed parameter changes), the
label files, and what ``station program``, ``trace`` (text and JSON), ``report``, ``export`` and
``audit`` print. Encodings: see :mod:`tests.leaks` (hex, decimal, 32-bit pairs, and the bytes as
the bus carries them, spaced, in either order).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from station.cli import cli
from station.emulator import FaultPlan
from station.keys import KeyStore, ti_default_keys
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.events import CancelToken, Event, Outcome, StepId, StepStarted
from tests.campaign.harness import PRODUCTION_KEYS
from tests.leaks import database_text, files_text, leaked
from tests.pins import PIN, give_pin
from tests.recipe.fsrecipe import PROLOGUE, recipe_text, stream_text
from tests.sequence.conftest import RECIPE_4S, Bench, make_bench

SERIAL = "PK4S-000123"
UNSEAL, FULL = PRODUCTION_KEYS.unseal, PRODUCTION_KEYS.full_access
assert FULL is not None
WORDS = (UNSEAL.first.reveal(), UNSEAL.second.reveal(), FULL.first.reveal(), FULL.second.reveal())
PAIRS = ((WORDS[0], WORDS[1]), (WORDS[2], WORDS[3]))
SUPERVISOR = "SUP-0042"


def _le(word: int) -> str:
    return f"{word & 0xFF:02X} {word >> 8:02X}"


#: The 4S3P settings as a FlashStream whose prologue unseals and opens full access with the
#: pack's own keys (the production set it was sealed with), as a bqStudio export carries them.
KEY_STREAM = stream_text().replace(
    PROLOGUE,
    "; unseal, then full access, with the pack's keys\n"
    f"SWW: 16 00 {_le(WORDS[0])}\nSWW: 16 00 {_le(WORDS[1])}\nX: 250\n"
    f"SWW: 16 00 {_le(WORDS[2])}\nSWW: 16 00 {_le(WORDS[3])}\nX: 250\n",
)


def keys() -> KeyStore:
    return KeyStore({PRODUCTION_KEYS.id: PRODUCTION_KEYS, "ti-default": ti_default_keys()})


def parameter_recipe(tmp: Path) -> Recipe:
    text = RECIPE_4S.read_text(encoding="utf-8")
    text = text.replace('production_key_set = ""', f'production_key_set = "{PRODUCTION_KEYS.id}"')
    text = text.replace("full_access = false", "full_access = true")
    path = tmp / "prod-keys.toml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path, known_key_sets=keys().ids())


def flashstream_recipe(tmp: Path) -> Recipe:
    """The FlashStream twin of the 4S3P recipe, for a pack sealed with the production keys."""
    (tmp / "keys.bq.fs").write_text(KEY_STREAM, encoding="ascii")
    text = recipe_text("keys.bq.fs").replace(
        'key_set = "ti-default"', f'key_set = "{PRODUCTION_KEYS.id}"'
    )
    path = tmp / "fs-keys.toml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path, known_key_sets=keys().ids())


def keyed_bench(tmp: Path, *, flashstream: bool = False) -> Bench:
    """A pack that appends PEC (a recipe installing keys needs it); for the FlashStream, one
    that already holds the production keys its stream carries."""
    bench = make_bench(tmp, keys=keys(), pec=True)
    if flashstream:
        bench.device.set_keys((WORDS[0], WORDS[1]), (WORDS[2], WORDS[3]))
    return bench


@dataclass
class Seen:
    """Everything a run showed or kept, as text."""

    events: list[Event] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def everything(self, bench: Bench) -> str:
        bench.store.close()
        return "\n".join(
            [
                *(repr(e) for e in self.events),
                *self.texts,
                database_text(bench.tmp / "station.sqlite3"),
                files_text(bench.tmp / "labels"),
            ]
        )


def run(
    bench: Bench,
    recipe: Recipe,
    seen: Seen,
    *,
    rework: bool = False,
    on_event: Callable[[Event], None] | None = None,
    cancel: CancelToken | None = None,
) -> Outcome:
    result = bench.run(
        SERIAL,
        recipe=recipe,
        events=seen.events,
        on_event=on_event,
        cancel=cancel,
        rework_by=SUPERVISOR if rework else None,
    )
    seen.texts.append(repr(result))
    return result.outcome


def no_leak(text: str) -> None:
    found = leaked(WORDS, text, pairs=PAIRS)
    assert found == [], found[:8]


def key_write_index(tmp: Path, recipe: Recipe, wanted: bytes) -> int:
    """The bus transaction that carries ``wanted`` (a key line's bytes) in a clean run."""
    probe = keyed_bench(tmp / "probe", flashstream=recipe.mode == "flashstream")
    device = probe.device
    seen: list[int] = []
    original = device.i2c_rdwr

    def watch(*msgs):  # type: ignore[no-untyped-def]
        for m in msgs:
            if wanted in bytes(m):
                seen.append(device.transaction_count)
        return original(*msgs)

    device.i2c_rdwr = watch  # type: ignore[method-assign]
    assert probe.run(SERIAL, recipe=recipe).outcome is Outcome.PASS
    probe.store.close()
    assert seen, f"no transaction carried {wanted.hex(' ')}"
    return seen[0]


# == the parameter recipe ==========================================================================


def test_production_keys_installed_then_used_for_a_rework(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bench = keyed_bench(tmp_path)
    recipe = parameter_recipe(tmp_path)
    seen = Seen()
    assert run(bench, recipe, seen) is Outcome.PASS
    assert run(bench, recipe, seen, rework=True) is Outcome.PASS  # unsealed with the new keys
    text = seen.everything(bench)
    assert PRODUCTION_KEYS.id in text
    no_leak(text + caplog.text)


@pytest.mark.parametrize("fault", ["nack", "gone"])
def test_a_fault_on_the_key_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    caplog.set_level(logging.DEBUG)
    recipe = parameter_recipe(tmp_path)
    key_bytes = bytes.fromhex(_le(WORDS[0]).replace(" ", ""))
    index = key_write_index(tmp_path, recipe, key_bytes)
    bench = keyed_bench(tmp_path)
    if fault == "nack":
        bench.device.faults = FaultPlan(nack_at=set(range(index, index + 4)))
    else:
        bench.device.faults = FaultPlan(gone_from=index)
    seen = Seen()
    outcome = run(bench, recipe, seen)
    assert outcome is not Outcome.PASS
    no_leak(seen.everything(bench) + caplog.text)


def test_an_abort_as_the_keys_are_due(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bench = keyed_bench(tmp_path)
    cancel = CancelToken()

    def at_keys(event: Event) -> None:
        if isinstance(event, StepStarted) and event.step is StepId.KEYS:
            cancel.request()

    seen = Seen()
    outcome = run(bench, parameter_recipe(tmp_path), seen, on_event=at_keys, cancel=cancel)
    assert outcome is Outcome.ABORTED
    no_leak(seen.everything(bench) + caplog.text)


def test_every_command_that_shows_a_keyed_pack(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in list(os.environ):
        if var.startswith("STATION_") and var != "STATION_TEST_PG_URL":
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STATION_SUPERVISOR_BADGES", SUPERVISOR)
    caplog.set_level(logging.DEBUG)
    key_file = tmp_path / "keys.toml"
    key_file.write_text(
        f'[key_sets.{PRODUCTION_KEYS.id}]\nunseal = ["0x{WORDS[0]:04X}", "0x{WORDS[1]:04X}"]\n'
        f'full_access = ["0x{WORDS[2]:04X}", "0x{WORDS[3]:04X}"]\n',
        encoding="utf-8",
    )
    key_file.chmod(0o600)
    recipe = parameter_recipe(tmp_path).path
    db = f"sqlite:///{tmp_path}/db.sqlite3"
    runner = CliRunner()
    common = ["--db", db]
    program = [
        "program", "--bus", "sim?hpe=1", "--recipe", str(recipe), "--serial", SERIAL,
        "--operator", "OP-1", "--printer", f"file:{tmp_path}/labels", "--keys", str(key_file),
        *common,
    ]  # fmt: skip
    outputs = [runner.invoke(cli, program).output]
    give_pin(db, SUPERVISOR)
    outputs.append(
        runner.invoke(
            cli, [*program, "--rework-by", SUPERVISOR, "--reason", "r"], input=f"{PIN}\n"
        ).output
    )
    for args in (
        ["trace", SERIAL],
        ["trace", SERIAL, "--json", "--all-parameters"],
        ["report", "--include-emulated"],
        ["export", "--format", "csv", "--include-emulated"],
        ["export", "--format", "json", "--rows", "measurements", "--include-emulated"],
        ["audit"],
        ["audit", "--json"],
    ):
        outputs.append(runner.invoke(cli, [*args, *common]).output)
    shown = "\n".join(outputs)
    assert "PASS: pack" in shown
    assert PRODUCTION_KEYS.id in shown
    no_leak(shown + caplog.text + database_text(tmp_path / "db.sqlite3"))
    no_leak(files_text(tmp_path / "labels"))


# == the FlashStream recipe ========================================================================


def test_a_flashstream_with_key_lines_that_passes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bench = keyed_bench(tmp_path, flashstream=True)
    seen = Seen()
    assert run(bench, flashstream_recipe(tmp_path), seen) is Outcome.PASS
    no_leak(seen.everything(bench) + caplog.text)


def test_a_pack_lost_on_a_flashstream_key_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recipe = flashstream_recipe(tmp_path)
    key_line = bytes([0x00]) + bytes.fromhex(_le(WORDS[0]).replace(" ", ""))
    index = key_write_index(tmp_path, recipe, key_line)
    bench = keyed_bench(tmp_path, flashstream=True)
    bench.device.faults = FaultPlan(gone_from=index)
    seen = Seen()
    assert run(bench, recipe, seen) is not Outcome.PASS
    no_leak(seen.everything(bench) + caplog.text)


def test_an_abort_just_before_a_flashstream_key_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bench = keyed_bench(tmp_path, flashstream=True)
    cancel = CancelToken()

    def before_keys(event: Event) -> None:
        # The progress after the key block write: the next line sends an unseal key word.
        if getattr(event, "step", None) is StepId.APPLY and getattr(event, "done", 0) == 2:
            cancel.request()

    seen = Seen()
    outcome = run(bench, flashstream_recipe(tmp_path), seen, on_event=before_keys, cancel=cancel)
    assert outcome is not Outcome.PASS
    no_leak(seen.everything(bench) + caplog.text)
