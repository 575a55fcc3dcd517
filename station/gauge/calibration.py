"""Calibration mode of the BQ40Z50 driven from the host (calibration reference §1, §2, §9).

:class:`CalibrationSession` enters calibration mode only after reading CAL_EN (MAC 0x002D is a
toggle: a blind send turns it off on a blank gauge), starts the raw output, keeps only frames
whose rolling counter shows they are fresh, and leaves calibration mode confirmed by
ManufacturingStatus. Nothing here decides what to calibrate or writes data flash: the caller
computes constants (:mod:`station.gauge.calmath`) and writes them through its verified path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from station.bus.errors import BusError
from station.gauge import mac as macs
from station.gauge.driver import Gauge
from station.gauge.errors import GaugeError

log = logging.getLogger("station.gauge.calibration")

#: ManufacturingStatus bit 15 (named CAL_TEST in the status tables).
CAL_EN = "CAL_TEST"
#: Raw frame status byte YY (reference §2.1).
NORMAL, SHORTED = 1, 2
FRAME_BYTES = 24
#: DAStatus2 words in order (reference §7.3; R1: 7 words).
DA_STATUS2_SENSORS = ("Int", "TS1", "TS2", "TS3", "TS4")


class CalibrationError(GaugeError):
    """Calibration could not be done, or its result cannot be accepted."""

    failure_code = "CALIBRATION"
    meaning = "the pack's calibration is not proven: it must not be sealed or shipped"
    next_step = (
        "check the fixture's reference connections and instruments, then run the pack again; "
        "if it repeats, set the pack aside for analysis"
    )


@dataclass(frozen=True)
class RawFrame:
    """One frame of F081/F082: rolling counter, status, then signed counts (reference §2.1)."""

    counter: int
    status: int
    cc: int
    cells: tuple[int, int, int, int]
    pack: int
    bat: int
    cell_currents: tuple[int, int, int, int]


def parse_frame(data: bytes) -> RawFrame:
    """Decode a 24-byte frame; its words are little-endian whatever the TRM prose says."""
    if len(data) < FRAME_BYTES:
        raise ValueError(f"a calibration frame has {FRAME_BYTES} bytes, not {len(data)}")
    w = [int.from_bytes(data[i : i + 2], "little", signed=True) for i in range(2, 24, 2)]
    return RawFrame(
        counter=data[0],
        status=data[1],
        cc=w[0],
        cells=(w[1], w[2], w[3], w[4]),
        pack=w[5],
        bat=w[6],
        cell_currents=(w[7], w[8], w[9], w[10]),
    )


@dataclass(frozen=True)
class RawAverages:
    """Averages of fresh frames, and which frames they are (first and last counter)."""

    frames: int
    cc: float
    cells: tuple[float, float, float, float]
    pack: float
    bat: float
    first_counter: int
    last_counter: int


def average(frames: Sequence[RawFrame]) -> RawAverages:
    if not frames:
        raise ValueError("no frames to average")
    n = len(frames)
    cells = tuple(sum(f.cells[i] for f in frames) / n for i in range(4))
    return RawAverages(
        frames=n,
        cc=sum(f.cc for f in frames) / n,
        cells=(cells[0], cells[1], cells[2], cells[3]),
        pack=sum(f.pack for f in frames) / n,
        bat=sum(f.bat for f in frames) / n,
        first_counter=frames[0].counter,
        last_counter=frames[-1].counter,
    )


@dataclass(frozen=True)
class FramePacing:
    """How frames are waited for (profile data): the gauge's refresh period, the counter steps
    to throw away after a start (reference §2.3: +2), and how many periods without a new frame
    mean the output stalled."""

    period_s: float = 0.25
    settle_steps: int = 2
    stall_periods: int = 8


class CalibrationSession:
    """Calibration mode on one gauge, which must already be UNSEALED or in FULL ACCESS."""

    def __init__(self, gauge: Gauge, pacing: FramePacing | None = None) -> None:
        self.gauge = gauge
        self.pacing = pacing or FramePacing()
        #: whether this session switched CAL_EN on (and so must switch it off)
        self.toggled_on = False
        #: frames read and thrown away as stale or unsettled
        self.discarded = 0

    # -- CAL_EN ------------------------------------------------------------------------------

    def cal_enabled(self) -> bool:
        return CAL_EN in self.gauge.manufacturing_status()

    def enter(self) -> None:
        """CAL_EN on: read it first and toggle only when it is clear; confirm it took."""
        if self.cal_enabled():
            log.info("CAL_EN already set: calibration mode without a toggle")
            return
        self.gauge.mac_command(macs.CALIBRATION_MODE)
        if not self.cal_enabled():
            raise CalibrationError(
                "ManufacturingStatus CAL_EN did not set after MAC 0x002D",
                command="CalibrationMode (MAC 0x002D)",
                next_step=(
                    "check that the pack is UNSEALED (CAL_EN cannot be set SEALED) and run it "
                    "again; if it repeats, set the pack aside"
                ),
            )
        self.toggled_on = True

    def leave(self) -> None:
        """Stop the raw output, then CAL_EN off if it is still set; confirm it is clear."""
        self.gauge.mac_command(macs.CAL_STOP)
        if self.cal_enabled():
            self.gauge.mac_command(macs.CALIBRATION_MODE)
        if self.cal_enabled():
            raise CalibrationError(
                "ManufacturingStatus CAL_EN is still set after leaving calibration mode",
                command="CalibrationMode (MAC 0x002D)",
                next_step="reset the pack (MAC 0x0041) and check ManufacturingStatus",
            )

    # -- frames ------------------------------------------------------------------------------

    def frames(self, count: int, *, shorted: bool = False) -> list[RawFrame]:
        """``count`` fresh frames: the output is (re)started, the first ``settle_steps`` counter
        steps are thrown away, then each new counter value is one sample. Between the start and
        the last frame nothing else is sent (any other MAC stops the output)."""
        if count < 1:
            raise ValueError("at least one frame")
        code = macs.CAL_OUTPUT_SHORTED if shorted else macs.CAL_OUTPUT
        want = SHORTED if shorted else NORMAL
        label = f"{macs.mac_command(code).label}"
        try:
            first = parse_frame(self.gauge.mac_read(code))
        except BusError as exc:
            raise CalibrationError(
                f"no calibration frame ({exc.what}): CAL_EN is not set or the gauge refused",
                command=label,
            ) from exc
        self._check_status(first, want, label)
        clock = self.gauge.clock
        pacing = self.pacing
        last = first.counter
        stepped = 0
        out: list[RawFrame] = []
        quiet_since = clock.monotonic()
        while len(out) < count:
            clock.sleep(pacing.period_s)
            frame = parse_frame(self.gauge.mac_result(code))
            self._check_status(frame, want, label)
            step = (frame.counter - last) % 256
            if step == 0:
                self.discarded += 1
                if clock.monotonic() - quiet_since > pacing.stall_periods * pacing.period_s:
                    raise CalibrationError(
                        f"the rolling counter stayed at {frame.counter} for "
                        f"{pacing.stall_periods} periods: the raw output stalled",
                        command=label,
                    )
                continue
            quiet_since = clock.monotonic()
            last = frame.counter
            stepped += step
            if stepped < pacing.settle_steps:
                self.discarded += 1
                continue
            out.append(frame)
        return out

    def _check_status(self, frame: RawFrame, want: int, label: str) -> None:
        if frame.status != want:
            raise CalibrationError(
                f"the frame's status byte is {frame.status}, not {want}", command=label
            )

    # -- processed readings ------------------------------------------------------------------

    def pin_voltages(self) -> tuple[int, int]:
        """(BAT, PACK) in mV from DAStatus1: BAT comes before PACK there, the other way round
        from the raw frame (reference §7.2)."""
        data = self.gauge.mac_read(0x0071)
        return int.from_bytes(data[8:10], "little"), int.from_bytes(data[10:12], "little")

    # -- temperatures ------------------------------------------------------------------------

    def sensor_temperatures(self) -> dict[str, int]:
        """Int, TS1..TS4 from DAStatus2, 0.1 K (reference §5.4: never Temperature())."""
        data = self.gauge.mac_read(0x0072)
        return {
            name: int.from_bytes(data[2 * i : 2 * i + 2], "little")
            for i, name in enumerate(DA_STATUS2_SENSORS)
        }
