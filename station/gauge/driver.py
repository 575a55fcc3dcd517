"""The BQ40Z50 driver: SBS reads, status words, identity and signatures, on top of MAC access
(:mod:`station.gauge.access`), data-flash access (:mod:`station.gauge.dfaccess`) and the
security-mode transitions (:mod:`station.gauge.transitions`): one :class:`Gauge` per pack.
"""

from __future__ import annotations

from station.bus.errors import BadResponseError, NackError, PecError
from station.gauge import mac as macs
from station.gauge.access import GaugeAccess, WriteGuard, mac
from station.gauge.dfaccess import DataFlashAccess, Progress
from station.gauge.identity import DfSignature, GaugeIdentity, parse_firmware_version
from station.gauge.polling import PROBE
from station.gauge.sbs import (
    CELL_VOLTAGE_CODES,
    SbsCommand,
    SbsProtocol,
    SbsValue,
    decode_block,
    decode_word,
    sbs_command,
)
from station.gauge.status import StatusWord, decode_status
from station.gauge.transitions import SecurityTransitions

__all__ = ["Gauge", "GaugeAccess", "Progress", "WriteGuard"]


class Gauge(DataFlashAccess, SecurityTransitions):
    """A BQ40Z50 fuel gauge on an SMBus transport."""

    def read_sbs(self, which: int | str) -> SbsValue:
        """Read one SBS command (0x08 Temperature, 0x09 Voltage, ...) as a typed value.

        Block status commands 0x50-0x57 need UNSEALED; use :meth:`status` to read them in any mode.
        """
        command = sbs_command(which)
        with self._lock:
            return self._confirmed(
                lambda: self._checked_twice(lambda: self._read_sbs_once(command)),
                f"{command.name} (SBS 0x{command.code:02X})",
            )

    def _read_sbs_once(self, command: SbsCommand) -> SbsValue:
        label = f"{command.name} (SBS 0x{command.code:02X})"
        with self._nack_means_mode(label, command.access.modes_for("r")):
            if command.protocol is SbsProtocol.WORD:
                return decode_word(command, self.transport.read_word(command.code, label=label))
            data = self.transport.block_read(command.code, max_len=command.length[1], label=label)
            return decode_block(command, data)

    def voltage(self) -> SbsValue:
        """Pack voltage, mV."""
        return self.read_sbs(0x09)

    def current(self) -> SbsValue:
        """Current, mA, positive while charging."""
        return self.read_sbs(0x0A)

    def temperature(self) -> SbsValue:
        """Temperature in °C (the gauge counts 0.1 K; ``raw`` keeps that)."""
        return self.read_sbs(0x08)

    def cell_voltages(self, cells: int = 4) -> list[SbsValue]:
        """CellVoltage1..N in mV (CellVoltage1 is 0x3F, CellVoltage4 0x3C)."""
        if not 1 <= cells <= len(CELL_VOLTAGE_CODES):
            raise ValueError(f"the BQ40Z50 measures 1-4 cells, not {cells}")
        return [self.read_sbs(code) for code in CELL_VOLTAGE_CODES[:cells]]

    def status(self, which: int | str) -> StatusWord:
        """A status word through MAC 0x0050-0x0057 (works SEALED), decoded by name."""
        command = mac(which)
        if command.code not in macs.STATUS_MACS:
            raise ValueError(f"{command.label} is not a status word")
        if command.code == macs.OPERATION_STATUS:
            return self.operation_status()
        data = self.mac_read(command.code)
        return decode_status(command.name, int.from_bytes(data, "little"))

    def safety_status(self) -> StatusWord:
        return self.status(0x0051)

    def pf_status(self) -> StatusWord:
        return self.status(0x0053)

    def manufacturing_status(self) -> StatusWord:
        return self.status(0x0057)

    def answers(self) -> bool:
        """Whether a gauge answers at its address: one BatteryStatus read (allowed in every
        mode). False when nothing acknowledges (no pack in the fixture, or a pack asleep); a bus
        that cannot carry the question at all raises (:class:`BusGoneError`,
        :class:`BusTimeoutError`)."""
        with self._lock:
            try:
                self.transport.read_word(PROBE, label="BatteryStatus (presence check)", retries=1)
            except NackError:
                return False
            except (PecError, BadResponseError):
                return True  # something at the address answered, if not cleanly
            return True

    def identify(self) -> GaugeIdentity:
        """DeviceType, FirmwareVersion, HardwareVersion and ChemID (all allowed SEALED)."""
        with self._lock:
            device_type = int.from_bytes(self.mac_read(macs.DEVICE_TYPE), "little")
            firmware = parse_firmware_version(self.mac_read(macs.FIRMWARE_VERSION))
            hardware = int.from_bytes(self.mac_read(macs.HARDWARE_VERSION), "little")
            chem_id = int.from_bytes(self.mac_read(macs.CHEM_ID), "little")
        return GaugeIdentity(device_type, firmware, hardware, chem_id)

    def signature(self, which: int | str) -> DfSignature:
        """A signature MAC (0x0004, 0x0005, 0x0008, 0x0009), polled until ready."""
        command = mac(which)
        if not command.needs_wait:
            raise ValueError(f"{command.label} is not a signature")
        return DfSignature(int.from_bytes(self.mac_read(command.code), "little"))

    def static_df_signature(self) -> DfSignature:
        """MAC 0x0005: ready >= 250 ms after the command; the MSB flags a mismatch."""
        return self.signature(macs.STATIC_DF_SIGNATURE)
