"""The reference-pack self-test at shift start: the line's reference pack must read as it was
registered, or the shift does not start, with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.bus.errors import BusOpenError
from station.bus.spec import BusSpec, OpenedBus
from station.bus.transport import SMBusTransport
from station.clock import VirtualClock
from station.config import StationConfig
from station.emulator import EmulatedGauge, open_emulator
from station.gauge import Gauge
from station.keys import KeyStore
from station.sequence import LineStation, ShiftRefused, open_service, reference
from station.sequence.authority import NotAuthorised
from station.sequence.service import Credentials
from station.store import AuditAction
from tests.pins import PIN, give_pin

ENGINEER = "ENG-7"
#: the station's clock in these tests (moved by whole days to reach another shift)
MORNING = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


@dataclass
class Line:
    service: LineStation
    device: EmulatedGauge | None
    now: list[datetime]

    def put(self, device: EmulatedGauge | None) -> None:
        self.device = device

    def gauge(self) -> Gauge:
        opened = self.service.socket.open_bus()
        return Gauge(SMBusTransport(opened.bus, opened.clock), clock=opened.clock)

    def start(self, operator: str = "OP-1") -> object:
        released = next(r for r in self.service.released_recipes() if r.name == "pk4s3p-3500")
        return self.service.start_shift(self.service.badge(operator), released.hash, "LOT-1")


def pack(scenario: str = "reference") -> EmulatedGauge:
    return open_emulator(scenario, clock=VirtualClock())


@pytest.fixture
def line(tmp_path: Path) -> Iterator[Line]:
    config = StationConfig(
        station_id="ST-R1",
        bus="sim:reference",
        database=f"sqlite:///{tmp_path}/station.sqlite3",
        printer=f"file:{tmp_path}/labels",
        labels_dir=str(tmp_path / "previews"),
        engineer_badges=(ENGINEER,),
        reference_check=True,
    )
    holder = Line(None, pack(), [MORNING])  # type: ignore[arg-type]

    def factory() -> OpenedBus:
        d = holder.device
        if d is None:
            raise BusOpenError("no I2C adapter at /dev/i2c-1")
        return OpenedBus(BusSpec("sim", "reference", {}, config.bus), d, d.clock, True, d)

    service = open_service(config, demo=True, bus_factory=factory)
    service.socket.now = lambda: holder.now[0]
    holder.service = service
    give_pin(service.socket.store, ENGINEER)
    yield holder
    service.socket.store.close()


def register(line: Line) -> None:
    reference.register(
        line.gauge(),
        KeyStore.builtin().get("ti-default"),
        store=line.service.socket.store,
        authority=line.service.rules,
        credentials=Credentials(ENGINEER, PIN),
        station="ST-R1",
    )


def test_the_shift_starts_when_the_reference_pack_reads_as_registered(line: Line) -> None:
    register(line)
    line.start()
    checks = line.service.socket.store.reference_checks("ST-R1")
    assert [c.passed for c in checks] == [True]
    assert line.device.security_mode == "SEALED"
    audit = line.service.socket.store.audit_entries(action=AuditAction.REFERENCE_REGISTERED)
    assert [a.who for a in audit] == [ENGINEER]


def test_without_a_registered_reference_pack_the_shift_is_refused(line: Line) -> None:
    with pytest.raises(ShiftRefused, match="no reference pack registered"):
        line.start()


def test_another_pack_in_the_fixture_blocks_the_shift(line: Line) -> None:
    register(line)
    other = pack()
    other.df_set("serial_number", 0x1111)
    line.put(other)
    with pytest.raises(ShiftRefused, match="not the reference pack"):
        line.start()
    assert [c.passed for c in line.service.socket.store.reference_checks("ST-R1")] == [False]


def test_a_cell_reading_off_by_more_than_the_tolerance_blocks_the_shift(line: Line) -> None:
    register(line)
    line.device.pack.cell_mv = [3700, 3700 - reference.CELL_TOLERANCE_MV - 5, 3700, 3700]
    with pytest.raises(ShiftRefused, match="cell 2 reads"):
        line.start()


def test_data_flash_reading_differently_blocks_the_shift_and_names_where(line: Line) -> None:
    register(line)
    line.device.df_set("Gas Gauging:Design:Design Capacity mAh", 1234)
    with pytest.raises(ShiftRefused, match="Design Capacity mAh"):
        line.start()


def test_the_self_test_runs_once_a_shift(line: Line) -> None:
    register(line)
    line.start()
    line.put(pack("default"))  # the reference pack is out, production packs come in
    line.start()
    assert len(line.service.socket.store.reference_checks("ST-R1")) == 1
    line.now[0] = MORNING + timedelta(days=1)
    with pytest.raises(ShiftRefused, match="not the reference pack"):
        line.start()


def test_only_an_engineer_registers_the_reference_pack(line: Line) -> None:
    with pytest.raises(NotAuthorised):
        reference.register(
            line.gauge(),
            KeyStore.builtin().get("ti-default"),
            store=line.service.socket.store,
            authority=line.service.rules,
            credentials=Credentials("OP-1", PIN),
            station="ST-R1",
        )
    assert line.service.socket.store.current_reference("ST-R1") is None


def test_the_self_test_is_a_setting_off_by_default() -> None:
    from station.config import load_config

    assert load_config(environ={}).reference_check is False
    assert load_config(environ={"STATION_REFERENCE_CHECK": "yes"}).reference_check is True


def test_a_headless_run_needs_a_self_test_passed_this_shift(line: Line) -> None:
    from tests.sequence.conftest import RECIPE_4S

    register(line)
    with pytest.raises(ShiftRefused, match="start the shift at the terminal"):
        line.service.shift_for_file(RECIPE_4S, "OP-1", "LOT-1")
    assert line.service.socket.store.reference_checks("ST-R1") == []  # the pack was not read
    line.start()
    line.service.shift_for_file(RECIPE_4S, "OP-1", "LOT-1")


def test_no_pack_answering_blocks_the_shift_and_is_recorded(line: Line) -> None:
    register(line)
    line.put(None)
    with pytest.raises(ShiftRefused, match=r"does not answer \(no I2C adapter"):
        line.start()
    checks = line.service.socket.store.reference_checks("ST-R1")
    assert [c.passed for c in checks] == [False]
