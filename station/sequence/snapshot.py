"""Engineer mode: the connected pack's identity and live SBS values, as display sections."""

from __future__ import annotations

from collections.abc import Callable

from station.bus.errors import BusError
from station.gauge import Gauge, GaugeError
from station.sequence.service import Section


def gauge_sections(gauge: Gauge) -> list[Section]:
    """Identity, security mode, live values and status words; a read that fails says so in its
    row instead of hiding the rest."""
    identity_rows: list[tuple[str, str]] = []
    try:
        ident = gauge.identify()
        identity_rows += [
            ("device type", f"{ident.device_type_hex} ({ident.part})"),
            ("firmware", f"{ident.firmware_version} build {ident.firmware_build}"),
            ("hardware version", f"0x{ident.hardware_version:04X}"),
            ("ChemID", f"0x{ident.chem_id:04X}"),
            ("security mode", gauge.security_mode().name),
        ]
    except (BusError, GaugeError) as exc:
        identity_rows.append(("error", str(exc)))
    live: list[tuple[str, str]] = []
    readers: list[tuple[str, Callable[[], str]]] = [
        ("pack voltage", lambda: str(gauge.voltage())),
        ("current", lambda: str(gauge.current())),
        ("temperature", lambda: str(gauge.temperature())),
        ("cells", lambda: ", ".join(str(v) for v in gauge.cell_voltages(4))),
        ("relative state of charge", lambda: str(gauge.read_sbs("RelativeStateOfCharge"))),
    ]
    for label, read in readers:
        try:
            live.append((label, read()))
        except (BusError, GaugeError) as exc:
            live.append((label, f"unreadable: {exc.failure_code}"))
    status: list[tuple[str, str]] = []
    for name in ("OperationStatus", "SafetyStatus", "PFStatus", "ManufacturingStatus"):
        try:
            word = gauge.status(name)
            flags = ", ".join(word.flags) or "none"
            status.append((name, f"0x{word.raw:0{word.width // 4}X}  {flags}"))
        except (BusError, GaugeError) as exc:
            status.append((name, f"unreadable: {exc.failure_code}"))
    return [
        Section("Gauge", tuple(identity_rows)),
        Section("Live values", tuple(live)),
        Section("Status", tuple(status)),
    ]
