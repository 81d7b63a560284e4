"""Building blocks that report notebooks call: one context, then one call per part.

A notebook cell reads like the report (``rp.kpi_table(ctx)``, ``rp.narrative(ctx)``);
what a block computes comes from :mod:`izreport.metrics` and :mod:`izreport.investment`,
how it reads from :mod:`izreport.formatting` and :mod:`izreport.narrative`, how it looks
from :mod:`izreport.tables`, :mod:`izreport.charts` and :mod:`izreport.document`.
A block that does not apply to the report's scope returns None and shows nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from izreport import charts, document, investment, metrics, narrative
from izreport.config import Config, load_config
from izreport.data import Dataset, Zone, load, report_months
from izreport.errors import ParameterError
from izreport.formatting import UNITS, number, percent, quantity
from izreport.periods import Period
from izreport.tables import Column, Html, Table, paragraphs
from izreport.texts import PeriodTexts, read_texts, section_title


@dataclass
class _Numbering:
    """Running numbers for tables and figures (Bảng 1, Hình 1) in order of appearance."""

    tables: int = 0
    figures: int = 0

    def table(self, caption: str) -> str:
        self.tables += 1
        return f"Bảng {self.tables}. {caption}"

    def figure(self, caption: str) -> str:
        self.figures += 1
        return f"Hình {self.figures}. {caption}"


@dataclass(frozen=True)
class ReportContext:
    """What every block needs: data, period, scope, configuration and the written texts."""

    data: Dataset
    period: Period
    zone: Zone | None
    config: Config
    kpis: dict[str, metrics.Kpi]
    texts: PeriodTexts
    final: bool = False
    number: int | None = None
    issued: datetime.date | None = None
    numbering: _Numbering = field(default_factory=_Numbering, compare=False)
    outline: document.Outline = field(default_factory=document.Outline, compare=False)

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
    def draft(self) -> bool:
        """A report with hand-written sections still missing is a draft (DỰ THẢO)."""
        return not self.texts.complete and (self.zone is None or self.texts.path.is_file())

    @property
    def last_day(self) -> str:
        return f"{self.period.last_month}-31"


def open_report(period: str, zone: str | None = None, final: bool = False,
                number: int | None = None, issued: str | None = None,
                data_dir: Path | str | None = None, hand_written: bool = True
                ) -> ReportContext:
    """Load the data, check the scope and the written sections, reconcile the totals.

    ``hand_written=False`` is for reports made from data alone: they have no sections
    from ``reports/<period>.md`` and so are never drafts for want of them.
    """
    p = Period.parse(period)
    ds = load(data_dir, months=report_months(p))  # the cost follows the period
    ds.check_period(p)
    z = ds.zone(zone) if zone else None
    texts = (read_texts(str(p), z.zone_id if z else None) if hand_written
             else PeriodTexts(Path(), {}, required=False))
    charts.use_theme()
    ctx = ReportContext(
        data=ds, period=p, zone=z, config=load_config(),
        kpis=metrics.kpis(ds, p, z.zone_id if z else None), texts=texts, final=final,
        number=number,
        issued=datetime.date.fromisoformat(issued) if issued else
        document.default_issue_date(p.year, p.last),
    )
    if final and ctx.draft:
        raise ParameterError(
            f"--final: {texts.path.name} still lacks: {'; '.join(texts.missing)}")
    if z is None:
        metrics.reconcile(ds, p)
    return ctx


# --- the official form --------------------------------------------------------------------

def subject(ctx: ReportContext) -> str:
    """The trích yếu: 'Tình hình hoạt động của các khu công nghiệp 6 tháng đầu năm 2021'."""
    return f"Tình hình hoạt động của {ctx.scope_vi} {ctx.period.label_vi}"


def header(ctx: ReportContext) -> Html:
    """Header block, number, date and title of page 1 (with DỰ THẢO on a draft)."""
    return document.header(ctx.config, subject(ctx), ctx.issued or datetime.date.today(),
                           ctx.number, ctx.draft)


def section(ctx: ReportContext, title: str) -> Html:
    """'I. ĐẶC ĐIỂM TÌNH HÌNH': numbered in order of appearance."""
    return ctx.outline.section(title)


def part(ctx: ReportContext, title: str) -> Html:
    """'1. Giá trị sản xuất công nghiệp' inside the current section."""
    return ctx.outline.part(title)


def written(ctx: ReportContext, key: str) -> Html | None:
    """A hand-written section from the period's text file (Markdown, HTML escaped)."""
    text = ctx.texts.get(key)
    if text is None:
        if ctx.zone is not None and not ctx.texts.path.is_file():
            return None  # zone reports without their own file leave these parts out
        return Html('<p class="iz-missing" role="note">'
                    f"[Chưa có nội dung: mục “{section_title(key)}” được viết trong tệp "
                    f"{ctx.texts.path.parent.name}/{ctx.texts.path.name}]</p>")
    import mistune

    return Html(f'<div class="iz-md">{mistune.create_markdown(escape=True)(text)}</div>')


