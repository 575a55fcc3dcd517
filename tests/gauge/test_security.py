"""Unseal, full access and key changes against the fake; key words never leak."""

import logging
import traceback

import pytest

from station.bus import BusGoneError, NackError
from station.gauge import (
    BadKeysError,
    FullAccessRefusedError,
    GaugeTimings,
    MissingKeysError,
    SecurityMode,
    SecurityModeError,
    UnsealRefusedError,
)
from station.keys import KeyPair, KeySet, ti_default_keys
from tests.gauge.fakes import FULL_ACCESS, SEALED, UNSEALED, FakeGauge, make_gauge

# Values that cannot turn up in a message by coincidence.
SECRET = KeySet(
    "acme-prod", unseal=KeyPair.of(0xBEEF, 0xCAFE), full_access=KeyPair.of(0xD00D, 0xF00D)
)
WRONG = KeySet("wrong", unseal=KeyPair.of(0x1111, 0x2222), full_access=KeyPair.of(0x3333, 0x4444))


def secret_pack(mode: int = SEALED) -> tuple[FakeGauge, object, object]:
    fake, gauge, clock = make_gauge(mode=mode)
    fake.unseal_keys = (0xBEEF, 0xCAFE)
    fake.fa_keys = (0xD00D, 0xF00D)
    return fake, gauge, clock


def key_writes(fake: FakeGauge) -> list[int]:
    return [i for i, t in enumerate(fake.log) if t.kind == "write" and t.command == 0x00]


def test_unseal_sends_two_words_back_to_back_after_a_quiet_bus() -> None:
    fake, gauge, _ = make_gauge()
    assert gauge.unseal(ti_default_keys()) is SecurityMode.UNSEALED
    first, second = key_writes(fake)
    assert second == first + 1  # nothing between the two words
    assert fake.log[first].data == bytes([0x14, 0x04])
    assert fake.log[second].data == bytes([0x72, 0x36])
    quiet = fake.log[first].at - fake.log[first - 1].at
    assert quiet >= GaugeTimings().key_quiet_s  # no traffic just before the first word
    after = fake.log[second + 1]
    assert after.at - fake.log[second].at >= GaugeTimings().key_settle_s


def test_unseal_of_an_unsealed_gauge_sends_no_keys() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    assert gauge.unseal(ti_default_keys()) is SecurityMode.UNSEALED
    assert key_writes(fake) == []


def test_quiet_and_settle_times_are_configurable() -> None:
    fake, gauge, _ = make_gauge(timings=GaugeTimings(key_quiet_s=0.5, key_settle_s=0.25))
    gauge.unseal(ti_default_keys())
    first, second = key_writes(fake)
    assert fake.log[first].at - fake.log[first - 1].at >= 0.5
    assert fake.log[second + 1].at - fake.log[second].at >= 0.25


def test_wrong_keys_are_refused_once_and_never_retried() -> None:
    fake, gauge, _ = secret_pack()
    with pytest.raises(UnsealRefusedError) as err:
        gauge.unseal(WRONG)
    assert err.value.failure_code == "SEALED_UNKNOWN_KEYS"
    assert err.value.key_set_id == "wrong"
    text = str(err.value)
    assert "sealed with keys this key set does not open" in text
    assert "do not retry blindly" in text
    assert "supervisor" in text
    assert len(key_writes(fake)) == 2


def test_full_access_from_sealed_unseals_first() -> None:
    fake, gauge, _ = secret_pack()
    assert gauge.full_access(SECRET) is SecurityMode.FULL_ACCESS
    words = [fake.log[i].data for i in key_writes(fake)]
    assert words == [b"\xef\xbe", b"\xfe\xca", b"\x0d\xd0", b"\x0d\xf0"]


