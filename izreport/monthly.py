"""Blocks of the monthly report: the month, the year to date, labour, who has reported.

The monthly report goes out before every enterprise has sent its figures. Its totals
therefore include an estimate for each enterprise that has not reported
(:func:`izreport.submissions.estimate_month`), the figures that contain estimates are
labelled "ước", and the report lists the enterprises still missing and states the method.
When everyone has reported, the figures equal :mod:`izreport.metrics` exactly.

The official form (header, numbered sections, signature) comes from :mod:`izreport.report`,
whose context this module extends: ``open_report`` takes a month (``2021-06``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from izreport import charts, metrics, narrative, submissions
from izreport import report as rp
from izreport.data import Dataset
from izreport.errors import ParameterError
from izreport.formatting import UNITS, number, percent, quantity
from izreport.periods import Period
from izreport.tables import Column, Html, Table, paragraphs

#: Title of the section on submissions (other sections refer to it by name).
COVERAGE_TITLE = "Tình hình tiếp nhận báo cáo của doanh nghiệp"

#: Flow indicators in the order of the published reports: prose label, table label.
_FLOWS: tuple[tuple[str, str, str], ...] = (
    ("production_value", "giá trị sản xuất công nghiệp", "Giá trị SXCN"),
    ("revenue", "doanh thu", "Doanh thu"),
    ("export_value", "giá trị xuất khẩu", "Xuất khẩu"),
    ("import_value", "giá trị nhập khẩu", "Nhập khẩu"),
    ("budget_paid", "nộp ngân sách Nhà nước", "Nộp ngân sách"),
)

Totals = dict[str, float]


@dataclass(frozen=True)
class MonthFigures:
    """Every figure of a monthly report, missing enterprise-months estimated.

    Each totals dict is :func:`metrics.estimated_totals` (key ``estimated``: the number of
    enterprise-months estimated); None where the data do not cover the comparison period.
    """

    month: Totals
    previous: Totals | None
    same_month: Totals | None
    ytd: Totals
    ytd_same: Totals | None
    plans: dict[str, float | None]
    expected: pd.DataFrame
    missing: pd.DataFrame

    @property
    def estimated(self) -> bool:
        """Whether the month's totals include estimates."""
        return bool(self.month["estimated"])

    @property
    def reported(self) -> int:
        return len(self.expected) - len(self.missing)


@dataclass(frozen=True)
class MonthlyContext(rp.ReportContext):
    """The report context of :mod:`izreport.report` for one month, with its figures."""

    figures: MonthFigures | None = field(default=None, compare=False)

    @property
    def fig(self) -> MonthFigures:
        assert self.figures is not None
        return self.figures

    @property
    def month_vi(self) -> str:
        """'tháng 6/2021'."""
        return narrative.month_label(self.period.year, self.period.first)

    @property
    def previous_vi(self) -> str:
        """The month before: 'tháng 5/2021', in January 'tháng 12/2020'."""
        prev = self.period.previous()
        return narrative.month_label(prev.year, prev.first)

    @property
    def ytd_vi(self) -> str:
        """'6 tháng đầu năm 2021'."""
        return narrative.ytd_label(self.period.year, self.period.first)


def open_report(period: str, zone: str | None = None, number: int | None = None,
                issued: str | None = None, data_dir: Path | str | None = None
                ) -> MonthlyContext:
    """Load the data for one month (``2021-06``), check the scope, compute the figures."""
    p = Period.parse(period)
    if p.kind != "month":
        raise ParameterError(f"parameter 'period': '{period}' is a {p.kind}; the monthly "
                             "report takes a month (2021-06)")
    # no hand-written sections, so never a draft for want of them
    base = rp.open_report(str(p), zone, number=number, issued=issued, data_dir=data_dir,
                          hand_written=False)
    figs = month_figures(base.data, p, base.zone_id)
    kpis = {
        key: metrics.Kpi(
            indicator=ind, actual=figs.month[key],
            plan=figs.plans.get(key),
            same_period=figs.same_month[key] if figs.same_month is not None else None)
        for key, ind in metrics.INDICATORS.items()
    }
    values = {f.name: getattr(base, f.name) for f in fields(rp.ReportContext)
              if f.name not in ("numbering", "outline")}
    values["kpis"] = kpis
    return MonthlyContext(**values, figures=figs)


