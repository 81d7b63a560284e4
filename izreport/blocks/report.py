"""What a report notebook works with: one report context, the official form, and the
authoring helpers.

A notebook opens its report once and then writes it cell by cell::

    from izreport.blocks import report as iz

    rep = iz.open_report(period, zone)
    rep.header()
    rep.section("Kết quả sản xuất kinh doanh")
    k = rep.kpi
    iz.text(f"Giá trị sản xuất công nghiệp {k.production_value.verb} {k.production_value}.")
    rep.breakdown("zone_id")            # a plain DataFrame: displayed as a numbered table

The context gives the period's data (KPIs as value objects that write themselves in
Vietnamese, breakdowns, monthly series, investment, land) and the parts of the official
form that must not vary (header block, numbered sections, hand-written sections,
signature, appendix). The sentences, tables and charts are the notebook's.
"""

from __future__ import annotations

import datetime
import gc
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from izreport.blocks import document, investment, metrics, numbering
from izreport.blocks.display import activate, figure, table, text
from izreport.blocks.html import Html
from izreport.blocks.notebook_display import RENDER_ENV
from izreport.blocks.tables import Table, with_total
from izreport.blocks.texts import PeriodTexts, read_texts, section_title
from izreport.blocks.values import Amount, Kpi, Ratio
from izreport.core.catalogue import FLOWS, HEADLINE, INDICATORS, ZONE_STATUS
from izreport.core.config import Config, load_config
from izreport.core.errors import ParameterError
from izreport.core.formatting import UNITS, number
from izreport.core.i18n import _
from izreport.core.periods import Period
from izreport.storage.data import REPORT_TABLES, Dataset, Zone, load, report_months

__all__ = ["FLOWS", "INDICATORS", "UNITS", "Kpis", "ReportContext", "amount", "figure", "number",
           "open_report", "ratio", "table", "text", "with_total"]


def amount(value: float | None, unit: str, decimals: int | None = None) -> Amount:
    """A value object for a number in a unit code (``iz.amount(47.8, "musd")``)."""
    return Amount(value, unit, decimals)


def ratio(value: float | None, decimals: int = 1) -> Ratio:
    """A ratio shown as a percentage (``iz.ratio(0.269)`` -> 26,9%)."""
    return Ratio(value, decimals)


class Kpis(Mapping[str, Kpi]):
    """The indicators of a report as value objects: ``k.production_value``, ``k["revenue"]``."""

    def __init__(self, values: dict[str, Kpi]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Kpi:
        return self._values[key]

    def __getattr__(self, key: str) -> Kpi:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"Không có chỉ tiêu {key!r}; có: "
                                 f"{', '.join(self._values)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def kpi_values(kpis: Mapping[str, metrics.Kpi], previous: Mapping[str, float] | None = None,
               estimated: bool = False) -> Kpis:
    """Value objects of :func:`metrics.kpis` results (and the month before, if given)."""
    return Kpis({
        key: Kpi(k.actual, k.indicator.unit, None, k.indicator, k.plan,
                 k.same_period, None if previous is None else previous.get(key), estimated)
        for key, k in kpis.items()
    })


