"""The driver against the scripted fake: reads, MAC exchanges, lying answers, status, liveness."""

from collections.abc import Callable

import pytest

from station.bus import BadResponseError, NackError
from station.gauge import (
    EchoMismatchError,
    GaugeNotRespondingError,
    ImplausibleValueError,
    SealFailedError,
    SecurityMode,
    SecurityModeError,
    ShortBlockError,
    ShutdownFailedError,
    SignatureTimeoutError,
)
from tests.gauge.fakes import SEALED, UNSEALED, FakeGauge, make_gauge


def test_identify_reads_the_four_identity_macs() -> None:
    fake, gauge, _ = make_gauge()
    ident = gauge.identify()
    assert ident.device_type == 0x4500
    assert ident.device_type_hex == "0x4500"
    assert ident.firmware_version == "1.09"
    assert ident.firmware_build == 22
    assert ident.hardware_version == 0x00A1
    assert ident.chem_id == 0x0121
    # each MAC is a block write [count, lo, hi] to 0x44
    assert fake.writes_to(0x44) == [bytes([2, c, 0]) for c in (1, 2, 3, 6)]


def test_identify_works_with_pec() -> None:
    _, gauge, _ = make_gauge(pec=True)
    assert gauge.identify().chem_id == 0x0121


def test_live_values_come_back_typed() -> None:
    fake, gauge, _ = make_gauge()
    fake.words.update({0x3F: 3601, 0x3E: 3602, 0x3D: 3603, 0x3C: 3604, 0x0A: 0xFF9C})
    assert [c.value for c in gauge.cell_voltages()] == [3601, 3602, 3603, 3604]
    assert gauge.cell_voltages(3)[0].name == "CellVoltage1"
    temp = gauge.temperature()
    assert temp.raw == 2981
    assert temp.value == pytest.approx(24.95, abs=0.01)
    assert str(temp) == "25.0 °C" or str(temp) == "24.9 °C"
    assert gauge.current().value == -100
    assert gauge.voltage().unit == "mV"


def test_an_impossible_cell_voltage_is_asked_again_then_refused_by_name() -> None:
    fake, gauge, _ = make_gauge()
    fake.word_override[0x3F] = [0xFFFF]
    assert gauge.read_sbs("CellVoltage1").value == 3700  # one lie, then the truth
    fake.word_override[0x3F] = [0xFFFF, 0xFFFF]
    with pytest.raises(ImplausibleValueError) as err:
        gauge.read_sbs("CellVoltage1")
    assert "CellVoltage1" in str(err.value)
    assert "65535" in str(err.value)


def test_a_temperature_above_150_c_is_refused() -> None:
    fake, gauge, _ = make_gauge()
    fake.word_override[0x08] = [4300, 4300]
    with pytest.raises(ImplausibleValueError, match="Temperature"):
        gauge.temperature()


def test_wrong_echo_is_retried_once() -> None:
    fake, gauge, _ = make_gauge()
    fake.wrong_echo_next = 1
    assert gauge.mac_read("ChemID") == bytes([0x21, 0x01])
    assert fake.writes_to(0x44).count(bytes([2, 6, 0])) == 2  # the command was sent again


def test_wrong_echo_twice_is_a_typed_error_naming_the_command() -> None:
    fake, gauge, _ = make_gauge()
    fake.wrong_echo_next = 2
    with pytest.raises(EchoMismatchError) as err:
        gauge.mac_read("ChemID")
    assert err.value.failure_code == "GAUGE_BAD_ECHO"
    assert "ChemID" in str(err.value)
    assert "0x0006" in str(err.value)


def test_short_block_is_retried_once_then_refused() -> None:
    fake, gauge, _ = make_gauge()
    fake.short_next = 1
    assert len(gauge.mac_read("FirmwareVersion")) == 11
    fake.short_next = 2
    with pytest.raises(ShortBlockError) as err:
        gauge.mac_read("FirmwareVersion")
    assert err.value.failure_code == "GAUGE_SHORT_BLOCK"
    assert "FirmwareVersion" in str(err.value)


def test_a_count_byte_beyond_what_the_command_carries_is_refused_by_the_transport() -> None:
    fake, gauge, _ = make_gauge()
    fake.macs[0x0001] = bytes(20)  # DeviceType carries 2 bytes; count 22 is a lie
    with pytest.raises(BadResponseError, match="count byte 22"):
        gauge.mac_read("DeviceType")


def test_security_mode_and_status_words_read_through_mac_when_sealed() -> None:
    fake, gauge, _ = make_gauge()
    assert gauge.security_mode() is SecurityMode.SEALED
    status = gauge.operation_status()
    assert status.flags == ("PRES", "DSG", "CHG")
    assert gauge.manufacturing_status().flags == ("GAUGE_EN", "FET_EN")
    assert gauge.safety_status().flags == ()
    assert gauge.pf_status().raw == 0
    assert not [t for t in fake.log if 0x50 <= t.command <= 0x57]  # never the SBS block path


def test_sbs_status_block_while_sealed_is_explained_as_a_security_mode_problem() -> None:
    _, gauge, _ = make_gauge()
    with pytest.raises(SecurityModeError) as err:
        gauge.read_sbs("OperationStatus")
    assert err.value.actual is SecurityMode.SEALED
    assert "UNSEALED" in str(err.value)


def test_sbs_status_block_while_unsealed() -> None:
    _, gauge, _ = make_gauge(mode=UNSEALED)
    assert gauge.read_sbs(0x57).value == 0x0018


def test_reserved_security_bits_are_implausible() -> None:
    fake, gauge, _ = make_gauge()
    fake.mode = 0
    with pytest.raises(ImplausibleValueError, match="reserved"):
        gauge.security_mode()


