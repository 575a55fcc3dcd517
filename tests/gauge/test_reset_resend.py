"""A device reset whose send was not acknowledged is sent again: one NACK does not fail a run."""

import pytest

from station.gauge import GaugeNotRespondingError, SecurityMode
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
