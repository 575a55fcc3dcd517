"""What a FlashStream does to a pack, worked out before any line runs.

A FlashStream is run as written, but the station still has to know, line by line, what it writes:
the same guards apply as to a parameter recipe. Each line is classified:

* a data-flash write (``SWB 16 44 lo hi d..`` with an address in 0x4000-0x5FFF): planned like a
  recipe write: every byte must be one the profile knows, is backed up first, guarded per
  address (sign-off on real packs) and read back afterwards through the verify mask;
* a data-flash read request (``SWB 16 44 lo hi``), a MAC read request (``SWB 16 44 lo hi`` of a
  read-type MAC), compares (``SCW``/``SCL``), waits (``X``), bare commands (``SWC``) and writes to
  the gauge's RAM registers (``SWW`` to an SBS command other than 0x00): run as written;
* a word to ManufacturerAccess 0x00 (``SWW 16 00 lo hi``): a MAC command, or a key word. Key
  words are sent as written and never shown; of the MAC commands only DeviceReset (0x0041) may
  appear, as anything else (seal, ROM mode, toggles that rewrite data flash, data resets) would
  change the pack behind the station's back;
* SecurityKeys (MAC 0x0035) and AuthenticationKey (0x0037) are refused: keys a pack gets must be
  the station's own, installed and proven by the recipe's ``production_key_set``.

Lines that carry keys are shown as ``SWW 0x00 <key>`` at most, everywhere (:func:`shown`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from station.recipe.errors import FileFormatError, Problem
from station.recipe.planning.writes import DFWrite, parameter_names
from station.recipe.profile.dftypes import RawValue
from station.recipe.profile.image import (
    BLOCK_SIZE,
    DF_END,
    DF_START,
    WRITABLE_END,
    DataFlashImage,
    block_of,
)
from station.recipe.profile.parameter import Parameter
from station.recipe.profile.profile_model import Profile
from station.recipe.ti.flashstream import FlashStream, FSLine, shown

#: ManufacturerAccess (key words, MAC codes by Write Word) and ManufacturerBlockAccess.
MANUFACTURER_ACCESS = 0x00
MBA = 0x44
SECURITY_KEYS = 0x0035
AUTHENTICATION_KEY = 0x0037
DEVICE_RESET = 0x0041
#: MAC codes a FlashStream may send (by Write Word or block): DeviceReset, and codes whose
#: answer it then reads back (identity, status, signatures).
READ_MACS = frozenset(
    {
        0x0001,
        0x0002,
        0x0003,
        0x0004,
        0x0005,
        0x0006,
        0x0008,
        0x0009,
        *range(0x0050, 0x0059),
        *range(0x0060, 0x0065),
        *range(0x0070, 0x0079),
    }
)
#: MAC codes that change the pack (reference §5); a FlashStream must not send them.
_CHANGING_MACS = frozenset(
    {
        0x0010,
        0x0011,
        0x0012,
        0x0013,
        *range(0x001D, 0x0031),
        SECURITY_KEYS,
        AUTHENTICATION_KEY,
        0x0F00,
        0xF080,
        0xF081,
        0xF082,
    }
)


@dataclass(frozen=True)
class FlashStreamPlan:
    """The data-flash writes of a FlashStream, in order, and what follows from them."""

    stream: FlashStream
    #: every data-flash write line, in order: (line number, write)
    writes: tuple[tuple[int, DFWrite], ...]
    #: the byte each written address holds once the stream has run (later lines win)
    written: dict[int, int] = field(hash=False)
    parameters_written: tuple[Parameter, ...]
    #: bytes the gauge keeps for itself (the profile's runtime classes): written as the stream
    #: says, not compared after a reset
    no_verify: frozenset[int]
    #: line numbers after which the security mode must be read again (DeviceReset)
    mode_changing: frozenset[int]

    @property
    def blocks(self) -> tuple[int, ...]:
        return tuple(sorted({block_of(a) for a in self.written}))

    @property
    def df_writes(self) -> tuple[DFWrite, ...]:
        return tuple(w for _, w in self.writes)

    def image(self) -> DataFlashImage:
        """The bytes the stream leaves, over nothing: a sparse image to decode values from."""
        image = DataFlashImage()
        for block in self.blocks:
            image.set_block(block, bytes(BLOCK_SIZE))
        for address, byte in self.written.items():
            image.apply(address, bytes([byte]))
        return image

    def values(self, profile: Profile) -> dict[str, RawValue]:
        """{parameter key: value} of every parameter the stream writes whole."""
        whole = [p for p in self.parameters_written if all(a in self.written for a in p.addresses)]
        return profile.decode(self.image(), whole)


def plan_flashstream(stream: FlashStream, profile: Profile) -> FlashStreamPlan:
    """Classify every line against ``profile``; :class:`FileFormatError` lists every line the
    station refuses to run (and why)."""
    problems: list[Problem] = []
    writes: list[tuple[int, DFWrite]] = []
    written: dict[int, int] = {}
    mode_changing: set[int] = set()
    for line in stream.lines:
        effect = _effect(line, profile)
        if effect.refused is not None:
            problems.append(
                Problem(
                    stream.name,
                    line.number,
                    effect.refused,
                    value=shown(line),
                    code="FLASHSTREAM_REFUSED",
                )
            )
        elif effect.resets:
            mode_changing.add(line.number)
        elif effect.write is not None:
            writes.append((line.number, effect.write))
            for i, b in enumerate(effect.write.data):
                written[effect.write.address + i] = b
    if problems:
        raise FileFormatError(problems)
    params = profile.parameters_at(sorted(written))
    runtime = frozenset(
        a for p in params if profile.is_runtime(p) for a in p.addresses if a in written
    )
    return FlashStreamPlan(
        stream=stream,
        writes=tuple(writes),
        written=written,
        parameters_written=params,
        no_verify=runtime,
        mode_changing=frozenset(mode_changing),
    )


@dataclass(frozen=True)
class _Effect:
    """What one line does to a pack; a line with none of these is sent as written."""

    refused: str | None = None
    write: DFWrite | None = None
    #: a DeviceReset: the security mode must be read again after it
    resets: bool = False


def _effect(line: FSLine, profile: Profile) -> _Effect:
    if line.op == "SWW" and line.command == MANUFACTURER_ACCESS:
        code = line.word
        if code == DEVICE_RESET:
            return _Effect(resets=True)
        if code in _CHANGING_MACS:
            return _Effect(refused=_changing_why(code))
        return _Effect()  # a key word or a read request: sent as written, never shown
    if line.op != "SWB" or line.command != MBA:
        return _Effect()
    if len(line.data) < 2:
        return _Effect(refused="a block to 0x44 starts with a 2-byte MAC code or address")
    code = line.data[0] | line.data[1] << 8
    body = line.data[2:]
    if DF_START <= code < DF_END:
        if not body:
            return _Effect()  # sets the read address for the compare that follows
        problem = _df_write_problem(profile, code, body)
        if problem:
            return _Effect(refused=problem)
        names = parameter_names(profile, range(code, code + len(body)))
        return _Effect(write=DFWrite(code, body, names))
    if code in _CHANGING_MACS:
        return _Effect(refused=_changing_why(code))
    if code == DEVICE_RESET and not body:
        return _Effect(resets=True)
    if code in READ_MACS and not body:
        return _Effect()
    return _Effect(
        refused=f"MAC 0x{code:04X} through 0x44 is not one a FlashStream may send here (data-"
        "flash writes, DeviceReset and read requests are)"
    )


def _changing_why(code: int) -> str:
    if code == SECURITY_KEYS:
        return (
            "it writes SecurityKeys (MAC 0x0035): keys a pack gets must be the station's own, "
            "installed and proven through the recipe's [security] production_key_set"
        )
    if code == AUTHENTICATION_KEY:
        return "it writes the authentication key (MAC 0x0037), which the station does not manage"
    if code == 0x0030:
        return "it seals the pack (MAC 0x0030): the station seals only after verify has passed"
    if code == 0x0F00:
        return (
            "it enters ROM mode (MAC 0x0F00) to program firmware: the station programs data "
            "flash only"
        )
    return (
        f"MAC 0x{code:04X} changes the pack outside data-flash writes the station can back up "
        "and verify"
    )


def _df_write_problem(profile: Profile, address: int, data: bytes) -> str | None:
    end = address + len(data)
    if len(data) > BLOCK_SIZE or block_of(address) != block_of(end - 1):
        return (
            f"a data-flash write of {len(data)} bytes at 0x{address:04X} crosses a 32-byte row: "
            "the gauge takes at most one row per write"
        )
    if end > WRITABLE_END:
        return f"0x{max(address, WRITABLE_END):04X} is in 0x5F80-0x5FFF, which does not take writes"
    unknown = [a for a in range(address, end) if profile.parameter_at(a) is None]
    if unknown:
        return (
            f"it writes {len(unknown)} byte(s) profile {profile.id} does not describe (first "
            f"0x{unknown[0]:04X}); the station writes only bytes the profile knows"
        )
    return None
