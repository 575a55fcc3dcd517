"""A device reset or key change whose send was not acknowledged is sent again: one NACK does
not fail a run (both are harmless to repeat)."""

from typing import Any

import pytest

from station.gauge import GaugeNotRespondingError, SecurityMode
from station.keys import KeyPair, KeySet, ti_default_keys
from tests.gauge.emu import sim


def test_a_nacked_reset_is_sent_again_and_takes() -> None:
    with sim("unsealed") as s:
        s.device.df_set("da_configuration", 0x13)  # 4S: loaded only by a reset
        assert s.device.cell_count == 3
        s.device.faults.nack_at = {s.device.transaction_count}  # the reset's send
        assert s.gauge.reset() is SecurityMode.UNSEALED
        assert s.device.cell_count == 4
        assert s.device.stats.nacks_by_reason["injected"] == 1


def test_a_reset_to_a_pack_that_is_gone_still_fails_as_not_responding() -> None:
    with sim("unsealed") as s:
        s.device.faults.gone_from = s.device.transaction_count
        with pytest.raises(GaugeNotRespondingError, match="device reset"):
            s.gauge.reset()


def test_a_nacked_key_change_is_sent_again() -> None:
    new = KeySet("acme", unseal=KeyPair.of(0x1357, 0x2468), full_access=KeyPair.of(0x9753, 0x8642))
    with sim() as s:
        s.gauge.full_access(ti_default_keys())
        device = s.device
        transact = device.i2c_rdwr
        nacked = []

        def nack_the_first_key_write(*msgs: Any) -> None:
            if not nacked and bytes(msgs[0])[:4] == bytes([0x44, 10, 0x35, 0x00]):
                nacked.append(device.transaction_count)
                device.faults.nack_at = {device.transaction_count}
            transact(*msgs)

        device.i2c_rdwr = nack_the_first_key_write
        s.gauge.set_security_keys(new)
        assert nacked
        s.gauge.seal()
        assert s.gauge.full_access(new) is SecurityMode.FULL_ACCESS
