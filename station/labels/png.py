"""1-bit PNG of the label at the printer's resolution, bars by python-barcode's ImageWriter."""

from __future__ import annotations

import io
from typing import Any

from barcode.writer import ImageWriter
from PIL import Image, ImageDraw, ImageFont

from station.labels.layout import BarcodeElement, LabelLayout, font_path
from station.labels.stock import MM_PER_INCH

# python-barcode places bars in millimetres and truncates to pixels, so at a real printer
# resolution float error moves bar edges by a dot. Rendering at 25.4 dpi makes one of its
# "millimetres" exactly one printer dot, and a half-dot offset keeps every edge off the
# truncation boundary: each bar comes out a whole number of modules wide, as the printer prints it.
_DOT = 1.0
_HALF = 0.5
_PT_PER_DOT = 1 / 0.352777778  # python-barcode converts its font size from points with this factor


def png_from_layout(layout: LabelLayout) -> bytes:
    canvas = Image.new("1", (layout.width, layout.height), 1)
    bars = barcode_image(layout.barcode)
    canvas.paste(bars, (layout.barcode.x - layout.barcode.quiet_zone_dots, layout.barcode.y))
    draw = ImageDraw.Draw(canvas)
    path = font_path()
    for box in layout.boxes:
        draw.rectangle(
            (box.x, box.y, box.x + box.width - 1, box.y + box.height - 1),
            outline=0,
            width=box.thickness,
        )
    for text in layout.texts:
        font = ImageFont.truetype(path, text.height)
        draw.text((text.x, text.baseline), text.text, font=font, fill=0, anchor="ls")
    if layout.stock.orientation == "portrait":
        canvas = canvas.transpose(Image.Transpose.ROTATE_270)  # 90 degrees clockwise
    out = io.BytesIO()
    canvas.save(out, format="PNG", dpi=(layout.stock.dpi, layout.stock.dpi))
    return out.getvalue()


def barcode_image(element: BarcodeElement) -> Image.Image:
    """Bars, quiet zones and the human-readable serial, one pixel per printer dot, 1-bit."""
    writer: Any = ImageWriter(format="PNG", mode="1", dpi=MM_PER_INCH)
    _, descent = ImageFont.truetype(font_path(), element.text_height).getmetrics()
    baseline = element.bar_height + element.text_gap + round(element.text_height * 0.8)
    bars_bottom = _HALF + element.bar_height - _DOT  # where python-barcode ends the bars
    writer.set_options(
        {
            "module_width": element.module_dots * _DOT,
            "module_height": element.bar_height - _DOT,
            "quiet_zone": element.quiet_zone_dots + _HALF,
            "margin_top": _HALF,
            "margin_bottom": 0.0,
            "font_size": (element.text_height + _HALF) * _PT_PER_DOT,
            # python-barcode anchors the text at its descender line
            "text_distance": baseline + descent - bars_bottom,
            "font_path": font_path(),
            "background": "white",
            "foreground": "black",
            "center_text": True,
            "text": element.symbol.text,
        }
    )
    image: Image.Image = writer.render([element.symbol.modules])
    width = element.bars_width + 2 * element.quiet_zone_dots
    return image.crop((0, 0, width, min(image.height, element.total_height + descent)))
