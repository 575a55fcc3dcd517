"""The line's reference pack: registered once by an engineer, read again at the start of every
shift (``reference_check = true``). A faulty fixture, adapter or instrument then shows before the
first production pack: the pack's identity, its data flash and its readings must be what they
were when it was registered.

What may differ: bytes the gauge keeps for itself (the profile's runtime classes: lifetimes,
learned state, signatures) and small drifts of the readings, up to :data:`CELL_TOLERANCE_MV`,
:data:`PACK_TOLERANCE_MV` and :data:`TEMPERATURE_TOLERANCE_C`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from station.bus.errors import BusError
from station.config import parse_shift_starts
from station.gauge import Gauge, GaugeError
from station.keys import KeySet, KeyStoreError
from station.recipe.profile.library import ProfileLibrary
from station.recipe.profile.profile_model import Profile
from station.refusal import Refused
from station.sequence.authority import Authority, Privilege
from station.sequence.bringup import BringUpRefused, read_reference
from station.sequence.service import Credentials
from station.sequence.socket_context import SocketContext
from station.store import Store
from station.store.bringup import PackRead, ReferenceCheckRecord, ReferencePackRecord
from station.store.shifts import ShiftPlan

#: how far each cell voltage may drift from the registered reading
CELL_TOLERANCE_MV = 25
#: ... the pack voltage
PACK_TOLERANCE_MV = 80
#: ... the temperature (°C)
TEMPERATURE_TOLERANCE_C = 3.0
#: differing data-flash bytes named in a message at most
SHOWN_DIFFERENCES = 4


@dataclass(frozen=True)
class ReferenceReading:
    pack: PackRead
    readings: Mapping[str, Any]


def take_readings(gauge: Gauge) -> dict[str, Any]:
    """Voltages (mV) and temperature (°C) as the station's instruments see them now."""
    cells = [int(v.value) for v in gauge.cell_voltages(4) if isinstance(v.value, int | float)]
    voltage = gauge.voltage().value
    temperature = gauge.temperature().value
    return {
        "voltage_mv": int(voltage) if isinstance(voltage, int | float) else None,
        "cells_mv": cells,
        "temperature_c": round(float(temperature), 1)
        if isinstance(temperature, int | float)
        else None,
    }


def read(gauge: Gauge, keys: KeySet | None) -> ReferenceReading:
    pack = read_reference(gauge, keys)
    return ReferenceReading(pack, take_readings(gauge))


def register(
    gauge: Gauge,
    keys: KeySet,
    *,
    store: Store,
    authority: Authority,
    credentials: Credentials,
    station: str,
) -> ReferencePackRecord:
    """Keep the pack on ``gauge`` as the station's reference (engineer badge and PIN)."""
    badge = authority.authorise(Privilege.REGISTER_REFERENCE, credentials)
    reading = read(gauge, keys)
    return store.register_reference(
        reading.pack,
        by=badge.code,
        station=station,
        readings={**reading.readings, "key_set": keys.id},
    )


def profile_for(profiles: ProfileLibrary, pack: PackRead) -> Profile | None:
    """A profile of the pack's device and firmware (to know its runtime bytes), if any."""
    for pid in profiles.ids():
        try:
            p = profiles.get(pid)
        except Exception:  # a broken profile elsewhere must not stop the self-test
            continue
        if p.device_type == pack.device_type and pack.firmware in p.firmware:
            return p
    return None


def compare(
    registered: ReferencePackRecord,
    registered_image: bytes,
    now: ReferenceReading,
    profile: Profile | None,
) -> list[str]:
    """Why the pack read now is not the registered reference pack as it was (empty: it is)."""
    pack = now.pack
    problems: list[str] = []
    if pack.serial != registered.serial:
        problems.append(
            f"the pack in the fixture is serial {pack.serial}, not the reference pack "
            f"{registered.serial}: put the line's reference pack in the fixture"
        )
        return problems
    if (pack.device_type, pack.firmware, pack.chem_id) != (
        registered.device_type,
        registered.firmware,
        registered.chem_id,
    ):
        problems.append(
            f"the reference pack now reports device 0x{pack.device_type:04X}, firmware "
            f"{pack.firmware}, ChemID 0x{pack.chem_id:04X}; registered: "
            f"0x{registered.device_type:04X}, {registered.firmware}, 0x{registered.chem_id:04X}"
        )
    differing = _image_differences(registered_image, pack, profile)
    if differing:
        shown = ", ".join(differing[:SHOWN_DIFFERENCES])
        more = (
            f" and {len(differing) - SHOWN_DIFFERENCES} more"
            if len(differing) > SHOWN_DIFFERENCES
            else ""
        )
        problems.append(
            f"its data flash reads differently from when it was registered ({shown}{more}): "
            "the bus or adapter corrupts reads, or the pack was changed"
        )
    problems += _reading_problems(registered.readings, now.readings)
    return problems


