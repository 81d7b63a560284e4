"""Static SVG of the charts' Vega-Lite specs, with vl-convert (no altair, no network).

A kernel that ``izreport render`` starts does not draw its charts' SVG: each figure's
output carries a placeholder and its spec (:data:`PENDING`, ``izreport.svg_spec`` in the
output's metadata), and the rendering process draws them all before export
(:func:`draw_pending`). vl-convert's JavaScript engine then starts once per rendering
process, not once per report kernel (about 0,4 s of CPU each); a batch's workers share
one drawer in the batch's parent (:func:`use_drawer`). In JupyterLab and under plain
papermill the figure draws its SVG itself, as before.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from izreport.core.resources import FONTS_DIR

#: Set in a report kernel's environment when the rendering process draws the SVG.
DEFER_ENV = "IZREPORT_SVG_LATER"
#: Stands for a chart's SVG until it is drawn (in the HTML fragment and as the SVG output).
PENDING = "<!--iz-svg-pending-->"
#: Output metadata key (under "izreport") holding the spec of a chart still to draw.
SPEC_KEY = "svg_spec"

#: d3-format / d3-time-format locale for Vietnamese: "." thousands, "," decimals.
VI_NUMBER_LOCALE: dict[str, Any] = {
    "decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"],
}
VI_TIME_LOCALE: dict[str, Any] = {
    "dateTime": "%A, %e %B %Y, %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
    "periods": ["SA", "CH"],
    "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
    "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
    "months": [f"Tháng {m}" for m in range(1, 13)],
    "shortMonths": [f"Th{m}" for m in range(1, 13)],
}

#: What Vega writes into an SVG for assistive technology even with ``aria`` off: English
#: role descriptions ("group mark container") and graphics roles.
_SVG_ARIA = re.compile(r' (?:aria-roledescription|role)="[^"]*"')


@cache
def _fonts_registered() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(FONTS_DIR))


#: Who draws this process's charts when not itself: a batch's one shared drawer
#: (:mod:`izreport.pipeline.chartserver`), set by :func:`use_drawer`.
_drawer: Callable[[dict[str, Any]], str] | None = None


def use_drawer(draw: Callable[[dict[str, Any]], str] | None) -> None:
    """Have ``draw`` make this process's SVG (None: vl-convert here). A drawer that
    raises ``ConnectionError`` is dropped and the charts are drawn here from then on."""
    global _drawer
    _drawer = draw


def to_svg(spec: dict[str, Any]) -> str:
    """Static SVG of a Vega-Lite spec, with the project fonts and no network access."""
    global _drawer
    if _drawer is not None:
        try:
            return _drawer(spec)
        except ConnectionError:
            _drawer = None
    return draw_locally(spec)


def draw_locally(spec: dict[str, Any]) -> str:
    """:func:`to_svg` by this process's own vl-convert engine."""
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_svg(spec, allowed_base_urls=[], format_locale=VI_NUMBER_LOCALE,
                               time_format_locale=VI_TIME_LOCALE)


def figure_svg(spec: dict[str, Any]) -> str:
    """The SVG a figure shows, without Vega's English ARIA words: the figure's Vietnamese
    text alternative speaks for the whole chart."""
    return _SVG_ARIA.sub("", to_svg(spec))


def warm_up() -> None:
    """Start vl-convert's engine with the project fonts, so the first chart is not slower
    (nothing to start where another process draws the charts)."""
    if _drawer is None:
        draw_locally({"data": {"values": [{"v": 1}]}, "mark": "bar",
                      "encoding": {"x": {"field": "v"}}})


def deferred(environ: dict[str, str] | None = None) -> bool:
    """Whether this kernel leaves its charts' SVG to the rendering process."""
    env = os.environ if environ is None else environ
    return env.get(DEFER_ENV, "") == "1"


def draw_pending(nb: Any) -> int:
    """Draw the SVG of every chart output still holding :data:`PENDING`, in place.

    The same spec gives the same SVG as the kernel would have drawn. Returns how many
    charts were drawn.
    """
    drawn = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            meta = output.get("metadata", {}).get("izreport")
            if not isinstance(meta, dict) or SPEC_KEY not in meta:
                continue
            svg = figure_svg(json.loads(meta.pop(SPEC_KEY)))
            data = output.get("data", {})
            for kind in ("text/html", "image/svg+xml"):
                if isinstance(data.get(kind), str):
                    data[kind] = data[kind].replace(PENDING, svg)
            drawn += 1
    return drawn


#: How the print page gives a chart's SVG as an image's source.
_SVG_IMAGE = "data:image/svg+xml;base64,"


def svg_image(svg: str) -> str:
    """A chart's SVG as the source of an image (a ``data:`` URI), for the print page
    (``izreport_print`` template) and back (:func:`image_svg`, the Word file).

    WeasyPrint lays out the same picture from it, byte for byte in the PDF, but reads it
    with an XML parser instead of its HTML5 parser's tokenizer: 7 to 8 % of a PDF's time
    on the half-year report, which has four charts.
    """
    import base64

    return _SVG_IMAGE + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def image_svg(source: str) -> str | None:
    """The SVG back from an image source :func:`svg_image` made (None for any other)."""
    import base64

    if not source.startswith(_SVG_IMAGE):
        return None
    return base64.b64decode(source[len(_SVG_IMAGE):]).decode("utf-8")
