"""The steps that find out what pack this is and open it: identify the gauge (and whether its
answers carry PEC), unseal it with the recipe's keys, and back up what the recipe will touch
before anything is written."""

from __future__ import annotations

from station.gauge import Gauge, SecurityMode, UnsealRefusedError
from station.gauge.security import key_problems
from station.recipe.errors import FirmwareMismatch
from station.recipe.profile.image import BLOCK_SIZE
from station.sequence.calibration_record import calibration_parameters
from station.sequence.events import Measurement, StepId
from station.sequence.failures import FailureCode, StepFailed, make_failure
from station.sequence.guards import check_connection
from station.sequence.pack_state import UNTOUCHED
from station.sequence.run import Run
from station.sequence.verify import read_blocks


def identify(run: Run) -> str:
    # The bus was opened, and found usable, before the attempt was written.
    assert run.conn is not None
    _check_production_keys(run)
    check_connection(run.socket, run.conn.emulated, run.attempt)
    if run.conn.virtual_clock is not None:
        run.bus_started = run.conn.virtual_clock()
    gauge = run.gauge
    _establish_pec(run, gauge)
    identity = gauge.identify()
    try:
        run.recipe.check_identity(identity.device_type, identity.firmware_version)
    except FirmwareMismatch:
        if gauge.pec:
            raise
        # Without PEC a pack is not put aside on one read: confirm the identity first.
        with gauge.confirming():
            identity = gauge.identify()
    run.identity = identity
    run.measure(Measurement("device type", None, text=identity.device_type_hex))
    run.measure(Measurement("firmware", None, text=identity.firmware_version))
    run.measure(Measurement("firmware build", float(identity.firmware_build)))
    run.measure(Measurement("hardware version", None, text=f"0x{identity.hardware_version:04X}"))
    run.measure(Measurement("ChemID", None, text=f"0x{identity.chem_id:04X}"))
    run.recipe.check_identity(identity.device_type, identity.firmware_version)
    mode = gauge.security_mode()
    run.state.arrived_mode = mode
    run.measure(Measurement("security mode on arrival", None, text=mode.name))
    return f"{identity.part} firmware {identity.firmware_version}, {mode.name.lower()}"


def _establish_pec(run: Run, gauge: Gauge) -> None:
    """Whether reads can be trusted one by one (PEC) or must be confirmed by a second read;
    production keys are never written or proven without PEC."""
    pec = gauge.establish_pec(run.socket.config.pec)
    run.measure(
        Measurement(
            "PEC",
            None,
            text="on: the gauge appends it"
            if pec
            else "off: the gauge sends none; every read that decides is read twice",
        )
    )
    if pec and run.socket.config.pec == "off":
        run.notice(StepId.IDENTIFY, "the gauge appends PEC although pec = off: checking it")
    key_set = run.recipe.security.production_key_set
    if key_set and not pec:
        raise StepFailed(
            make_failure(
                StepId.IDENTIFY,
                FailureCode.KEYS_NEED_PEC,
                f"recipe {run.recipe.name} installs production key set {key_set}, and this "
                "gauge appends no PEC to its answers (SBS Configuration HPE clear): a key "
                "write garbled on the way could lock the pack for good, so it is refused",
                UNTOUCHED,
            )
        )


def _check_production_keys(run: Run) -> None:
    """Keys the gauge would misread are refused before the pack is touched, not after it
    was programmed and verified."""
    new_id = run.recipe.security.production_key_set
    if new_id is None:
        return
    problems = key_problems(run.socket.keys.get(new_id))
    if problems:
        raise StepFailed(
            make_failure(
                StepId.IDENTIFY,
                FailureCode.KEYS_UNUSABLE,
                f"production key set {new_id} cannot be installed: {'; '.join(problems)}",
                UNTOUCHED,
            )
        )


def unseal(run: Run) -> str:
    # Before the keys are sent: the pack may open even if its answer is lost, and a pack
    # that came sealed is then sealed again if the run stops (sealing a sealed one is a no-op).
    run.state.unsealed_by_us = run.state.arrived_mode is SecurityMode.SEALED
    try:
        mode = _open_with(run, run.key_set_id)
    except UnsealRefusedError:
        # Only the one other set this station itself may have left in the pack (a key change
        # sent but never proven); never a search.
        if run.fallback_key_set is None:
            raise
        run.notice(
            StepId.UNSEAL,
            f"key set {run.key_set_id} refused; the last key change on this pack was "
            f"never proven, trying the set it replaced ({run.fallback_key_set})",
        )
        run.key_set_id, run.fallback_key_set = run.fallback_key_set, None
        mode = _open_with(run, run.key_set_id)
    run.measure(Measurement("security mode", None, text=mode.name))
    return f"{mode.name.lower()} with key set {run.key_set_id}"


def _open_with(run: Run, key_set_id: str) -> SecurityMode:
    gauge = run.gauge
    keys = run.socket.keys.get(key_set_id)
    mode = gauge.security_mode()
    if run.recipe.security.full_access or run.recipe.security.production_key_set:
        return gauge.full_access(keys)
    if mode is SecurityMode.SEALED:
        return gauge.unseal(keys)
    return mode


def backup(run: Run) -> str:
    gauge = run.gauge
    today = run.socket.now().astimezone().date()
    run.state.target = target = run.recipe.target(run.serial, today)
    blocks = list(target.blocks())
    # The calibration constants are written through the same backed-up path as the recipe.
    for p in calibration_parameters(run.recipe):
        block = p.address - p.address % BLOCK_SIZE
        if block not in blocks:
            blocks.append(block)
    blocks.sort()
    if run.recipe.backup.policy == "full":
        blocks = list(range(0x4000, 0x6000, BLOCK_SIZE))
    # Without PEC the rows planning reads are confirmed by a second read: their bytes may be
    # written back, and the plan's safety checks judge them.
    image = read_blocks(
        gauge,
        blocks,
        run.progress(StepId.BACKUP),
        run.checkpoint,
        confirm=target.blocks(),
    )
    run.state.backup = image
    store = run.socket.store
    # One image per role: a set of blocks is stored once however many packs share it (the
    # before image of factory-fresh packs is the same for every pack).
    if run.recipe.backup.policy == "full":
        before = store.store_image(image.to_bytes(), 0x4000)
    else:
        before = store.store_blocks(image.blocks)
    store.link_images(run.attempt, before=before)
    run.state.before_image = before
    n = len(blocks)
    detail = f"{n} block{'s' if n != 1 else ''} ({n * BLOCK_SIZE} bytes) stored"
    if run.recipe.backup.signature:
        sig = gauge.static_df_signature()
        run.measure(
            Measurement(
                "static DF signature before",
                float(sig.value),
                # The gauge's top bit (its own mismatch flag) read as a verdict beside PASS;
                # the signature is the other 15 bits, kept as read in ``value``.
                text=f"0x{sig.value & 0x7FFF:04X}",
            )
        )
    return detail