@dataclass(frozen=True)
class ReportContext:
    """One report: data, period, scope, configuration, written texts and running numbers."""

    data: Dataset
    period: Period
    zone: Zone | None
    config: Config
    kpis: dict[str, metrics.Kpi]
    texts: PeriodTexts
    final: bool = False
    number: int | None = None
    issued: datetime.date | None = None
    outline: document.Outline = field(default_factory=document.Outline, compare=False)

    # --- scope and words --------------------------------------------------------------------

    @property
    def zone_id(self) -> str | None:
        return self.zone.zone_id if self.zone else None

    @property
    def board(self):  # type: ignore[no-untyped-def]
        return self.config.board

    @property
    def scope_vi(self) -> str:
        """'các khu công nghiệp tỉnh Nam Định' or 'Khu công nghiệp Hòa Xá'."""
        if self.zone is None:
            return f"các khu công nghiệp tỉnh {self.config.board.province}"
        return self.zone.title_vi

    @property
    def label(self) -> str:
        """The period in words: '6 tháng đầu năm 2021', 'năm 2023', 'quý II năm 2021'."""
        return self.period.label_vi

    @property
    def month_end(self) -> str:
        """The period's last month: 'tháng 6/2021'."""
        return f"tháng {self.period.last}/{self.period.year}"

    @property
    def draft(self) -> bool:
        """A report with hand-written sections still missing is a draft (DỰ THẢO), for a
        zone as for the province: a zone report is a complete official document."""
        return not self.texts.complete

    @property
    def last_day(self) -> str:
        return f"{self.period.last_month}-31"

    @property
    def subject(self) -> str:
        """The trích yếu: 'Tình hình hoạt động của các khu công nghiệp 6 tháng đầu năm 2021'."""
        return f"Tình hình hoạt động của {self.scope_vi} {self.label}"

    # --- figures -------------------------------------------------------------------------

    @cached_property
    def kpi(self) -> Kpis:
        """The headline indicators as value objects for sentences (see izreport.blocks.values)."""
        return kpi_values(self.kpis)

    def totals(self) -> dict[str, float]:
        """Every indicator of the report's scope and period, as numbers."""
        return metrics.totals(self.data, self.period, self.zone_id) or {}

    def kpi_frame(self) -> pd.DataFrame:
        """The headline indicators, one row each: ``indicator`` (label), ``unit`` (its
        name), ``actual``, ``plan``, ``of_plan``, ``same_period``, ``vs_same_period`` and
        ``decimals`` (the catalogue's, for ``iz.table(..., row_decimals="decimals")``)."""
        return kpi_frame(self.kpis)

    def breakdown(self, by: str) -> pd.DataFrame:
        """Indicators per ``zone_id``, ``ownership`` or ``sector`` (largest production
        first), with the same period's production and workers beside them
        (``production_same``, ``workers_same``, ``avg_income_same``; NaN where no data).

        Computed once per report and grouping (a notebook asks for the zones three times);
        each call gets its own copy to change."""
        return self.data.memo(("breakdown", self.period, by, self.zone_id),
                              lambda: self._breakdown(by)).copy()

    def _breakdown(self, by: str) -> pd.DataFrame:
        frame = metrics.breakdown(self.data, self.period, by, self.zone_id)
        before = self.period.same_period_last_year()
        if metrics.covers(self.data, before):
            prev = metrics.breakdown(self.data, before, by, self.zone_id).set_index(by)
        else:
            prev = pd.DataFrame(columns=["production_value", "workers", "avg_income"])
        for key in ("production_value", "workers", "avg_income"):
            same = frame[by].map(prev[key]) if len(prev) else float("nan")
            frame[f"{key}_same"] = pd.to_numeric(same, errors="coerce")
        return frame

    def monthly(self, indicator: str = "production_value") -> pd.DataFrame:
        """One indicator month by month, this year to the period's end and the year before:
        ``year``, ``month_no``, ``month``, ``value``."""
        return metrics.monthly(self.data, self.period, indicator, self.zone_id)

    def occupancy(self, total: bool = True) -> pd.DataFrame:
        """Land and occupancy per zone at the period's end; with ``total`` a "Tổng số" row
        (the occupancy of the total is leased over industrial land, not a sum)."""
        occ = metrics.occupancy(self.data, self.period.last_month, self.zone_id)
        occ = occ[["name", "total_area_ha", "industrial_land_ha", "leased_ha", "occupancy",
                   "status"]].assign(status=lambda d: d["status"].map(ZONE_STATUS))
        if total and len(occ) > 1:
            land, leased = occ["industrial_land_ha"].sum(), occ["leased_ha"].sum()
            row = {"name": "Tổng số", "total_area_ha": occ["total_area_ha"].sum(),
                   "industrial_land_ha": land, "leased_ha": leased,
                   "occupancy": leased / land if land else float("nan"), "status": ""}
            occ = pd.concat([occ, pd.DataFrame([row])], ignore_index=True)
        return occ

    def investment(self) -> pd.DataFrame:
        """Projects and capital of the period's certificates: one row per kind (cấp mới,
        tăng vốn, giảm vốn, thu hồi), FDI capital in triệu USD and DDI in tỷ đồng."""
        flows = investment.flows(self.data, self.period, self.zone_id)
        wide = flows.pivot(index="kind", columns="ownership", values=["projects", "capital"])
        wide = wide.reindex(investment.KINDS)
        return pd.DataFrame({
            "kind": [investment.KIND_LABELS[k] for k in investment.KINDS],
            "fdi_projects": wide[("projects", "FDI")].to_numpy(dtype=int),
            "capital_musd": wide[("capital", "FDI")].to_numpy(dtype=float),
            "ddi_projects": wide[("projects", "DDI")].to_numpy(dtype=int),
            "capital_bn_vnd": wide[("capital", "DDI")].to_numpy(dtype=float),
        })

    def investment_by_country(self) -> pd.DataFrame:
        """FDI of the period by investor country: ``investor_country``, ``projects``,
        ``capital`` (triệu USD)."""
        return investment.by_country(self.data, self.period, self.zone_id)

    def projects(self) -> investment.Stock:
        """Valid projects and registered capital at the period's end, FDI and DDI."""
        return investment.stock(self.data, self.last_day, self.zone_id)

    def targets(self) -> pd.DataFrame | None:
        """Capital registered since the multi-year plan began against its targets (province
        report inside the plan's years; None otherwise). ``decimals``: each row's own
        (FDI in triệu USD, domestic capital in tỷ đồng)."""
        t = self.config.targets
        if not (t.first_year <= self.period.year <= t.last_year) or self.zone is not None:
            return None
        since = investment.registered_since(self.data, f"{t.first_year}-01-01", self.last_day)
        return pd.DataFrame([
            {"target_name": "Vốn đầu tư trực tiếp nước ngoài (FDI)", "unit": "triệu USD",
             "target": t.fdi_musd, "attracted": since["FDI"], "share": since["FDI"] / t.fdi_musd,
             "decimals": 2},
            {"target_name": "Vốn đầu tư trong nước", "unit": "tỷ đồng",
             "target": t.domestic_bn_vnd, "attracted": since["DDI"],
             "share": since["DDI"] / t.domestic_bn_vnd, "decimals": 1},
            {"target_name": "Tổng vốn đầu tư", "unit": "tỷ đồng", "target": t.total_bn_vnd,
             "attracted": None, "share": None, "decimals": 0},
        ])

    def top(self, indicator: str = "export_value", n: int = 10) -> pd.DataFrame:
        """The n enterprises with the largest value of a flow: ``name``, ``zone``,
        ``ownership``, ``country``, ``value`` and ``share`` of the scope's total."""
        return metrics.top_enterprises(self.data, self.period, indicator, n, self.zone_id)

    def operating_zones(self) -> list[Zone]:
        return self.data.operating_zones(self.period)

    # --- the official form -------------------------------------------------------------------

    def header(self) -> Html:
        """Header block, number, date and title of page 1 (with DỰ THẢO on a draft)."""
        return document.header(self.config, self.subject,
                               self.issued or datetime.date.today(), self.number, self.draft)

    def section(self, title: str) -> Html:
        """'I. ĐẶC ĐIỂM TÌNH HÌNH': numbered in order of appearance."""
        return self.outline.section(title)

    def part(self, title: str) -> Html:
        """'1. Giá trị sản xuất công nghiệp' inside the current section."""
        return self.outline.part(title)

    def written(self, key: str) -> Html | None:
        """A hand-written section's body from the period's text file (Markdown, escaped);
        a marked gap when it is still to be written; None for a report made from data alone."""
        body = self.texts.get(key)
        if body is None:
            if not self.texts.required:
                return None
            return Html('<p class="iz-missing" role="note">'
                        f"[Chưa có nội dung: mục “{section_title(key)}” được viết trong tệp "
                        f"{self.texts.path.parent.name}/{self.texts.path.name}]</p>")
        return Html(f'<div class="iz-md">{_markdown(body)}</div>')

    def written_section(self, key: str) -> Html | None:
        """A numbered hand-written section, followed by the sections the analysts added
        after it in the text file; None where it does not apply."""
        body = self.written(key)
        if body is None:
            return None
        head = self.section(section_title(key))
        return Html(head.html + body.html + self.added_sections(key).html, head.meta)

    def added_sections(self, *after: str | None) -> Html:
        """Sections the text file adds after each known section in ``after`` (None: before
        any known section), numbered as sections of the report; empty when there are none."""
        extras = getattr(self.texts, "extras_after", None)
        blocks, meta = [], ()
        added = [e for key in after for e in (extras(key) if extras else [])]
        for title, body in added:
            head = self.section(title)
            meta = meta or head.meta
            blocks.append(head.html + f'<div class="iz-md">{_markdown(body)}</div>')
        return Html("".join(blocks), meta)

    def signature(self) -> Html:
        """Signature block and 'Nơi nhận'."""
        return document.signature(self.config)

    def appendix(self) -> Html:
        """One table per operating zone with every headline indicator, against the same
        period (the appendix is part of the official form, not of the analysts' text)."""
        zones = [self.zone] if self.zone is not None else self.operating_zones()
        head = document.appendix_heading(
            f"Các chỉ tiêu chủ yếu của từng khu công nghiệp {self.label}")
        blocks = [head.html]
        per_zone = metrics.zone_kpis(self.data, self.period, [z.zone_id for z in zones])
        for i, zone in enumerate(zones, start=1):
            frame = kpi_frame(per_zone[zone.zone_id])
            labels = {"indicator": "Chỉ tiêu", "unit": "Đơn vị",
                      "actual": f"Thực hiện {self.label}",
                      "same_period": f"Cùng kỳ năm {self.period.year - 1}",
                      "vs_same_period": "So cùng kỳ (%)"}
            blocks.append(Table.from_frame(
                frame[[*labels, "decimals"]], f"Phụ lục {i}. {zone.title_vi}", labels=labels,
                row_decimals="decimals", numbered=False).to_html())
        return Html('<section class="iz-appendix-body">' + "".join(blocks) + "</section>",
                    head.meta)


