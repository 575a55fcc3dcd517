"""The pack's memory on disk: saved after every transaction that changes it, atomically.

The file is the emulated pack's own memory (data flash, security mode, keys, pack model,
counters), so a process killed mid-run leaves the pack exactly as far as it got. It holds the
pack's keys, as a real pack's flash does; nothing here logs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from station.emulator.analog import FrontEnd
from station.emulator.chip import Chip, LiveConfig
from station.emulator.firmware import KeyWords
from station.emulator.pack import PackModel
from station.emulator.security import as_mode

FORMAT = "packline-emulator-state"
VERSION = 1


class EmulatorStateError(ValueError):
    """An emulator state file cannot be used."""

    failure_code: ClassVar[str] = "EMULATOR_STATE"


@dataclass
class PackCounters:
    """Counters over the emulated pack's life (kept in its state file)."""

    transactions: int = 0
    df_writes: int = 0


def snapshot(chip: Chip, counters: PackCounters) -> dict[str, Any]:
    keys = chip.security.keys
    return {
        "format": FORMAT,
        "version": VERSION,
        "firmware": chip.fw.name,
        "security": chip.security.mode,
        "keys": {"unseal": list(keys.unseal), "full_access": list(keys.full_access)},
        "chip": {
            "manufacturing_status": chip.manufacturing_status,
            "battery_mode": chip.battery_mode,
            "remaining_capacity_alarm": chip.remaining_capacity_alarm,
            "remaining_time_alarm": chip.remaining_time_alarm,
            "at_rate": chip.at_rate,
            "safety_alert": chip.safety_alert,
            "safety_status": chip.safety_status,
            "pf_alert": chip.pf_alert,
            "pf_status": chip.pf_status,
            "shut_down": chip.shutdown_at is not None,
        },
        "config": asdict(chip.config),
        "pack": chip.pack.to_json(),
        "front_end": chip.front_end.to_json(),
        "counters": asdict(counters),
        "dataflash": chip.df.image().hex(),
    }


def restore(chip: Chip, data: dict[str, Any], counters: PackCounters) -> bool:
    """Load ``data`` into ``chip``; returns whether the pack was shut down when saved."""
    try:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise EmulatorStateError("not a version-1 packline emulator state file")
        if data["firmware"] != chip.fw.name:
            raise EmulatorStateError(
                f"the state is of firmware {data['firmware']!r}, not {chip.fw.name!r}"
            )
        image = bytes.fromhex(data["dataflash"])
        if len(image) != chip.df.end - chip.df.start:
            raise EmulatorStateError("the data-flash image has the wrong size")
        chip.df.write(chip.df.start, image[: chip.df.read_only_from - chip.df.start])
        chip.security.mode = as_mode(data["security"])
        keys = data["keys"]
        chip.security.keys = KeyWords(tuple(keys["unseal"]), tuple(keys["full_access"]))
        saved = data["chip"]
        for name in (
            "manufacturing_status",
            "battery_mode",
            "remaining_capacity_alarm",
            "remaining_time_alarm",
            "at_rate",
            "safety_alert",
            "safety_status",
            "pf_alert",
            "pf_status",
        ):
            setattr(chip, name, int(saved[name]))
        chip.config = LiveConfig(**data["config"])
        chip.pack = PackModel.from_json(data["pack"])
        if "front_end" in data:  # files written before the front end was kept have none
            chip.front_end = FrontEnd.from_json(data["front_end"])
        counters.transactions = int(data["counters"]["transactions"])
        counters.df_writes = int(data["counters"]["df_writes"])
        return bool(saved["shut_down"])
    except EmulatorStateError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise EmulatorStateError(
            f"the emulator state file is damaged ({type(exc).__name__}); delete it to start "
            "from the scenario again"
        ) from None


def load(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise EmulatorStateError(
            f"emulator state {path} is not JSON; delete it to start from the scenario again"
        ) from None
    if not isinstance(data, dict):
        raise EmulatorStateError(f"emulator state {path} is not a state object")
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
