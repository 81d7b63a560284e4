"""Building blocks that report notebooks call: one context, then one call per section.

A notebook cell reads like the report (``kpi_table(ctx)``, ``narrative(ctx)``); what a
block computes comes from :mod:`izreport.metrics`, how it reads from
:mod:`izreport.formatting`, and how it looks from :mod:`izreport.tables` and
:mod:`izreport.charts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from izreport import charts, metrics
from izreport.config import Board, load_board
from izreport.data import Dataset, Zone, load
from izreport.formatting import UNITS, change_phrase, number, percent, plan_phrase, quantity
from izreport.periods import Period
from izreport.tables import Column, Html, Table, heading, paragraphs


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
    """What every block needs: the data, the period, the scope and the board."""

    data: Dataset
    period: Period
    zone: Zone | None
    board: Board
    kpis: dict[str, metrics.Kpi]
    numbering: _Numbering = field(default_factory=_Numbering, compare=False)

    @property
    def zone_id(self) -> str | None:
        return self.zone.zone_id if self.zone else None

    @property
    def scope_vi(self) -> str:
        """'các khu công nghiệp tỉnh Nam Định' or 'Khu công nghiệp Hòa Xá'."""
        if self.zone is None:
            return f"các khu công nghiệp tỉnh {self.board.province}"
        return self.zone.title_vi


def open_report(period: str, zone: str | None = None, data_dir: Path | str | None = None
                ) -> ReportContext:
    """Load the data and check the scope; errors name what the data do contain."""
    p = Period.parse(period)
    ds = load(data_dir)
    ds.check_period(p)
    z = ds.zone(zone) if zone else None
    charts.use_theme()
    return ReportContext(data=ds, period=p, zone=z, board=load_board(),
                         kpis=metrics.kpis(ds, p, z.zone_id if z else None))


def title(ctx: ReportContext) -> Html:
    """Report title: what, where and when."""
    what = f"Tình hình hoạt động {ctx.scope_vi} {ctx.period.label_vi}"
    return heading(what[0].upper() + what[1:], level=1, subtitle=ctx.board.name)


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


def _flow_clause(k: metrics.Kpi, label: str) -> str:
    unit = k.indicator.unit
    parts = [f"{label} đạt {quantity(k.actual, unit, prose=True)}"]
    if k.of_plan is not None:
        # as published: "(25.940 tỷ đồng)" in full, "(1 tỷ USD)" in the larger unit
        plan = quantity(k.plan, unit, prose=unit != "bn_vnd")
        parts.append(f"{plan_phrase(k.of_plan)} ({plan})")
    if k.vs_same_period is not None:
        parts.append(f"{change_phrase(k.vs_same_period)} so với cùng kỳ")
    return ", ".join(parts)


def narrative(ctx: ReportContext) -> Html:
    """The summary paragraph, drafted from the figures in the style of published reports."""
    k = ctx.kpis
    clauses = [
        _flow_clause(k["production_value"], "giá trị sản xuất công nghiệp"),
        _flow_clause(k["revenue"], "doanh thu"),
        _flow_clause(k["export_value"], "giá trị xuất khẩu"),
        _flow_clause(k["import_value"], "giá trị nhập khẩu"),
        _flow_clause(k["budget_paid"], "nộp ngân sách Nhà nước"),
    ]
    workers = k["workers"]
    labour = (f"tạo việc làm cho {number(workers.actual)} người lao động với thu nhập bình quân "
              f"đạt {quantity(k['avg_income'].actual, 'mvnd_per_person_month')}")
    first = (f"Trong {ctx.period.label_vi}, hoạt động sản xuất kinh doanh của "
             f"{number(k['enterprises'].actual)} doanh nghiệp trong {ctx.scope_vi} "
             f"cơ bản ổn định. ")
    body = "; ".join([clauses[0][0].upper() + clauses[0][1:], *clauses[1:], labour]) + "."
    return paragraphs(first + body)


def monthly_chart(ctx: ReportContext, indicator: str = "production_value") -> charts.Figure:
    """This year's months beside the same months of last year."""
    ind = metrics.INDICATORS[indicator]
    frame = metrics.monthly(ctx.data, ctx.period, indicator, ctx.zone_id)
    label = UNITS[ind.unit]
    this, last = ctx.period.year, ctx.period.year - 1
    caption = ctx.numbering.figure(f"{ind.label} theo tháng, năm {this} so với năm {last}")
    alt_text = _series_alt(frame, ind.unit)
    return charts.Figure(charts.monthly_vs_last_year(frame, "", label), caption, alt_text)


def _series_alt(frame, unit: str) -> str:  # type: ignore[no-untyped-def]
    parts = [f"tháng {int(r.month_no)}/{int(r.year)}: {quantity(r.value, unit)}"
             for r in frame.itertuples(index=False)]
    return "Biểu đồ cột theo tháng. " + "; ".join(parts) + "."


def zone_chart(ctx: ReportContext, indicator: str = "production_value") -> charts.Figure:
    """The period's value of one indicator in each operating zone."""
    ind = metrics.INDICATORS[indicator]
    frame = metrics.breakdown(ctx.data, ctx.period, "zone_id")
    caption = ctx.numbering.figure(f"{ind.label} theo khu công nghiệp, {ctx.period.label_vi}")
    alt_text = "Biểu đồ thanh theo khu công nghiệp. " + "; ".join(
        f"{r.zone}: {quantity(getattr(r, indicator), ind.unit)}"
        for r in frame.itertuples(index=False)) + "."
    chart = charts.bars_by_group(frame, "zone", indicator, "", f"{UNITS[ind.unit]}")
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
