"""Charts: one altair theme, the report's chart builders and a display object.

A chart is shown as a :class:`Figure`, whose display bundle carries both an HTML
fragment (the static SVG, upgraded to an interactive Vega view on the intranet page)
and the bare SVG (for the printed PDF). The Vega JavaScript itself is never put in a
chart: the page template inlines it once. In JupyterLab, :mod:`izreport.blocks.notebook_display`
brings the same bundle into the page once per kernel session.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

import altair as alt

from izreport.blocks import notebook_display, numbering, vega
from izreport.blocks.vega import VI_NUMBER_LOCALE, VI_TIME_LOCALE

FONT = "Liberation Sans"

#: Dark and light of one hue plus grays: distinguishable when printed in grayscale.
PALETTE = ["#1f4e79", "#9dc3e6", "#595959", "#bfbfbf", "#c55a11", "#f4b183"]
THEME_NAME = "izreport"


def _theme() -> alt.theme.ThemeConfig:
    axis = {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11, "titleFontSize": 11,
            # drop labels that would touch rather than print them over each other
            "labelOverlap": "greedy", "labelSeparation": 6,
            "labelColor": "#222222", "titleColor": "#222222", "gridColor": "#dddddd"}
    return {
        "config": {
            # the figure's Vietnamese text alternative speaks for the chart; Vega's own
            # descriptions of axes and marks would be English
            "aria": False,
            "font": FONT,
            "locale": {"number": VI_NUMBER_LOCALE, "time": VI_TIME_LOCALE},
            "view": {"stroke": None},
            "axis": axis,
            # end labels centred on their ticks too: flush end labels ran into their
            # neighbours on a numbered axis
            "axisX": {"labelFlush": False},
            # ticks as the data need them: 0,2 / 0,4 on a small axis (not "0" five times),
            # 1.000 / 2.000 on a large one; never an exponent
            "axisQuantitative": {"format": ",~r"},
            "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11,
                       "titleFontSize": 11, "orient": "bottom"},
            "title": {"font": FONT, "fontSize": 13, "anchor": "start", "color": "#222222"},
            "range": {"category": PALETTE},
            "bar": {"color": PALETTE[0]},
            "numberFormat": ",.0f",
        }
    }


@cache
def use_theme() -> None:
    """Register and enable the project theme (idempotent)."""
    alt.theme.register(THEME_NAME, enable=True)(_theme)


def _spec_json(spec: dict[str, Any]) -> str:
    """Spec as JSON that is safe inside a <script> element and still JSON.

    No '</' (it would end the element) and no '<!--' (it changes how the element ends);
    both are written with JSON escapes ('\\/', '\\u003c'), which JSON.parse reads back.
    """
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<!--", "\\u003c!--").replace("</", "<\\/")


def _title_text(chart: alt.TopLevelMixin) -> str | None:
    """The chart's own title as text (a caption replaces it under the figure)."""
    title = getattr(chart, "title", alt.Undefined)
    if title is alt.Undefined or title is None:
        return None
    if isinstance(title, alt.TitleParams):
        title = title.text
    if isinstance(title, list | tuple):
        title = " ".join(map(str, title))
    return str(title) or None


def _description(chart: alt.TopLevelMixin) -> str | None:
    text = getattr(chart, "description", alt.Undefined)
    return None if text is alt.Undefined or not text else str(text)


@dataclass(frozen=True, eq=False)
class Figure:
    """A numbered chart with its caption, text alternative and source.

    Made from any altair chart: its ``title`` becomes the caption under the figure
    ("Hình 2. …") and its ``description`` the text alternative, unless given here.
    """

    chart: alt.TopLevelMixin
    caption: str | None = None
    alt_text: str | None = None
    source: str | None = None
    numbered: bool = True

    @classmethod
    def of(cls, chart: alt.TopLevelMixin, caption: str | None = None,
           alt_text: str | None = None, source: str | None = None,
           numbered: bool = True) -> Figure:
        caption = caption or _title_text(chart)
        if _title_text(chart) is not None:
            chart = chart.copy(deep=False)
            chart.title = alt.Undefined
        return cls(chart, caption, alt_text or _description(chart), source, numbered)

    @property
    def spec(self) -> dict[str, Any]:
        """The Vega-Lite spec with the project theme and the Vietnamese locale.

        Schema validation (~50 ms a chart) is left to the test suite, which validates
        every chart the report notebooks make.
        """
        use_theme()
        spec = self.chart.to_dict(validate=False)
        if self.alt_text:  # as chart.properties(description=...) would, without copying
            spec["description"] = self.alt_text  # and checking every property again
        return spec

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, str], dict[str, Any]]:
        label = numbering.next_label("figure") if self.numbered else None
        caption = numbering.caption_text(label, self.caption)
        alt_text = self.alt_text or caption or "Biểu đồ"
        spec = self.spec
        spec_json = _spec_json(spec)
        deferred = vega.deferred()  # the rendering process draws it (blocks.vega)
        svg = vega.PENDING if deferred else vega.figure_svg(spec)
        key = "iz-spec-" + hashlib.sha1(spec_json.encode()).hexdigest()[:12]
        source = (f'<p class="iz-note iz-source">Nguồn: {escape(self.source)}</p>'
                  if self.source else "")
        html = (
            f'<figure class="iz-figure">'
            f'<div class="iz-chart" role="img" aria-label="{escape(alt_text)}" '
            f'data-iz-spec="{key}"><div class="iz-static" aria-hidden="true">{svg}</div></div>'
            f'<script type="application/json" id="{key}">{spec_json}</script>'
            f"{numbering.caption_html(label, self.caption, 'figcaption')}{source}</figure>"
        )
        html = notebook_display.live_html(html)
        meta: dict[str, Any] = {"caption": caption, "caption_text": self.caption or "",
                                "alt": alt_text, "source": self.source or ""}
        if label:
            meta["numbered"] = "figure"
        if deferred:
            meta[vega.SPEC_KEY] = spec_json
        return {"text/html": html, "image/svg+xml": svg}, {"izreport": meta}
