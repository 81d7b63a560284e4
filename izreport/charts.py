"""Charts: one altair theme, the report's chart builders and a display object.

A chart is shown as a :class:`Figure`, whose display bundle carries both an HTML
fragment (the static SVG, upgraded to an interactive Vega view on the intranet page)
and the bare SVG (for the printed PDF). The Vega JavaScript itself is never put in a
chart: the page template inlines it once. In JupyterLab, :mod:`izreport.notebook_display`
brings the same bundle into the page once per kernel session.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from izreport import notebook_display

FONTS_DIR = Path(__file__).parent / "fonts"
FONT = "Liberation Sans"

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

#: Dark and light of one hue plus grays: distinguishable when printed in grayscale.
PALETTE = ["#1f4e79", "#9dc3e6", "#595959", "#bfbfbf", "#c55a11", "#f4b183"]
THEME_NAME = "izreport"


def _theme() -> alt.theme.ThemeConfig:
    axis = {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11, "titleFontSize": 11,
            "labelColor": "#222222", "titleColor": "#222222", "gridColor": "#dddddd"}
    return {
        "config": {
            "font": FONT,
            "locale": {"number": VI_NUMBER_LOCALE, "time": VI_TIME_LOCALE},
            "view": {"stroke": None},
            "axis": axis,
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


@cache
def _fonts_registered() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(FONTS_DIR))


def to_svg(spec: dict[str, Any]) -> str:
    """Static SVG of a Vega-Lite spec, with the project fonts and no network access."""
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_svg(spec, allowed_base_urls=[], format_locale=VI_NUMBER_LOCALE,
                               time_format_locale=VI_TIME_LOCALE)


def warm_up() -> None:
    """Start vl-convert's engine with the project fonts, so the first chart is not slower."""
    to_svg({"data": {"values": [{"v": 1}]}, "mark": "bar", "encoding": {"x": {"field": "v"}}})


def _spec_json(spec: dict[str, Any]) -> str:
    """Spec as JSON that is safe inside a <script> element (no '</' sequence)."""
    text = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


@dataclass(frozen=True)
class Figure:
    """A numbered chart with its caption and text alternative, ready to display."""

    chart: alt.TopLevelMixin
    caption: str
    alt_text: str

    @property
    def spec(self) -> dict[str, Any]:
        """The Vega-Lite spec with the project theme.

        Schema validation (~50 ms a chart) is left to the test suite, which validates
        every chart the report builders make.
        """
        use_theme()
        return self.chart.properties(description=self.alt_text).to_dict(validate=False)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, str], dict[str, Any]]:
        spec = self.spec
        spec_json = _spec_json(spec)
        svg = to_svg(spec)
        key = "iz-spec-" + hashlib.sha1(spec_json.encode()).hexdigest()[:12]
        html = (
            f'<figure class="iz-figure">'
            f'<div class="iz-chart" role="img" aria-label="{escape(self.alt_text)}" '
            f'data-iz-spec="{key}"><div class="iz-static">{svg}</div></div>'
            f'<script type="application/json" id="{key}">{spec_json}</script>'
            f"<figcaption>{escape(self.caption)}</figcaption></figure>"
        )
        html = notebook_display.live_html(html)
        meta = {"izreport": {"caption": self.caption, "alt": self.alt_text}}
        return {"text/html": html, "image/svg+xml": svg}, meta


def monthly_vs_last_year(frame: pd.DataFrame, title: str, unit_label: str) -> alt.Chart:
    """Grouped bars: each month of this year beside the same month of the previous year."""
    data = frame.assign(
        series=frame["year"].map(lambda y: f"Năm {y}"),
        label=frame["month_no"].map(lambda m: f"Tháng {m}"),
    )
    years = sorted(data["series"].unique(), reverse=True)
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            x=alt.X("label:N", title=None, sort=[f"Tháng {m}" for m in range(1, 13)],
                    axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", sort=years[::-1]),
            y=alt.Y("value:Q", title=unit_label, axis=alt.Axis(format=",.0f")),
            color=alt.Color("series:N", title=None, sort=years[::-1],
                            scale=alt.Scale(range=[PALETTE[1], PALETTE[0]])),
            tooltip=[alt.Tooltip("series:N", title="Năm"),
                     alt.Tooltip("label:N", title="Tháng"),
                     alt.Tooltip("value:Q", title=unit_label, format=",.1f")],
        )
        .properties(width=440, height=220)
    )


def bars_by_group(frame: pd.DataFrame, category: str, value: str, title: str,
                  unit_label: str, domain_max: float | None = None) -> alt.Chart:
    """Horizontal bars, largest first, labelled with their values."""
    data = frame[[category, value]].rename(columns={category: "group", value: "value"})
    order = data.sort_values("value", ascending=False)["group"].tolist()
    scale = alt.Scale(domain=[0, domain_max]) if domain_max else alt.Undefined
    base = alt.Chart(data, title=title).encode(
        y=alt.Y("group:N", title=None, sort=order),
        x=alt.X("value:Q", title=unit_label, axis=alt.Axis(format=",.0f"), scale=scale),
        tooltip=[alt.Tooltip("group:N", title=""),
                 alt.Tooltip("value:Q", title=unit_label, format=",.1f")],
    )
    labels = base.mark_text(align="left", dx=3, fontSize=11, color="#222222").encode(
        text=alt.Text("value:Q", format=",.0f"))
    return (base.mark_bar() + labels).properties(width=400, height=alt.Step(26))
