"""The operator as the instrument: they read the reference meter and type what it shows.

Each value is checked against a plausibility window before it is accepted (a typo of a decimal
point would calibrate the pack 10x wrong). The identity and the due date are the meter's, from
the instrument file.
"""

from __future__ import annotations

from collections.abc import Callable

from station.instruments.model import (
    UNITS,
    InstrumentError,
    InstrumentIdentity,
    InstrumentSettings,
    ManualValueRejected,
    Measurand,
)

#: Asks the operator: the prompt, returns what they typed.
Ask = Callable[[str], str]


class ManualInstrument:
    def __init__(self, settings: InstrumentSettings, ask: Ask) -> None:
        self.settings = settings
        self.ask = ask

    def identity(self) -> InstrumentIdentity:
        s = self.settings
        return InstrumentIdentity(s.maker, s.model or "manual meter", s.serial)

    def measure(self, quantity: Measurand) -> float:
        unit = UNITS[quantity]
        window = self.settings.windows.get(quantity)
        meter = self.identity().text()
        hint = f" ({window[0]:g}…{window[1]:g})" if window else ""
        typed = self.ask(f"{quantity} on {meter}, in {unit}{hint}").strip()
        try:
            value = float(typed.replace(",", "."))
        except ValueError:
            raise ManualValueRejected(
                f"{typed!r} is not a number of {unit}",
                next_step=f"type the {quantity} the meter shows, in {unit}",
            ) from None
        if window is not None and not window[0] <= value <= window[1]:
            raise ManualValueRejected(
                f"{value:g} {unit} is outside the plausible {window[0]:g}…{window[1]:g} {unit}",
                next_step="read the meter again (its range and unit) and type it as shown",
            )
        return value

    def set_current(self, ma: float) -> None:
        if ma == 0:
            return
        raise InstrumentError(
            f"the manual instrument {self.settings.name!r} cannot make current flow",
            next_step="configure a current source or an electronic load for this socket",
        )

    def close(self) -> None:
        return None
