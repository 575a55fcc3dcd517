"""Reference instruments: SCPI through PyVISA against pyvisa-sim definitions of a real DMM and
load, the operator-typed meter, the emulator-bound instruments, the instrument file, due dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station.clock import VirtualClock
from station.emulator import open_emulator
from station.instruments import InstrumentError, InstrumentPastDue, InstrumentSettings
from station.instruments.bench import (
    InstrumentFileError,
    load_instrument_file,
    open_bench,
)
from station.instruments.manual import ManualInstrument
from station.instruments.model import ManualValueRejected
from station.instruments.scpi import ScpiInstrument
from station.instruments.simulated import SimulatedInstrument

SIM = f"{Path(__file__).with_name('bench.yaml')}@sim"
TODAY = dt.date(2026, 12, 5)
DUE = dt.date(2027, 3, 1)
DMM = "TCPIP::10.0.0.5::INSTR"
LOAD = "USB0::0x1AB1::0x0E11::DL3A204800938::INSTR"
RIGOL = {
    "current": ":MEAS:CURR?",
    "set_current": ":SOUR:CURR:LEV:IMM {amps:.4f}",
    "output_on": ":SOUR:INP:STAT ON",
    "output_off": ":SOUR:INP:STAT OFF",
    "sign": "-1",
}


def dmm(**kw: object) -> ScpiInstrument:
    settings = InstrumentSettings(
        "dmm-1",
        "scpi",
        ("voltage", "temperature"),
        DUE,
        resource=DMM,
        **kw,  # type: ignore[arg-type]
    )
    meter = ScpiInstrument(settings, visa_library=SIM)
    simulate(meter, "SIM:VOLT 14.801", "SIM:TEMP 24.87")
    return meter


def simulate(instrument: object, *commands: str) -> None:
    """Set what a pyvisa-sim instrument measures (its state lives as long as the process)."""
    assert isinstance(instrument, ScpiInstrument)
    for command in commands:
        assert instrument._res.query(command) == "OK"


def load() -> ScpiInstrument:
    settings = InstrumentSettings(
        "load-1", "scpi", ("current",), DUE, resource=LOAD, commands=RIGOL
    )
    el = ScpiInstrument(settings, visa_library=SIM)
    simulate(el, "SIM:CURR 2.0003")
    return el


def test_dmm_identity_and_readings_in_station_units() -> None:
    meter = dmm(model="34465A", serial="MY59001234")
    ident = meter.identity()
    assert (ident.maker, ident.model, ident.serial) == (
        "Keysight Technologies",
        "34465A",
        "MY59001234",
    )
    assert meter.measure("voltage") == pytest.approx(14801.0)
    assert meter.measure("temperature") == pytest.approx(24.87)
    simulate(meter, "SIM:VOLT 11.1005")
    assert meter.measure("voltage") == pytest.approx(11100.5)


def test_a_dmm_that_is_not_the_one_configured_is_refused() -> None:
    with pytest.raises(InstrumentError, match=r"serial 'MY59001234'.*'MY00000000'"):
        dmm(serial="MY00000000")


def test_load_draws_a_discharge_current_and_reports_it_with_the_sbs_sign() -> None:
    el = load()
    el.set_current(-2000)
    assert el._res.query(":SOUR:CURR:LEV:IMM?") == "2.0000"
    assert el._res.query(":SOUR:INP:STAT?") == "ON"
    assert el.measure("current") == pytest.approx(-2000.3)
    el.set_current(0)
    assert el._res.query(":SOUR:INP:STAT?") == "OFF"
    with pytest.raises(InstrumentError, match="only draws current"):
        el.set_current(500)


@pytest.mark.filterwarnings("ignore:read string doesn't end")
def test_an_unreachable_resource_says_so() -> None:
    settings = InstrumentSettings(
        "dmm-9", "scpi", ("voltage",), DUE, resource="TCPIP::10.9.9.9::INSTR"
    )
    with pytest.raises(InstrumentError, match="did not identify itself"):
        ScpiInstrument(settings, visa_library=SIM)


def test_manual_meter_checks_the_window() -> None:
    typed = iter(["14,8012", "148.01", "abc"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    meter = ManualInstrument(
        InstrumentSettings(
            "fluke",
            "manual",
            ("voltage",),
            DUE,
            model="87V",
            serial="1234",
            windows={"voltage": (10000.0, 17500.0)},
        ),
        ask,
    )
    meter.settings.windows["voltage"] = (10.0, 17.5)  # the meter shows volts here
    assert meter.measure("voltage") == pytest.approx(14.8012)
    assert "10…17.5" in prompts[0]
    with pytest.raises(ManualValueRejected, match="outside the plausible"):
        meter.measure("voltage")
    with pytest.raises(ManualValueRejected, match="not a number"):
        meter.measure("voltage")


def test_simulated_instruments_give_the_packs_true_values_and_can_drift() -> None:
    dev = open_emulator("uncalibrated", clock=VirtualClock())
    s = InstrumentSettings("sim", "simulated", ("voltage", "current", "temperature"), DUE)
    inst = SimulatedInstrument(s, dev)
    assert inst.measure("voltage") == sum(dev.pack.cell_readings(dev.cell_count))
    inst.set_current(-1500)
    assert dev.pack.current_ma == 0  # factory pack: FET control off, DSG FET off
    dev.df_set("mfg_status_init", 0x0010)  # FET_EN: the firmware turns the FETs on
    dev.wake()
    inst.set_current(-1500)
    assert dev.pack.current_ma == -1500
    assert inst.measure("current") == -1500
    drifting = SimulatedInstrument(s, dev, drift=0.5)
    assert drifting.measure("temperature") == 25.0
    assert drifting.measure("temperature") == 25.5


FILE = """
[[instrument]]
name = "dmm-1"
backend = "scpi"
resource = "TCPIP::10.0.0.5::INSTR"
quantities = ["voltage", "temperature"]
model = "34465A"
due = 2027-03-01