def written_section(ctx: ReportContext, key: str) -> Html | None:
    """A numbered section whose body is hand-written; None where it does not apply."""
    body = written(ctx, key)
    if body is None:
        return None
    head = section(ctx, section_title(key))
    return Html(head.html + body.html, head.meta)


def signature(ctx: ReportContext) -> Html | None:
    """Signature block and 'Nơi nhận' (province report only)."""
    return document.signature(ctx.config) if ctx.zone is None else None


# --- I. situation ---------------------------------------------------------------------------

def situation(ctx: ReportContext) -> Html:
    """The analysts' text if written, else a paragraph drafted from the data."""
    own = written(ctx, "situation") if ctx.texts.get("situation") else None
    return own or paragraphs(*narrative.situation(ctx))


# --- II. zones, infrastructure, occupancy -----------------------------------------------------

_STATUS_VI = {"operating": "Đang hoạt động", "filling": "Đang lấp đầy",
              "building": "Đang xây dựng hạ tầng", "planned": "Quy hoạch"}


def zones_table(ctx: ReportContext) -> Table:
    """Area, industrial land, leased land and occupancy of each zone at the period's end."""
    occ = metrics.occupancy(ctx.data, ctx.period.last_month, ctx.zone_id)
    rows = [(r.name, number(r.total_area_ha, 2), number(r.industrial_land_ha, 2),
             number(r.leased_ha, 2), percent(r.occupancy, 1), _STATUS_VI.get(r.status, r.status))
            for r in occ.itertuples(index=False)]
    if ctx.zone is None and len(occ) > 1:
        land, leased = occ["industrial_land_ha"].sum(), occ["leased_ha"].sum()
        rows.append(("Tổng số", number(occ["total_area_ha"].sum(), 2), number(land, 2),
                     number(leased, 2), percent(leased / land, 1), ""))
    columns = (Column("Khu công nghiệp", numeric=False), Column("Diện tích (ha)"),
               Column("Đất công nghiệp (ha)"), Column("Đã cho thuê (ha)"),
               Column("Tỷ lệ lấp đầy"), Column("Tình trạng", numeric=False))
    where = ctx.zone.title_vi if ctx.zone else "các khu công nghiệp"
    caption = ctx.numbering.table(
        f"Diện tích và tỷ lệ lấp đầy {where} đến {_month_end_vi(ctx.period)}")
    return Table.build(caption, columns, rows,
                       note="Tỷ lệ lấp đầy = diện tích đất công nghiệp đã cho thuê / "
                            "diện tích đất công nghiệp × 100.")


