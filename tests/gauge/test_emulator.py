"""The driver against the emulator, through ``open_bus("sim:...")`` like the station itself."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.bus import NackError, PecError
from station.gauge import (
    FullAccessRefusedError,
    GaugeNotRespondingError,
    GaugeTimings,
    SecurityMode,
    SecurityModeError,
    UnsealRefusedError,
)
from station.keys import KeyPair, KeySet, ti_default_keys
from tests.gauge.emu import sim

TI = ti_default_keys()
WRONG = KeySet("wrong", unseal=KeyPair.of(0x1111, 0x2222), full_access=KeyPair.of(0x3333, 0x4444))


def test_identify() -> None:
    with sim() as s:
        ident = s.gauge.identify()
    assert ident.device_type == 0x4500
    assert ident.firmware_version == "1.09"
    assert ident.firmware_build == 22
    assert ident.firmware.device_number == 0x4500
    assert ident.firmware.it_version == 0x0385
    assert ident.hardware_version == 0x00A1
    assert ident.chem_id == 0x0121


def test_identify_with_pec() -> None:
    with sim(pec=True) as s:
        assert s.gauge.identify().device_type == 0x4500


def test_wrong_device_is_reported_as_it_is() -> None:
    with sim("wrong-device") as s:
        assert s.gauge.identify().device_type == 0x4600


def test_live_values_and_status_while_sealed() -> None:
    with sim() as s:
        g = s.gauge
        assert g.security_mode() is SecurityMode.SEALED
        assert 3000 < g.cell_voltages()[0].value < 4500  # type: ignore[operator]
        assert g.temperature().value == pytest.approx(25.0, abs=0.5)
        assert g.safety_status().raw == 0
        assert g.pf_status().raw == 0
        with pytest.raises(SecurityModeError):
            g.read_sbs("SafetyStatus")  # the SBS block path needs UNSEALED


def test_hot_safety_and_pf_scenarios_decode() -> None:
    with sim("hot") as s:
        assert s.gauge.temperature().value == pytest.approx(55.0, abs=0.5)
    with sim("safety") as s:
        assert "COV" in s.gauge.safety_status().flags
    with sim("pf") as s:
        assert "SOV" in s.gauge.pf_status().flags
        assert "PF" in s.gauge.operation_status().flags


# -- security ------------------------------------------------------------------------------------


def test_unseal_full_access_seal_with_the_right_keys() -> None:
    with sim() as s:
        g = s.gauge
        assert g.unseal(TI) is SecurityMode.UNSEALED
        assert g.full_access(TI) is SecurityMode.FULL_ACCESS
        g.seal()
        assert g.security_mode() is SecurityMode.SEALED
        assert str(s.device.security_mode).endswith("SEALED")


def test_full_access_straight_from_sealed() -> None:
    with sim() as s:
        assert s.gauge.full_access(TI) is SecurityMode.FULL_ACCESS


def test_wrong_keys_leave_the_pack_sealed() -> None:
    with sim() as s:
        with pytest.raises(UnsealRefusedError) as err:
            s.gauge.unseal(WRONG)
        assert err.value.failure_code == "SEALED_UNKNOWN_KEYS"
        assert s.gauge.security_mode() is SecurityMode.SEALED


def test_foreign_keys_scenario_refuses_the_default_keys() -> None:
    with sim("foreign-keys") as s, pytest.raises(UnsealRefusedError):
        s.gauge.unseal(TI)


def test_wrong_full_access_keys() -> None:
    with sim("unsealed") as s:
        mixed = KeySet("mixed", unseal=TI.unseal, full_access=WRONG.full_access)
        with pytest.raises(FullAccessRefusedError):
            s.gauge.full_access(mixed)
        assert s.gauge.security_mode() is SecurityMode.UNSEALED


def test_full_access_scenario_needs_no_keys_and_seals() -> None:
    with sim("full-access") as s:
        assert s.gauge.unseal(WRONG) is SecurityMode.FULL_ACCESS  # nothing sent
        s.gauge.seal()
        assert s.gauge.security_mode() is SecurityMode.SEALED


@pytest.mark.parametrize(("gap_s", "expected"), [(3.5, "UNSEALED"), (4.5, "SEALED")])
def test_the_four_second_window(gap_s: float, expected: str) -> None:
    with sim() as s:
        s.transport.write_word(0x00, 0x0414)
        s.clock.advance(gap_s)
        s.transport.write_word(0x00, 0x3672)
        s.clock.advance(0.1)
        assert s.gauge.security_mode().name == expected


def test_a_transaction_between_the_key_words_spoils_them() -> None:
    with sim() as s:
        s.transport.write_word(0x00, 0x0414)
        s.transport.read_word(0x16)
        s.transport.write_word(0x00, 0x3672)
        s.clock.advance(0.1)
        assert s.gauge.security_mode() is SecurityMode.SEALED


def test_reset_comes_back_and_reports_the_mode() -> None:
    with sim("unsealed") as s:
        start = s.clock.monotonic()
        mode = s.gauge.reset()
        elapsed = s.clock.monotonic() - start
        assert mode is SecurityMode.UNSEALED  # the emulator does not re-seal by default
        assert 0.3 <= elapsed < 0.5


def test_shutdown_goes_silent_until_woken() -> None:
    with sim() as s:
        s.gauge.shutdown()
        s.gauge.wait_silent()
        assert s.device.is_shut_down
        s.device.wake()
        s.clock.advance(1.0)
        assert s.gauge.identify().device_type == 0x4500


def test_changing_the_keys() -> None:
    new = KeySet("acme", unseal=KeyPair.of(0x1357, 0x2468), full_access=KeyPair.of(0x9753, 0x8642))
    with sim() as s:
        g = s.gauge
        g.full_access(TI)
        g.set_security_keys(new)
        g.seal()
        with pytest.raises(UnsealRefusedError):
            g.unseal(TI)
        assert g.full_access(new) is SecurityMode.FULL_ACCESS


def test_static_df_signature_is_polled_not_slept() -> None:
    with sim("unsealed") as s:
        start = s.clock.monotonic()
        sig = s.gauge.static_df_signature()
        elapsed = s.clock.monotonic() - start
        assert sig.raw == sig.value | (0x8000 if sig.mismatch else 0)
        assert 0.25 <= elapsed < 0.35
        assert s.gauge.static_df_signature() == sig  # stable while data flash is unchanged


# -- data flash ----------------------------------------------------------------------------------


def test_read_whole_data_flash() -> None:
    with sim("unsealed") as s:
        data = s.gauge.read_df(0x4000, 0x2000)
        assert data == s.device.df_peek(0x4000, 0x2000)
        assert data[0x1F80:] == bytes(0x80)  # the read-only tail reads back 0


def test_write_df_is_paced_by_polling() -> None:
    with sim("unsealed") as s:
        s.gauge.security_mode()
        start = s.clock.monotonic()
        s.gauge.write_df(0x4400, bytes(range(32)))
        elapsed = s.clock.monotonic() - start
        busy = 0.008 + 32 * 0.0002  # the emulator's model (shared decisions)
        assert busy < elapsed < busy + 0.010  # bus time plus a poll or two, no worst-case sleep
        assert s.device.df_peek(0x4400, 32) == bytes(range(32))


def test_no_data_flash_write_while_sealed() -> None:
    with sim() as s:
        before = s.device.df_peek(0x4400, 4)
        with pytest.raises(SecurityModeError):
            s.gauge.write_df(0x4400, b"\x01\x02\x03\x04")
        assert s.device.df_peek(0x4400, 4) == before


def test_sealed_behind_the_drivers_back_is_still_caught() -> None:
    with sim() as s:
        s.gauge.unseal(TI)
        before = s.device.df_peek(0x4400, 4)
        s.transport.block_write(0x44, b"\x30\x00")  # another tool seals the pack
        s.clock.advance(0.1)
        with pytest.raises(SecurityModeError):
            s.gauge.write_df(0x4400, b"\x01\x02\x03\x04")
        assert s.device.df_peek(0x4400, 4) == before
        with pytest.raises(SecurityModeError):
            s.gauge.read_df(0x4400, 4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(address=st.integers(0x4000, 0x5F7F), data=st.binary(min_size=1, max_size=32))
def test_df_round_trip(address: int, data: bytes) -> None:
    data = data[: 0x5F80 - address]
    with sim("unsealed") as s:
        s.gauge.write_df(address, data)
        assert s.gauge.read_df(address, len(data)) == data
        assert s.device.df_peek(address, len(data)) == data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.integers(0x4000, 0x5FFF), length=st.integers(1, 300))
def test_df_reads_of_any_range_match_the_device(start: int, length: int) -> None:
    length = min(length, 0x6000 - start)
    with sim("unsealed") as s:
        assert s.gauge.read_df(start, length) == s.device.df_peek(start, length)


# -- injected faults -----------------------------------------------------------------------------


def test_flaky_bus_is_absorbed_by_retries() -> None:
    with sim("flaky") as s:
        g = s.gauge
        g.unseal(TI)
        assert g.identify().device_type == 0x4500
        for i in range(10):
            g.write_df(0x4400 + 32 * i, bytes([i]) * 32)
        image = g.read_df(0x4000, 0x2000)
        assert image[0x400:0x540] == b"".join(bytes([i]) * 32 for i in range(10))
        assert s.transport.stats.retries + s.transport.stats.failures > 0  # it did NACK


def test_corrupt_bus_with_pec_is_caught_and_retried() -> None:
    with sim("corrupt", pec=True) as s:
        g = s.gauge
        g.unseal(TI)
        for _ in range(3):
            assert g.identify().chem_id == 0x0121
        g.write_df(0x4400, b"\x5a" * 32)
        assert g.read_df(0x4000, 0x2000) == s.device.df_peek(0x4000, 0x2000)
        assert s.transport.stats.retries + s.transport.stats.failures > 0  # it did corrupt


def test_nack_mid_write_ends_in_a_typed_error() -> None:
    with sim("nack-mid-write") as s:
        g = s.gauge
        g.unseal(TI)
        g.write_df(0x4400, b"\x01")
        g.write_df(0x4401, b"\x02")
        with pytest.raises(NackError) as err:
            g.write_df(0x4402, b"\x03")
        assert "0x4402" in str(err.value)


def test_gone_mid_write_ends_in_a_typed_error() -> None:
    with sim("gone-mid-write") as s:
        g = s.gauge
        g.unseal(TI)
        g.write_df(0x4400, b"\x01")
        g.write_df(0x4401, b"\x02")
        with pytest.raises(GaugeNotRespondingError) as err:
            g.write_df(0x4402, b"\x03")
        assert "0x4402" in str(err.value)


def test_stuck_flash_is_only_seen_by_reading_back() -> None:
    with sim("stuck-flash") as s:
        g = s.gauge
        g.unseal(TI)
        g.write_df(0x4400, b"\x11")
        g.write_df(0x4401, b"\x22")  # acknowledged, does not take
        assert g.read_df(0x4400, 2)[0] == 0x11
        assert g.read_df(0x4401, 1) != b"\x22"


def test_an_armed_nack_on_a_toggle_is_not_retried() -> None:
    with sim("unsealed") as s:
        g = s.gauge
        g.security_mode()
        before = g.manufacturing_status().raw
        s.device.faults.nack_at.add(s.device.transaction_count)  # the next one (0-based)
        with pytest.raises(NackError):
            g.mac_command("FETControl")
        assert g.manufacturing_status().raw == before  # not toggled twice behind a retry


def test_an_armed_nack_on_a_read_is_retried() -> None:
    with sim() as s:
        s.device.faults.nack_at.add(s.device.transaction_count + 1)
        assert s.gauge.identify().device_type == 0x4500
        assert s.transport.stats.retries == 1


def test_an_armed_corruption_with_pec_is_retried() -> None:
    with sim(pec=True) as s:
        s.device.faults.corrupt_at.add(s.device.transaction_count + 2)
        assert s.gauge.identify().device_type == 0x4500
        assert s.transport.stats.retries == 1


def test_the_adapter_vanishing_is_bus_gone() -> None:
    from station.bus import BusGoneError

    with sim("unsealed") as s:
        s.device.faults.gone_from = s.device.transaction_count + 1
        with pytest.raises((BusGoneError, NackError)):
            s.gauge.identify()


def test_timings_override_reaches_the_wire() -> None:
    with sim(timings=GaugeTimings(key_quiet_s=0.5)) as s:
        start = s.clock.monotonic()
        s.gauge.unseal(TI)
        assert s.clock.monotonic() - start >= 0.5


def test_pec_error_type_exists_for_corrupt_reads_without_retries() -> None:
    with sim(pec=True) as s:
        s.device.faults.corrupt_at.add(s.device.transaction_count)
        with pytest.raises(PecError):
            s.transport.read_word(0x09, retries=0)