def month_figures(ds: Dataset, period: Period, zone_id: str | None = None) -> MonthFigures:
    """The month, the month before, the same month last year and the two years to date."""
    month = metrics.estimated_totals(ds, period, zone_id)
    if month is None:
        raise ValueError(f"period {period} is outside the data")
    ytd = metrics.estimated_totals(ds, period.ytd(), zone_id)
    assert ytd is not None
    expected = submissions.expected_enterprises(ds, period.first_month)
    missing = submissions.missing_enterprises(ds, period.first_month)
    if zone_id is not None:
        expected = expected[expected["zone_id"] == zone_id].reset_index(drop=True)
        missing = missing[missing["zone_id"] == zone_id].reset_index(drop=True)
    rows = submissions.estimate_month(ds, period.first_month)
    guesses = rows[rows["estimated"]].set_index("enterprise_id")
    missing = missing.assign(**{key: missing["enterprise_id"].map(guesses[key])
                                for key, _, _ in _FLOWS})
    return MonthFigures(
        month=month,
        previous=metrics.estimated_totals(ds, period.previous(), zone_id),
        same_month=metrics.estimated_totals(ds, period.same_period_last_year(), zone_id),
        ytd=ytd,
        ytd_same=metrics.estimated_totals(ds, period.ytd().same_period_last_year(), zone_id),
        plans={key: metrics.plan_target(ds, period.year, key, zone_id or "province")
               for key, _, _ in _FLOWS},
        expected=expected, missing=missing)


def _get(totals: Totals | None, key: str) -> float | None:
    return None if totals is None else totals[key]


def _estimated(totals: Totals | None) -> bool:
    return bool(totals and totals["estimated"])


# --- the official form (from izreport.report) -------------------------------------------------

header = rp.header
section = rp.section
part = rp.part
signature = rp.signature


# --- I. production and business ------------------------------------------------------------

def month_text(ctx: MonthlyContext) -> Html:
    """Each flow of the month against the month before and the same month last year."""
    f, p = ctx.fig, ctx.period
    what = narrative.previous_month_what(p.year, p.first)
    clauses = [narrative.flow_sentence(
        f"{label} của {ctx.scope_vi}" if i == 0 else label, f.month[key],
        metrics.INDICATORS[key].unit, estimated=f.estimated,
        previous=_get(f.previous, key), previous_what=what,
        same_period=_get(f.same_month, key), prose=False)
        for i, (key, label, _) in enumerate(_FLOWS)]
    texts = [f"Trong {ctx.month_vi}, " + "; ".join(clauses) + "."]
    if f.estimated:
        texts.append(f"Số liệu {ctx.month_vi} là số ước do còn {number(len(f.missing))} "
                     "doanh nghiệp chưa gửi báo cáo (phương pháp ước và danh sách doanh "
                     f"nghiệp ở mục “{COVERAGE_TITLE}”).")
    return paragraphs(*texts)


def ytd_text(ctx: MonthlyContext) -> Html:
    """The year to date against the annual plan and the same period last year."""
    f = ctx.fig
    clauses = [narrative.flow_sentence(
        label, f.ytd[key], metrics.INDICATORS[key].unit, estimated=_estimated(f.ytd),
        plan=f.plans.get(key), same_period=_get(f.ytd_same, key))
        for key, label, _ in _FLOWS]
    return paragraphs(f"Lũy kế {ctx.ytd_vi}, " + "; ".join(clauses) + ".")


