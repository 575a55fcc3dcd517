"""Where everything goes on the label, in printer dots, shared by the PNG, SVG and ZPL renderers.

Coordinates are for the artwork laid out landscape (``LabelStock.canvas_dots``); renderers turn
it for portrait stock. Text is measured with the monospaced DejaVu font python-barcode ships, so
the PNG is exact and the ZPL printer font (narrower) always fits where the PNG text fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from PIL import ImageFont

from station.labels.code128 import QUIET_ZONE_MODULES, Code128Symbol, encode
from station.labels.data import PASS_MARK, LabelData
from station.labels.errors import LabelFitError
from station.labels.stock import MM_PER_INCH, LabelStock

#: widest bar module we use (wider bars waste room without reading better)
MAX_MODULE_MM = 0.5
#: shortest bars we print: below this, hand scanners must be aimed too carefully
MIN_BAR_HEIGHT_MM = 5.0
#: text never gets smaller than this (about 4 pt)
MIN_TEXT_MM = 1.4


def font_path() -> str:
    """The DejaVu Sans Mono font bundled with python-barcode (no system fonts needed)."""
    return str(resources.files("barcode") / "fonts" / "DejaVuSansMono.ttf")


@dataclass(frozen=True)
class TextElement:
    """One line of text; ``height`` is the font size in dots, the box is ``height`` tall."""

    role: str
    x: int
    y: int
    height: int
    text: str
    width: int  # measured width in dots

    @property
    def baseline(self) -> int:
        return self.y + round(self.height * 0.8)


@dataclass(frozen=True)
class BoxElement:
    """A rectangle outline (the PASS mark's frame)."""

    role: str
    x: int
    y: int
    width: int
    height: int
    thickness: int


@dataclass(frozen=True)
class BarcodeElement:
    """Code 128 bars; ``x`` is the first bar (the quiet zones lie outside), ``y`` the bar top.

    The human-readable serial sits ``text_gap`` dots below the bars, ``text_height`` tall.
    """

    x: int
    y: int
    module_dots: int
    bar_height: int
    text_gap: int
    text_height: int
    text_width: int
    symbol: Code128Symbol

    @property
    def quiet_zone_dots(self) -> int:
        return QUIET_ZONE_MODULES * self.module_dots

    @property
    def bars_width(self) -> int:
        return self.symbol.width_modules * self.module_dots

    @property
    def total_height(self) -> int:
        return self.bar_height + self.text_gap + self.text_height


@dataclass(frozen=True)
class LabelLayout:
    data: LabelData
    stock: LabelStock
    width: int  # canvas, landscape
    height: int
    texts: tuple[TextElement, ...]
    boxes: tuple[BoxElement, ...]
    barcode: BarcodeElement

    def text(self, role: str) -> TextElement:
        return next(element for element in self.texts if element.role == role)


def _dots(mm: float, dpi: int) -> int:
    return max(1, round(mm * dpi / MM_PER_INCH))


class _Measure:
    """Text widths for one layout (fonts loaded once per size)."""

    def __init__(self) -> None:
        self._path = font_path()
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}

    def width(self, text: str, size: int) -> int:
        font = self._fonts.get(size)
        if font is None:
            font = self._fonts[size] = ImageFont.truetype(self._path, size)
        return int(font.getlength(text) + 0.999)

    def fit(self, role: str, text: str, size: int, max_width: int, smallest: int) -> TextElement:
        """Largest size from ``size`` down to ``smallest`` at which ``text`` fits ``max_width``."""
        for candidate in range(size, smallest - 1, -1):
            width = self.width(text, candidate)
            if width <= max_width:
                return TextElement(role, 0, 0, candidate, text, width)
        raise LabelFitError(
            f"label {role} text {text!r} ({len(text)} characters) is too long for this label "
            f"stock even at the smallest text size ({self.width(text, smallest)} dots wide, "
            f"{max_width} available); shorten it in the recipe or use a wider stock"
        )


def choose_module(symbol: Code128Symbol, stock: LabelStock, available: int) -> int:
    """Widest whole-dot module, from the stock minimum up to 0.5 mm, that fits ``available``."""
    smallest = stock.min_module_dots
    largest = max(smallest, int(MAX_MODULE_MM * stock.dpi / MM_PER_INCH))
    span = symbol.width_modules + 2 * QUIET_ZONE_MODULES
    for module in range(largest, smallest - 1, -1):
        if span * module <= available:
            return module
    chars = len(symbol.text)
    raise LabelFitError(
        f"serial {symbol.text!r} ({chars} characters, {symbol.width_modules} Code 128 modules "
        f"plus quiet zones) does not fit label stock {stock.name} at {stock.dpi} dpi: it needs "
        f"{span * smallest} dots at the minimum of {smallest} dots per module, the label has "
        f"{available} dots between its margins. A narrower bar would not scan reliably; use a "
        "wider stock, a higher-resolution printer or a shorter serial"
    )