def _image_differences(before: bytes, pack: PackRead, profile: Profile | None) -> list[str]:
    """Where the image differs, a parameter (or address) each, runtime bytes left out."""
    runtime: set[int] = set()
    names: dict[int, str] = {}
    if profile is not None:
        for p in profile.parameters:
            for a in p.addresses:
                names[a] = f"{profile.short_name(p)} (0x{p.address:04X})"
                if profile.is_runtime(p):
                    runtime.add(a)
    out: dict[str, None] = {}
    for offset, (a, b) in enumerate(zip(before, pack.image, strict=False)):
        address = pack.image_start + offset
        if a != b and address not in runtime:
            out.setdefault(names.get(address, f"0x{address:04X}"))
    if len(before) != len(pack.image):
        out.setdefault(f"{len(pack.image)} bytes read, {len(before)} registered")
    return list(out)


def _reading_problems(was: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    problems = []
    cells_was = list(was.get("cells_mv") or [])
    cells_now = list(now.get("cells_mv") or [])
    for i, (a, b) in enumerate(zip(cells_was, cells_now, strict=False), start=1):
        if abs(int(a) - int(b)) > CELL_TOLERANCE_MV:
            problems.append(
                f"cell {i} reads {b} mV, registered {a} mV (more than ±{CELL_TOLERANCE_MV} mV): "
                "check the fixture's contacts and the cell-voltage measurement"
            )
    a, b = was.get("voltage_mv"), now.get("voltage_mv")
    if a is not None and b is not None and abs(int(a) - int(b)) > PACK_TOLERANCE_MV:
        problems.append(
            f"the pack voltage reads {b} mV, registered {a} mV (more than ±{PACK_TOLERANCE_MV} "
            "mV): check the fixture and the pack-voltage measurement"
        )
    a, b = was.get("temperature_c"), now.get("temperature_c")
    if a is not None and b is not None and abs(float(a) - float(b)) > TEMPERATURE_TOLERANCE_C:
        problems.append(
            f"the temperature reads {b} °C, registered {a} °C (more than "
            f"±{TEMPERATURE_TOLERANCE_C:g} °C): check the thermistor wiring of the fixture"
        )
    return problems


class ReferenceCheckFailed(Refused):
    """The shift-start self-test found the fixture, adapter or pack not as registered."""

    failure_code = "REFERENCE_CHECK_FAILED"


def checked_this_shift(socket: SocketContext, now: datetime) -> bool:
    """Whether this station's socket passed the self-test since the current shift started."""
    plan = ShiftPlan(parse_shift_starts(socket.config.shift_starts))
    start = plan.shift_at(now).start
    for check in socket.store.reference_checks(socket.station_id, limit=20):
        if check.at < start:
            break
        if check.passed and check.socket == socket.socket:
            return True
    return False


def unreachable(socket: SocketContext, operator: str, why: str) -> ReferenceCheckFailed:
    """Record a self-test whose pack could not even be reached; the refusal to raise."""
    registered = socket.store.current_reference(socket.station_id)
    problem = (
        f"the pack in the fixture does not answer ({why}): put the line's reference pack in "
        "the fixture and check the adapter"
    )
    socket.store.record_reference_check(
        station=socket.station_id,
        socket=socket.socket,
        operator=operator,
        reference_id=registered.id if registered is not None else None,
        problems=[problem],
        detail={},
    )
    return ReferenceCheckFailed(f"reference-pack self-test failed: {problem}")


def self_test(
    socket: SocketContext, profiles: ProfileLibrary, operator: str, gauge: Gauge
) -> ReferenceCheckRecord:
    """Read the reference pack on ``gauge`` and compare; every check is recorded. Raises
    :class:`ReferenceCheckFailed` with the reasons when it does not pass."""
    store = socket.store
    registered = store.current_reference(socket.station_id)
    if registered is None:
        raise ReferenceCheckFailed(
            f"the reference-pack self-test is on, but station {socket.station_id} has no "
            "reference pack registered: an engineer registers one with `station gauge "
            "register-reference --by BADGE`"
        )
    problems: list[str]
    detail: dict[str, Any] = {"reference_serial": registered.serial}
    try:
        key_set = str(registered.readings.get("key_set", ""))
        keys = socket.keys.get(key_set) if key_set else None
        now = read(gauge, keys)
    except (GaugeError, BusError, BringUpRefused, KeyStoreError) as exc:
        problems = [f"the reference pack could not be read ({exc}): check the fixture and the bus"]
    else:
        _, before = store.load_image(registered.image_id)
        profile = profile_for(profiles, now.pack)
        problems = compare(registered, before, now, profile)
        detail.update(
            serial=now.pack.serial,
            image_sha256=now.pack.image_sha256,
            readings=dict(now.readings),
        )
    record = store.record_reference_check(
        station=socket.station_id,
        socket=socket.socket,
        operator=operator,
        reference_id=registered.id,
        problems=problems,
        detail=detail,
    )
    if problems:
        raise ReferenceCheckFailed(
            "reference-pack self-test failed, the shift cannot start: " + "; ".join(problems)
        )
    return record
