"""Former path of :mod:`station.recipe.product.recipe_model` (the recipe); import from there.
Kept while the sequence layer and its tests move to the new path."""

from station.recipe.product.recipe_model import Recipe

__all__ = ["Recipe"]
