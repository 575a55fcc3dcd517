import datetime as dt
import io

import pytest
from PIL import Image

from station.labels import (
    PRESETS,
    LabelDataError,
    LabelStock,
    LabelStockError,
    parse_stock,
    render,
)
from tests.labels.samples import make_data

# --- LabelData ------------------------------------------------------------------------------------


def test_valid_data_formats_energy_rating_and_origin() -> None:
    data = make_data()
    assert data.energy_text == "96.5 Wh"
    assert data.rating_text == "14.4 V  6700 mAh"
    assert data.origin_text == "Made 2026-01-31  Station ST-01"
    assert data.recipe_text == "Recipe PACK-4S2P v3"
    assert make_data(nominal_voltage_v=10.0, capacity_mah=10_000, energy_wh=100.0).energy_text == (
        "100 Wh"
    )


@pytest.mark.parametrize(
    ("serial", "words"),
    [
        ("", "serial is required"),
        ("PK 0001", "position 3"),
        ("PK-é01", "printable ASCII"),
        ("PK\t01", "position 3"),
        ("X" * 49, "49 characters"),
    ],
)
def test_serial_must_be_printable_ascii_code128_can_carry(serial: str, words: str) -> None:
    with pytest.raises(LabelDataError, match=words) as caught:
        make_data(serial=serial)
    assert caught.value.failure_code == "LABEL_DATA_INVALID"


@pytest.mark.parametrize("energy", [0.0, -5.0, float("nan"), float("inf")])
def test_energy_must_be_positive_and_finite(energy: float) -> None:
    with pytest.raises(LabelDataError, match="energy_wh"):
        make_data(energy_wh=energy)


def test_energy_that_disagrees_with_voltage_times_capacity_is_refused() -> None:
    # 96480 would be mWh typed into a Wh field
    with pytest.raises(LabelDataError, match=r"does not match 14.4 V x 6700 mAh = 96.48 Wh"):
        make_data(energy_wh=96480)
    make_data(energy_wh=96.48 * 1.04)  # within 5 %: rounding on the datasheet is fine


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("product", "", "product"),
        ("product", "Pack\nB", "U\\+000A"),
        ("recipe", "   ", "recipe"),
        ("station_id", "ST 01", "station_id"),
        ("nominal_voltage_v", True, "nominal_voltage_v"),
        ("capacity_mah", -1, "capacity_mah"),
        ("manufactured", "2026-01-31", "manufactured"),
        ("extra_lines", ("a", "b", "c", "d"), "4 extra lines"),
        ("extra_lines", ("ok", "bad\x07"), r"extra_lines\[1\]"),
    ],
)
def test_bad_fields_are_named(field: str, value: object, words: str) -> None:
    overrides: dict[str, object] = {field: value}
    if field == "capacity_mah":
        overrides["energy_wh"] = 1.0
    with pytest.raises(LabelDataError, match=words):
        make_data(**overrides)


def test_datetime_is_kept_as_its_date_and_lists_become_tuples() -> None:
    data = make_data(manufactured=dt.datetime(2026, 1, 31, 23, 59), extra_lines=["one"])
    assert data.manufactured == dt.date(2026, 1, 31)
    assert data.extra_lines == ("one",)


# --- LabelStock -----------------------------------------------------------------------------------


def test_presets() -> None:
    small = parse_stock("62x29mm")
    assert small is PRESETS["62x29mm"]
    assert (small.dpi, small.width_dots, small.height_dots) == (300, 732, 342)
    zebra = parse_stock("4x2in")
    assert (zebra.dpi, zebra.width_dots, zebra.height_dots) == (203, 812, 406)
    assert zebra.orientation == "landscape"


@pytest.mark.parametrize(
    ("text", "dpi", "dots", "orientation"),
    [
        ("62x29mm@600", 600, (1464, 685), "landscape"),
        ("4x2in@300", 300, (1200, 600), "landscape"),
        ("50x30mm", 203, (399, 239), "landscape"),
        ("2.25x1.25in@203", 203, (456, 253), "landscape"),
        ("29x62mm@300", 300, (342, 732), "portrait"),
        ("62x29mm@300,portrait", 300, (732, 342), "portrait"),
        (" 4 x 2 IN @ 203 ", 203, (812, 406), "landscape"),
    ],
)
def test_parse_stock(text: str, dpi: int, dots: tuple[int, int], orientation: str) -> None:
    stock = parse_stock(text)
    assert stock.dpi == dpi
    assert (stock.width_dots, stock.height_dots) == dots
    assert stock.orientation == orientation


@pytest.mark.parametrize("text", ["", "62x29", "62mm", "62x29cm", "4x2in@", "4x2in@300,sideways"])
def test_bad_stock_text_lists_the_forms(text: str) -> None:
    with pytest.raises(LabelStockError, match=r"WxHmm or WxHin.*62x29mm \(300 dpi\)"):
        parse_stock(text)


def test_stock_values_are_checked() -> None:
    with pytest.raises(LabelStockError, match="dpi = 50"):
        parse_stock("4x2in@50")
    with pytest.raises(LabelStockError, match="min_module_dots"):
        LabelStock("x", 62, 29, 300, min_module_dots=1)
    with pytest.raises(LabelStockError, match="out of range"):
        parse_stock("2x2mm")


@pytest.mark.parametrize("text", ["62x29mm", "4x2in", "29x62mm@300", "4x2in@300", "62x29mm@600"])
def test_png_has_the_stock_pixel_size_and_resolution(text: str) -> None:
    stock = parse_stock(text)
    image = Image.open(io.BytesIO(render(make_data(), stock).png))
    assert image.size == (stock.width_dots, stock.height_dots)
    assert image.mode == "1"
    assert image.info["dpi"] == pytest.approx((stock.dpi, stock.dpi), abs=0.01)