def occupancy_chart(ctx: ReportContext) -> charts.Figure | None:
    """Occupancy rate per zone (province report)."""
    if ctx.zone is not None:
        return None
    occ = metrics.occupancy(ctx.data, ctx.period.last_month)
    frame = occ.assign(rate=occ["occupancy"] * 100)
    caption = ctx.numbering.figure(f"Tỷ lệ lấp đầy các khu công nghiệp đến "
                                   f"{_month_end_vi(ctx.period)} (%)")
    alt_text = "Biểu đồ thanh tỷ lệ lấp đầy. " + "; ".join(
        f"{r.name}: {percent(r.occupancy, 1)}" for r in occ.itertuples(index=False)) + "."
    chart = charts.bars_by_group(frame, "name", "rate", "", "%", domain_max=100)
    return charts.Figure(chart, caption, alt_text)


def _month_end_vi(period: Period) -> str:
    return f"tháng {period.last}/{period.year}"


# --- III. investment ---------------------------------------------------------------------------

def investment_text(ctx: ReportContext) -> Html:
    """New, adjusted and revoked projects in the period; the register to date."""
    return paragraphs(*narrative.investment(ctx))


def investment_table(ctx: ReportContext) -> Table:
    """Projects and capital by kind of certificate, FDI (triệu USD) and DDI (tỷ đồng)."""
    flows = investment.flows(ctx.data, ctx.period, ctx.zone_id).set_index(["kind", "ownership"])
    rows = []
    for kind in investment.KINDS:
        fdi, ddi = flows.loc[(kind, "FDI")], flows.loc[(kind, "DDI")]
        rows.append((investment.KIND_LABELS[kind], number(fdi["projects"]),
                     number(fdi["capital"], 2), number(ddi["projects"]),
                     number(ddi["capital"], 1)))
    columns = (Column("Nội dung", numeric=False), Column("FDI: số dự án"),
               Column("FDI: vốn (triệu USD)"), Column("Trong nước: số dự án"),
               Column("Trong nước: vốn (tỷ đồng)"))
    caption = ctx.numbering.table(f"Thu hút đầu tư {ctx.period.label_vi}")
    return Table.build(caption, columns, rows,
                       note="Vốn FDI tính bằng triệu USD, vốn trong nước bằng tỷ đồng; "
                            "hai loại vốn không quy đổi sang nhau.")


def country_table(ctx: ReportContext) -> Table | None:
    """FDI registered in the period by investor country (None when there was none)."""
    frame = investment.by_country(ctx.data, ctx.period, ctx.zone_id)
    if frame.empty:
        return None
    rows = [(r.investor_country, number(r.projects), number(r.capital, 2))
            for r in frame.itertuples(index=False)]
    columns = (Column("Quốc gia, vùng lãnh thổ", numeric=False), Column("Số dự án"),
               Column("Vốn đăng ký mới và tăng thêm (triệu USD)"))
    caption = ctx.numbering.table(f"Vốn FDI theo đối tác đầu tư {ctx.period.label_vi}")
    return Table.build(caption, columns, rows)


def targets_table(ctx: ReportContext) -> Table | None:
    """The zones' registered capital since the multi-year plan began, against its targets."""
    t = ctx.config.targets
    if not (t.first_year <= ctx.period.year <= t.last_year) or ctx.zone is not None:
        return None
    since = investment.registered_since(ctx.data, f"{t.first_year}-01-01", ctx.last_day)
    rows = [
        ("Vốn đầu tư trực tiếp nước ngoài (FDI)", "triệu USD", number(t.fdi_musd),
         number(since["FDI"], 2), percent(since["FDI"] / t.fdi_musd, 2)),
        ("Vốn đầu tư trong nước", "tỷ đồng", number(t.domestic_bn_vnd),
         number(since["DDI"], 1), percent(since["DDI"] / t.domestic_bn_vnd, 2)),
        ("Tổng vốn đầu tư", "tỷ đồng", number(t.total_bn_vnd), "—", "—"),
    ]
    columns = (Column("Chỉ tiêu", numeric=False), Column("Đơn vị", numeric=False),
               Column(f"Mục tiêu {t.period}"),
               Column(f"Các KCN thu hút từ {t.first_year} đến {_month_end_vi(ctx.period)}"),
               Column("Tỷ lệ so với mục tiêu"))
    caption = ctx.numbering.table(f"Đóng góp của các khu công nghiệp vào mục tiêu thu hút đầu "
                                  f"tư giai đoạn {t.period} của tỉnh")
    note = (f"Mục tiêu theo {t.source}. Mục tiêu tổng vốn tính cả vốn FDI quy đổi ra đồng; "
            "báo cáo không quy đổi vốn FDI và vốn trong nước sang nhau nên không tính tỷ lệ.")
    return Table.build(caption, columns, rows, note=note)


