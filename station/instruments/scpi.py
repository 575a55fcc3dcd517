"""SCPI instruments through PyVISA (the pure-Python ``pyvisa-py`` backend by default: TCP,
USBTMC, serial). The commands are data: the defaults below are plain SCPI-1999; an instrument
that words them differently overrides them in the instrument file (``commands``)."""

from __future__ import annotations

from typing import Any

import pyvisa

from station.instruments.model import (
    InstrumentError,
    InstrumentIdentity,
    InstrumentSettings,
    Measurand,
)

#: Default SCPI commands. Values are SI (V, A, °C); ``sign`` turns the instrument's current
#: into the SBS sign (an electronic load reports the current it draws: a discharge, "-1").
DEFAULT_COMMANDS: dict[str, str] = {
    "identify": "*IDN?",
    "voltage": "MEAS:VOLT:DC?",
    "current": "MEAS:CURR:DC?",
    "temperature": "MEAS:TEMP?",
    "set_current": "CURR {amps:.4f}",
    "output_on": "INP ON",
    "output_off": "INP OFF",
    "sign": "+1",
    "write_termination": "\n",
    "read_termination": "\n",
}
_SCALE = {"voltage": 1000.0, "current": 1000.0, "temperature": 1.0}


class ScpiInstrument:
    """One SCPI instrument on a VISA resource."""

    def __init__(
        self, settings: InstrumentSettings, *, visa_library: str = "@py", timeout_ms: int = 5000
    ) -> None:
        self.settings = settings
        self.commands = {**DEFAULT_COMMANDS, **settings.commands}
        try:
            self._rm = pyvisa.ResourceManager(visa_library)
            resource: Any = self._rm.open_resource(settings.resource)
        except (pyvisa.Error, OSError, ValueError) as exc:
            raise InstrumentError(
                f"instrument {settings.name!r} at {settings.resource!r} cannot be opened ({exc})",
                next_step="check its cable, address and power, and the resource in the "
                "instrument file",
            ) from None
        resource.timeout = timeout_ms
        resource.write_termination = self.commands["write_termination"]
        resource.read_termination = self.commands["read_termination"]
        self._res = resource
        self._identity: InstrumentIdentity | None = None
        self.identity()  # an instrument that does not say who it is is not used

    def _query(self, command: str) -> str:
        try:
            return str(self._res.query(command)).strip()
        except (pyvisa.Error, OSError) as exc:
            raise InstrumentError(
                f"instrument {self.settings.name!r} did not answer {command!r} ({exc})",
                next_step="check the instrument and its connection, then run the pack again",
            ) from None

    def _write(self, command: str) -> None:
        try:
            self._res.write(command)
        except (pyvisa.Error, OSError) as exc:
            raise InstrumentError(
                f"instrument {self.settings.name!r} refused {command!r} ({exc})",
                next_step="check the instrument and its connection, then run the pack again",
            ) from None

    def identity(self) -> InstrumentIdentity:
        """``*IDN?``; the model and serial must match the instrument file when it names them."""
        if self._identity is None:
            answer = self._query(self.commands["identify"])
            s = self.settings
            if not answer:
                raise InstrumentError(
                    f"instrument {s.name!r} at {s.resource!r} did not identify itself (*IDN?)",
                    next_step="check its cable, address and power, and the resource in the "
                    "instrument file",
                )
            ident = InstrumentIdentity.from_idn(answer)
            for what, want, got in (
                ("model", s.model, ident.model),
                ("serial", s.serial, ident.serial),
            ):
                if want and want != got:
                    raise InstrumentError(
                        f"instrument {s.name!r} reports {what} {got!r}, the instrument file "
                        f"says {want!r}",
                        next_step="connect the instrument the file names (its due date is "
                        "that instrument's), or correct the file",
                    )
            self._identity = ident
        return self._identity

    def measure(self, quantity: Measurand) -> float:
        answer = self._query(self.commands[quantity])
        try:
            value = float(answer.split(",")[0])
        except ValueError:
            raise InstrumentError(
                f"instrument {self.settings.name!r} answered {answer!r} to a {quantity} query",
                next_step="check the instrument's function and range settings",
            ) from None
        value *= _SCALE[quantity]
        if quantity == "current":
            value *= float(self.commands["sign"])
        return value

    def set_current(self, ma: float) -> None:
        if ma == 0:
            self._write(self.commands["output_off"])
            return
        amps = ma / 1000.0 * float(self.commands["sign"])
        if amps < 0:
            raise InstrumentError(
                f"instrument {self.settings.name!r} cannot make {ma:g} mA flow "
                "(a load only draws current: a discharge is negative)",
                next_step="give the recipe's calibration current the sign the instrument can make",
            )
        self._write(self.commands["set_current"].format(amps=amps))
        self._write(self.commands["output_on"])

    def close(self) -> None:
        try:
            self._res.close()
        finally:
            self._rm.close()
