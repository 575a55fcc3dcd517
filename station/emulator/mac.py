"""ManufacturerAccess commands (ref §4, §5).

A MAC arrives as a Write Word to 0x00 or a Block Write to 0x44 (``44 02 lo hi`` or
``44 N lo hi data..``); its result is read as a block from 0x44 (with the 2-byte echo) or from
0x23 (without), whichever way it was sent (ref §4).

Access per security mode follows the table of ref §5. A command the current mode does not allow:
- through 0x44 it is NACKed (the gauge refuses the block), as is an unknown code or one sent with
  data it does not take (ref §4.2: "NACK on a command often means it is not allowed");
- through 0x00 it is acknowledged and ignored, because the gauge cannot tell a MAC code from a
  key word (ref §6.1 unseals through the same Write Word); nothing is left to read afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from station.emulator import analog, dfaccess, signature, status
from station.emulator.chip import (
    BBR_EN,
    CAL_TEST,
    CHG_TEST,
    DSG_TEST,
    FET_EN,
    FUSE_EN,
    GAUGE_EN,
    LED_EN,
    LF_EN,
    LT_TEST,
    PCHG_TEST,
    PF_EN,
    Chip,
    Effects,
    MacResponse,
)
from station.emulator.firmware import KeyWords
from station.emulator.security import SecurityMode

ALL: frozenset[SecurityMode] = frozenset({"SEALED", "UNSEALED", "FULL_ACCESS"})
OPEN: frozenset[SecurityMode] = frozenset({"UNSEALED", "FULL_ACCESS"})
FULL: frozenset[SecurityMode] = frozenset({"FULL_ACCESS"})


@dataclass
class MacCall:
    """One MAC as the gauge received it; ``now`` is the end of the transaction."""

    data: bytes
    now: float
    fx: Effects


#: A handler returns the result to hold for a read, or None for a command-only MAC.
Handler = Callable[[Chip, MacCall], bytes | None]


@dataclass(frozen=True)
class MacCommand:
    name: str
    access: frozenset[SecurityMode]
    run: Handler
    #: Lengths of data accepted after the code through 0x44.
    data_lengths: frozenset[int] = frozenset({0})


def _word(value: int) -> Handler:
    return lambda chip, call: value.to_bytes(2, "little")


def _identity(field: str) -> Handler:
    def run(chip: Chip, call: MacCall) -> bytes:
        value = getattr(chip.identity, field)
        return value if isinstance(value, bytes) else int(value).to_bytes(2, "little")

    return run


def _if_signature(chip: Chip, call: MacCall) -> bytes:
    call.fx.result_delay_s = chip.timing.signature_s
    return chip.identity.if_signature.to_bytes(2, "little")


def _signature(kind: str) -> Handler:
    def run(chip: Chip, call: MacCall) -> bytes:
        call.fx.result_delay_s = chip.timing.signature_s
        return signature.report(chip.fw, chip.df, kind).to_bytes(2, "little")

    return run


def _shutdown(chip: Chip, call: MacCall) -> None:
    chip.shutdown_at = call.now + chip.timing.shutdown_delay_s
    call.fx.changed = True
    return None


def _noop(chip: Chip, call: MacCall) -> None:
    return None


def _toggle(bit: int, *, persist: bool = False) -> Handler:
    """Toggle a ManufacturingStatus enable bit; ``persist`` also rewrites it in Mfg Status Init
    (0x0022 per TI on E2E [S5b]; 0x0021 "persists across reset" per [S4])."""

    def run(chip: Chip, call: MacCall) -> None:
        chip.manufacturing_status ^= bit
        call.fx.changed = True
        if persist:
            param = chip.fw.param("mfg_status_init")
            stored = chip.df.get_int(param)
            chip.df.set(param, (stored & ~bit) | (chip.manufacturing_status & bit))
            call.fx.busy_s = chip.timing.df_write_busy_s(param.size)
        return None

    return run


def _fet_test(bit: int) -> Handler:
    """Manual FET toggles work only with firmware FET control off (ref §5)."""

    def run(chip: Chip, call: MacCall) -> None:
        if not chip.manufacturing_status & FET_EN:
            chip.manufacturing_status ^= bit
            call.fx.changed = True
        return None

    return run


def _restore_defaults(groups_attr: str, *, clear_pf: bool = False) -> Handler:
    def run(chip: Chip, call: MacCall) -> None:
        rows = chip.fw.layout.in_groups(getattr(chip.fw, groups_attr))
        for p in rows:
            chip.df.write(p.address, p.default_bytes())
        if clear_pf:
            chip.pf_status = 0
            chip.pf_alert = 0
        call.fx.busy_s = chip.timing.df_write_busy_s(sum(p.size for p in rows))
        call.fx.changed = True
        return None

    return run


def _seal(chip: Chip, call: MacCall) -> None:
    chip.seal(call.now)
    call.fx.busy_s = chip.timing.seal_s
    call.fx.changed = True
    return None


def _security_keys(chip: Chip, call: MacCall) -> bytes | None:
    """Read: unseal word 1, word 2, full-access word 1, word 2 (LE). Write: the same 8 bytes
    after the code (ref §6.4; layout UNCONFIRMED for BQ40Z50)."""
    if not call.data:
        keys = chip.security.keys
        words = (*keys.unseal, *keys.full_access)
        return b"".join(w.to_bytes(2, "little") for w in words)
    w = [int.from_bytes(call.data[i : i + 2], "little") for i in range(0, 8, 2)]
    chip.security.keys = KeyWords((w[0], w[1]), (w[2], w[3]))
    call.fx.busy_s = chip.timing.df_write_busy_s(8)
    call.fx.changed = True
    return None


def _device_reset(chip: Chip, call: MacCall) -> None:
    chip.device_reset(done_at=call.now + chip.timing.reset_s)
    call.fx.busy_s = chip.timing.reset_s
    call.fx.changed = True
    return None


def _raw_output(mode: int | None) -> Handler:
    """0xF081 (``NORMAL``), 0xF082 (``SHORTED``) start the calibration raw output, 0xF080
    (None) stops it (calibration reference §1.1, §2). Without CAL_EN they do nothing."""

    def run(chip: Chip, call: MacCall) -> bytes | None:
        if mode is None:
            return None
        if chip.fw.calibration.raw_output_needs_cal_en and not (
            chip.manufacturing_status & CAL_TEST
        ):
            return None
        chip.start_raw_output(mode, call.now)
        return b""  # the frame is made when it is read

    return run


def _status(code: int) -> Handler:
    return lambda chip, call: status.status_block(chip, code, call.now)


def manufacturer_info(chip: Chip) -> bytes:
    """Manufacturer Info A: its length byte (1-32) then that many bytes (ref §8.3)."""
    length = chip.df.get_int(chip.fw.param("manufacturer_info_length"))
    first = chip.fw.param("manufacturer_info_first").address
    return chip.df.read(first, max(1, min(length, 32)))


MAC_TABLE: dict[int, MacCommand] = {
    0x0001: MacCommand("DeviceType", ALL, _identity("device_type")),
    0x0002: MacCommand("FirmwareVersion", ALL, _identity("firmware_version")),
    0x0003: MacCommand("HardwareVersion", ALL, _identity("hardware_version")),
    0x0004: MacCommand("IFChecksum", ALL, _if_signature),
    0x0005: MacCommand("StaticDFSignature", ALL, _signature("static")),
    0x0006: MacCommand("ChemID", ALL, _identity("chem_id")),
    0x0008: MacCommand("StaticChemDFSignature", ALL, _signature("chemistry")),
    0x0009: MacCommand("AllDFSignature", ALL, _signature("all")),
    0x0010: MacCommand("ShutdownMode", ALL, _shutdown),
    0x0011: MacCommand("SleepMode", OPEN, _noop),
    0x0013: MacCommand("AutoCCOffset", OPEN, _noop),
    0x001D: MacCommand("FuseToggle", OPEN, _noop),
    0x001E: MacCommand("PCHGFET", OPEN, _fet_test(PCHG_TEST)),
    0x001F: MacCommand("CHGFET", OPEN, _fet_test(CHG_TEST)),
    0x0020: MacCommand("DSGFET", OPEN, _fet_test(DSG_TEST)),
    0x0021: MacCommand("Gauging", OPEN, _toggle(GAUGE_EN, persist=True)),
    0x0022: MacCommand("FETControl", OPEN, _toggle(FET_EN, persist=True)),
    0x0023: MacCommand("LifetimeDataCollection", OPEN, _toggle(LF_EN)),
    0x0024: MacCommand("PermanentFailure", OPEN, _toggle(PF_EN)),
    0x0025: MacCommand("BlackBoxRecorder", OPEN, _toggle(BBR_EN)),
    0x0026: MacCommand("Fuse", OPEN, _toggle(FUSE_EN)),
    0x0027: MacCommand("LEDDisplayEnable", OPEN, _toggle(LED_EN)),
    0x0028: MacCommand("LifetimeDataReset", OPEN, _restore_defaults("lifetime_groups")),
    0x0029: MacCommand("PFDataReset", OPEN, _restore_defaults("pf_data_groups", clear_pf=True)),
    0x002A: MacCommand("BlackBoxRecorderReset", OPEN, _noop),
    0x002B: MacCommand("LEDToggle", OPEN, _noop),
    0x002C: MacCommand("LEDDisplayPress", OPEN, _noop),
    0x002D: MacCommand("CalibrationMode", OPEN, _toggle(CAL_TEST)),
    0x002E: MacCommand("LifetimeDataFlush", OPEN, _noop),
    0x002F: MacCommand("LifetimeDataSpeedUpMode", OPEN, _toggle(LT_TEST)),
    0x0030: MacCommand("SealDevice", OPEN, _seal),
    0x0035: MacCommand("SecurityKeys", FULL, _security_keys, frozenset({0, 8})),
    0x0041: MacCommand("DeviceReset", ALL, _device_reset),
    **{0x0050 + i: MacCommand(f"Status{0x50 + i:02X}", ALL, _status(0x50 + i)) for i in range(9)},
    0x0070: MacCommand("ManufacturerInfo", ALL, lambda chip, call: manufacturer_info(chip)),
    0x0071: MacCommand("DAStatus1", ALL, lambda chip, call: status.da_status1(chip)),
    0x0072: MacCommand("DAStatus2", ALL, lambda chip, call: status.da_status2(chip)),
    0xF080: MacCommand("StopCalibrationOutput", ALL, _raw_output(None)),
    0xF081: MacCommand("OutputCCandADCforCalibration", ALL, _raw_output(analog.NORMAL)),
    0xF082: MacCommand("OutputShortedCCandADCforCalibration", ALL, _raw_output(analog.SHORTED)),
}


#: MACs whose result is the live calibration frame.
_RAW_OUTPUT = frozenset({0xF081, 0xF082})


def _run(chip: Chip, code: int, command: MacCommand, call: MacCall) -> None:
    chip.df_pointer = None
    # Any MAC stops the calibration raw output (calibration reference §1.1).
    chip.stop_raw_output(call.now)
    result = command.run(chip, call)
    if result is None:
        # Reset and seal already dropped any result; a command-only MAC leaves none either.
        chip.response = None
    else:
        chip.response = MacResponse(code, result, call.now + call.fx.result_delay_s)


def write_word(chip: Chip, code: int, now: float, fx: Effects) -> None:
    """A MAC sent as a Write Word to 0x00 (always acknowledged, see the module note)."""
    command = MAC_TABLE.get(code)
    if command is None or chip.security.mode not in command.access:
        chip.response = None
        chip.df_pointer = None
        chip.stop_raw_output(now)
        return
    _run(chip, code, command, MacCall(b"", now, fx))


def write_block(
    chip: Chip,
    payload: bytes,
    now: float,
    fx: Effects,
    *,
    lost: bool = False,
    misaligned: bool = False,
) -> bool:
    """A Block Write to 0x44, ``payload`` after the count byte; False = NACK."""
    if len(payload) < 2:
        return False
    code = payload[0] | payload[1] << 8
    if dfaccess.is_df_address(chip, code):
        if chip.fw.calibration.df_access_stops_raw_output:
            chip.stop_raw_output(now)
        return dfaccess.df_block_write(chip, payload, fx, lost=lost, misaligned=misaligned)
    command = MAC_TABLE.get(code)
    data = payload[2:]
    if (
        command is None
        or chip.security.mode not in command.access
        or len(data) not in command.data_lengths
    ):
        return False
    _run(chip, code, command, MacCall(bytes(data), now, fx))
    return True


def read_result(chip: Chip, now: float, *, echo: bool) -> bytes | None:
    """A block read of 0x44 (``echo``) or 0x23: ``[count][echo?][data]``; None = NACK."""
    if chip.df_pointer is not None:
        return dfaccess.df_block_read(chip) if echo else None
    response = chip.response
    if response is None or now < response.ready_at:
        return None
    data = response.data
    if response.code in _RAW_OUTPUT:
        frame = chip.raw_frame(now)
        if frame is None:
            return None
        data = frame
    head = response.code.to_bytes(2, "little") if echo else b""
    body = head + data
    return bytes([len(body)]) + body
