"""Write planning: from target bytes and the pack's current blocks to the fewest safe writes.

Rules:

* Targets are grouped into aligned 32-byte blocks; the caller reads those blocks first.
* A write is a contiguous run of bytes the profile KNOWS, inside one aligned block, spanning the
  parameters whose bytes changed in that run (whole parameters, clipped to the block). A byte
  no parameter describes is never written, not even with its current value: nobody knows what
  the firmware keeps there.
* Blocks without a changed byte are not written.
* The plan gives what to read back (expected bytes + compare mask per written block), what to
  back up, the parameter-level changes (before → after) and an estimate of its bus time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from station.recipe.errors import CodecError, PlanError
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
from station.recipe.profile.profile_model import Profile, Timing

#: SMBus bit times: START + STOP per transaction, one more for a repeated START.
_BITS_PER_BYTE = 9
_START_STOP_BITS = 2
_REPEATED_START_BITS = 1


@dataclass(frozen=True)
class Target:
    """The bytes a recipe wants in one pack (parameters and per-unit fields), by address."""

    profile: Profile
    data: Mapping[int, int]
    parameters: tuple[tuple[Parameter, RawValue], ...]
    no_verify: frozenset[int] = frozenset()
    serial: str = ""
    sbs_serial: int | None = None
    manufacture_date: int | None = None
    manufacturer_info_a: str | None = None

    def blocks(self) -> tuple[int, ...]:
        """The aligned blocks to read before planning."""
        return tuple(sorted({block_of(a) for a in self.data}))

    def values(self) -> dict[str, RawValue]:
        return {p.key: raw for p, raw in self.parameters}


def build_target(
    profile: Profile,
    settings: Iterable[tuple[Parameter, RawValue]],
    *,
    raw_bytes: Mapping[int, int] | None = None,
    no_verify: Iterable[int] = (),
    serial: str = "",
    sbs_serial: int | None = None,
    manufacture_date: int | None = None,
    manufacturer_info_a: str | None = None,
) -> Target:
    """Encode ``settings`` (later ones win) over optional ``raw_bytes`` (a golden image)."""
    data: dict[int, int] = dict(raw_bytes or {})
    chosen: dict[str, tuple[Parameter, RawValue]] = {}
    for p, raw in settings:
        for i, b in enumerate(p.encode(raw)):
            data[p.address + i] = b
        chosen[p.key] = (p, raw)
    unknown = sorted(a for a in data if profile.parameter_at(a) is None)
    if unknown:
        raise PlanError(
            f"target bytes at {', '.join(f'0x{a:04X}' for a in unknown[:5])} are not described by "
            f"profile {profile.id}; the station writes only bytes the profile knows"
        )
    outside = [a for a in data if not DF_START <= a < WRITABLE_END]
    if outside:
        raise PlanError(f"0x{outside[0]:04X} is outside the writable data flash 0x4000-0x5F7F")
    return Target(
        profile=profile,
        data=data,
        parameters=tuple(chosen.values()),
        no_verify=frozenset(no_verify),
        serial=serial,
        sbs_serial=sbs_serial,
        manufacture_date=manufacture_date,
        manufacturer_info_a=manufacturer_info_a,
    )


@dataclass(frozen=True)
class DFWrite:
    """One data-flash write: ``data`` at ``address`` (1-32 bytes, inside one aligned block)."""

    address: int
    data: bytes
    parameters: tuple[str, ...]  # short names of the parameters it touches


@dataclass(frozen=True)
class BlockCheck:
    """A block to read back: bytes where ``mask`` is 0xFF must equal ``expected``."""

    address: int
    expected: bytes
    mask: bytes

    def mismatches(self, actual: bytes) -> list[int]:
        """Addresses whose byte differs where it is compared."""
        return [
            self.address + i
            for i in range(BLOCK_SIZE)
            if self.mask[i] and (i >= len(actual) or actual[i] != self.expected[i])
        ]


@dataclass(frozen=True)
class PlannedChange:
    """One parameter value the plan changes on the pack: before and after, raw and as shown."""

    key: str
    name: str
    before: RawValue | None
    after: RawValue
    before_text: str
    after_text: str


@dataclass(frozen=True)
class BusEstimate:
    """Planning figure for what a plan costs on the bus (the emulator gives the exact one)."""

    read_s: float
    write_s: float
    flash_s: float
    verify_s: float
    speed_hz: int

    @property
    def total_s(self) -> float:
        return self.read_s + self.write_s + self.flash_s + self.verify_s


def block_read_s(speed_hz: int) -> float:
    """One 34-byte data-flash block read: address write (addr, 0x44, count, 2 bytes), then the
    block read (addr, 0x44, repeated start, addr, count, 34 bytes)."""
    write = 5 * _BITS_PER_BYTE + _START_STOP_BITS
    read = (4 + 34) * _BITS_PER_BYTE + _START_STOP_BITS + _REPEATED_START_BITS
    return (write + read) / speed_hz


def block_write_s(n_data: int, speed_hz: int) -> float:
    """One data-flash write of ``n_data`` bytes: addr, 0x44, count, 2 address bytes, data."""
    return ((5 + n_data) * _BITS_PER_BYTE + _START_STOP_BITS) / speed_hz


def estimate(
    writes: Iterable[DFWrite],
    *,
    blocks_read: int,
    blocks_verified: int,
    timing: Timing,
    speed_hz: int = 100_000,
) -> BusEstimate:
    ws = list(writes)
    return BusEstimate(
        read_s=blocks_read * block_read_s(speed_hz),
        write_s=sum(block_write_s(len(w.data), speed_hz) for w in ws),
        flash_s=sum(timing.df_write_ms(len(w.data)) for w in ws) / 1000,
        verify_s=blocks_verified * block_read_s(speed_hz),
        speed_hz=speed_hz,
    )


@dataclass(frozen=True)
class WritePlan:
    """What to write to one pack, and how to check it."""

    profile: Profile
    target: Target
    writes: tuple[DFWrite, ...]
    read_blocks: tuple[int, ...]
    written_blocks: tuple[int, ...]
    backup_blocks: tuple[int, ...]
    verify: tuple[BlockCheck, ...]
    final_check: tuple[BlockCheck, ...]
    changes: tuple[PlannedChange, ...]
    parameters_written: tuple[Parameter, ...]
    before: DataFlashImage
    after: DataFlashImage
    estimate: BusEstimate = field(compare=False)

    @property
    def empty(self) -> bool:
        return not self.writes

    @property
    def bytes_written(self) -> int:
        return sum(len(w.data) for w in self.writes)


def plan_writes(
    target: Target,
    current: DataFlashImage,
    *,
    backup: str = "touched",
    speed_hz: int = 100_000,
) -> WritePlan:
    """The writes that turn ``current`` into ``target``; ``current`` must hold every block of
    ``target.blocks()`` (read them with :meth:`DataFlashImage.read_from`)."""
    profile = target.profile
    missing = [b for b in target.blocks() if b not in current.blocks]
    if missing:
        raise PlanError(
            f"block 0x{missing[0]:04X} was not read from the pack; read every block of "
            "target.blocks() before planning"
        )
    writes: list[DFWrite] = []
    after = current.copy()
    for block in target.blocks():
        for w in _block_writes(target, block, current.blocks[block]):
            writes.append(w)
            after.apply(w.address, w.data)
    written = tuple(sorted({block_of(w.address) for w in writes}))
    verify = tuple(_check(profile, target, after, b, writes) for b in written)
    final = tuple(_check(profile, target, after, b, writes) for b in target.blocks())
    params_written = profile.parameters_at(
        a for w in writes for a in range(w.address, w.address + len(w.data))
    )
    changes = _changes(profile, target, current, after)
    whole = tuple(range(DF_START, DF_END, BLOCK_SIZE))
    backup_blocks = whole if backup == "full" else written
    return WritePlan(
        profile=profile,
        target=target,
        writes=tuple(writes),
        read_blocks=target.blocks(),
        written_blocks=written,
        backup_blocks=backup_blocks,
        verify=verify,
        final_check=final,
        changes=changes,
        parameters_written=params_written,
        before=current,
        after=after,
        estimate=estimate(
            writes,
            blocks_read=len(target.blocks()),
            blocks_verified=len(written),
            timing=profile.timing,
            speed_hz=speed_hz,
        ),
    )


def _block_writes(target: Target, block: int, cur: bytes) -> list[DFWrite]:
    """The writes inside one aligned block: each a run of bytes the profile knows, spanning the
    parameters whose bytes changed in it."""
    profile = target.profile
    addresses = range(block, block + BLOCK_SIZE)
    changed = {a for a in addresses if a in target.data and target.data[a] != cur[a - block]}
    if not changed:
        return []
    known = profile.known_addresses
    writes: list[DFWrite] = []
    run: list[int] = []
    for a in [*addresses, None]:
        if a is not None and a in known and a < WRITABLE_END:
            run.append(a)
            continue
        hits = [x for x in run if x in changed]
        if hits:
            # Whole parameters: a half-written value is never left behind by a write.
            lo, hi = min(hits), max(hits)
            first, last = profile.parameter_at(lo), profile.parameter_at(hi)
            if first is not None:
                lo = max(first.address, block)
            if last is not None:
                hi = min(last.end - 1, block + BLOCK_SIZE - 1)
            data = bytes(target.data.get(x, cur[x - block]) for x in range(lo, hi + 1))
            writes.append(DFWrite(lo, data, parameter_names(profile, range(lo, hi + 1))))
        run = []
    return writes


def parameter_names(profile: Profile, addresses: Iterable[int]) -> tuple[str, ...]:
    """Short names of the parameters ``addresses`` touch, in address order."""
    return tuple(profile.short_name(p) for p in profile.parameters_at(addresses))


def _check(
    profile: Profile, target: Target, after: DataFlashImage, block: int, writes: list[DFWrite]
) -> BlockCheck:
    expected = after.blocks[block]
    written = {a for w in writes for a in range(w.address, w.address + len(w.data))}
    mask = bytes(
        0xFF
        if (a in target.data or a in written) and a not in target.no_verify and a < WRITABLE_END
        else 0x00
        for a in range(block, block + BLOCK_SIZE)
    )
    return BlockCheck(block, expected, mask)


def _changes(
    profile: Profile, target: Target, before: DataFlashImage, after: DataFlashImage
) -> tuple[PlannedChange, ...]:
    out = []
    for p, raw in target.parameters:
        old_bytes = before.read(p.address, p.size)
        new_bytes = after.read(p.address, p.size)
        if old_bytes == new_bytes:
            continue
        old: RawValue | None
        try:
            old = p.decode(old_bytes) if old_bytes is not None else None
            old_text = p.format(old) if old is not None else "?"
        except CodecError:  # bytes read from the pack that are not a value of this type
            old, old_text = None, f"(bytes {old_bytes.hex(' ') if old_bytes else '?'})"
        out.append(PlannedChange(p.key, profile.short_name(p), old, raw, old_text, p.format(raw)))
    return tuple(_fold_byte_strings(profile, out, before, after))


def _fold_byte_strings(
    profile: Profile,
    changes: list[PlannedChange],
    before: DataFlashImage,
    after: DataFlashImage,
) -> list[PlannedChange]:
    """A length-prefixed text described byte by byte (Manufacturer Info A: a length and 32
    one-byte parameters) reads as one change of its text, not 33 changes of bytes."""
    role = profile.roles.manufacturer_info_a
    if role is None:
        return changes
    length_p = profile.get(role.length)
    first = profile.get(role.first)
    members = profile.manufacturer_info_a_keys()
    if not any(c.key in members for c in changes):
        return changes

    def text(image: DataFlashImage) -> str | None:
        n = image.read(length_p.address, 1)
        data = image.read(first.address, role.size)
        if n is None or data is None:
            return None
        raw = data[: min(n[0], role.size)]
        return raw.decode("ascii", errors="replace")

    old, new = text(before), text(after)
    folded = [c for c in changes if c.key not in members]
    folded.append(
        PlannedChange(
            role.first,
            "Manufacturer Info A",
            old,
            new or "",
            f'"{old}"' if old is not None else "?",
            f'"{new}"' if new is not None else "?",
        )
    )
    return folded