def kpi_frame(kpis: Mapping[str, metrics.Kpi], keys: tuple[str, ...] = HEADLINE
              ) -> pd.DataFrame:
    """KPIs as rows (see :meth:`ReportContext.kpi_frame`)."""
    from izreport.core.formatting import UNITS

    return pd.DataFrame([{
        "indicator": k.indicator.row_label, "unit": UNITS[k.indicator.unit], "actual": k.actual,
        "plan": k.plan, "of_plan": k.of_plan, "same_period": k.same_period,
        "vs_same_period": k.vs_same_period, "decimals": k.indicator.decimals}
        for k in (kpis[key] for key in keys)])


def _markdown(text: str) -> str:
    return str(_markdown_parser()(text))


@cache
def _markdown_parser() -> Any:
    """One mistune parser for the report (it keeps no state between texts)."""
    import mistune

    return mistune.create_markdown(escape=True)


def _spare_the_collector() -> None:
    """In a render kernel, which runs one report and is then discarded, set what the
    imports made (pandas, altair: ~150.000 objects) aside from the garbage collector: each
    full collection the report's computations trigger walked them all (0,08-0,1 s of a
    report's cells). Never in a kernel that lives on (JupyterLab), where it could keep
    garbage of earlier runs."""
    if os.environ.get(RENDER_ENV, "") == "1":
        gc.freeze()