def test_wrong_full_access_keys() -> None:
    fake, gauge, _ = secret_pack(UNSEALED)
    mixed = KeySet("mixed", unseal=SECRET.unseal, full_access=WRONG.full_access)
    with pytest.raises(FullAccessRefusedError) as err:
        gauge.full_access(mixed)
    assert isinstance(err.value, UnsealRefusedError)
    assert err.value.failure_code == "FULL_ACCESS_UNKNOWN_KEYS"
    assert fake.mode == UNSEALED


def test_full_access_without_full_access_keys() -> None:
    _, gauge, _ = make_gauge()
    with pytest.raises(MissingKeysError):
        gauge.full_access(KeySet("half", unseal=KeyPair.of(1, 2)))


def test_a_nack_mid_sequence_restarts_the_whole_sequence() -> None:
    fake, gauge, _ = make_gauge()

    def nack_second_word_once(f: FakeGauge, kind: str, command: int, data: bytes) -> None:
        if command == 0x00 and data == bytes([0x72, 0x36]) and not getattr(f, "done", False):
            f.done = True  # type: ignore[attr-defined]
            f.nack_next = 1

    fake.hook = nack_second_word_once
    assert gauge.unseal(ti_default_keys()) is SecurityMode.UNSEALED
    words = [fake.log[i].data for i in key_writes(fake)]
    assert words == [b"\x14\x04", b"\x72\x36", b"\x14\x04", b"\x72\x36"]


def _leaks(exc: BaseException) -> list[str]:
    text = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
    forms = []
    for word in (0xBEEF, 0xCAFE, 0xD00D, 0xF00D):
        forms += [f"{word:04X}", f"{word:04x}", str(word), f"{word & 0xFF:02x} {word >> 8:02x}"]
    return [f for f in forms if f in text]


def _frame_locals_leak(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, int) and value in (0xBEEF, 0xCAFE, 0xD00D, 0xF00D):
                return True
            if isinstance(value, list | bytes) and bytes([0xEF, 0xBE]) in bytes(
                v for v in value if isinstance(v, int) and 0 <= v < 256
            ):
                return True
        tb = tb.tb_next
    return exc.__context__ is not None and _frame_locals_leak(exc.__context__)