# -- command MACs --------------------------------------------------------------------------------


def test_a_toggle_is_refused_before_sending_when_sealed() -> None:
    fake, gauge, _ = make_gauge()
    with pytest.raises(SecurityModeError) as err:
        gauge.mac_command("FETControl")
    assert err.value.failure_code == "GAUGE_SECURITY_MODE"
    assert bytes([2, 0x22, 0]) not in fake.writes_to(0x44)


def test_a_toggle_is_sent_once_and_never_retried() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.mac_command("FETControl")
    assert fake.toggles == {0x22: 1}
    assert fake.writes_to(0x44).count(bytes([2, 0x22, 0])) == 1

    def nack_the_toggle(f: FakeGauge, kind: str, command: int, data: bytes) -> None:
        if command == 0x44 and data == bytes([2, 0x22, 0]):
            f.nack_next = 1

    fake.hook = nack_the_toggle
    with pytest.raises(NackError):
        gauge.mac_command(0x0022)
    attempts = [t for t in fake.log if t.kind == "write" and t.data == bytes([2, 0x22, 0])]
    assert len(attempts) == 2  # the one that worked and the one that failed, no retry


def test_an_idempotent_command_is_retried_by_the_transport() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.security_mode()
    fake.nack_next = 1
    gauge.mac_command("LifetimeDataFlush")
    assert fake.writes_to(0x44).count(bytes([2, 0x2E, 0])) == 2


def test_seal_polls_until_sealed() -> None:
    fake, gauge, clock = make_gauge(mode=UNSEALED)
    fake.seal_busy_s = 0.045  # busier than the planned 20 ms
    gauge.seal()
    assert fake.mode == SEALED
    assert gauge.known_mode is SecurityMode.SEALED
    assert clock.monotonic() < 0.2
    assert any(not t.answered for t in fake.log)  # it polled through the busy window


def test_seal_is_first_polled_when_it_is_expected_done() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    gauge.seal()
    assert fake.mode == SEALED
    sent = max(i for i, t in enumerate(fake.log) if t.data == bytes([2, 0x30, 0]))
    after = fake.log[sent + 1 :]
    assert after
    assert all(t.answered for t in after)  # no poll into the planned busy time


def test_seal_of_a_sealed_gauge_sends_nothing() -> None:
    fake, gauge, _ = make_gauge()
    gauge.seal()
    assert bytes([2, 0x30, 0]) not in fake.writes_to(0x44)


def ignoring(fake: FakeGauge, code: int) -> Callable[[int], None]:
    real = fake._mac
    return lambda c: None if c == code else real(c)


def test_seal_that_does_not_take_is_a_seal_failure() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    fake._mac = ignoring(fake, 0x0030)  # type: ignore[method-assign]
    with pytest.raises(SealFailedError) as err:
        gauge.seal()
    assert err.value.mode is SecurityMode.UNSEALED
    assert "NOT sealed" in str(err.value)


def test_reset_waits_polls_and_returns_the_mode() -> None:
    fake, gauge, clock = make_gauge(mode=UNSEALED)
    assert gauge.reset() is SecurityMode.UNSEALED
    assert 0.3 <= clock.monotonic() < 0.35
    fake.reset_reseals = True
    assert gauge.reset() is SecurityMode.SEALED


def test_reset_polls_when_the_gauge_stays_silent_longer_than_the_minimum() -> None:
    fake, gauge, clock = make_gauge()
    fake.reset_silent_s = 1.2
    gauge.reset()
    assert 1.2 <= clock.monotonic() < 1.21  # answered within one poll interval, no worst case
    probes = [t for t in fake.log if t.command == 0x16]
    assert sum(not t.answered for t in probes) > 10


def test_reset_that_never_comes_back_is_not_responding() -> None:
    fake, gauge, clock = make_gauge()
    fake.reset_silent_s = 100
    with pytest.raises(GaugeNotRespondingError) as err:
        gauge.reset()
    assert err.value.failure_code == "GAUGE_NOT_RESPONDING"
    assert clock.monotonic() == pytest.approx(3.0, abs=0.01)


def test_shutdown_then_wait_silent() -> None:
    fake, gauge, _ = make_gauge()
    gauge.shutdown()
    assert fake.silent
    gauge.wait_silent()


def test_wait_silent_fails_when_the_gauge_keeps_answering() -> None:
    fake, gauge, clock = make_gauge()
    fake._mac = ignoring(fake, 0x0010)  # type: ignore[method-assign]
    gauge.shutdown()
    with pytest.raises(ShutdownFailedError):
        gauge.wait_silent(timeout_s=1.0)
    assert clock.monotonic() == pytest.approx(1.0, abs=0.05)


# -- signatures ----------------------------------------------------------------------------------


def test_static_df_signature_polls_after_the_minimum_wait() -> None:
    fake, gauge, clock = make_gauge()
    fake.signature_ready_s = 0.4
    sig = gauge.static_df_signature()
    assert sig.value == 0x1234
    assert not sig.mismatch
    reads = [t for t in fake.log if t.kind == "read" and t.command == 0x44]
    assert reads[0].at >= 0.25  # nothing asked before the documented 250 ms
    assert 0.4 <= clock.monotonic() < 0.5


def test_signature_mismatch_flag() -> None:
    fake, gauge, _ = make_gauge()
    fake.macs[0x0005] = bytes([0x34, 0x92])
    assert gauge.static_df_signature().mismatch


def test_signature_that_never_arrives_times_out() -> None:
    fake, gauge, _ = make_gauge()
    fake.signature_ready_s = 100
    with pytest.raises(SignatureTimeoutError):
        gauge.static_df_signature()
