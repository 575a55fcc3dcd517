"""The one way a recipe becomes released: by an engineer, by the emulator demo, or for a
``station program`` run on the emulator. Each path names who released it and why."""

from __future__ import annotations

from dataclasses import dataclass

from station.recipe.product.recipe_model import Recipe
from station.store import ReleasedRecipe, Store


@dataclass(frozen=True)
class Released:
    row: ReleasedRecipe
    already: bool  # it was released before (by ``row.released_by``); nothing changed


def release(store: Store, recipe: Recipe, *, by: str, note: str = "", station: str) -> Released:
    """Release ``recipe`` unless the same text is released already under the same name and
    version. The same text under another name is handed to the store, which refuses it."""
    earlier = store.get_released(recipe.content_hash)
    if earlier is not None and (earlier.name, earlier.version) == (recipe.name, recipe.version):
        return Released(earlier, already=True)
    row = store.release_recipe(
        recipe.name,
        recipe.version,
        recipe.content_hash,
        recipe.canonical_text,
        by,
        note,
        station=station,
    )
    return Released(row, already=False)
