"""Label stock: the physical label (size, printer resolution, which way the artwork sits).

``width_mm`` runs across the print head (ZPL ``^PW``), ``height_mm`` along the feed (``^LL``).
The artwork is always laid out landscape (long side horizontal): on ``portrait`` stock, whose
long side runs along the feed, it is turned 90 degrees clockwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from station.labels.errors import LabelStockError

MM_PER_INCH = 25.4
#: resolution assumed when a stock text gives none and is not a preset
DEFAULT_DPI = 203
MIN_DPI = 100
MAX_DPI = 1200

Orientation = Literal["landscape", "portrait"]


@dataclass(frozen=True)
class LabelStock:
    """One label size at one printer resolution.

    ``min_module_dots`` is the narrowest bar this printer/stock pair prints reliably (at least 2
    dots: a single-dot bar spreads or vanishes on thermal heads). ``margin_mm`` is kept blank on
    every edge for feed and cutting tolerance.
    """

    name: str
    width_mm: float
    height_mm: float
    dpi: int
    orientation: Orientation = "landscape"
    min_module_dots: int = 2
    margin_mm: float = 1.5

    def __post_init__(self) -> None:
        if not 5.0 <= self.width_mm <= 300.0 or not 5.0 <= self.height_mm <= 1000.0:
            raise LabelStockError(
                f"label stock {self.name!r}: {self.width_mm:g} x {self.height_mm:g} mm is out of "
                "range; allowed: 5-300 mm across the head and 5-1000 mm along the feed"
            )
        if isinstance(self.dpi, bool) or not MIN_DPI <= self.dpi <= MAX_DPI:
            raise LabelStockError(
                f"label stock {self.name!r}: dpi = {self.dpi!r}; allowed: {MIN_DPI}-{MAX_DPI} "
                "(203, 300 and 600 are the usual thermal printer resolutions)"
            )
        if self.orientation not in ("landscape", "portrait"):
            raise LabelStockError(
                f"label stock {self.name!r}: orientation = {self.orientation!r}; allowed: "
                "landscape, portrait"
            )
        if not 2 <= self.min_module_dots <= 20:
            raise LabelStockError(
                f"label stock {self.name!r}: min_module_dots = {self.min_module_dots!r}; "
                "allowed: 2-20 dots (one-dot bars do not scan reliably)"
            )
        if not 0.0 <= self.margin_mm < min(self.width_mm, self.height_mm) / 4:
            raise LabelStockError(
                f"label stock {self.name!r}: margin_mm = {self.margin_mm!r} leaves no room"
            )

    @property
    def width_dots(self) -> int:
        """Dots across the print head (``^PW``); never more than the label is wide."""
        return mm_to_dots(self.width_mm, self.dpi)

    @property
    def height_dots(self) -> int:
        """Dots along the feed (``^LL``)."""
        return mm_to_dots(self.height_mm, self.dpi)

    @property
    def canvas_dots(self) -> tuple[int, int]:
        """Width and height of the artwork before it is turned for a portrait stock."""
        if self.orientation == "portrait":
            return self.height_dots, self.width_dots
        return self.width_dots, self.height_dots

    @property
    def margin_dots(self) -> int:
        return round(self.margin_mm * self.dpi / MM_PER_INCH)


def mm_to_dots(mm: float, dpi: int) -> int:
    # floor, with a tolerance for 4 in = 101.6 mm style round trips, so we never overrun the label
    return int(mm * dpi / MM_PER_INCH + 1e-6)


#: name → stock; the names are also accepted by :func:`parse_stock` (with an optional ``@DPI``)
PRESETS: dict[str, LabelStock] = {
    # Brother QL / Zebra small die-cut label, 300 dpi heads
    "62x29mm": LabelStock("62x29mm", 62.0, 29.0, 300),
    # Zebra desktop shipping/product label, 203 dpi heads
    "4x2in": LabelStock("4x2in", 4 * MM_PER_INCH, 2 * MM_PER_INCH, 203),
}

# ASCII digits, a few of them: \d would take any script's digits, and int() refuses numbers of
# more than 4300 digits with a ValueError.
_NUMBER = r"[0-9]{1,6}(?:\.[0-9]{1,6})?"
_STOCK_TEXT = re.compile(
    rf"^\s*(?P<w>{_NUMBER})\s*x\s*(?P<h>{_NUMBER})\s*(?P<unit>mm|in)"
    r"(?:\s*@\s*(?P<dpi>[0-9]{1,6}))?(?:\s*,\s*(?P<orient>landscape|portrait))?\s*$",
    re.IGNORECASE,
)


def parse_stock(text: str) -> LabelStock:
    """Parse ``WxHmm`` or ``WxHin``, optionally ``@DPI`` and ``,landscape``/``,portrait``.

    Presets (``62x29mm`` at 300 dpi, ``4x2in`` at 203 dpi) keep their resolution unless ``@DPI``
    is given; any other size defaults to 203 dpi. Without an orientation, a stock narrower across
    the head than along the feed is ``portrait``.
    """
    match = _STOCK_TEXT.match(text) if isinstance(text, str) else None
    if match is None:
        presets = ", ".join(f"{name} ({stock.dpi} dpi)" for name, stock in PRESETS.items())
        raise LabelStockError(
            f"label stock {text!r} is not understood; use WxHmm or WxHin with an optional @DPI "
            f"and ,landscape/,portrait (e.g. 62x29mm@300, 4x2in@203, 29x62mm@300,portrait); "
            f"presets: {presets}"
        )
    unit = match["unit"].lower()
    scale = MM_PER_INCH if unit == "in" else 1.0
    width_mm = float(match["w"]) * scale
    height_mm = float(match["h"]) * scale
    base = f"{match['w']}x{match['h']}{unit}"
    preset = PRESETS.get(base)
    dpi = int(match["dpi"]) if match["dpi"] else (preset.dpi if preset else DEFAULT_DPI)
    orient = match["orient"]
    orientation: Orientation
    if orient:
        orientation = "portrait" if orient.lower() == "portrait" else "landscape"
    else:
        orientation = "portrait" if width_mm < height_mm else "landscape"
    if preset is not None and not match["dpi"] and not orient:
        return preset
    name = f"{base}@{dpi}" + (f",{orientation}" if orient else "")
    return LabelStock(name, width_mm, height_mm, dpi, orientation)
