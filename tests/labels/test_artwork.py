"""SVG and ZPL artwork: structure, golden files and field escaping."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.labels import LabelStock, parse_stock, render
from station.labels.zpl import escape_field
from tests.labels.reader import unescape_hex, zpl_fields
from tests.labels.samples import make_data

FIXTURES = Path(__file__).parent / "fixtures"
SVG = "{http://www.w3.org/2000/svg}"
UPDATE = os.environ.get("STATION_UPDATE_GOLDEN") == "1"
ZPL_COMMANDS = {"XA", "CI", "PW", "LL", "LH", "FO", "GB", "FS", "A0", "FH", "FD", "BY", "BC", "XZ"}


def svg_texts(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {node.get("id", ""): "".join(node.itertext()) for node in root.iter(f"{SVG}text")}


# --- SVG ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stock_text", ["62x29mm", "4x2in", "29x62mm@300"])
def test_svg_is_well_formed_and_carries_serial_and_energy(stock_text: str) -> None:
    stock = parse_stock(stock_text)
    artwork = render(make_data(), stock)
    root = ET.fromstring(artwork.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {stock.width_dots} {stock.height_dots}"
    assert root.get("width", "").endswith("mm")
    texts = svg_texts(artwork.svg)
    assert texts["serial"] == "PK-2026-000123"
    assert texts["energy"] == "96.5 Wh"
    assert texts["mark"] == "PASS"
    assert texts["rating"] == "14.4 V  6700 mAh"
    ids = [node.get("id") for node in root.iter() if node.get("id")]
    assert len(ids) == len(set(ids)), "SVG ids must be unique"


def test_svg_bars_are_the_symbol_modules() -> None:
    artwork = render(make_data(), parse_stock("62x29mm"))
    root = ET.fromstring(artwork.svg)
    group = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "barcode_group")
    bars = sorted(
        (float(rect.get("x", "")), float(rect.get("width", "")))
        for rect in group.iter(f"{SVG}rect")
    )
    module = artwork.module_dots
    first = bars[0][0]
    drawn = ["0"] * len(artwork.modules)
    for x, width in bars:
        start, count = (x - first) / module, width / module
        assert start.is_integer()
        assert count.is_integer()
        drawn[int(start) : int(start + count)] = ["1"] * int(count)
    assert "".join(drawn) == artwork.modules


def test_svg_escapes_markup_in_text() -> None:
    artwork = render(make_data(product='Pack <A&B> "x"'), parse_stock("4x2in"))
    assert svg_texts(artwork.svg)["product"] == 'Pack <A&B> "x"'


# --- ZPL ------------------------------------------------------------------------------------------


GOLDEN = {
    "pack-62x29mm.zpl": ("62x29mm", {}),
    "pack-4x2in.zpl": ("4x2in", {"product": "Akku 4S2P ^~_ Ü", "serial": "PK>2026^01~_"}),
    "pack-29x62mm-portrait.zpl": ("29x62mm@300", {}),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_zpl_golden(name: str) -> None:
    stock_text, overrides = GOLDEN[name]
    zpl = render(make_data(**overrides), parse_stock(stock_text)).zpl
    path = FIXTURES / name
    if UPDATE:
        path.write_text(zpl, encoding="utf-8", newline="\n")
    assert zpl == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("stock_text", ["62x29mm", "4x2in", "29x62mm@300"])
def test_zpl_structure_follows_the_stock(stock_text: str) -> None:
    stock = parse_stock(stock_text)
    artwork = render(make_data(), stock)
    zpl = artwork.zpl
    assert zpl.startswith("^XA\n^CI28\n")
    assert zpl.rstrip().endswith("^XZ")
    assert f"^PW{stock.width_dots}\n" in zpl
    assert f"^LL{stock.height_dots}\n" in zpl
    assert f"^BY{artwork.module_dots}^" in zpl
    barcode = [field for field in zpl_fields(zpl) if field.is_code128]
    assert len(barcode) == 1
    assert barcode[0].text() == "PK-2026-000123"
    if stock.orientation == "landscape":
        assert re.search(r"\^BCN,\d+,Y,N,N", barcode[0].commands)  # interpretation line on
    else:
        assert "^BCR," in barcode[0].commands
        texts = [field.text() for field in zpl_fields(zpl)]
        assert texts.count("PK-2026-000123") == 2  # bars plus the serial printed beside them
    texts = {field.text() for field in zpl_fields(zpl)}
    assert {"96.5 Wh", "PASS", "Cordless 4S2P pack"} <= texts


def test_zpl_bar_code_field_decodes_to_the_serial_with_special_characters() -> None:
    serial = "A>B^C~D_E>0><>=12345678"
    zpl = render(make_data(serial=serial), parse_stock("4x2in")).zpl
    barcode = next(field for field in zpl_fields(zpl) if field.is_code128)
    assert not {"^", "~"} & set(barcode.data)
    assert barcode.text() == serial


def test_zpl_is_pure() -> None:
    data, stock = make_data(), parse_stock("62x29mm")
    assert render(data, stock).zpl == render(data, stock).zpl


printable_serial = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20
)
label_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=24,
).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(serial=printable_serial, product=label_text, extra=label_text)
def test_zpl_field_data_is_escaped(serial: str, product: str, extra: str) -> None:
    stock = LabelStock("4x2in", 101.6, 50.8, 203)
    zpl = render(make_data(serial=serial, product=product, extra_lines=(extra,)), stock).zpl
    fields = zpl_fields(zpl)
    for field in fields:
        assert not {"^", "~"} & set(field.data), field
        assert field.is_code128 or field.hex_indicator == "_"
    texts = [field.text() for field in fields]
    assert product in texts
    assert extra in texts
    assert next(field.text() for field in fields if field.is_code128) == serial
    # with no ^ left in field data, every ^ in the label starts one of our commands
    assert zpl.count("^FD") == len(fields)
    assert set(re.findall(r"\^(..)", zpl)) <= ZPL_COMMANDS
    assert "~" not in zpl


@given(st.text())
def test_escape_field_round_trips_any_text(text: str) -> None:
    escaped = escape_field(text)
    assert not set(escaped) & {"^", "~"}
    assert all(" " <= char <= "~" for char in escaped)
    assert unescape_hex(escaped) == text
