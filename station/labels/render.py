"""One call renders a label's artwork set: SVG and PNG previews and the ZPL the printer gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from station.labels.data import LabelData
from station.labels.layout import LabelLayout, layout_label
from station.labels.png import png_from_layout
from station.labels.stock import LabelStock
from station.labels.svg import svg_from_layout
from station.labels.zpl import zpl_from_layout


@dataclass(frozen=True)
class LabelArtwork:
    """Everything needed to preview, print and audit one label.

    ``modules`` is the Code 128 symbol drawn in all three renderings, one character per module
    ("1" bar, "0" space, start pattern to termination bar, quiet zones excluded);
    ``symbol_values`` are its start, data and check values; ``module_dots`` the bar module width
    in printer dots.
    """

    data: LabelData
    stock: LabelStock
    layout: LabelLayout = field(repr=False)
    zpl: str = field(repr=False)
    modules: str = field(repr=False)
    symbol_values: tuple[int, ...]
    module_dots: int

    @property
    def serial(self) -> str:
        return self.data.serial

    # The previews cost ten times the ZPL; a Zebra or CUPS printer never needs them, so they are
    # drawn only when asked for (the file printer, a preview) and then kept.
    @cached_property
    def svg(self) -> str:
        return svg_from_layout(self.layout)

    @cached_property
    def png(self) -> bytes:
        return png_from_layout(self.layout)


def render(data: LabelData, stock: LabelStock) -> LabelArtwork:
    """Lay the label out once and render it three ways; raises ``LabelFitError`` if it can't fit."""
    layout = layout_label(data, stock)
    symbol = layout.barcode.symbol
    return LabelArtwork(
        data=data,
        stock=stock,
        layout=layout,
        zpl=zpl_from_layout(layout),
        modules=symbol.modules,
        symbol_values=symbol.values,
        module_dots=layout.barcode.module_dots,
    )
