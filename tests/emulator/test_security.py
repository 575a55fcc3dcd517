"""Security modes and key entry (ref §6)."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import Make
from tests.emulator.raw import RawHost, nacks

SEALED, UNSEALED, FULL = 0b11, 0b10, 0b01


def test_default_keys_unseal_then_full_access_then_seal(host: RawHost) -> None:
    assert host.sec() == SEALED
    host.unseal(0x0414, 0x3672)
    assert host.sec() == UNSEALED
    host.unseal(0xFFFF, 0xFFFF)
    assert host.sec() == FULL
    host.mac(0x0030)
    host.wait_idle()
    assert host.sec() == SEALED
    assert host.dev.security_mode == "SEALED"


def test_seal_through_0x44(unsealed: RawHost) -> None:
    unsealed.mac_block(0x0030)
    nacks(lambda: unsealed.read_word(0x09))  # busy while it reloads ManufacturingStatus
    unsealed.clock.sleep(0.021)
    assert unsealed.sec() == SEALED


def test_full_access_keys_do_nothing_while_sealed(host: RawHost) -> None:
    host.unseal(0xFFFF, 0xFFFF)
    assert host.sec() == SEALED


@pytest.mark.parametrize(
    ("first", "second"), [(0x3672, 0x0414), (0x0414, 0x3673), (0x0000, 0x0000), (0x1234, 0x5678)]
)
def test_wrong_keys_stay_sealed(host: RawHost, first: int, second: int) -> None:
    host.unseal(first, second)
    assert host.sec() == SEALED


def test_second_word_within_4_s(host: RawHost) -> None:
    host.write_word(0x00, 0x0414)
    host.clock.sleep(3.9)
    host.write_word(0x00, 0x3672)
    assert host.sec() == UNSEALED


def test_second_word_after_4_s_fails(host: RawHost) -> None:
    host.write_word(0x00, 0x0414)
    host.clock.sleep(4.01)
    host.write_word(0x00, 0x3672)
    assert host.sec() == SEALED


@pytest.mark.parametrize("between", ["read", "write", "nack"])
def test_any_transaction_between_the_words_fails(host: RawHost, between: str) -> None:
    host.write_word(0x00, 0x0414)
    if between == "read":
        host.read_word(0x09)
    elif between == "write":
        host.write_word(0x01, 100)
    else:
        nacks(lambda: host.read_block(0x51))
    host.write_word(0x00, 0x3672)
    assert host.sec() == SEALED


def test_a_failed_pair_does_not_block_the_next(host: RawHost) -> None:
    host.unseal(0x0414, 0x0414)  # second word wrong, but it starts a new pair
    host.write_word(0x00, 0x3672)
    assert host.sec() == UNSEALED


def test_keys_through_0x44_do_not_unseal(host: RawHost) -> None:
    nacks(lambda: host.block_write(0x44, [0x14, 0x04]))
    nacks(lambda: host.block_write(0x44, [0x72, 0x36]))
    nacks(lambda: host.block_write(0x44, [0x14, 0x04, 0x72, 0x36]))
    assert host.sec() == SEALED


def test_data_flash_refused_while_sealed(host: RawHost) -> None:
    address = host.dev.df_address("serial_number")
    nacks(lambda: host.df_write(address, b"\x34\x12"))
    nacks(lambda: host.block_write(0x44, [address & 0xFF, address >> 8]))
    assert host.dev.df_get("serial_number") == 0x0001


def test_data_flash_read_pointer_dies_with_seal(unsealed: RawHost) -> None:
    unsealed.block_write(0x44, [0x00, 0x40])
    unsealed.mac(0x0030)
    unsealed.wait_idle()
    nacks(lambda: unsealed.read_block(0x44))


def test_security_keys_read_in_full_access_only(unsealed: RawHost, full: RawHost) -> None:
    nacks(lambda: unsealed.mac_block(0x0035))
    keys = full.mac_read(0x0035)
    words = [int.from_bytes(keys[i : i + 2], "little") for i in range(0, 8, 2)]
    assert words == [0x0414, 0x3672, 0xFFFF, 0xFFFF]


def test_key_change_then_unseal_with_the_new_keys(full: RawHost) -> None:
    new = [0x1111, 0x2222, 0x3333, 0x4444]
    full.block_write(0x44, [0x35, 0x00, *b"".join(w.to_bytes(2, "little") for w in new)])
    assert full.dev.busy_until > full.clock.monotonic()  # stored in flash
    full.wait_idle()
    full.mac(0x0030)
    full.wait_idle()
    full.unseal(0x0414, 0x3672)
    assert full.sec() == SEALED
    full.unseal(0x1111, 0x2222)
    assert full.sec() == UNSEALED
    full.unseal(0xFFFF, 0xFFFF)
    assert full.sec() == UNSEALED
    full.unseal(0x3333, 0x4444)
    assert full.sec() == FULL


def test_key_change_refused_unsealed(unsealed: RawHost) -> None:
    nacks(lambda: unsealed.block_write(0x44, [0x35, 0x00, *bytes(8)]))
    unsealed.mac(0x0030)
    unsealed.wait_idle()
    unsealed.unseal(0x0414, 0x3672)
    assert unsealed.sec() == UNSEALED


def test_foreign_keys_cannot_be_unsealed_with_known_sets(make: Make) -> None:
    h = make("foreign-keys")
    for first, second in [(0x0414, 0x3672), (0x1234, 0x5678), (0xFFFF, 0xFFFF)]:
        h.unseal(first, second)
    assert h.sec() == SEALED


def test_shipped_uses_the_test_prod_keys(make: Make) -> None:
    h = make("shipped")
    h.unseal(0x0414, 0x3672)
    assert h.sec() == SEALED
    h.unseal(0x1234, 0x5678)
    assert h.sec() == UNSEALED
    h.unseal(0x9ABC, 0xDEF0)
    assert h.sec() == FULL


def test_reset_keeps_unsealed_by_default(unsealed: RawHost) -> None:
    unsealed.mac(0x0041)
    unsealed.wait_idle()
    assert unsealed.sec() == UNSEALED


def test_reset_reseals_as_an_option(make: Make) -> None:
    h = make("unsealed", reset_reseals=True)
    h.mac(0x0041)
    h.wait_idle()
    assert h.sec() == SEALED


def test_keys_stay_out_of_reprs(full: RawHost) -> None:
    text = repr(full.dev) + repr(full.dev.firmware.keysets)
    assert "1044" not in text
    assert "0x0414" not in text.lower()
    assert "3672" not in text
