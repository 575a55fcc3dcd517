"""Recipes and gauge profiles: what to write into a pack, validated before any pack sees it."""
