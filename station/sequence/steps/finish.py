"""The steps that finish a pack: verify it (the data flash read back, the pack's checks), install
the production keys and prove them, seal it (never unless verify passed), and print its label."""

from __future__ import annotations

from dataclasses import replace

from station.gauge import SecurityMode, UnsealRefusedError
from station.sequence.events import Measurement, StepId, Verdict
from station.sequence.failures import FailureCode, StepFailed, failure_from, make_failure
from station.sequence.labelling import print_pass_label
from station.sequence.run import Run
from station.sequence.verify import evaluate_checks, read_blocks

#: Audit actions of a production-key change: sent (the pack may hold either set), then proven.
KEY_CHANGE_SENT = "KEY_SET_CHANGE_SENT"
KEY_CHANGED = "KEY_SET_CHANGED"


def verify(run: Run) -> str:
    """The data flash reads back as planned, then the pack's checks pass; else the pack is
    not sealed."""
    _verify_data_flash(run)
    run.state.df_verified = True
    with run.gauge.confirming():
        outcomes = evaluate_checks(run.gauge, run.recipe)
    first_bad: tuple[str, str] | None = None
    for m, code in outcomes:
        run.measure(m)
        if m.verdict is Verdict.FAIL and first_bad is None:
            first_bad = (code, m.describe())
    if first_bad is not None:
        code, text = first_bad
        raise StepFailed(
            make_failure(
                StepId.VERIFY,
                FailureCode(code),
                f"check failed: {text}; the pack was not sealed",
            )
        )
    run.state.verified = True
    return "data flash and pack checks pass"


def _verify_data_flash(run: Run) -> None:
    """Read back every block the plan wrote, keep it (as a difference from the before image)
    and measure the bytes that differ from the plan."""
    plan = run.state.plan
    if plan is None:
        return
    checks = plan.final_check
    image = read_blocks(
        run.gauge,
        [c.address for c in checks],
        run.progress(StepId.VERIFY),
        run.checkpoint,
        confirm=[c.address for c in checks],
    )
    if image.blocks:
        after = run.socket.store.store_blocks(image.blocks, base=run.state.before_image)
        run.socket.store.link_images(run.attempt, after=after)
    wrong = [a for c in checks for a in c.mismatches(image.blocks[c.address])]
    run.measure(
        Measurement(
            "data-flash bytes differing",
            float(len(wrong)),
            "bytes",
            0,
            0,
            Verdict.of(not wrong),
        )
    )
    if not wrong:
        return
    names = sorted(
        {
            plan.profile.short_name(p)
            for a in wrong
            if (p := plan.profile.parameter_at(a)) is not None
        }
    )
    raise StepFailed(
        make_failure(
            StepId.VERIFY,
            FailureCode.VERIFY_MISMATCH,
            f"{len(wrong)} data-flash bytes read back wrong at "
            f"{', '.join(f'0x{a:04X}' for a in wrong[:6])} ({', '.join(names[:4])}); the pack "
            "was not sealed",
        )
    )


def install_keys(run: Run) -> str:
    new_id = run.recipe.security.production_key_set
    assert new_id is not None
    gauge = run.gauge
    new = run.socket.keys.get(new_id)
    gauge.full_access(run.socket.keys.get(run.key_set_id))
    change = {"from": run.key_set_id, "to": new_id, "attempt": run.attempt}
    # Written before the keys are sent: from the send on, the pack may hold either set (the
    # write may take even if its answer is lost), and a later attempt on this serial must
    # know both. KEY_SET_CHANGED below says which one it holds once that is proven.
    run.socket.store.audit(KEY_CHANGE_SENT, run.operator, run.socket.station_id, run.serial, change)
    gauge.set_security_keys(new)
    run.state.keys_changed_to = new_id
    run.state.seal_sent = True
    gauge.seal()
    run.state.sealed = True
    try:
        # Both halves: unseal, then full access. A key write that was garbled on the way
        # (no PEC) may leave the unseal keys right and the full-access keys unknown.
        mode = gauge.full_access(new)
    except UnsealRefusedError as exc:
        run.state.sealed = exc.mode is SecurityMode.SEALED
        raise StepFailed(
            make_failure(
                StepId.KEYS,
                FailureCode.KEYS_NOT_PROVEN,
                f"after installing key set {new_id} the pack did not open with it "
                f"({exc}); it is {exc.mode.label}",
                f"programmed and verified, {exc.mode.label}, with keys that are not all "
                f"those of key set {new_id}",
            )
        ) from None
    except Exception as exc:
        # The bus failed, not the keys: the unseal may have taken.
        lost = failure_from(StepId.KEYS, exc)
        raise StepFailed(
            replace(
                lost,
                pack_state=f"programmed, verified and sealed with key set {new_id}; the "
                "unseal that proves the keys got no answer, so it may be UNSEALED. Running "
                "the pack again completes it",
            )
        ) from None
    run.state.sealed = run.state.seal_sent = False
    run.key_set_id = new_id
    run.socket.store.audit(KEY_CHANGED, run.operator, run.socket.station_id, run.serial, change)
    run.measure(
        Measurement(
            "production keys proven", None, verdict=Verdict.PASS, text=f"{new_id}: {mode.name}"
        )
    )
    return f"key set {new_id} installed and proven (seal, unseal, full access)"


def seal(run: Run) -> str:
    if not run.state.verified:
        # Unreachable by construction; kept because sealing an unverified pack is the one
        # mistake the station must never make.
        raise StepFailed(
            make_failure(
                StepId.SEAL,
                FailureCode.NOT_VERIFIED,
                "refusing to seal a pack that did not verify",
            )
        )
    gauge = run.gauge
    run.state.seal_sent = True
    gauge.seal()
    run.state.sealed = True
    mode = gauge.reset()
    run.measure(
        Measurement(
            "security mode after seal and reset",
            None,
            text=mode.name,
            verdict=Verdict.of(mode is SecurityMode.SEALED),
        )
    )
    if mode is not SecurityMode.SEALED:
        run.state.sealed = False
        raise StepFailed(
            make_failure(
                StepId.SEAL,
                FailureCode.SEAL_FAILED,
                f"after seal and reset the gauge reports {mode.name}",
                f"programmed and verified but {mode.name}: it did NOT seal",
            )
        )
    if run.recipe.security.ship_mode:
        gauge.shutdown()
        gauge.wait_silent()
        run.measure(Measurement("ship mode", None, verdict=Verdict.PASS, text="gauge silent"))
        return "sealed (confirmed after reset); ship mode entered"
    return "sealed (confirmed after reset)"


def print_label(run: Run) -> str:
    assert run.record.attempt_id is not None
    run.label = print_pass_label(
        run.socket, run.recipe, run.serial, run.record.attempt_id, run.operator
    )
    if not run.label.printed:
        raise StepFailed(
            make_failure(
                StepId.LABEL,
                FailureCode(run.label.failure_code or FailureCode.PRINTER_ERROR),
                run.label.detail,
                "sealed and PASS; label NOT printed",
            )
        )
    return run.label.detail
