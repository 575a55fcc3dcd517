"""Scanned serials are printable ASCII: another script's digits never make a second serial."""

import pytest

from station.recipe.errors import SerialRejected
from station.recipe.product.serial import SerialRule

RULE = SerialRule(pattern=r"^PK4S-(?P<unit>\d{6})$", example="PK4S-000123", sbs_group="unit")


def test_ascii_digits_give_the_unit_number() -> None:
    assert RULE.identify("PK4S-000123").sbs_serial == 123


@pytest.mark.parametrize(
    "serial",
    ["PK4S-٠٠٠١٢٣", "PK4S-０００１２３", "PK4S-000123\u200b", "PK4S 000123", "PK4S-00012\x00"],
)
def test_other_characters_are_rejected_before_the_pattern(serial: str) -> None:
    # Python's \d takes Arabic-Indic or full-width digits: without this rule the first two
    # would be new serials writing unit number 123 again.
    with pytest.raises(SerialRejected, match="printable ASCII"):
        RULE.identify(serial)
