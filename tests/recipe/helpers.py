"""Shared helpers for recipe tests: the repository's paths and recipe variants on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from station.recipe.errors import Problem, RecipeInvalid
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.profile.library import ProfileLibrary

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_4S = RECIPES / "pk4s3p-3500.toml"
EXAMPLE_3S = RECIPES / "pk3s3p-3500.toml"


def example_text() -> str:
    return EXAMPLE_4S.read_text(encoding="utf-8")


def variant(tmp: Path, *replacements: tuple[str, str], name: str = "variant.toml") -> Path:
    """The 4S example with exact text replacements (each must apply), written under ``tmp``."""
    text = example_text()
    for old, new in replacements:
        assert old in text, f"the example no longer contains {old!r}"
        text = text.replace(old, new)
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def library() -> ProfileLibrary:
    return ProfileLibrary()


def validate_recipe(path: Path, known_key_sets: Sequence[str] | None = None) -> list[Problem]:
    """Every problem in the recipe at ``path`` (empty list: valid)."""
    try:
        load_recipe(path, known_key_sets=known_key_sets)
    except RecipeInvalid as exc:
        return list(exc.problems)
    return []
