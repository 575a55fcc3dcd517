import pytest

from station.bus import BusOpenError
from station.bus.spec import open_bus, parse_bus_spec


def test_i2c_dev_paths() -> None:
    spec = parse_bus_spec("/dev/i2c-1")
    assert (spec.kind, spec.target) == ("i2c-dev", "/dev/i2c-1")


def test_sim_forms() -> None:
    assert parse_bus_spec("sim").target == "default"
    assert parse_bus_spec("sim:sealed").target == "sealed"
    spec = parse_bus_spec("sim:flaky?seed=7&state=/tmp/x.json")
    assert spec.target == "flaky"
    assert spec.options == {"seed": "7", "state": "/tmp/x.json"}


def test_plugin_form() -> None:
    spec = parse_bus_spec("acme_adapter.bus:open_bus")
    assert (spec.kind, spec.target) == ("plugin", "acme_adapter.bus:open_bus")


@pytest.mark.parametrize("text", ["", "  ", "i2c-1", "COM3", "sim:x?colour=red", "a:b:c"])
def test_bad_specs_are_refused_with_the_three_forms(text: str) -> None:
    with pytest.raises(BusOpenError) as info:
        parse_bus_spec(text)
    message = str(info.value)
    assert "/dev/i2c-N" in message or "allowed" in message


def test_missing_adapter_says_what_to_do() -> None:
    with pytest.raises(BusOpenError, match="modprobe i2c-dev"):
        open_bus("/dev/i2c-250")


def test_plugin_errors_are_clear() -> None:
    with pytest.raises(BusOpenError, match="cannot be imported"):
        open_bus("no_such_module_xyz:make")
    with pytest.raises(BusOpenError, match="has no"):
        open_bus("station.pec:nothing_here")
    with pytest.raises(BusOpenError, match="no i2c_rdwr"):
        open_bus("station.clock:RealClock")
