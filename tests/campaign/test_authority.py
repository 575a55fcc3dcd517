"""Who may do what, tried as a careless operator and a hostile insider would, on every face.

One rule (``station.sequence.authority``) answers the terminal and the ``station`` commands alike:
releases need an engineer, reworks and reprints a supervisor, each with the badge's PIN, and the
one who authorises is never the operator of the run. Wrong PINs are audited and rate-limited (by
the store's clock: no test waits), every privileged action is one audit row, and
``station audit`` lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result

from station.config import StationConfig
from station.refusal import Refused
from station.sequence import open_service
from station.sequence.line import LineStation
from station.store import AuditAction, Store
from tests.leaks import database_text
from tests.pins import CHEAP, PIN, give_pin
from tests.sequence.conftest import RECIPE_4S
from tests.station_cli import (
    clean_environment,
    db_of,
    label_print_args,
    program_args,
    station,
)
from tests.station_cli import program as cli_program
from tests.store.helpers import WallClock

SERIAL = "PK4S-000123"
OPERATOR = "OP-0007"
SUPERVISOR = "SUP-0042"
ENGINEER = "ENG-0042"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("STATION_SUPERVISOR_BADGES", SUPERVISOR)
    monkeypatch.setenv("STATION_ENGINEER_BADGES", ENGINEER)


def program(tmp: Path, *extra: str, typed: str | None = None, operator: str = OPERATOR) -> Result:
    return cli_program(tmp, *extra, typed=typed, operator=operator)


def audit_rows(tmp: Path, action: str) -> list[object]:
    with Store.open(db_of(tmp)) as store:
        return list(store.audit_entries(action=action))


# == releases ======================================================================================


def test_a_release_by_any_name_is_refused(tmp_path: Path) -> None:
    done = station("recipe", "release", str(RECIPE_4S), "--by", "ANYTHING", "--db", db_of(tmp_path))
    assert done.exit_code == 1, done.output
    assert "needs an engineer badge" in done.output
    with Store.open(db_of(tmp_path)) as store:
        assert store.released_recipes() == []


def test_a_release_needs_the_engineer_pin_and_is_one_audit_row(tmp_path: Path) -> None:
    db = db_of(tmp_path)
    no_pin = station("recipe", "release", str(RECIPE_4S), "--by", ENGINEER, "--db", db, typed="\n")
    assert no_pin.exit_code == 1
    assert "has no PIN yet" in no_pin.output
    give_pin(db, ENGINEER)
    wrong = station("recipe", "release", str(RECIPE_4S), "--by", ENGINEER, "--db", db, typed="9\n")
    assert wrong.exit_code == 1
    assert "wrong PIN" in wrong.output
    right = station(
        "recipe", "release", str(RECIPE_4S), "--by", ENGINEER, "--db", db, typed=f"{PIN}\n"
    )
    assert right.exit_code == 0, right.output
    assert f"by {ENGINEER}" in right.output
    assert PIN not in right.output.replace("PIN for badge", "")
    (row,) = audit_rows(tmp_path, AuditAction.RECIPE_RELEASED)
    assert row.who == ENGINEER  # type: ignore[attr-defined]
    refused = audit_rows(tmp_path, AuditAction.PIN_REFUSED)
    assert len(refused) == 2  # no PIN yet, then a wrong one


def test_releasing_a_released_recipe_says_by_whom_and_changes_nothing(tmp_path: Path) -> None:
    db = db_of(tmp_path)
    give_pin(db, ENGINEER)
    first = station(
        "recipe", "release", str(RECIPE_4S), "--by", ENGINEER, "--db", db, typed=f"{PIN}\n"
    )
    assert first.exit_code == 0, first.output
    again = station(
        "recipe", "release", str(RECIPE_4S), "--by", ENGINEER, "--db", db, typed=f"{PIN}\n"
    )
    assert again.exit_code == 0, again.output
    assert "was already released by ENG-0042" in again.output
    assert "nothing changed" in again.output
    assert len(audit_rows(tmp_path, AuditAction.RECIPE_RELEASED)) == 1


def test_the_emulator_never_releases_into_a_production_database(tmp_path: Path) -> None:
    config = tmp_path / "station.toml"
    config.write_text(
        f'[database]\nurl = "{db_of(tmp_path)}"\nproduction = true\n', encoding="utf-8"
    )
    done = station(*program_args(tmp_path, operator=OPERATOR), "--config", str(config))
    assert done.exit_code == 2, done.output
    assert "production database" in done.output
    with Store.open(db_of(tmp_path)) as store:
        assert store.released_recipes() == []
        assert store.pack_history(SERIAL) == []
        assert store.is_production()


# == reworks and reprints ==========================================================================


def test_an_operator_cannot_authorise_their_own_rework(tmp_path: Path) -> None:
    assert program(tmp_path).exit_code == 0
    give_pin(db_of(tmp_path), SUPERVISOR)
    # The supervisor runs the pack as its operator, then tries to authorise the rework too.
    own = program(
        tmp_path,
        "--rework-by",
        SUPERVISOR,
        "--reason",
        "mine",
        operator=SUPERVISOR,
        typed=f"{PIN}\n",
    )
    assert own.exit_code == 1, own.output
    assert "is the operator of this run" in own.output
    assert audit_rows(tmp_path, AuditAction.REWORK_AUTHORISED) == []
    by_other = program(tmp_path, "--rework-by", SUPERVISOR, "--reason", "return", typed=f"{PIN}\n")
    assert by_other.exit_code == 0, by_other.output
    (row,) = audit_rows(tmp_path, AuditAction.REWORK_AUTHORISED)
    assert row.who == SUPERVISOR  # type: ignore[attr-defined]


def test_an_engineer_badge_is_not_a_supervisor_badge_on_any_face(tmp_path: Path) -> None:
    """The terminal refused engineers for reworks while the service let them: one rule now."""
    assert program(tmp_path).exit_code == 0
    give_pin(db_of(tmp_path), ENGINEER)
    rework = program(tmp_path, "--rework-by", ENGINEER, "--reason", "x", typed=f"{PIN}\n")
    assert rework.exit_code == 1
    assert "needs a supervisor badge" in rework.output
    reprint = station(
        *label_print_args(db_of(tmp_path), ENGINEER, f"file:{tmp_path}/labels"),
        typed=f"{PIN}\n",
    )
    assert reprint.exit_code == 1
    assert "needs a supervisor badge" in reprint.output


# == PINs ==========================================================================================


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[LineStation, WallClock]]:
    """The service on the emulator with a store whose clock the test moves."""
    from station.sequence.authority import Authority

    clock = WallClock(start=WallClock().t.replace(year=2027))
    config = StationConfig(
        station_id="ST-AU",
        database=db_of(tmp_path),
        printer=f"file:{tmp_path}/labels",
        supervisor_badges=(SUPERVISOR,),
        engineer_badges=(ENGINEER,),
    )
    service = open_service(replace(config, recipes=str(RECIPE_4S.parent)))
    service.socket.store.close()
    store = Store.open(config.database, now=clock)
    service.socket.store = store
    service.authority = Authority(service.socket.config, store, hasher=CHEAP)
    give_pin(store, SUPERVISOR)
    give_pin(store, ENGINEER)
    yield service, clock
    store.close()


def test_wrong_pins_lock_the_badge_then_the_lock_ends(
    line: tuple[LineStation, WallClock],
) -> None:
    from station.sequence.authority import LOCKOUT, MAX_FAILURES, NotAuthorised, Privilege
    from station.sequence.service import Credentials

    service, clock = line
    rules = service.rules
    wrong = Credentials(SUPERVISOR, "0000")
    for n in range(MAX_FAILURES):
        with pytest.raises(NotAuthorised, match="wrong PIN") as caught:
            rules.authorise(Privilege.REWORK, wrong, operator=OPERATOR)
        assert "0000" not in str(caught.value)
        clock.advance(seconds=1)
        assert n < MAX_FAILURES
    # Locked: even the right PIN is refused until the lock ends.
    with pytest.raises(NotAuthorised, match="locked"):
        rules.authorise(Privilege.REWORK, Credentials(SUPERVISOR, PIN), operator=OPERATOR)
    clock.advance(seconds=LOCKOUT.total_seconds() + 1)
    assert rules.authorise(Privilege.REWORK, Credentials(SUPERVISOR, PIN), operator=OPERATOR)
    refusals = service.socket.store.audit_entries(action=AuditAction.PIN_REFUSED)
    assert len(refusals) == MAX_FAILURES + 1
    assert all(r.subject == SUPERVISOR and r.station == "ST-AU" for r in refusals)
    # A right PIN starts the count again.
    kept = service.socket.store.badge_pin(SUPERVISOR)
    assert kept is not None
    assert kept.failures == 0


def test_a_pin_is_never_logged_shown_or_stored(
    line: tuple[LineStation, WallClock], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from station.sequence.authority import NotAuthorised, Privilege
    from station.sequence.service import Credentials

    service, _ = line
    caplog.set_level(logging.DEBUG)
    secret = "97531"
    with pytest.raises(NotAuthorised) as caught:
        service.rules.authorise(Privilege.RELEASE, Credentials(ENGINEER, secret))
    service.rules.set_pin(ENGINEER, secret, current_pin=PIN)
    service.release_recipe(RECIPE_4S, Credentials(ENGINEER, secret))
    assert secret not in repr(Credentials(ENGINEER, secret))
    assert secret not in str(caught.value)
    assert secret not in caplog.text
    service.socket.store.close()
    assert secret not in database_text(tmp_path / "db.sqlite3")


def test_the_terminal_and_the_commands_ask_the_same_rule(
    line: tuple[LineStation, WallClock],
) -> None:
    from station.sequence.service import Credentials, RunRequest

    service, _ = line
    shift = service.shift_for_file(RECIPE_4S, OPERATOR, "LOT-1")
    result = service.run(shift, RunRequest(SERIAL), lambda e: None, _token())
    assert result.passed
    with pytest.raises(Refused, match="needs a supervisor badge"):
        service.authorise_rework(shift, SERIAL, Credentials(OPERATOR), "x")
    with pytest.raises(Refused, match="needs a supervisor badge"):
        service.reprint_label(shift, SERIAL, "torn", Credentials(ENGINEER, PIN))
    with pytest.raises(Refused, match="needs an engineer badge"):
        service.release_recipe(RECIPE_4S, Credentials(SUPERVISOR, PIN))
    with pytest.raises(Refused, match="needs an engineer badge"):
        service.engineer_mode(Credentials(SUPERVISOR, PIN))
    supervised = replace(shift, operator=service.badge(SUPERVISOR))
    with pytest.raises(Refused, match="operator of this run"):
        service.reprint_label(supervised, SERIAL, "torn", Credentials(SUPERVISOR, PIN))
    label = service.reprint_label(shift, SERIAL, "torn", Credentials(SUPERVISOR, PIN))
    assert label.printed
    (row,) = service.socket.store.audit_entries(action=AuditAction.LABEL_REPRINTED)
    assert row.who == SUPERVISOR


def test_a_recipe_change_mid_shift_is_the_same_rule(
    line: tuple[LineStation, WallClock],
) -> None:
    """The terminal's F5 recipe change asks the service: a supervisor badge (an engineer's is
    not one), its PIN, and not the shift's operator."""
    from station.sequence.service import Credentials

    service, _ = line
    shift = service.shift_for_file(RECIPE_4S, OPERATOR, "LOT-1")
    wanted = shift.recipe.hash
    with pytest.raises(Refused, match="needs a supervisor badge"):
        service.change_recipe(shift, wanted, Credentials(ENGINEER, PIN))
    with pytest.raises(Refused, match="needs a supervisor badge"):
        service.change_recipe(shift, wanted, Credentials(OPERATOR))
    with pytest.raises(Refused, match="wrong PIN"):
        service.change_recipe(shift, wanted, Credentials(SUPERVISOR, "0000"))
    supervised = replace(shift, operator=service.badge(SUPERVISOR))
    with pytest.raises(Refused, match="operator of this run"):
        service.change_recipe(supervised, wanted, Credentials(SUPERVISOR, PIN))
    changed = service.change_recipe(shift, wanted, Credentials(SUPERVISOR, PIN))
    assert (changed.recipe.hash, changed.operator, changed.lot) == (
        wanted,
        shift.operator,
        shift.lot,
    )