# --- IV. production and business ---------------------------------------------------------------

_KPI_ORDER = ("production_value", "revenue", "export_value", "import_value", "budget_paid",
              "workers", "avg_income", "enterprises")


def kpi_table(ctx: ReportContext) -> Table:
    """Headline indicators against the annual plan and the same period last year."""
    p = ctx.period
    rows = []
    for key in _KPI_ORDER:
        k = ctx.kpis[key]
        d = k.indicator.decimals
        rows.append((
            k.indicator.label, UNITS[k.indicator.unit], number(k.actual, d), number(k.plan, d),
            percent(k.of_plan, 2), number(k.same_period, d), percent(k.vs_same_period, 1),
        ))
    columns = (
        Column("Chỉ tiêu", numeric=False), Column("Đơn vị", numeric=False),
        Column(f"Thực hiện {p.label_vi}"), Column(f"Kế hoạch năm {p.year}"),
        Column("% kế hoạch năm"), Column(f"Cùng kỳ năm {p.year - 1}"), Column("So cùng kỳ (%)"),
    )
    note = ("Lao động tính tại tháng cuối kỳ; thu nhập bình quân là bình quân gia quyền theo "
            "số lao động; giá trị sản xuất theo giá so sánh 2010.")
    caption = ctx.numbering.table(f"Các chỉ tiêu chủ yếu {p.label_vi}")
    return Table.build(caption, columns, rows, note=note)


def production_text(ctx: ReportContext) -> Html:
    """The production and business paragraph, in the phrasing of published reports."""
    return paragraphs(*narrative.production(ctx))


def _comparison_table(ctx: ReportContext, frame: pd.DataFrame, before: pd.DataFrame,
                      key: str, label: str, caption: str, total: bool = True) -> Table:
    flows = ("production_value", "revenue", "export_value", "import_value", "budget_paid")
    rows = []
    prev = before.set_index(key) if not before.empty else None
    for r in frame.itertuples(index=False):
        name = getattr(r, key)
        base = prev["production_value"].get(name) if prev is not None else None
        rows.append((str(getattr(r, label)),
                     *(number(getattr(r, f), metrics.INDICATORS[f].decimals) for f in flows),
                     percent(metrics.ratio(r.production_value, base), 1)))
    if total:
        sums = frame[list(flows)].sum()
        base_total = before["production_value"].sum() if prev is not None else None
        rows.append(("Tổng số", *(number(sums[f], metrics.INDICATORS[f].decimals)
                                  for f in flows),
                     percent(metrics.ratio(sums["production_value"], base_total), 1)))
    columns = (Column("", numeric=False), Column("Giá trị SXCN (tỷ đồng)"),
               Column("Doanh thu (tỷ đồng)"), Column("Xuất khẩu (triệu USD)"),
               Column("Nhập khẩu (triệu USD)"), Column("Nộp ngân sách (tỷ đồng)"),
               Column("GTSX so cùng kỳ (%)"))
    return Table.build(ctx.numbering.table(caption), columns, rows)


