"""Former path of :mod:`station.recipe.profile.profile_model` (the gauge profile); import from
there. Kept while the sequence layer and its tests move to the new path."""

from station.recipe.profile.profile_model import Profile

__all__ = ["Profile"]
