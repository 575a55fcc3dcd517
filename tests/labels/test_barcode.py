"""The bars: python-barcode's Code 128 checked against our own reading of the symbology."""

from __future__ import annotations

import io
import string

import pytest
from barcode import Code128
from barcode.charsets import code128 as library_tables
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from station.labels import LabelFitError, LabelStock, parse_stock, render
from station.labels.code128 import encode
from tests.labels.reader import (
    STOP,
    WIDTHS,
    check_value,
    modules_for_values,
    modules_of,
    scan_image,
    scan_png,
    text_of_values,
)
from tests.labels.samples import make_data

serials = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)
digit_heavy = st.text(alphabet=string.digits + "-AB", min_size=1, max_size=24)


def test_python_barcode_patterns_match_the_symbology_table() -> None:
    for value, widths in enumerate(WIDTHS):
        assert sum(int(w) for w in widths) == 11
        assert library_tables.CODES[value] == modules_of(widths), value
    assert modules_of(STOP) == library_tables.STOP + "11"


@given(st.one_of(serials.filter(lambda s: len(s) <= 48), digit_heavy))
def test_symbol_decodes_to_the_serial_and_draws_its_values(serial: str) -> None:
    symbol = encode(serial)
    assert text_of_values(symbol.values) == serial
    assert symbol.modules == modules_for_values(symbol.values)


@pytest.mark.parametrize("serial", ["99ABC", "99", "9912-0001", "PK-2026-000123"])
def test_python_barcode_leading_99_bug_never_reaches_a_label(serial: str) -> None:
    # python-barcode 0.16.1 encodes "99ABC" as if it were "ABC"
    symbol = encode(serial)
    assert text_of_values(symbol.values) == serial
    library = list(Code128(serial).encoded)
    if text_of_values([*library, check_value(library)]) == serial:
        assert list(symbol.values[:-1]) == library  # the library's (shorter) choice is kept
    else:
        assert symbol.values[0] == 104  # fallback: code set B throughout


STOCKS = ["62x29mm", "4x2in", "29x62mm@300", "62x29mm@600", "50x25mm@300"]


@pytest.mark.parametrize("stock_text", STOCKS)
@pytest.mark.parametrize("serial", ["PK-2026-000123", "A", "0123456789", "a^b~c>d_e\\f`g", "99X"])
def test_png_pixels_scan_back_to_the_serial(stock_text: str, serial: str) -> None:
    stock = parse_stock(stock_text)
    artwork = render(make_data(serial=serial), stock)
    scans = scan_png(artwork.png, portrait=stock.orientation == "portrait")
    # every scanned row of the bar area reads the serial, with whole-dot modules and quiet zones
    assert scans, "no row of the PNG decodes as Code 128"
    assert {scan.text for scan in scans} == {serial}
    assert {scan.module for scan in scans} == {artwork.module_dots}
    assert min(scan.quiet_left for scan in scans) >= 10
    assert min(scan.quiet_right for scan in scans) >= 10
    bar_rows_mm = len(scans) * 25.4 / stock.dpi
    assert bar_rows_mm >= 5.0


def test_module_width_is_whole_dots_and_the_widest_that_fits() -> None:
    small = render(make_data(serial="PK-1"), parse_stock("62x29mm"))
    assert small.module_dots == 5  # capped near 0.5 mm at 300 dpi
    long = render(make_data(serial="PACK-ABCDEFGHIJKLMNOPQRSTU"), parse_stock("62x29mm"))
    assert long.module_dots == 2


def test_serial_too_long_for_the_stock_is_refused_not_printed_unscannable() -> None:
    serial = "PACK-" + "ABCDEFGHJK" * 4  # 45 characters, all code set B
    with pytest.raises(LabelFitError) as caught:
        render(make_data(serial=serial), parse_stock("62x29mm"))
    message = str(caught.value)
    assert "62x29mm" in message
    assert "45 characters" in message
    assert "2 dots per module" in message
    assert caught.value.failure_code == "LABEL_DOES_NOT_FIT"


def test_stock_minimum_module_is_respected() -> None:
    serial = "PACK-ABCDEFGHIJKLMNOPQRSTU"
    coarse = LabelStock("62x29mm", 62, 29, 300, min_module_dots=3)
    with pytest.raises(LabelFitError, match="minimum of 3 dots per module"):
        render(make_data(serial=serial), coarse)


def test_too_many_lines_for_a_short_stock_is_refused() -> None:
    data = make_data(extra_lines=("one", "two", "three"))
    with pytest.raises(LabelFitError, match=r"too short.*\(3 given\)"):
        render(data, parse_stock("100x20mm@203"))


def test_a_product_name_too_long_for_the_stock_is_named() -> None:
    data = make_data(product="W" * 64)
    with pytest.raises(LabelFitError, match="product text"):
        render(data, parse_stock("62x29mm"))


def test_reader_rejects_a_bar_one_dot_too_wide() -> None:
    # the pixel reader is strict: it proves the bars, not just their order
    artwork = render(make_data(), parse_stock("62x29mm"))
    image = Image.open(io.BytesIO(artwork.png)).convert("L")
    assert scan_image(image)
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    middle = next(y for y in range(height) if scan_image(image.crop((0, y, width, y + 1))))
    row = [pixels[x, middle] for x in range(width)]
    first_bar = row.index(0)
    first_space = row.index(255, first_bar)
    for y in range(height):
        if pixels[first_bar, y] == 0:
            pixels[first_space, y] = 0
    assert scan_image(image) == []