def _same_breakdown(ctx: ReportContext, by: str) -> pd.DataFrame:
    before = ctx.period.same_period_last_year()
    if not metrics.covers(ctx.data, before):
        return pd.DataFrame()
    return metrics.breakdown(ctx.data, before, by, ctx.zone_id)


def zone_table(ctx: ReportContext) -> Table | None:
    """Flows per zone, with production compared with the same period (province only)."""
    if ctx.zone is not None:
        return None
    frame = metrics.breakdown(ctx.data, ctx.period, "zone_id")
    return _comparison_table(ctx, frame, _same_breakdown(ctx, "zone_id"), "zone_id", "zone",
                             f"Kết quả sản xuất kinh doanh theo khu công nghiệp "
                             f"{ctx.period.label_vi}")


def ownership_table(ctx: ReportContext) -> Table:
    """Flows of FDI and domestic enterprises."""
    frame = metrics.breakdown(ctx.data, ctx.period, "ownership", ctx.zone_id)
    frame = frame.assign(label=frame["ownership"].map(
        {"FDI": "Doanh nghiệp FDI", "DDI": "Doanh nghiệp trong nước"}))
    return _comparison_table(ctx, frame, _same_breakdown(ctx, "ownership"), "ownership",
                             "label", f"Kết quả sản xuất kinh doanh theo loại hình doanh "
                             f"nghiệp {ctx.period.label_vi}")


def sector_table(ctx: ReportContext) -> Table:
    """Flows per industry (VSIC division)."""
    frame = metrics.breakdown(ctx.data, ctx.period, "sector", ctx.zone_id)
    return _comparison_table(ctx, frame, _same_breakdown(ctx, "sector"), "sector", "sector",
                             f"Kết quả sản xuất kinh doanh theo ngành {ctx.period.label_vi}")


def monthly_chart(ctx: ReportContext, indicator: str = "production_value") -> charts.Figure:
    """This year's months beside the same months of last year."""
    ind = metrics.INDICATORS[indicator]
    frame = metrics.monthly(ctx.data, ctx.period, indicator, ctx.zone_id)
    this, last = ctx.period.year, ctx.period.year - 1
    caption = ctx.numbering.figure(f"{ind.label} theo tháng, năm {this} so với năm {last}")
    return charts.Figure(charts.monthly_vs_last_year(frame, "", UNITS[ind.unit]), caption,
                         _series_alt(frame, ind.unit))


def _series_alt(frame: pd.DataFrame, unit: str) -> str:
    parts = [f"tháng {int(r.month_no)}/{int(r.year)}: {quantity(r.value, unit)}"
             for r in frame.itertuples(index=False)]
    return "Biểu đồ cột theo tháng. " + "; ".join(parts) + "."


def zone_chart(ctx: ReportContext, indicator: str = "production_value") -> charts.Figure | None:
    """The period's value of one indicator in each operating zone (province only)."""
    if ctx.zone is not None:
        return None
    ind = metrics.INDICATORS[indicator]
    frame = metrics.breakdown(ctx.data, ctx.period, "zone_id")
    caption = ctx.numbering.figure(f"{ind.label} theo khu công nghiệp, {ctx.period.label_vi}")
    alt_text = "Biểu đồ thanh theo khu công nghiệp. " + "; ".join(
        f"{r.zone}: {quantity(getattr(r, indicator), ind.unit)}"
        for r in frame.itertuples(index=False)) + "."
    chart = charts.bars_by_group(frame, "zone", indicator, "", UNITS[ind.unit])
    return charts.Figure(chart, caption, alt_text)