def layout_label(data: LabelData, stock: LabelStock) -> LabelLayout:
    """Place every element of the label for ``stock``; raises :class:`LabelFitError`."""
    width, height = stock.canvas_dots
    margin = stock.margin_dots
    usable_w = width - 2 * margin
    usable_h = height - 2 * margin
    dpi = stock.dpi
    measure = _Measure()

    small = min(max(round(usable_h * 0.072), _dots(1.8, dpi)), _dots(3.5, dpi))
    smallest = _dots(MIN_TEXT_MM, dpi)
    title_h = round(small * 1.3)
    energy_h = round(small * 1.7)
    gap = max(2, round(small * 0.25))
    thickness = max(2, round(small / 8))

    product, mark, box = _title_row(
        measure,
        data.product,
        stock,
        title_h=title_h,
        gap=gap,
        thickness=thickness,
        smallest=smallest,
    )

    # Row 2: bar code with the human-readable serial under it.
    symbol = encode(data.serial)
    module = choose_module(symbol, stock, usable_w)
    serial_text = measure.fit("serial", data.serial, small, usable_w, smallest)
    text_gap = max(1, round(small * 0.15))
    span = (symbol.width_modules + 2 * QUIET_ZONE_MODULES) * module
    bars_x = margin + (usable_w - span) // 2 + QUIET_ZONE_MODULES * module
    bars_y = margin + title_h + gap

    # Rows below the bar code, bottom-up so the bars take what is left.
    rows: list[tuple[str, str, int]] = [("origin", data.origin_text, small)]
    rows.append(("recipe", data.recipe_text, small))
    rows.extend((f"extra{index}", line, small) for index, line in enumerate(data.extra_lines))
    energy = measure.fit("energy", data.energy_text, energy_h, usable_w, smallest)
    rating = measure.fit(
        "rating", data.rating_text, small, usable_w - energy.width - 2 * gap, smallest
    )
    fitted = [measure.fit(role, text, size, usable_w, smallest) for role, text, size in rows]
    below = gap + energy.height + sum(gap + element.height for element in fitted)
    bar_h = usable_h - (title_h + gap) - (text_gap + serial_text.height) - below
    _check_bar_height(bar_h, stock, extra_lines=len(data.extra_lines))
    barcode = BarcodeElement(
        bars_x, bars_y, module, bar_h, text_gap, serial_text.height, serial_text.width, symbol
    )

    y = bars_y + barcode.total_height + gap
    placed = [product, mark, _at(energy, margin, y)]
    placed.append(_at(rating, margin + energy.width + 2 * gap, y + energy.height - rating.height))
    placed.extend(_stack(fitted, x=margin, y=y + energy.height, gap=gap))
    return LabelLayout(data, stock, width, height, tuple(placed), (box,), barcode)


def _check_bar_height(bar_h: int, stock: LabelStock, *, extra_lines: int) -> None:
    if bar_h < _dots(MIN_BAR_HEIGHT_MM, stock.dpi):
        raise LabelFitError(
            f"label stock {stock.name} is too short for this content: it leaves "
            f"{max(bar_h, 0) * MM_PER_INCH / stock.dpi:.1f} mm for the bars, at least "
            f"{MIN_BAR_HEIGHT_MM:g} mm are needed; remove extra lines "
            f"({extra_lines} given) or use a taller stock"
        )


def _title_row(
    measure: _Measure,
    name: str,
    stock: LabelStock,
    *,
    title_h: int,
    gap: int,
    thickness: int,
    smallest: int,
) -> tuple[TextElement, TextElement, BoxElement]:
    """Row 1: the product name on the left, the PASS mark framed on the right."""
    width, _ = stock.canvas_dots
    margin = stock.margin_dots
    usable_w = width - 2 * margin
    mark = measure.fit("mark", PASS_MARK, round(title_h * 0.75), usable_w, smallest)
    pad = max(thickness + 2, round(title_h * 0.3))
    box_w = mark.width + 2 * pad
    box = BoxElement("mark-frame", width - margin - box_w, margin, box_w, title_h, thickness)
    mark = _at(mark, box.x + pad, margin + (title_h - mark.height) // 2)
    product = measure.fit("product", name, title_h, usable_w - box_w - 2 * gap, smallest)
    return _at(product, margin, margin), mark, box


def _stack(elements: list[TextElement], *, x: int, y: int, gap: int) -> list[TextElement]:
    """Text lines placed one under the other from ``y``, ``gap`` dots apart."""
    placed = []
    for element in elements:
        y += gap
        placed.append(_at(element, x, y))
        y += element.height
    return placed


def _at(element: TextElement, x: int, y: int) -> TextElement:
    return TextElement(element.role, x, y, element.height, element.text, element.width)