@pytest.mark.parametrize("failure", ["nack", "gone"])
def test_keys_never_appear_in_errors_when_the_bus_fails_during_unseal(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake, gauge, _ = secret_pack()

    def fail_on_keys(f: FakeGauge, kind: str, command: int, data: bytes) -> None:
        if command == 0x00:
            if failure == "gone":
                f.gone = True
            else:
                f.nack_next = 1

    fake.hook = fail_on_keys
    caplog.set_level(logging.DEBUG)
    expected = BusGoneError if failure == "gone" else NackError
    with pytest.raises(expected) as err:
        gauge.unseal(SECRET)
    assert _leaks(err.value) == []
    assert not _frame_locals_leak(err.value)
    assert "BEEF" not in caplog.text.upper()
    assert "CAFE" not in caplog.text.upper()


def test_keys_never_appear_when_full_access_fails() -> None:
    fake, gauge, _ = secret_pack(UNSEALED)
    fake.hook = lambda f, kind, command, data: setattr(f, "nack_next", 1) if command == 0 else None
    with pytest.raises(NackError) as err:
        gauge.full_access(SECRET)
    assert _leaks(err.value) == []


def test_keys_never_appear_in_refusals() -> None:
    _, gauge, _ = secret_pack()
    wrong = KeySet("x", unseal=KeyPair.of(0xBEEF, 0xF00D), full_access=SECRET.full_access)
    with pytest.raises(UnsealRefusedError) as err:
        gauge.unseal(wrong)
    assert _leaks(err.value) == []


# -- changing keys -------------------------------------------------------------------------------


def test_set_security_keys_needs_full_access() -> None:
    fake, gauge, _ = make_gauge(mode=UNSEALED)
    with pytest.raises(SecurityModeError) as err:
        gauge.set_security_keys(SECRET)
    assert err.value.actual is SecurityMode.UNSEALED
    assert fake.keys_written is None


def test_set_security_keys_writes_one_block_in_send_order() -> None:
    fake, gauge, _ = make_gauge(mode=FULL_ACCESS)
    gauge.set_security_keys(SECRET)
    assert fake.keys_written == bytes.fromhex("efbe feca 0dd0 0df0")
    block = [w for w in fake.writes_to(0x44) if w[1:3] == b"\x35\x00"]
    assert block == [bytes([10, 0x35, 0x00]) + bytes.fromhex("efbe feca 0dd0 0df0")]


@pytest.mark.parametrize(
    ("unseal", "full"),
    [((0x1234, 1), (0x1234, 2)), ((0x0030, 1), (0x5678, 2)), ((0x1234, 1), (0x0041, 2))],
)
def test_set_security_keys_refuses_keys_that_break_unsealing(
    unseal: tuple[int, int], full: tuple[int, int]
) -> None:
    fake, gauge, _ = make_gauge(mode=FULL_ACCESS)
    with pytest.raises(BadKeysError) as err:
        gauge.set_security_keys(KeySet("bad", KeyPair.of(*unseal), KeyPair.of(*full)))
    assert fake.log == []  # refused before the bus
    assert "0x1234" not in str(err.value)
    assert "4660" not in str(err.value)


@pytest.mark.parametrize(
    ("unseal", "full"),
    [
        # First words that are MAC codes the driver does not implement (reference §5 lists them).
        ((0xF081, 1), (0x5678, 2)),  # calibration output
        ((0x0F00, 1), (0x5678, 2)),  # ROMMode
        ((0x1234, 1), (0x0037, 2)),  # AuthenticationKey
        ((0x0012, 1), (0x5678, 2)),  # legacy DeviceReset
        ((0x1234, 1), (0x4580, 2)),  # a data-flash address (DataFlashAccess 0x4000-0x5FFF)
        ((0x1234, 1), (0x006F, 2)),  # PowerEvents (R5)
        # Erased or blank words, anywhere in the set.
        ((0x0000, 1), (0x5678, 2)),
        ((0xFFFF, 1), (0x5678, 2)),
        ((0x1234, 0xFFFF), (0x5678, 2)),
        ((0x1234, 1), (0x5678, 0x0000)),
    ],
)
def test_set_security_keys_checks_every_mac_code_and_blank_words(
    unseal: tuple[int, int], full: tuple[int, int]
) -> None:
    fake, gauge, _ = make_gauge(mode=FULL_ACCESS)
    with pytest.raises(BadKeysError):
        gauge.set_security_keys(KeySet("bad", KeyPair.of(*unseal), KeyPair.of(*full)))
    assert fake.log == []  # refused before the bus


def test_key_problems_accepts_ordinary_production_keys() -> None:
    from station.gauge.security import key_problems

    assert key_problems(SECRET) == []


def test_set_security_keys_failure_does_not_leak() -> None:
    fake, gauge, _ = make_gauge(mode=FULL_ACCESS)
    fake.hook = lambda f, kind, command, data: (
        setattr(f, "gone", True) if command == 0x44 and data[1:3] == b"\x35\x00" else None
    )
    with pytest.raises(BusGoneError) as err:
        gauge.set_security_keys(SECRET)
    assert _leaks(err.value) == []
    assert not _frame_locals_leak(err.value)


def test_a_stalled_bus_between_the_key_words_is_reported_not_judged() -> None:
    from station.gauge import KeyWindowMissedError

    fake, gauge, clock = make_gauge()

    def stall_before_second_word(f: FakeGauge, kind: str, command: int, data: bytes) -> None:
        if command == 0x00 and data == bytes([0x72, 0x36]):
            clock.advance(5.0)  # the adapter hangs for 5 s before the second word goes out

    fake.hook = stall_before_second_word
    with pytest.raises(KeyWindowMissedError) as err:
        gauge.unseal(ti_default_keys())
    assert err.value.failure_code == "GAUGE_KEY_WINDOW"
    assert len(key_writes(fake)) == 2 * GaugeTimings().key_entry_attempts
    assert fake.mode == SEALED
