"""Starting a shift: a lock names exactly one release or is refused with the releases there are,
and a work order / lot is one or is refused with its form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from station.sequence.service import RecipeChoice
from station.sequence.shifts import ShiftRefused, checked_lot, pick_release

WHEN = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def _choice(name: str, version: str, hash_: str) -> RecipeChoice:
    return RecipeChoice(name, version, hash_, "", "PK4S-000001", "eng", WHEN)


V1 = _choice("pk4s3p-3500", "1.0.0", "a1b2c3d4e5f6" + "0" * 52)
V2 = _choice("pk4s3p-3500", "1.1.0", "a1b2c3ffffff" + "1" * 52)
OTHER = _choice("pk3s2p-2000", "2.0.0", "0f0e0d0c0b0a" + "2" * 52)


def test_a_lock_names_a_release_by_hash_prefix_or_by_a_name_released_once() -> None:
    choices = [V1, V2, OTHER]
    assert pick_release(choices, "A1B2C3D4") is V1
    assert pick_release(choices, V2.hash) is V2
    assert pick_release(choices, " pk3s2p-2000 ") is OTHER


def test_a_lock_naming_several_releases_asks_for_the_hash() -> None:
    with pytest.raises(ShiftRefused) as refused:
        pick_release([V1, V2, OTHER], "pk4s3p-3500")
    assert str(refused.value) == (
        "recipe 'pk4s3p-3500' names several releases (pk4s3p-3500 1.0.0 (a1b2c3d4e5f6), "
        "pk4s3p-3500 1.1.0 (a1b2c3ffffff)): lock it by its hash"
    )
    with pytest.raises(ShiftRefused, match=r"names several releases"):
        pick_release([V1, V2], "a1b2c3")


def test_a_lock_naming_no_release_lists_the_releases_and_how_to_release_one() -> None:
    with pytest.raises(ShiftRefused) as refused:
        pick_release([V1, OTHER], "a1b2c")  # a prefix shorter than 6 is not a hash
    assert str(refused.value) == (
        "no released recipe 'a1b2c' (released: pk4s3p-3500 1.0.0, pk3s2p-2000 2.0.0); an "
        "engineer releases one with station recipe release FILE --by NAME"
    )
    with pytest.raises(ShiftRefused, match=r"\(released: none\)"):
        pick_release([], "pk4s3p-3500")


@pytest.mark.parametrize("lot", ["", "LOT-1", "WO.2026/12_05", "a" * 48])
def test_a_work_order_is_letters_digits_and_separators(lot: str) -> None:
    assert checked_lot(f"  {lot} ") == lot


@pytest.mark.parametrize("lot", ["-LOT", "LOT 1", "lot;drop", "a" * 49, "LOT\u00e9"])
def test_anything_else_is_refused_with_the_form(lot: str) -> None:
    with pytest.raises(ShiftRefused) as refused:
        checked_lot(lot)
    assert str(refused.value) == f"{lot!r} is not a work order / lot: letters, digits, . _ / -"
