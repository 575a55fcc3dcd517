"""Starting a shift: the work order's form, the released recipe a lock names, the recipe as the
faces see it, and the reference-pack self-test that may have to pass first."""

from __future__ import annotations

import re

from station.bus.errors import BusError, BusOpenError
from station.gauge import GaugeError
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.library import ProfileLibrary
from station.refusal import Refused
from station.sequence import engineering, reference
from station.sequence.engine import steps_for
from station.sequence.service import ActiveRecipe, Badge, RecipeChoice
from station.sequence.socket_context import SocketContext
from station.store import ReleasedRecipe

_LOT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,47}$")


class ShiftRefused(Refused):
    """The shift cannot start as asked; the message says why."""


def checked_lot(lot: str) -> str:
    """The work order / lot as typed, trimmed; refused when it is not one."""
    lot = lot.strip()
    if lot and not _LOT.match(lot):
        raise ShiftRefused(f"{lot!r} is not a work order / lot: letters, digits, . _ / -")
    return lot


def pick_release(choices: list[RecipeChoice], name_or_hash: str) -> RecipeChoice:
    """The one release among ``choices`` a lock names: a full hash, a hash prefix of 6+
    characters, or a name released once. Anything else is refused: a lock must not drift to
    another release by itself."""
    text = name_or_hash.strip()
    by_hash = [c for c in choices if len(text) >= 6 and c.hash.startswith(text.lower())]
    by_name = [c for c in choices if c.name == text]
    found = by_hash or by_name
    if len(found) == 1:
        return found[0]
    if found:
        versions = ", ".join(f"{c.name} {c.version} ({c.short_hash})" for c in found)
        raise ShiftRefused(
            f"recipe {text!r} names several releases ({versions}): lock it by its hash"
        )
    known = ", ".join(f"{c.name} {c.version}" for c in choices) or "none"
    raise ShiftRefused(
        f"no released recipe {text!r} (released: {known}); an engineer releases one with "
        "station recipe release FILE --by NAME"
    )


def reference_check(
    socket: SocketContext, profiles: ProfileLibrary, operator: Badge, *, may_read: bool
) -> None:
    """With ``reference_check`` on, the first shift start of each shift reads the line's
    reference pack and compares it with its registration (recorded either way). A headless
    run (``may_read`` false: the pack in the fixture is a production pack) needs a self-test
    that passed this shift."""
    if not socket.config.reference_check:
        return
    if reference.checked_this_shift(socket, socket.now()):
        return
    if not may_read:
        raise ShiftRefused(
            "reference_check is on and no reference-pack self-test passed at this socket "
            "this shift: start the shift at the terminal with the reference pack first"
        )
    try:
        gauge, close = engineering.connect_gauge(socket, None)
    except (BusOpenError, BusError, GaugeError) as exc:
        refusal = reference.unreachable(socket, operator.code, str(exc))
        raise ShiftRefused(str(refusal)) from None
    try:
        reference.self_test(socket, profiles, operator.code, gauge)
    except reference.ReferenceCheckFailed as exc:
        raise ShiftRefused(str(exc)) from None
    finally:
        close()


def recipe_choice(released: ReleasedRecipe, recipe: Recipe) -> RecipeChoice:
    return RecipeChoice(
        name=released.name,
        version=released.version,
        hash=released.hash,
        description=recipe.description,
        serial_example=recipe.serial.example,
        released_by=released.released_by,
        released_at=released.released_at,
    )


def active_recipe(recipe: Recipe) -> ActiveRecipe:
    return ActiveRecipe(
        name=recipe.name,
        version=recipe.version,
        hash=recipe.content_hash,
        description=recipe.description,
        product=recipe.label.product,
        serial_pattern=recipe.serial.pattern,
        serial_example=recipe.serial.example,
        steps=steps_for(recipe),
        serial_form=recipe.serial.form,
    )