def open_report(period: str, zone: str | None = None, final: bool = False,
                number: int | None = None, issued: str | None = None,
                data_dir: Path | str | None = None, hand_written: bool = True
                ) -> ReportContext:
    """Load the data, check the scope and the written sections, reconcile the totals.

    Also starts the report's numbering (Bảng 1, Hình 1) and, in a kernel, the display of
    plain altair charts and DataFrames as report figures and tables.
    ``hand_written=False`` is for reports made from data alone: they have no sections
    from ``reports/<period>.md`` and so are never drafts for want of them.
    """
    _spare_the_collector()
    p = Period.parse(period)
    ds = load(data_dir, months=report_months(p), tables=REPORT_TABLES)  # cost follows the period
    ds.check_period(p)
    z = ds.zone(zone) if zone else None
    if z is not None and metrics.totals(ds, p, z.zone_id) is None:
        operating = ", ".join(x.name for x in ds.operating_zones(p)) or _("none")
        raise ParameterError(_(
            "no enterprise of {zone} reported in {period}, so the zone has no report for this "
            "period (zones operating in the period: {operating})").format(
                zone=z.title_vi, period=p.label_vi, operating=operating))
    texts = (read_texts(str(p), z.zone_id if z else None) if hand_written
             else PeriodTexts(Path(), {}, required=False))
    ctx = ReportContext(
        data=ds, period=p, zone=z, config=load_config(),
        kpis=metrics.kpis(ds, p, z.zone_id if z else None), texts=texts, final=final,
        number=number,
        issued=datetime.date.fromisoformat(issued) if issued else
        document.default_issue_date(p.year, p.last),
    )
    if final and ctx.draft:
        raise ParameterError(_("--final: {file} still lacks: {sections}").format(
            file=texts.path.name, sections="; ".join(texts.missing)))
    if z is None:
        metrics.reconcile(ds, p)
    numbering.reset()
    activate()
    return ctx

