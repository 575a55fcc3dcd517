"""Finding the recipe a released hash names, and the example recipes shipped with the station.

The database pins a recipe by its content hash; the station runs the file in its recipes folder
whose content hash is that one (golden images and FlashStreams beside it are part of the hash).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import station
from station.recipe.errors import RecipeError
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import Recipe
from station.recipe.profile.library import ProfileLibrary

log = logging.getLogger("station.recipes")


class RecipeNotAvailable(Exception):
    """A released recipe cannot be run here; the message says what to do."""

    failure_code = "RECIPE_NOT_AVAILABLE"


def shipped_recipes_dir() -> Path | None:
    """The example recipes: in the wheel (``station/_recipes``) or the checkout's ``recipes/``."""
    here = Path(station.__file__).resolve().parent
    for candidate in (here / "_recipes", here.parent / "recipes"):
        if candidate.is_dir() and any(candidate.glob("*.toml")):
            return candidate
    return None


@dataclass
class RecipeLibrary:
    """Recipes by content hash, from a folder; loaded once and cached.

    A file that cannot be loaded never takes the others down: it is kept in :attr:`problems`
    with what is wrong with it, for the recipe list to show.
    """

    folder: Path
    profiles: ProfileLibrary = field(default_factory=ProfileLibrary)
    _by_hash: dict[str, Recipe] = field(default_factory=dict)
    _scanned: bool = False
    problems: dict[Path, str] = field(default_factory=dict)

    def scan(self) -> Iterator[Recipe]:
        if not self._scanned:
            self._scanned = True
            for path in sorted(self.folder.glob("*.toml")) if self.folder.is_dir() else []:
                try:
                    recipe = load_recipe(path, self.profiles)
                except RecipeError as exc:
                    self.problems[path] = str(exc)
                    continue
                except Exception as exc:  # a loader defect must not hide the other recipes
                    log.exception("recipe %s could not be loaded", path)
                    self.problems[path] = (
                        f"{path} could not be loaded ({type(exc).__name__}: {exc}); report it "
                        "to the station's maintainers with the file"
                    )
                    continue
                self._by_hash.setdefault(recipe.content_hash, recipe)
        yield from self._by_hash.values()

    def add(self, recipe: Recipe) -> None:
        self._by_hash[recipe.content_hash] = recipe

    def by_hash(self, content_hash: str, released_text: str | None = None) -> Recipe:
        for recipe in self.scan():
            if recipe.content_hash == content_hash:
                return recipe
        if released_text is not None:
            loaded = self._from_text(released_text)
            if loaded is not None and loaded.content_hash == content_hash:
                self.add(loaded)
                return loaded
        raise RecipeNotAvailable(
            f"the released recipe {content_hash[:12]} is not in the recipes folder {self.folder} "
            "(a recipe that references a golden image or FlashStream needs its files there); "
            "copy the released recipe and its files into that folder"
        )

    def _from_text(self, text: str) -> Recipe | None:
        # A recipe made only of parameters is whole in its text: load it from a scratch file.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "released.toml"
            path.write_text(text, encoding="utf-8")
            try:
                return load_recipe(path, self.profiles)
            except RecipeError:
                return None