[[instrument]]
name = "load-1"
backend = "scpi"
resource = "USB0::0x1AB1::0x0E11::DL3A204800938::INSTR"
quantities = ["current"]
due = 2026-11-30

[instrument.commands]
current = ":MEAS:CURR?"
set_current = ":SOUR:CURR:LEV:IMM {amps:.4f}"
output_on = ":SOUR:INP:STAT ON"
output_off = ":SOUR:INP:STAT OFF"
sign = "-1"

[sockets.A]
voltage = "dmm-1"
temperature = "dmm-1"
current = "load-1"
"""


def test_instrument_file_bench_and_the_due_date(tmp_path: Path) -> None:
    path = tmp_path / "instruments.toml"
    path.write_text(FILE)
    settings = load_instrument_file(path).for_socket("A")
    bench = open_bench(settings, today=TODAY, visa_library=SIM)
    try:
        simulate(bench.instruments["voltage"], "SIM:VOLT 14.801")
        reading = bench.read("voltage")
        assert reading.value == pytest.approx(14801.0)
        assert reading.instrument == "dmm-1"
        assert reading.identity.serial == "MY59001234"
        assert bench.instruments["voltage"] is bench.instruments["temperature"]  # opened once
        with pytest.raises(InstrumentPastDue, match="due for calibration on 2026-11-30"):
            bench.check_due()
        with pytest.raises(InstrumentPastDue):
            bench.read("current")
    finally:
        bench.close()
    with pytest.raises(InstrumentError, match="socket 'B'"):
        load_instrument_file(path).for_socket("B")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('[[instrument]]\nname = "x"\nbackend = "gpib"\n', "backend is one of"),
        ('[[instrument]]\nname = "x"\nbackend = "scpi"\nquantities = ["voltage"]\n'
         'due = 2027-01-01\n', "VISA resource"),
        ('[[instrument]]\nname = "x"\nbackend = "manual"\nquantities = ["voltage"]\n'
         'due = 2027-01-01\n', "plausibility window"),
        ('[[instrument]]\nname = "x"\nbackend = "manual"\nquantities = ["voltage"]\n'
         'due = "soon"\n', "due date"),
        ('[sockets.A]\nvoltage = "nope"\n', "no instrument 'nope'"),
    ],
)  # fmt: skip
def test_instrument_file_errors_name_the_problem(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "instruments.toml"
    path.write_text(text)
    with pytest.raises(InstrumentFileError, match=why):
        load_instrument_file(path)
