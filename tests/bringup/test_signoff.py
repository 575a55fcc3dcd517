"""Signing off what a reference pack confirmed: the evidence goes into the profile and the
database, and only confirmed parameters are written to real packs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from station.bus.transport import SMBusTransport
from station.config import StationConfig
from station.emulator import EmulatedGauge
from station.emulator.ggexport import gg_csv_text
from station.gauge import Gauge
from station.keys import KeyStore
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.signoff import SignOffRefused
from station.recipe.ti.verify import Status
from station.sequence.authority import Authority, NotAuthorised
from station.sequence.bringup import (
    BringUpRefused,
    ExportFile,
    VerifyOutcome,
    read_reference,
    sign_off,
    verify_profile,
)
from station.sequence.events import Outcome
from station.sequence.service import Credentials
from station.store import AuditAction
from station.store.bringup import PackRead
from tests.bringup.helpers import CREATED, distinct_value, free_address, profile_copy
from tests.pins import PIN, give_pin
from tests.sequence.conftest import RECIPE_4S, Bench, make_bench

ENGINEER = "ENG-7"
TODAY = dt.date(2026, 12, 5)


def recipe_on(profile_header: Path, tmp: Path) -> Recipe:
    """The shipped 4S recipe, on the profile copy ``profile_header``."""
    text = RECIPE_4S.read_text(encoding="utf-8").replace(
        'profile = "bq40z50-r1"', f'profile = "{profile_header}"'
    )
    path = tmp / "line-recipe.toml"
    path.write_text(text, encoding="utf-8")
    return load_recipe(path)


def read_pack(bench: Bench) -> PackRead:
    opened = bench.socket.open_bus()
    gauge = Gauge(SMBusTransport(opened.bus, opened.clock), clock=opened.clock)
    return read_reference(gauge, KeyStore.builtin().get("ti-default"))


def verify(bench: Bench, header: Path, recipes: Sequence[Recipe] = ()) -> VerifyOutcome:
    data = gg_csv_text(bench.device, created=CREATED).encode()
    export = ExportFile.read(Path("ref.gg.csv"), data)
    profile = ProfileLibrary().load(header)
    pack = read_pack(bench)
    return verify_profile(profile, export, pack, recipes, emulated=True)


def authority(bench: Bench) -> Authority:
    config = StationConfig(station_id="ST-T1", engineer_badges=(ENGINEER,))
    give_pin(bench.store, ENGINEER)
    return Authority(config, bench.store)


def sign(bench: Bench, outcome: VerifyOutcome, pin: str = PIN) -> VerifyOutcome:
    return sign_off(
        outcome,
        authority=authority(bench),
        credentials=Credentials(ENGINEER, pin),
        store=bench.store,
        station="ST-T1",
        today=TODAY,
    )


def test_only_what_the_reference_pack_confirmed_is_written_to_real_packs(tmp_path: Path) -> None:
    bench = make_bench(tmp_path)  # a factory pack: some of the recipe's values are zeros
    header = profile_copy(tmp_path / "profiles")
    recipe = recipe_on(header, tmp_path)

    first = sign(bench, verify(bench, header, [recipe]))
    assert first.signed is not None
    weak = {f.parameter.key for f in first.verification.with_status(Status.WEAK)}
    written = {p.key for p in recipe.written_parameters()}
    missing = {f.parameter.key for gap in first.gaps for f in gap.missing}
    assert missing
    assert missing <= weak & written
    assert f'[[signoff]]\nby = "{ENGINEER}"' in header.read_text(encoding="utf-8")

    # A recipe writing a parameter the evidence did not confirm is refused on a real pack ...
    bench.as_real_hardware()
    refused = bench.run(recipe=recipe_on(header, tmp_path))
    assert refused.outcome is Outcome.ERROR
    assert refused.failure is not None
    assert refused.failure.code == "UNVERIFIED_ADDRESS"
    assert bench.device.stats.df_writes == 0

    # ... until the engineer sets those values on the reference pack, exports it again and
    # verifies with that second export.
    profile = ProfileLibrary().load(header)
    for key in missing:
        bench.device.df_set(key, distinct_value(profile.get(key)))
    second = sign(bench, verify(bench, header, [recipe_on(header, tmp_path)]))
    assert not second.blocking
    result = bench.run(recipe=recipe_on(header, tmp_path))
    assert result.passed, result.failure

    entries = bench.store.audit_entries(action=AuditAction.PROFILE_SIGNED_OFF)
    assert len(entries) == 2
    assert entries[0].subject == "line-r1"
    assert second.pack is not None
    assert entries[0].detail["pack_image_sha256"] == second.pack.image_sha256
    assert second.record is not None
    assert first.record is not None
    evidence = bench.store.pack_evidence("line-r1")
    assert [e["id"] for e in evidence] == [second.record.evidence_id, first.record.evidence_id]


def test_a_wrong_address_stays_refused_after_the_sign_off(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "reference")
    shipped = ProfileLibrary().get("bq40z50-r1")
    cuv = shipped.get("CUV Threshold")
    header = profile_copy(
        tmp_path / "profiles", relocate={cuv.key: free_address(shipped, cuv.size)}
    )
    done = sign(bench, verify(bench, header, [recipe_on(header, tmp_path)]))
    assert done.signed is not None
    assert not done.signed.get(cuv.key).verified
    assert [f.parameter.key for g in done.gaps for f in g.missing] == [cuv.key]
    bench.as_real_hardware()
    result = bench.run(recipe=recipe_on(header, tmp_path))
    assert result.failure is not None
    assert result.failure.code == "UNVERIFIED_ADDRESS"
    assert "CUV Threshold" in result.failure.reason
    assert bench.device.stats.df_writes == 0


def test_a_wrong_pin_or_an_operator_badge_signs_nothing(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "reference")
    header = profile_copy(tmp_path / "profiles")
    before = header.read_text(encoding="utf-8")
    outcome = verify(bench, header)
    with pytest.raises(NotAuthorised):
        sign(bench, outcome, pin="9999")
    with pytest.raises(NotAuthorised):
        sign_off(
            outcome,
            authority=authority(bench),
            credentials=Credentials("OP-1", PIN),
            store=bench.store,
            station="ST-T1",
            today=TODAY,
        )
    assert header.read_text(encoding="utf-8") == before
    assert bench.store.audit_entries(action=AuditAction.PROFILE_SIGNED_OFF) == []


def test_the_profile_shipped_with_the_station_is_never_signed_in_place(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "reference")
    shipped = ProfileLibrary().get("bq40z50-r1")
    assert shipped.header_path is not None
    outcome = verify(bench, shipped.header_path)
    with pytest.raises(SignOffRefused, match=r"Copy its \.toml and \.csv"):
        sign(bench, outcome)


def test_an_emulated_pack_signs_nothing_on_a_production_database(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "reference")
    bench.store.mark_production(by="test", station="ST-T1")
    header = profile_copy(tmp_path / "profiles")
    with pytest.raises(BringUpRefused, match="emulated pack proves nothing"):
        sign(bench, verify(bench, header))


def test_the_reference_pack_is_sealed_again_after_the_read(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "reference")
    device: EmulatedGauge = bench.device
    assert device.security_mode == "SEALED"
    pack = read_pack(bench)
    assert device.security_mode == "SEALED"
    assert pack.image == device.df_peek(0x4000, 0x2000)


def test_an_export_alone_signs_off_with_the_export_as_evidence(tmp_path: Path) -> None:
    bench = make_bench(tmp_path, "reference")
    header = profile_copy(tmp_path / "profiles")
    data = gg_csv_text(bench.device, created=CREATED).encode()
    outcome = verify_profile(
        ProfileLibrary().load(header), ExportFile.read(Path("ref.gg.csv"), data), None, []
    )
    done = sign(bench, outcome)
    assert done.record is not None
    assert done.record.evidence_id is None
    assert 'method = "bqstudio-export"' in header.read_text(encoding="utf-8")
    assert done.record.audit.detail["method"] == "bqstudio-export"
