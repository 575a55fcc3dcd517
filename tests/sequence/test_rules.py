"""Serial rules, rework, abort, production keys, ship mode, and the safety rules around them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from station.keys import KeyPair, KeySet, KeyStore, ti_default_keys
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.sequence.events import CancelToken, Outcome, StepFinished, StepId, StepProgress
from station.store import AttemptOutcome, StepRecord
from station.store.errors import StoreUnavailableError
from tests.leaks import database_text, leaked
from tests.sequence.conftest import RECIPE_4S, Bench, make_bench

PROD = KeySet(
    "acme-prod", unseal=KeyPair.of(0xA5C3, 0x5A3C), full_access=KeyPair.of(0xC3A5, 0x3C5A)
)


def recipe_variant(tmp_path: Path, **security: str | bool) -> Recipe:
    text = RECIPE_4S.read_text(encoding="utf-8")
    for key, value in security.items():
        old = next(line for line in text.splitlines() if line.startswith(f"{key} "))
        new = f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {str(value).lower()}"
        text = text.replace(old, new)
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def test_malformed_serial_is_refused_before_anything_is_recorded(bench: Bench) -> None:
    result = bench.run(serial="PK4S-12X")
    assert result.outcome is Outcome.FAIL
    assert result.failure is not None
    assert result.failure.code == "SERIAL_REJECTED"
    assert result.attempt_id is None
    assert bench.store.trace("PK4S-12X") is None
    assert bench.device.transaction_count == 0  # the pack was never touched


def test_a_serial_that_passed_is_refused_without_rework(bench: Bench) -> None:
    assert bench.run().passed
    before = bench.device.transaction_count
    again = bench.run()
    assert again.failure is not None
    assert again.failure.code == "SERIAL_ALREADY_PASSED"
    assert "already passed at station ST-T1" in again.failure.reason
    assert bench.device.transaction_count == before
    refused = bench.store.audit_entries(subject="PK4S-000123", action="SERIAL_REFUSED")
    assert refused
    assert refused[0].detail["code"] == "SERIAL_ALREADY_PASSED"


def test_rework_links_to_the_earlier_attempt(bench: Bench) -> None:
    first = bench.run()
    assert first.passed
    second = bench.run(rework_by="SUP-7")
    assert second.passed, second.failure
    history = bench.store.pack_history("PK4S-000123")
    assert history[-1].rework_of == first.attempt_id
    assert history[-1].rework_authorised_by == "SUP-7"


def test_a_serial_claimed_by_another_station_is_refused(bench: Bench) -> None:
    # Another live station holds the serial (same host, a pid that is alive: ours).
    bench.store.claim("PK4S-000123", "ST-OTHER", "A", bench.socket.host, os.getpid())
    result = bench.run()
    assert result.failure is not None
    assert result.failure.code == "SERIAL_BUSY"
    assert "ST-OTHER" in result.failure.reason
    assert bench.device.transaction_count == 0


def test_abort_during_apply_restores_the_backup_and_reseals(bench: Bench) -> None:
    original = bench.device.df_peek(0x4000, 0x2000)
    cancel = CancelToken()

    def abort_midway(event: object) -> None:
        if isinstance(event, StepProgress) and event.step is StepId.APPLY and event.done == 3:
            cancel.request()

    result = bench.run(cancel=cancel, on_event=abort_midway)
    assert result.outcome is Outcome.ABORTED
    assert result.failure is not None
    assert "restored" in result.failure.pack_state
    assert "sealed again" in result.failure.pack_state
    assert bench.device.security_mode == "SEALED"
    assert bench.device.df_peek(0x4000, 0x2000) == original
    (attempt,) = bench.store.pack_history("PK4S-000123")
    assert attempt.outcome is AttemptOutcome.ABORTED


def test_abort_before_any_write_reseals_without_writing(bench: Bench) -> None:
    cancel = CancelToken()

    def abort_after_unseal(event: object) -> None:
        if isinstance(event, StepFinished) and event.result.step is StepId.UNSEAL:
            cancel.request()

    result = bench.run(cancel=cancel, on_event=abort_after_unseal)
    assert result.outcome is Outcome.ABORTED
    assert result.failure is not None
    assert result.failure.step is StepId.BACKUP
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"


def test_production_keys_are_installed_proven_and_used_for_rework(tmp_path: Path) -> None:
    keys = KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})
    bench = make_bench(tmp_path, keys=keys, pec=True)
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    result = bench.run(recipe=recipe)
    assert result.passed, result.failure
    assert [s.step for s in result.steps][7] is StepId.KEYS
    assert bench.device.security_mode == "SEALED"
    changed = bench.store.audit_entries(subject="PK4S-000123", action="KEY_SET_CHANGED")
    assert changed[-1].detail["to"] == "acme-prod"
    # A rework of this pack unseals with the production keys it now holds.
    again = bench.run(recipe=recipe, rework_by="SUP-1")
    assert again.passed, again.failure
    assert bench.store.pack_history("PK4S-000123")[-1].key_set_id == "acme-prod"


def test_ship_mode_leaves_the_gauge_silent(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    result = bench.run(recipe=recipe_variant(tmp_path, ship_mode=True))
    assert result.passed, result.failure
    assert bench.device.is_shut_down


def test_unverified_profile_is_refused_on_real_hardware_before_any_write(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.as_real_hardware()
    result = bench.run()
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.code == "UNVERIFIED_ADDRESS"
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"


def _signed_profile_recipe(tmp_path: Path, leave_out: str) -> Recipe:
    """The 4S recipe on a copy of the shipped profile where an engineer signed off every
    parameter but ``leave_out``."""
    from station.recipe.profile.library import ProfileLibrary, package_profile_dir

    shipped = ProfileLibrary().get("bq40z50-r1")
    header = (package_profile_dir() / "bq40z50-r1.toml").read_text(encoding="utf-8")
    signed = [
        p.key for p in shipped.parameters if p.key != leave_out and not shipped.disputes_of(p)
    ]
    header += (
        '\n[[signoff]]\nby = "A. Engineer"\non = "2026-03-14"\nmethod = "reference-pack"\n'
        'evidence = "reference pack REF-1"\nparameters = ['
        + ", ".join(f'"{k}"' for k in signed)
        + "]\n"
    )
    (tmp_path / "signed.toml").write_text(header.replace('id = "bq40z50-r1"', 'id = "signed"'))
    (tmp_path / "bq40z50-r1.csv").write_text(
        (package_profile_dir() / "bq40z50-r1.csv").read_text(encoding="utf-8")
    )
    text = RECIPE_4S.read_text(encoding="utf-8").replace(
        'profile = "bq40z50-r1"', f'profile = "{tmp_path / "signed.toml"}"'
    )
    path = tmp_path / "signed-recipe.toml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def test_a_parameter_nobody_confirmed_is_refused_though_others_are_signed(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.as_real_hardware()
    recipe = _signed_profile_recipe(tmp_path, leave_out="Protections:CUV:Delay")
    assert recipe.profile.signed_off
    result = bench.run(recipe=recipe)
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.code == "UNVERIFIED_ADDRESS"
    assert "CUV Delay" in result.failure.reason
    assert "CUV Threshold" not in result.failure.reason
    assert bench.device.stats.df_writes == 0
    assert bench.device.security_mode == "SEALED"


def test_a_recipe_whose_every_parameter_is_signed_programs_a_real_pack(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)
    bench.as_real_hardware()
    result = bench.run(recipe=_signed_profile_recipe(tmp_path, leave_out=""))
    assert result.passed, result.failure


def test_printer_offline_keeps_the_pass_and_records_the_label_as_not_printed(
    tmp_path: Path,
) -> None:
    bench = make_bench(tmp_path, printer="zpl-tcp:127.0.0.1:9")  # nothing listens on port 9
    result = bench.run()
    assert result.outcome is Outcome.PASS
    assert result.label is not None
    assert not result.label.printed
    label_step = next(s for s in result.steps if s.step is StepId.LABEL)
    assert label_step.outcome is Outcome.ERROR
    assert label_step.failure is not None
    assert label_step.failure.code == "PRINTER_REFUSED"  # the printer's own code, kept as is
    (attempt,) = bench.store.pack_history("PK4S-000123")
    assert attempt.outcome is AttemptOutcome.PASS
    assert attempt.label_state.value == "FAILED"


def _unavailable(*args: object, **kwargs: object) -> None:
    raise StoreUnavailableError("sqlite:///x", "disk gone", check="the database server")


def test_database_gone_before_the_run_touches_no_pack(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench.store, "start_attempt", _unavailable)
    result = bench.run()
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.code == "DB_UNAVAILABLE"
    assert "will not program packs it cannot record" in result.failure.reason
    # Only the ready check before the attempt: one read asking whether a gauge answers.
    assert bench.device.transaction_count == 1
    assert bench.device.counters.df_writes == 0
    assert bench.device.security_mode == "SEALED"


def test_database_gone_mid_run_stops_before_sealing(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bench.store.record_step

    def fail_after_apply(attempt_id: int, step: StepRecord) -> None:
        if step.kind == "reset":
            _unavailable()
        real(attempt_id, step)

    monkeypatch.setattr(bench.store, "record_step", fail_after_apply)
    monkeypatch.setattr(bench.store, "finish_attempt", _unavailable)
    result = bench.run()
    assert result.outcome is Outcome.ERROR
    assert result.failure is not None
    assert result.failure.code == "DB_UNAVAILABLE"
    assert not result.sealed
    assert bench.device.security_mode != "SEALED"
    # The attempt stays RUNNING in the database: the next start-up marks it INTERRUPTED.
    (attempt,) = bench.store.pack_history("PK4S-000123")
    assert attempt.outcome is AttemptOutcome.RUNNING


def test_keys_never_reach_the_database_or_events(tmp_path: Path) -> None:
    keys = KeyStore({"acme-prod": PROD, "ti-default": ti_default_keys()})
    bench = make_bench(tmp_path, keys=keys, pec=True)
    events: list[object] = []
    recipe = recipe_variant(tmp_path, production_key_set="acme-prod", full_access=True)
    assert bench.run(recipe=recipe, events=events).passed  # type: ignore[arg-type]
    bench.store.close()
    stored = database_text(tmp_path / "station.sqlite3")
    shown = "\n".join(repr(e) for e in events)
    assert "acme-prod" in stored  # the key-set id is kept ...
    words = (0xA5C3, 0x5A3C, 0xC3A5, 0x3C5A)  # ... never the keys
    assert leaked(words, shown) == []
    assert leaked(words, stored) == []


def test_runs_on_two_sockets_side_by_side(tmp_path: Path) -> None:
    a_dir = tmp_path / "a"
    a_dir.mkdir()
    a = make_bench(a_dir)
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = make_bench(b_dir)
    results = {}

    def go(name: str, bench: Bench, serial: str) -> None:
        results[name] = bench.run(serial=serial)

    threads = [
        threading.Thread(target=go, args=("a", a, "PK4S-000001")),
        threading.Thread(target=go, args=("b", b, "PK4S-000002")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["a"].passed
    assert results["b"].passed
