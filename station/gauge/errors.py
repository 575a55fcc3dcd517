"""Typed gauge errors. Each message says what happened, what it means for the pack and what to do.

``failure_code`` is the short code the database and the operator screen both use. No message ever
contains a key value: keys are referred to by their key-set id only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from station.gauge.modes import SecurityMode


class GaugeError(Exception):
    """The gauge did something the station cannot accept."""

    failure_code: ClassVar[str] = "GAUGE_ERROR"
    meaning: ClassVar[str] = "the gauge did not behave as a BQ40Z50 should"
    next_step: ClassVar[str] = "retry the pack; if it repeats, set the pack aside for analysis"

    def __init__(
        self,
        what: str,
        *,
        command: str = "",
        meaning: str | None = None,
        next_step: str | None = None,
    ) -> None:
        self.what = what
        self.command = command
        self.meaning_text = meaning or self.meaning
        self.next_step_text = next_step or self.next_step
        where = f"{command}: " if command else ""
        super().__init__(f"{where}{what}; {self.meaning_text}; {self.next_step_text}")


# -- answers that do not fit the question ---------------------------------------------------------


class GaugeResponseError(GaugeError):
    """The gauge answered, with a correct PEC if any, but the answer cannot be right."""

    failure_code = "GAUGE_BAD_RESPONSE"
    meaning = "the gauge's answer does not fit the command, so nothing it said can be trusted"
    next_step = (
        "retry the pack; if it repeats, the gauge or its firmware is not what the recipe expects"
    )


class EchoMismatchError(GaugeResponseError):
    failure_code = "GAUGE_BAD_ECHO"

    def __init__(self, *, command: str, expected: int, got: int | None) -> None:
        self.expected = expected
        self.got = got
        shown = "nothing" if got is None else f"0x{got:04X}"
        super().__init__(
            f"the response echoes {shown}, not 0x{expected:04X} (it belongs to another command)",
            command=command,
        )


class ShortBlockError(GaugeResponseError):
    failure_code = "GAUGE_SHORT_BLOCK"

    def __init__(self, *, command: str, expected: int, got: int) -> None:
        self.expected = expected
        self.got = got
        super().__init__(
            f"{got} data bytes returned, {expected} expected for this command", command=command
        )


class ImplausibleValueError(GaugeResponseError):
    failure_code = "GAUGE_IMPLAUSIBLE_VALUE"
    meaning = "no real pack can report this value: the gauge is confused or the bus is corrupting"
    next_step = (
        "retry the pack; if it repeats, check the cell taps and thermistor, then turn PEC on "
        "(--pec) to rule out wiring"
    )

    def __init__(self, *, command: str, value: object, unit: str = "", why: str = "") -> None:
        self.value = value
        self.unit = unit
        shown = f"{value} {unit}".strip()
        reason = f" ({why})" if why else ""
        super().__init__(f"reported {shown}{reason}", command=command)


class UnconfirmedReadError(GaugeResponseError):
    """Without PEC, a read that decides something must be confirmed by a second read that agrees;
    these kept disagreeing."""

    failure_code = "GAUGE_READS_DISAGREE"
    meaning = "the bus corrupts what the gauge says, so nothing was decided on it"
    next_step = (
        "check the cable and the fixture contacts, then run the pack again; a pack that appends "
        "PEC (SBS Configuration HPE) lets the station catch such errors at once"
    )

    def __init__(self, *, command: str, reads: int) -> None:
        self.reads = reads
        super().__init__(f"{reads} reads, no two in a row alike", command=command)


# -- security ----------------------------------------------------------------------------------


def _modes(modes: Iterable[SecurityMode]) -> str:
    return " or ".join(m.label for m in modes)


class PecNotSentError(GaugeError):
    """The station is set to require PEC and the gauge sends none."""

    failure_code = "PEC_NOT_SENT"
    meaning = (
        "the station is set to require packet error checking (pec = on), but this gauge appends "
        "no PEC to its answers (SBS Configuration HPE clear); nothing was written"
    )
    next_step = (
        "set pec = auto (the station then confirms every read that decides something by a "
        "second read), or program HPE in the pack's configuration"
    )

    def __init__(self) -> None:
        super().__init__("no PEC after the data of two word reads", command="PEC check")


class SecurityModeError(GaugeError):
    failure_code = "GAUGE_SECURITY_MODE"
    meaning = "the gauge refuses this in its current security mode; nothing was changed"

    def __init__(
        self, *, operation: str, required: Iterable[SecurityMode], actual: SecurityMode
    ) -> None:
        self.operation = operation
        self.required = tuple(required)
        self.actual = actual
        super().__init__(
            f"needs {_modes(self.required)} but the gauge is {actual.label}",
            command=operation,
            next_step=(
                "unseal the pack with its key set first (station gauge unseal --key-set ID, or "
                "the recipe's key_set), then retry"
                if actual is SecurityMode.SEALED
                else "enter FULL ACCESS with the pack's key set first, then retry"
            ),
        )


class UnsealRefusedError(GaugeError):
    failure_code = "SEALED_UNKNOWN_KEYS"
    meaning = "the pack is sealed with keys this key set does not open"
    next_step = (
        "do not retry blindly (repeated wrong keys look like an attack on a field pack); "
        "route the pack to a supervisor to find its key set"
    )

    def __init__(
        self,
        *,
        key_set_id: str,
        mode: SecurityMode = SecurityMode.SEALED,
        operation: str = "unseal",
        keys: str = "unseal",
    ) -> None:
        self.key_set_id = key_set_id
        self.mode = mode
        super().__init__(
            f"the gauge is still {mode.label} after the {keys} keys of key set {key_set_id!r}",
            command=operation,
        )


class FullAccessRefusedError(UnsealRefusedError):
    failure_code = "FULL_ACCESS_UNKNOWN_KEYS"
    meaning = "the pack's full-access keys are not the ones in this key set"

    def __init__(self, *, key_set_id: str, mode: SecurityMode = SecurityMode.UNSEALED) -> None:
        super().__init__(
            key_set_id=key_set_id, mode=mode, operation="full access", keys="full-access"
        )


class MissingKeysError(GaugeError):
    failure_code = "KEYS_MISSING"
    meaning = "the station cannot enter this security mode without them"
    next_step = "add the missing keys to the key set in the key-store file"

    def __init__(self, *, key_set_id: str, which: str) -> None:
        self.key_set_id = key_set_id
        super().__init__(f"key set {key_set_id!r} has no {which} keys", command=which)


class BadKeysError(GaugeError):
    failure_code = "KEYS_UNUSABLE"
    meaning = "the gauge would accept these keys but they would break unsealing; nothing was sent"
    next_step = "choose other key words in the key-store file"

    def __init__(self, *, key_set_id: str, why: str) -> None:
        self.key_set_id = key_set_id
        super().__init__(f"key set {key_set_id!r}: {why}", command="set security keys")


class KeyWindowMissedError(GaugeError):
    """The two key words ended up further apart than the gauge's window: the bus was too slow or
    stalled. The keys were not judged."""

    failure_code = "GAUGE_KEY_WINDOW"
    meaning = "the gauge ignored the key words; the keys were not judged"
    next_step = "check nothing else is using the bus and the adapter is not stalling, then retry"

    def __init__(self, *, purpose: str, gap_s: float) -> None:
        self.gap_s = gap_s
        super().__init__(
            f"{gap_s:.2f} s between the two key words", command=f"{purpose} key word 2"
        )


class SealFailedError(GaugeError):
    failure_code = "GAUGE_SEAL_FAILED"
    meaning = "the pack is NOT sealed and must not leave the line like this"
    next_step = "retry the seal step; if it repeats, set the pack aside for analysis"

    def __init__(self, *, mode: SecurityMode | None, waited_s: float) -> None:
        self.mode = mode
        shown = mode.label if mode is not None else "not answering"
        super().__init__(
            f"the gauge is still {shown} {waited_s:.2f} s after the seal command", command="seal"
        )


# -- liveness ----------------------------------------------------------------------------------


class GaugeNotRespondingError(GaugeError):
    failure_code = "GAUGE_NOT_RESPONDING"
    meaning = "the gauge stopped answering and its state is unknown"
    next_step = (
        "check the pack is still seated, wait a few seconds and retry; if it stays silent the "
        "gauge may be in shutdown (apply charger voltage to wake it)"
    )

    def __init__(self, *, operation: str, waited_s: float) -> None:
        self.operation = operation
        self.waited_s = waited_s
        super().__init__(f"no answer {waited_s:.2f} s after {operation}", command=operation)


class ShutdownFailedError(GaugeError):
    failure_code = "GAUGE_STILL_AWAKE"
    meaning = "the pack did not enter ship mode and will drain its cells in storage"
    next_step = "retry the shutdown step; check no charger voltage is applied to the pack"

    def __init__(self, *, waited_s: float) -> None:
        super().__init__(
            f"the gauge still answers {waited_s:.2f} s after the shutdown command",
            command="shutdown",
        )


class SignatureTimeoutError(GaugeError):
    failure_code = "GAUGE_SIGNATURE_TIMEOUT"
    meaning = "the gauge did not finish computing the signature"
    next_step = "retry; if it repeats, the firmware may not support this signature"

    def __init__(self, *, command: str, waited_s: float) -> None:
        super().__init__(f"no result {waited_s:.2f} s after the command", command=command)


# -- data flash --------------------------------------------------------------------------------


class DataFlashRangeError(GaugeError):
    failure_code = "DF_RANGE"
    meaning = "the station refused it before touching the bus; the pack is unchanged"
    next_step = "fix the address or length in the profile or recipe"

    def __init__(self, what: str, *, operation: str) -> None:
        super().__init__(what, command=operation)


class FlashWriteTimeoutError(GaugeError):
    failure_code = "DF_WRITE_TIMEOUT"
    meaning = "the data-flash write may be incomplete: the pack's configuration is unknown"
    next_step = (
        "check the pack is seated, then rerun the programming step (it rewrites and verifies "
        "every block)"
    )

    def __init__(self, *, address: int, length: int, waited_s: float) -> None:
        self.address = address
        self.length = length
        super().__init__(
            f"the gauge was still busy {waited_s:.3f} s after writing {length} "
            f"byte{'s' if length != 1 else ''}",
            command=f"data-flash write 0x{address:04X}",
        )
