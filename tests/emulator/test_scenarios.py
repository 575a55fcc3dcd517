"""Every named scenario opens and shows what its description promises."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from station.bus.spec import open_bus
from station.clock import VirtualClock
from station.emulator import SCENARIOS, open_emulator
from tests.emulator.conftest import Make
from tests.emulator.raw import RawHost

SEALED, UNSEALED, FULL = 0b11, 0b10, 0b01
#: scenarios where no gauge answers: an empty fixture, a stuck bus
NO_GAUGE = {"empty", "bus-stuck"}


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as info:
        open_emulator("nope", clock=VirtualClock())
    message = info.value.args[0]
    assert message.startswith("unknown emulator scenario 'nope'; known: ")
    assert all(name in message for name in SCENARIOS)


def test_every_scenario_has_a_one_line_description() -> None:
    required = {
        "default", "unsealed", "full-access", "sealed", "foreign-keys", "3-cells",
        "wrong-device", "flaky", "nack-mid-write", "gone-mid-write", "stuck-flash", "corrupt",
        "pf", "safety", "hot", "imbalance", "shipped", "empty", "bus-stuck",
    }  # fmt: skip
    assert required <= set(SCENARIOS)
    for text in SCENARIOS.values():
        assert text
        assert "\n" not in text


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - NO_GAUGE))
def test_every_scenario_answers_identity(make: Make, name: str) -> None:
    h = make(name, seed=12345)  # a seed where the random faults stay out of the first reads
    h.dev.faults.nack_rate = h.dev.faults.corrupt_rate = 0.0
    assert h.read_word(0x08) > 2731
    assert h.mac_read(0x0001) in (bytes([0x00, 0x45]), bytes([0x00, 0x46]))


def test_an_empty_fixture_acknowledges_nothing(make: Make) -> None:
    h = make("empty")
    with pytest.raises(OSError, match="Remote I/O") as nack:
        h.read_word(0x16)
    assert nack.value.errno == errno.EREMOTEIO


def test_a_stuck_bus_times_out_every_transaction(make: Make) -> None:
    h = make("bus-stuck")
    before = h.clock.monotonic()
    for transaction in (lambda: h.read_word(0x16), lambda: h.write([0x00, 0x14, 0x04])):
        with pytest.raises(OSError, match="timed out") as stuck:
            transaction()
        assert stuck.value.errno == errno.ETIMEDOUT
    assert h.clock.monotonic() - before == pytest.approx(0.070)  # the adapter's timeout, twice


def test_default_is_a_factory_pack(host: RawHost) -> None:
    assert host.sec() == SEALED
    assert host.read_word(0x08) == 2981
    assert [host.read_word(c) for c in (0x3F, 0x3E, 0x3D)] == [3702, 3699, 3701]
    assert all(abs(mv - 3700) < 10 for mv in host.dev.pack.cell_mv)
    assert host.dev.df_get("da_configuration") == 0x12
    assert host.dev.cell_count == 3


def test_sealed_is_the_default(make: Make) -> None:
    h = make("sealed")
    h.unseal(0x0414, 0x3672)
    assert h.sec() == UNSEALED


def test_modes(make: Make) -> None:
    assert make("unsealed").sec() == UNSEALED
    assert make("full-access").sec() == FULL


def test_three_cells_connected(make: Make) -> None:
    assert make("3-cells").dev.pack.cells_connected == 3


def test_imbalance(make: Make) -> None:
    h = make("imbalance")
    cells = [h.read_word(c) for c in (0x3F, 0x3E, 0x3D)]
    assert max(cells) - min(cells) == 120


def test_hot(make: Make) -> None:
    assert make("hot").read_word(0x08) == 550 + 2731


def test_shipped_is_programmed(make: Make) -> None:
    h = make("shipped")
    assert h.dev.cell_count == 4
    assert h.mac_read(0x0057) == (0x0238).to_bytes(2, "little")
    assert h.read_word(0x1C) == 0x2A17
    assert h.operation_status() & 0b110 == 0b110  # firmware FET control: FETs on


def test_the_bus_spec_opens_scenarios_with_a_seed_and_state(tmp_path: Path) -> None:
    state = tmp_path / "pack.json"
    opened = open_bus(f"sim:flaky?seed=3&state={state}")
    assert opened.emulated
    assert opened.device.faults.seed == 3
    assert state.exists()
    opened.close()
