"""A value that does not fit its data-flash type is a refusal; a bug is never taken for one.

``CodecError`` used to be a ``ValueError``, so the planner's ``except ValueError`` that meant
"bytes on the pack that are not a value of this type" also swallowed a ``ValueError`` from a
defect in decoding and showed it as the pack's raw bytes.
"""

from __future__ import annotations

import datetime as dt

import pytest

from station.recipe.errors import CodecError
from station.recipe.planning.writes import plan_writes
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.profile.dftypes import DFType, encode
from station.recipe.profile.parameter import Parameter
from station.refusal import Refused
from tests.recipe.helpers import EXAMPLE_4S

DAY = dt.date(2026, 3, 14)


def test_a_value_that_does_not_fit_is_a_refusal_and_not_a_value_error() -> None:
    with pytest.raises(CodecError) as caught:
        encode(DFType.parse("U1"), 256)
    assert isinstance(caught.value, Refused)
    assert not isinstance(caught.value, ValueError)
    assert "does not fit U1" in str(caught.value)


def test_bytes_on_the_pack_that_are_no_value_are_shown_as_bytes() -> None:
    recipe = load_recipe(EXAMPLE_4S)
    name = recipe.profile.get("Device Name")  # S21: a length byte and up to 20 characters
    current = recipe.profile.default_image()
    stored = bytes([3, 0x01, 0x02, 0x03]) + bytes(name.size - 4)  # control characters: not text
    current.apply(name.address, stored)
    plan = recipe.plan(recipe.target("PK4S-000123", DAY), current)
    change = next(c for c in plan.changes if c.key == name.key)
    assert change.before is None
    assert change.before_text == f"(bytes {stored.hex(' ')})"


def test_a_value_error_from_a_bug_while_planning_is_not_taken_for_odd_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recipe = load_recipe(EXAMPLE_4S)
    target = recipe.target("PK4S-000123", DAY)
    current = recipe.profile.default_image()

    def broken(self: Parameter, data: bytes) -> object:
        raise ValueError("a defect in decoding")

    monkeypatch.setattr(Parameter, "decode", broken)
    with pytest.raises(ValueError, match="a defect in decoding"):
        plan_writes(target, current)
