"""Former path of :mod:`station.recipe.product.recipe_loader`; import from there. Kept while
the sequence layer and its tests move to the new path."""

from station.recipe.product.recipe_loader import load_recipe

__all__ = ["load_recipe"]