def _token():  # type: ignore[no-untyped-def]
    from station.sequence.events import CancelToken

    return CancelToken()


# == setting PINs, and the audit listing ===========================================================


def test_badge_pins_are_set_by_their_badge_or_an_engineer_and_audited(tmp_path: Path) -> None:
    db = db_of(tmp_path)
    operator = station("badge", "set", OPERATOR, "--db", db, typed="1111\n1111\n")
    assert operator.exit_code == 1
    assert "operators scan without a PIN" in operator.output
    # The first engineer of a database sets their own PIN; nobody else can start that way.
    first = station("badge", "set", ENGINEER, "--db", db, typed="2468\n2468\n")
    assert first.exit_code == 0, first.output
    alone = station("badge", "set", SUPERVISOR, "--db", db, typed="1357\n1357\n")
    assert alone.exit_code == 1
    assert "--by ENGINEER" in alone.output
    by_engineer = station(
        "badge", "set", SUPERVISOR, "--by", ENGINEER, "--db", db, typed="2468\n1357\n1357\n"
    )
    assert by_engineer.exit_code == 0, by_engineer.output
    # The supervisor changes it with the current one; a wrong current PIN changes nothing.
    wrong = station("badge", "set", SUPERVISOR, "--db", db, typed="0000\n8642\n8642\n")
    assert wrong.exit_code == 1
    own = station("badge", "set", SUPERVISOR, "--db", db, typed="1357\n8642\n8642\n")
    assert own.exit_code == 0, own.output
    for shown in (first, by_engineer, own):
        assert "2468" not in shown.output
        assert "8642" not in shown.output
    changes = audit_rows(tmp_path, AuditAction.PIN_CHANGED)
    assert [(r.subject, r.who) for r in reversed(changes)] == [  # type: ignore[attr-defined]
        (ENGINEER, ENGINEER),
        (SUPERVISOR, ENGINEER),
        (SUPERVISOR, SUPERVISOR),
    ]
    listed = station("badge", "list", "--db", db)
    assert "PIN set by" in listed.output


def test_station_audit_lists_privileged_actions_by_action_and_time(tmp_path: Path) -> None:
    db = db_of(tmp_path)
    give_pin(db, ENGINEER)
    give_pin(db, SUPERVISOR)
    assert program(tmp_path).exit_code == 0  # releases the recipe as the emulator demo
    rework = program(tmp_path, "--rework-by", SUPERVISOR, "--reason", "r", typed=f"{PIN}\n")
    assert rework.exit_code == 0, rework.output
    every = station("audit", "--db", db)
    assert every.exit_code == 0, every.output
    for action in ("PIN_CHANGED", "RECIPE_RELEASED", "REWORK_AUTHORISED"):
        assert action in every.output
    only = station("audit", "--action", "REWORK_AUTHORISED", "--db", db)
    assert "REWORK_AUTHORISED" in only.output
    assert "RECIPE_RELEASED" not in only.output
    later = station("audit", "--since", "2999-01-01", "--db", db)
    assert "REWORK_AUTHORISED" not in later.output
    bad = station("audit", "--action", "NONSENSE", "--db", db)
    assert bad.exit_code == 2
    assert "known:" in bad.output
