"""SVG of the label: python-barcode's SVG group for the bars, composed with the text fields.

The document's user unit is one printer dot (``viewBox`` in dots, ``width``/``height`` in mm),
so the preview has the printer's geometry. python-barcode writes millimetre units; it is given
dot values and the units are stripped when its group is imported.
"""

from __future__ import annotations

import re
from typing import Any
from xml.dom import minidom

from barcode.writer import SVGWriter

from station.labels.layout import BarcodeElement, LabelLayout
from station.labels.stock import MM_PER_INCH

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "DejaVu Sans Mono, monospace"
_MM_VALUE = re.compile(r"^(-?\d+(?:\.\d+)?)mm$")
_FONT_SIZE = re.compile(r"font-size:[^;]*;?")


def svg_from_layout(layout: LabelLayout) -> str:
    stock = layout.stock
    doc = minidom.getDOMImplementation().createDocument(SVG_NS, "svg", None)
    root = doc.documentElement
    assert root is not None
    phys_w, phys_h = stock.width_dots, stock.height_dots
    _set(
        root,
        xmlns=SVG_NS,
        version="1.1",
        width=f"{phys_w * MM_PER_INCH / stock.dpi:.3f}mm",
        height=f"{phys_h * MM_PER_INCH / stock.dpi:.3f}mm",
        viewBox=f"0 0 {phys_w} {phys_h}",
    )
    title = doc.createElement("title")
    title.appendChild(doc.createTextNode(f"Pack label {layout.data.serial}"))
    root.appendChild(title)
    background = doc.createElement("rect")
    _set(background, width=str(phys_w), height=str(phys_h), fill="white")
    root.appendChild(background)

    art = doc.createElement("g")
    _set(art, id="label")
    if stock.orientation == "portrait":
        # turn the landscape artwork 90 degrees clockwise: (x, y) -> (width - y, x)
        _set(art, transform=f"translate({phys_w},0) rotate(90)")
    root.appendChild(art)
    art.appendChild(_barcode_group(doc, layout.barcode))
    for box in layout.boxes:
        rect = doc.createElement("rect")
        half = box.thickness / 2
        _set(
            rect,
            id=box.role,
            x=_num(box.x + half),
            y=_num(box.y + half),
            width=_num(box.width - box.thickness),
            height=_num(box.height - box.thickness),
            fill="none",
            stroke="black",
        )
        rect.setAttribute("stroke-width", str(box.thickness))
        art.appendChild(rect)
    for text in layout.texts:
        node = doc.createElement("text")
        _set(node, id=text.role, x=str(text.x), y=str(text.baseline))
        node.setAttribute("font-size", str(text.height))
        node.setAttribute("font-family", FONT_FAMILY)
        node.setAttribute("xml:space", "preserve")
        node.appendChild(doc.createTextNode(text.text))
        art.appendChild(node)
    return str(doc.toxml())


def _barcode_group(doc: minidom.Document, element: BarcodeElement) -> minidom.Element:
    writer: Any = SVGWriter()
    writer.set_options(
        {
            "module_width": element.module_dots,
            "module_height": element.bar_height,
            "quiet_zone": element.quiet_zone_dots,
            "margin_top": 0,
            "margin_bottom": 0,
            # points in python-barcode's style; replaced by dots below
            "font_size": element.text_height,
            "text_distance": element.text_gap + round(element.text_height * 0.8),
            "background": None,  # transparent: the label has its own background
            "foreground": "black",
            "center_text": True,
            "with_doctype": False,
            "compress": True,
            "text": element.symbol.text,
        }
    )
    rendered: bytes = writer.render([element.symbol.modules])
    source = minidom.parseString(rendered)
    group = next(
        node
        for node in source.getElementsByTagName("g")
        if node.getAttribute("id") == "barcode_group"
    )
    imported = doc.importNode(group, True)
    assert isinstance(imported, minidom.Element)
    for node in imported.getElementsByTagName("*"):
        for name in ("x", "y", "width", "height"):
            match = _MM_VALUE.match(node.getAttribute(name))
            if match:
                node.setAttribute(name, _num(float(match[1])))
        if node.tagName == "text":
            style = _FONT_SIZE.sub("", node.getAttribute("style"))
            node.setAttribute("style", style)
            node.setAttribute("font-size", str(element.text_height))
            node.setAttribute("font-family", FONT_FAMILY)
            node.setAttribute("id", "serial")
    wrapper = doc.createElement("g")
    _set(
        wrapper,
        id="barcode",
        transform=f"translate({element.x - element.quiet_zone_dots},{element.y})",
    )
    wrapper.appendChild(imported)
    return wrapper


def _set(node: minidom.Element, **attributes: str) -> None:
    for name, value in attributes.items():
        node.setAttribute(name, value)


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"
