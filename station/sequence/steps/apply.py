"""Apply the recipe: a parameter (or image) recipe's planned writes, or a FlashStream's lines and
then the per-unit fields. Either way every address written is checked against the profile's
sign-off first, is inside the plan, and is one the backup can undo."""

from __future__ import annotations

from collections.abc import Callable

from station.gauge import SecurityMode
from station.recipe.planning.flashstream_plan import FlashStreamPlan
from station.recipe.planning.writes import DFWrite, WritePlan
from station.recipe.profile.parameter import Parameter
from station.sequence.events import Measurement, StepId
from station.sequence.failures import FailureCode, StepFailed, make_failure
from station.sequence.run import Run


def apply_parameters(run: Run) -> str:
    """A parameter or image recipe: the planned writes, each a safe point."""
    plan = _plan(run)
    _prepare(run, plan.parameters_written, plan.writes)
    progress = run.progress(StepId.APPLY)
    progress(0, len(plan.writes))
    _write_all(run, plan.writes, progress, done=0, total=len(plan.writes))
    _recorded(run, plan)
    if not plan.writes:
        return "the pack already holds every recipe value: nothing to write"
    return (
        f"{len(plan.writes)} writes, {plan.bytes_written} bytes, {len(plan.changes)} "
        "parameters changed"
    )


def apply_flashstream(run: Run) -> str:
    """A FlashStream recipe: the stream's lines as written (its data-flash writes guarded and
    paced like any other), then the per-unit fields the stream leaves to the station."""
    fs = run.recipe.fs_plan
    state = run.state
    assert fs is not None
    assert state.target is not None
    assert state.backup is not None
    # What the whole recipe changes, judged against the pack as backed up (verify, record) ...
    plan = _plan(run)
    after_stream = state.backup.copy()
    for w in fs.df_writes:
        after_stream.apply(w.address, w.data)
    # ... and what is left to write once the stream has run: the per-unit fields.
    unit = run.recipe.plan(state.target, after_stream, speed_hz=run.socket.speed_hz)
    _prepare(run, (*fs.parameters_written, *unit.parameters_written), (*fs.df_writes, *unit.writes))
    state.plan = plan
    progress = run.progress(StepId.APPLY)
    total = len(fs.stream.lines) + len(unit.writes)
    progress(0, total)
    ran = _run_flashstream(run, fs, progress, total)
    _write_all(run, unit.writes, progress, done=ran, total=total)
    _recorded(run, plan)
    return (
        f"FlashStream {fs.stream.name}: {len(fs.stream.lines)} lines, "
        f"{len(fs.df_writes)} data-flash writes; {len(unit.writes)} per-unit writes"
    )


def _plan(run: Run) -> WritePlan:
    state = run.state
    assert state.target is not None
    assert state.backup is not None
    plan = run.recipe.plan(state.target, state.backup, speed_hz=run.socket.speed_hz)
    state.plan = plan
    return plan


def _prepare(
    run: Run, parameters: tuple[Parameter, ...] | list[Parameter], writes: tuple[DFWrite, ...]
) -> None:
    """Check the profile's sign-off of every parameter written, count the writes, and guard
    the driver: a write outside the plan is refused outright (defence in depth)."""
    state = run.state
    assert state.target is not None
    params = {p.key: p for p in parameters}
    run.recipe.profile.check_write_allowed(
        params.values(), emulated=run.conn is not None and run.conn.emulated
    )
    state.writes = tuple(writes)
    state.writes_total = len(state.writes)
    allowed = {a for p in params.values() for a in p.addresses}
    allowed.update(state.target.data)

    def guard(address: int, length: int) -> None:
        outside = [a for a in range(address, address + length) if a not in allowed]
        if outside:
            raise StepFailed(
                make_failure(
                    StepId.APPLY,
                    FailureCode.UNKNOWN_ADDRESS,
                    f"write to 0x{outside[0]:04X} is not in the recipe's plan; refused",
                )
            )

    run.gauge.write_guard = guard


def _write_all(
    run: Run,
    writes: tuple[DFWrite, ...],
    progress: Callable[[int, int], None],
    *,
    done: int,
    total: int,
) -> None:
    for n, write in enumerate(writes, start=1):
        run.checkpoint()
        run.write(write.address, write.data)
        progress(done + n, total)


def _recorded(run: Run, plan: WritePlan) -> None:
    run.record.parameters(plan)
    if plan.changes:
        shown = ", ".join(f"{c.name} {c.before_text} -> {c.after_text}" for c in plan.changes[:4])
        more = f" and {len(plan.changes) - 4} more" if len(plan.changes) > 4 else ""
        run.notice(StepId.APPLY, f"changed {shown}{more}")


def _run_flashstream(
    run: Run, fs: FlashStreamPlan, progress: Callable[[int, int], None], total: int
) -> int:
    """The stream's lines as written; its data-flash writes through the guarded, paced
    driver; an operator abort honoured between lines. Returns the lines run."""
    from station.recipe.ti.flashstream import FlashStreamProgress, run_flashstream

    assert run.conn is not None
    gauge = run.gauge

    def on_line(p: FlashStreamProgress) -> None:
        if p.line.number in fs.mode_changing:
            gauge.forget_mode()
        progress(p.done, total)

    # One program on the adapter: a stream's key words (two writes to 0x00) and its
    # write-then-wait lines must not be split by another user of the adapter.
    with run.conn.transport.lock:
        result = run_flashstream(
            fs.stream,
            run.conn.transport,
            run.conn.clock,
            progress=on_line,
            checkpoint=run.checkpoint,
            write_df=run.write,
        )
    # Key words or a reset in the stream may have changed the mode behind the driver.
    gauge.forget_mode()
    if gauge.security_mode() is SecurityMode.SEALED:
        gauge.unseal(run.socket.keys.get(run.key_set_id))
        run.notice(StepId.APPLY, "the FlashStream left the gauge sealed; unsealed")
    return result.lines_run


def reset(run: Run) -> str:
    gauge = run.gauge
    mode = gauge.reset()
    if mode is SecurityMode.SEALED:
        # Whether a reset re-seals is not documented for every firmware: open it again.
        keys = run.socket.keys.get(run.key_set_id)
        mode = gauge.unseal(keys)
        run.notice(StepId.RESET, "the reset re-sealed the gauge; unsealed again")
    run.measure(Measurement("security mode after reset", None, text=mode.name))
    return f"gauge answered after reset ({mode.name.lower()})"
