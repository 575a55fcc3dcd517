"""Audit log, rework authorisations and label records."""

from __future__ import annotations

import pytest

from station.keys import SecretWord
from station.store import (
    AttemptOutcome,
    AuditAction,
    LabelOutcome,
    LabelRefusedError,
    LabelState,
    ReworkError,
    Store,
    StoreInputError,
)
from tests.store.helpers import WallClock, passing_steps, run_attempt, start_record, step


def test_audit_entries_are_kept_with_their_detail(store: Store, clock: WallClock) -> None:
    entry = store.audit(
        AuditAction.KEY_SET_CHANGED, "sam", "ST-01", "line-2026", {"from": "ti-default"}
    )
    assert entry.at == clock()
    assert store.audit_entries(subject="line-2026") == [entry]
    assert entry.detail == {"from": "ti-default"}


def test_audit_detail_must_be_plain_json(store: Store) -> None:
    with pytest.raises(StoreInputError, match="not a plain JSON value"):
        store.audit("KEY_SET_CHANGED", "sam", "ST-01", "line-2026", {"key": SecretWord(0x1234)})
    with pytest.raises(StoreInputError, match="keys must be strings"):
        store.audit("X", "sam", "ST-01", "s", {1: "a"})  # type: ignore[dict-item]
    with pytest.raises(StoreInputError, match="must be named"):
        store.audit("X", " ", "ST-01", "s")
    assert store.audit_entries() == []


def test_rework_is_authorised_once_and_linked(store: Store, clock: WallClock) -> None:
    passed = run_attempt(store, clock, "PK-1")
    assert store.pending_rework("PK-1") is None
    auth = store.authorise_rework("PK-1", "sue", "capacity label wrong", station="ST-01")
    assert (auth.serial, auth.rework_of, auth.authorised_by) == ("PK-1", passed.id, "sue")
    assert store.pending_rework("PK-1") == auth

    rework = store.start_attempt(start_record("PK-1", rework=auth))
    a = store.get_attempt(rework)
    assert (a.rework_of, a.rework_authorised_by, a.attempt_no) == (passed.id, "sue", 2)
    assert store.pending_rework("PK-1") is None
    with pytest.raises(ReworkError, match="already used by attempt"):
        store.start_attempt(start_record("PK-1", rework=auth))

    trace = store.trace("PK-1")
    assert trace is not None
    assert [e.action for e in trace.audit] == [AuditAction.REWORK_AUTHORISED]
    assert trace.audit[0].detail["reason"] == "capacity label wrong"


def test_rework_of_a_never_passed_pack_points_at_its_last_attempt(
    store: Store, clock: WallClock
) -> None:
    run_attempt(store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="A")
    last = run_attempt(store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="B")
    assert store.authorise_rework("PK-1", "sue", "retry after repair").rework_of == last.id


def test_rework_needs_a_known_pack_a_person_and_the_right_serial(
    store: Store, clock: WallClock
) -> None:
    with pytest.raises(ReworkError, match="never been tested"):
        store.authorise_rework("PK-NEW", "sue", "why")
    run_attempt(store, clock, "PK-1")
    with pytest.raises(StoreInputError):
        store.authorise_rework("PK-1", "sue", "")
    auth = store.authorise_rework("PK-1", "sue", "why")
    with pytest.raises(ReworkError, match="not a rework authorisation for pack PK-2"):
        store.start_attempt(start_record("PK-2", rework=auth))


def test_label_is_recorded_only_for_a_proven_pass(store: Store, clock: WallClock) -> None:
    failed = run_attempt(store, clock, "PK-1", AttemptOutcome.FAIL, failure_code="X")
    with pytest.raises(LabelRefusedError, match="ended FAIL"):
        store.record_label(failed.id, "zebra:line1", LabelOutcome.PRINTED, by="alice")

    running = store.start_attempt(start_record("PK-2"))
    store.record_step(running, step(clock, 1, "program"))
    with pytest.raises(LabelRefusedError, match="no passing seal step"):
        store.record_label(running, "zebra:line1", LabelOutcome.PRINTED, by="alice")
    assert store.get_attempt(running).label_state == LabelState.NOT_PRINTED

    # Printing between a proven seal and the finish is allowed (the label step ends the run).
    for s in passing_steps(clock)[1:]:
        store.record_step(running, s.__class__(**{**s.__dict__, "ordinal": s.ordinal + 10}))
    label = store.record_label(running, "zebra:line1", LabelOutcome.PRINTED, by="alice")
    assert label.printed_at == clock()
    assert store.get_attempt(running).label_state == LabelState.PRINTED


def test_failed_print_and_audited_reprint(store: Store, clock: WallClock) -> None:
    passed = run_attempt(store, clock, "PK-1")
    store.record_label(
        passed.id, "zebra:line1", LabelOutcome.FAILED, by="alice", error="printer offline"
    )
    assert store.get_attempt(passed.id).label_state == LabelState.FAILED
    store.record_label(passed.id, "zebra:line1", LabelOutcome.PRINTED, by="alice")
    clock.advance(hours=2)
    store.record_label(
        passed.id,
        "zebra:line2",
        LabelOutcome.FAILED,
        by="sue",
        reprint_reason="label torn",
        error="ribbon out",
    )
    # A failed reprint leaves the label that was printed.
    assert store.get_attempt(passed.id).label_state == LabelState.PRINTED
    (entry,) = store.audit_entries(action=AuditAction.LABEL_REPRINTED)
    assert (entry.who, entry.subject, entry.station) == ("sue", "PK-1", "ST-01")
    assert entry.detail["reason"] == "label torn"
    trace = store.trace("PK-1")
    assert trace is not None
    assert [(lab.outcome, lab.by) for lab in trace.attempts[0].labels] == [
        (LabelOutcome.FAILED, "alice"),
        (LabelOutcome.PRINTED, "alice"),
        (LabelOutcome.FAILED, "sue"),
    ]
