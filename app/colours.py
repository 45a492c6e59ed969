"""One colour per region, the same on every page, every chart and the board report's PDF.

The three programme regions have fixed colours; a region added later gets one of the spare
colours chosen from its code (not from its position in a list), so adding or hiding a region
never repaints the others. Charts look colours up by region code or by the region's name
(the name is what their legends show).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable
from typing import Any

from warehouse.i18n import translate_text

REGION_COLOURS: dict[str, str] = {
    "west-africa": "#0F766E",  # teal
    "east-africa": "#D97706",  # amber
    "south-asia": "#2563EB",  # blue
}
SPARE = ("#9333EA", "#DC2626", "#059669", "#DB2777", "#65A30D", "#64748B")
#: partial periods ("so far") are drawn dotted; their legend entry uses this neutral grey
SO_FAR = "#94A3B8"


def region_colour(code: str) -> str:
    """The colour of region ``code`` (hex ``#RRGGBB``)."""
    if code in REGION_COLOURS:
        return REGION_COLOURS[code]
    digest = hashlib.blake2b(code.encode(), digest_size=2).digest()
    return SPARE[int.from_bytes(digest, "big") % len(SPARE)]


def colours_for(codes: Iterable[str]) -> dict[str, str]:
    """``{code: colour}`` for ``codes``."""
    return {c: region_colour(c) for c in codes}


def colours_by_name(regions: Iterable[Any]) -> dict[str, str]:
    """``{name: colour}`` for objects with ``region`` (code) and ``name`` attributes, such as
    the regions of a metrics report; the name as the reader reads it (charts show it so)."""
    return {translate_text(r.name): region_colour(r.region) for r in regions}


def paint(fig: Any, by_name: dict[str, str]) -> Any:
    """Give every trace of ``fig`` whose name is a region's name that region's colour (line,
    markers and bars). Returns ``fig``."""
    for trace in fig.data:
        colour = by_name.get(html.unescape(str(trace.name)))
        if colour is None:
            continue
        if trace.type == "scatter":
            trace.line.color = colour
        trace.marker.color = colour
    return fig
