"""Released recipes: the line runs only what an engineer released, and a release never changes.

Releasing the same hash again is a no-op; a different text under a released name and version is
refused (a changed recipe gets a new version).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.store.database import Database, check_lengths
from station.store.errors import RecipeConflictError, StoreInputError
from station.store.models import AuditLog, ReleasedRecipeRow
from station.store.records import AuditAction, ReleasedRecipe
from station.store.rows import from_row


def to_released(row: ReleasedRecipeRow) -> ReleasedRecipe:
    return from_row(ReleasedRecipe, row)


def release_recipe(
    db: Database,
    name: str,
    version: str,
    recipe_hash: str,
    text: str,
    by: str,
    note: str = "",
    *,
    station: str = "",
) -> ReleasedRecipe:
    if not (name.strip() and version.strip() and recipe_hash.strip() and by.strip()):
        raise StoreInputError(
            "a recipe release needs a name, a version, a hash and who releases it"
        )
    fields = {"name": name, "version": version, "hash": recipe_hash, "released_by": by}
    check_lengths(ReleasedRecipeRow, fields)
    for _ in range(3):
        try:
            with db.tx() as s:
                existing = _existing(s, name, version, recipe_hash)
                if existing is not None:
                    return existing
                now = db.now()
                row = ReleasedRecipeRow(text=text, released_at=now, note=note, **fields)
                s.add(row)
                s.add(
                    AuditLog(
                        at=now,
                        who=by,
                        station=station,
                        action=AuditAction.RECIPE_RELEASED,
                        subject=recipe_hash,
                        detail={"name": name, "version": version, "note": note},
                    )
                )
                return to_released(row)
        except IntegrityError:
            continue  # released concurrently: the next pass finds it
    raise RecipeConflictError(f"recipe {name} {version} could not be released; retry")


def _existing(s: Session, name: str, version: str, recipe_hash: str) -> ReleasedRecipe | None:
    same_hash = s.scalar(select(ReleasedRecipeRow).where(ReleasedRecipeRow.hash == recipe_hash))
    if same_hash is not None:
        if (same_hash.name, same_hash.version) == (name, version):
            return to_released(same_hash)
        raise RecipeConflictError(
            f"this recipe text (hash {recipe_hash}) is already released as {same_hash.name} "
            f"{same_hash.version}; one text has one name and version; use that release"
        )
    same_version = s.scalar(
        select(ReleasedRecipeRow).where(
            ReleasedRecipeRow.name == name, ReleasedRecipeRow.version == version
        )
    )
    if same_version is not None:
        raise RecipeConflictError(
            f"recipe {name} {version} is already released with a different text (hash "
            f"{same_version.hash}); a release never changes: give the changed recipe a new "
            "version and release that"
        )
    return None


def released_recipes(db: Database) -> list[ReleasedRecipe]:
    with db.tx() as s:
        rows = s.scalars(
            select(ReleasedRecipeRow).order_by(
                ReleasedRecipeRow.name, ReleasedRecipeRow.released_at
            )
        )
        return [to_released(r) for r in rows]


def get_released(db: Database, recipe_hash: str) -> ReleasedRecipe | None:
    with db.tx() as s:
        row = s.scalar(select(ReleasedRecipeRow).where(ReleasedRecipeRow.hash == recipe_hash))
        return to_released(row) if row is not None else None