def kpi_table(ctx: MonthlyContext) -> Table:
    """Month, month before, year to date, annual plan and same period, per flow."""
    f, p = ctx.fig, ctx.period
    rows = []
    for key, _, label in _FLOWS:
        ind = metrics.INDICATORS[key]
        d = ind.decimals
        now, ytd = f.month[key], f.ytd[key]
        rows.append((
            f"{label} ({UNITS[ind.unit]})", number(now, d), number(_get(f.previous, key), d),
            percent(metrics.ratio(now, _get(f.previous, key)), 1), number(ytd, d),
            number(f.plans.get(key), d), percent(metrics.ratio(ytd, f.plans.get(key)), 2),
            number(_get(f.ytd_same, key), d),
            percent(metrics.ratio(ytd, _get(f.ytd_same, key)), 1)))
    short_ytd = f"{p.first} tháng" if p.first > 1 else f"tháng {p.first}"
    columns = (
        Column("Chỉ tiêu", numeric=False),
        Column(_est(f.month, f"Tháng {p.first}/{p.year}")),
        Column(_est(f.previous, ctx.previous_vi[0].upper() + ctx.previous_vi[1:])),
        Column("So tháng trước (%)"),
        Column(_est(f.ytd, f"Lũy kế {short_ytd}")),
        Column(f"Kế hoạch năm {p.year}"), Column("% kế hoạch năm"),
        Column(_est(f.ytd_same, f"Cùng kỳ năm {p.year - 1}")), Column("So cùng kỳ (%)"),
    )
    note = ("Giá trị SXCN: giá trị sản xuất công nghiệp theo giá so sánh 2010. Lũy kế từ "
            "tháng 1; cùng kỳ là lũy kế các tháng đó của năm trước.")
    if f.estimated:
        note += (f" Cột ghi “ước” gồm số ước của {number(len(f.missing))} doanh nghiệp chưa "
                 "báo cáo: " + narrative.estimate_method(submissions.ESTIMATE_MONTHS) + ".")
    span = ctx.month_vi if p.first == 1 else f"{ctx.month_vi} và {ctx.ytd_vi}"
    caption = ctx.numbering.table(f"Các chỉ tiêu chủ yếu {span}")
    return Table.build(caption, columns, rows, note=note)


def _est(totals: Totals | None, header: str) -> str:
    """'Ước tháng 7/2025' for a column whose figures include estimates."""
    return f"Ước {header[0].lower()}{header[1:]}" if _estimated(totals) else header


def monthly_chart(ctx: MonthlyContext, indicator: str = "production_value") -> charts.Figure:
    """The months of this year so far beside the same months of last year."""
    ind = metrics.INDICATORS[indicator]
    frame = metrics.estimated_monthly(ctx.data, ctx.period, indicator, ctx.zone_id)
    this, last = ctx.period.year, ctx.period.year - 1
    label = ind.label.split(" (")[0]
    caption = f"{label} theo tháng, năm {this} so với năm {last} ({UNITS[ind.unit]})"
    estimated = frame[frame["estimated"]]
    if len(estimated):
        caption += "; " + ", ".join(
            narrative.month_label(int(r.year), int(r.month_no))
            for r in estimated.itertuples(index=False)) + " là số ước"
    parts = [f"tháng {int(r.month_no)}/{int(r.year)}: {quantity(r.value, ind.unit)}"
             + (" (ước)" if r.estimated else "") for r in frame.itertuples(index=False)]
    alt_text = "Biểu đồ cột theo tháng. " + "; ".join(parts) + "."
    chart = charts.monthly_vs_last_year(frame.drop(columns="estimated"), "", UNITS[ind.unit])
    return charts.Figure(chart, ctx.numbering.figure(caption), alt_text)


# --- II. labour and income -------------------------------------------------------------------

