"""Released recipes: released once, never changed, and every release audited."""

from __future__ import annotations

import pytest

from station.store import AuditAction, RecipeConflictError, Store, StoreInputError
from tests.store.helpers import WallClock

TEXT = '[recipe]\nname = "pack-4s2p"\nversion = "1.2"\n'
HASH = "c" * 64


def test_release_and_look_up(store: Store, clock: WallClock) -> None:
    assert not store.is_released(HASH)
    released = store.release_recipe("pack-4s2p", "1.2", HASH, TEXT, "eve", "first build")
    assert released.released_at == clock()
    assert store.is_released(HASH)
    assert store.get_released(HASH) == released
    assert store.released_recipes() == [released]
    assert store.get_released("d" * 64) is None
    (entry,) = store.audit_entries(action=AuditAction.RECIPE_RELEASED)
    assert (entry.who, entry.subject) == ("eve", HASH)
    assert entry.detail == {"name": "pack-4s2p", "version": "1.2", "note": "first build"}


def test_releasing_the_same_recipe_again_changes_nothing(store: Store, clock: WallClock) -> None:
    first = store.release_recipe("pack-4s2p", "1.2", HASH, TEXT, "eve")
    clock.advance(hours=1)
    again = store.release_recipe("pack-4s2p", "1.2", HASH, TEXT, "mallory")
    assert again == first
    assert len(store.audit_entries(action=AuditAction.RECIPE_RELEASED)) == 1


def test_changed_text_under_a_released_version_is_refused(store: Store) -> None:
    store.release_recipe("pack-4s2p", "1.2", HASH, TEXT, "eve")
    with pytest.raises(RecipeConflictError, match="new version") as caught:
        store.release_recipe("pack-4s2p", "1.2", "d" * 64, TEXT + "# tweak\n", "eve")
    assert caught.value.failure_code == "RECIPE_CONFLICT"
    assert store.get_released(HASH) is not None
    assert not store.is_released("d" * 64)
    # a new version of the changed text is fine
    store.release_recipe("pack-4s2p", "1.3", "d" * 64, TEXT + "# tweak\n", "eve")
    assert [r.version for r in store.released_recipes()] == ["1.2", "1.3"]


def test_one_text_has_one_name_and_version(store: Store) -> None:
    store.release_recipe("pack-4s2p", "1.2", HASH, TEXT, "eve")
    with pytest.raises(RecipeConflictError, match=r"already released as pack-4s2p 1\.2"):
        store.release_recipe("pack-4s2p", "1.4", HASH, TEXT, "eve")


def test_release_needs_who_and_what(store: Store) -> None:
    with pytest.raises(StoreInputError):
        store.release_recipe("pack", "1", HASH, TEXT, " ")
    with pytest.raises(StoreInputError):
        store.release_recipe("pack", "", HASH, TEXT, "eve")