def top_exporters(ctx: ReportContext, n: int = 10) -> Table:
    """The largest exporters of the period (names are enterprise-supplied text)."""
    top = metrics.top_enterprises(ctx.data, ctx.period, "export_value", n, ctx.zone_id)
    rows = [(r.name, r.zone, r.ownership, r.country, number(r.value, 1), percent(r.share, 1))
            for r in top.itertuples(index=False)]
    columns = (Column("Doanh nghiệp", numeric=False),
               Column("Khu công nghiệp", numeric=False), Column("Loại hình", numeric=False),
               Column("Quốc gia đầu tư", numeric=False), Column("Xuất khẩu (triệu USD)"),
               Column("Tỷ trọng"))
    caption = ctx.numbering.table(
        f"{len(rows)} doanh nghiệp xuất khẩu lớn nhất {ctx.period.label_vi} (xếp theo giá trị)")
    return Table.build(caption, columns, rows)


# --- V. labour and income -----------------------------------------------------------------------

def labour_text(ctx: ReportContext) -> Html:
    """Workers, female and foreign workers, income, against the same period."""
    return paragraphs(*narrative.labour(ctx))


def labour_table(ctx: ReportContext) -> Table:
    """Workers and income per zone (or for the one zone), with the same period."""
    by = "zone_id"
    frame = metrics.breakdown(ctx.data, ctx.period, by, ctx.zone_id)
    before = _same_breakdown(ctx, by)
    prev = before.set_index(by) if not before.empty else None
    rows = []
    for r in frame.itertuples(index=False):
        w0 = prev["workers"].get(r.zone_id) if prev is not None else None
        i0 = prev["avg_income"].get(r.zone_id) if prev is not None else None
        rows.append((r.zone, number(r.workers), number(r.female_workers),
                     number(r.foreign_workers), percent(metrics.ratio(r.workers, w0), 1),
                     number(r.avg_income, 2), percent(metrics.ratio(r.avg_income, i0), 1)))
    if ctx.zone is None:
        k = ctx.kpis
        t = metrics.totals(ctx.data, ctx.period) or {}
        rows.append(("Tổng số", number(k["workers"].actual), number(t.get("female_workers")),
                     number(t.get("foreign_workers")), percent(k["workers"].vs_same_period, 1),
                     number(k["avg_income"].actual, 2),
                     percent(k["avg_income"].vs_same_period, 1)))
    columns = (Column("Khu công nghiệp", numeric=False), Column("Lao động (người)"),
               Column("Trong đó nữ"), Column("Người nước ngoài"), Column("So cùng kỳ"),
               Column("Thu nhập bình quân (triệu đồng/người/tháng)"), Column("So cùng kỳ"))
    caption = ctx.numbering.table(f"Lao động và thu nhập {ctx.period.label_vi}")
    return Table.build(caption, columns, rows,
                       note=f"Lao động tại tháng {ctx.period.last}/{ctx.period.year}.")


# --- appendix -------------------------------------------------------------------------------

def appendix(ctx: ReportContext) -> Html:
    """One table per operating zone with every indicator, actual against the same period."""
    zones = ([ctx.zone] if ctx.zone is not None
             else ctx.data.operating_zones(ctx.period))
    head = document.appendix_heading(
        f"Các chỉ tiêu chủ yếu của từng khu công nghiệp {ctx.period.label_vi}")
    blocks = [head.html]
    for zone in zones:
        k = metrics.kpis(ctx.data, ctx.period, zone.zone_id)
        rows = [(kp.indicator.label, UNITS[kp.indicator.unit],
                 number(kp.actual, kp.indicator.decimals),
                 number(kp.same_period, kp.indicator.decimals),
                 percent(kp.vs_same_period, 1)) for kp in (k[key] for key in _KPI_ORDER)]
        columns = (Column("Chỉ tiêu", numeric=False), Column("Đơn vị", numeric=False),
                   Column(f"Thực hiện {ctx.period.label_vi}"),
                   Column(f"Cùng kỳ năm {ctx.period.year - 1}"), Column("So cùng kỳ (%)"))
        caption = f"Phụ lục {len(blocks)}. {zone.title_vi}"
        blocks.append(Table.build(caption, columns, rows).to_html())
    return Html('<section class="iz-appendix-body">' + "".join(blocks) + "</section>",
                head.meta)
