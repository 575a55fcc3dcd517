"""Engineer mode's recipe views, from the real service on the emulator: the recipe's values as
the recipe layer describes them, and the connected pack compared with them."""

from __future__ import annotations

from pathlib import Path

from station.config import StationConfig
from station.recipe.product import recipe_report as report
from station.sequence import LineStation, open_service


def service_on(tmp_path: Path) -> LineStation:
    config = StationConfig(
        station_id="ST-E1",
        bus="sim",
        database=f"sqlite:///{tmp_path}/station.sqlite3",
        printer=f"file:{tmp_path}/labels",
        labels_dir=str(tmp_path / "labels"),
    )
    return open_service(config, demo=True)


def test_the_recipe_tab_and_the_pack_comparison_come_from_the_recipe_layer(
    tmp_path: Path,
) -> None:
    service = service_on(tmp_path)
    try:
        released = next(r for r in service.released_recipes() if r.name == "pk4s3p-3500")
        shift = service.start_shift(service.badge("alice"), released.hash, "LOT-1")
        recipe = service.recipes.by_hash(released.hash, None)
        head, parameters = service.recipe_details(shift)
        assert dict(head.rows)["hash"] == recipe.content_hash
        assert parameters.rows == tuple(report.setting_rows(recipe))

        summary, compared = service.recipe_diff_against_pack(shift)
        rows = dict(compared.rows)
        # A factory pack holds the profile defaults: the recipe's name is not there yet.
        assert rows["Device Name"] == 'recipe "PK4S3P-3500" | pack "BQ40Z50" | DIFFERS'
        differing = sum(1 for text in rows.values() if text.endswith("DIFFERS"))
        assert dict(summary.rows)["parameters differing"] == f"{differing} of {len(rows)}"
        assert 0 < differing < len(rows)
    finally:
        service.socket.store.close()