def labour_text(ctx: MonthlyContext) -> Html:
    """Workers at the month's end and the month's income, against the month before."""
    f, p = ctx.fig, ctx.period
    what = narrative.previous_month_what(p.year, p.first)
    workers = f.month["workers"]
    verb = "ước có" if f.estimated else "có"
    clauses = [narrative.head_count_clause(workers, _get(f.previous, "workers"), what),
               narrative.compare_clause(metrics.ratio(workers, _get(f.same_month, "workers")))]
    first = (f"Đến cuối {ctx.month_vi}, {ctx.scope_vi} {verb} {number(workers)} lao động"
             + "".join(f", {c}" for c in clauses if c))
    if workers:
        female, foreign = f.month["female_workers"], f.month["foreign_workers"]
        first += (f"; trong đó lao động nữ {number(female)} người "
                  f"({percent(female / workers, 1)}), lao động nước ngoài "
                  f"{number(foreign)} người")
    income = f.month["avg_income"]
    second = narrative.flow_sentence(
        f"thu nhập bình quân của người lao động {ctx.month_vi}", income,
        "mvnd_per_person_month", estimated=f.estimated,
        previous=_get(f.previous, "avg_income"), previous_what=what,
        same_period=_get(f.same_month, "avg_income"))
    return paragraphs(first + ".", second[0].upper() + second[1:] + ".")


def labour_table(ctx: MonthlyContext) -> Table:
    """Workers, women, foreigners and income: month, month before, same month last year."""
    f, p = ctx.fig, ctx.period
    rows = []
    for key, label, d in (("workers", "Lao động (người)", 0),
                          ("female_workers", "Trong đó: nữ (người)", 0),
                          ("foreign_workers", "Nước ngoài (người)", 0),
                          ("avg_income", "Thu nhập bình quân (triệu đồng/người/tháng)", 2)):
        now, prev, same = f.month[key], _get(f.previous, key), _get(f.same_month, key)
        rows.append((label, number(now, d), number(prev, d), percent(metrics.ratio(now, prev), 1),
                     number(same, d), percent(metrics.ratio(now, same), 1)))
    columns = (Column("Chỉ tiêu", numeric=False),
               Column(_est(f.month, f"Tháng {p.first}/{p.year}")),
               Column(_est(f.previous, ctx.previous_vi[0].upper() + ctx.previous_vi[1:])),
               Column("So tháng trước (%)"),
               Column(_est(f.same_month, f"Tháng {p.first}/{p.year - 1}")),
               Column("So cùng kỳ (%)"))
    caption = ctx.numbering.table(f"Lao động và thu nhập {ctx.month_vi}")
    return Table.build(caption, columns, rows,
                                 note="Lao động tại cuối tháng; thu nhập bình quân là bình quân "
                                      "gia quyền theo số lao động.")


# --- III. submissions ------------------------------------------------------------------------

def coverage_text(ctx: MonthlyContext) -> Html:
    """Enterprises expected and reported; when some are missing, how the totals are estimated."""
    f = ctx.fig
    share = None
    if f.estimated and f.month["production_value"]:
        guessed = f.missing["production_value"].fillna(0).sum()
        share = float(guessed) / f.month["production_value"]
    return paragraphs(*narrative.coverage_sentences(
        ctx.month_vi, len(f.expected), f.reported, int(f.month["estimated"]),
        narrative.estimate_method(submissions.ESTIMATE_MONTHS), share))


def missing_table(ctx: MonthlyContext) -> Table | None:
    """The enterprises that have not reported, with their estimate (None when none)."""
    f = ctx.fig
    if f.missing.empty:
        return None
    rows = []
    for r in f.missing.itertuples(index=False):
        last = str(r.last_reported or "")
        rows.append((str(r.name), str(r.zone),
                     narrative.month_label(int(last[:4]), int(last[5:])) if last else "—",
                     number(r.production_value, 1), number(r.export_value, 2)))
    columns = (Column("Doanh nghiệp", numeric=False), Column("Khu công nghiệp", numeric=False),
               Column("Báo cáo gần nhất", numeric=False),
               Column("Giá trị SXCN ước (tỷ đồng)"), Column("Xuất khẩu ước (triệu USD)"))
    caption = ctx.numbering.table(f"Doanh nghiệp chưa gửi báo cáo {ctx.month_vi}")
    note = "Số ước: " + narrative.estimate_method(submissions.ESTIMATE_MONTHS) + "."
    return Table.build(caption, columns, rows, note=note)
