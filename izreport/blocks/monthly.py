"""Blocks of the monthly report: the month, the year to date, labour, who has reported.

The monthly report goes out before every enterprise has sent its figures. Its totals
therefore include an estimate for each enterprise that has not reported
(:func:`izreport.blocks.submissions.estimate_month`), the figures that contain estimates are
labelled "ước", and the report lists the enterprises still missing and states the method.
When everyone has reported, the figures equal :mod:`izreport.blocks.metrics` exactly.

The official form (header, numbered sections, signature) comes from :mod:`izreport.blocks.report`,
whose context this module extends: ``open_report`` takes a month (``2021-06``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

import pandas as pd

from izreport.blocks import metrics, submissions
from izreport.blocks import report as rp
from izreport.blocks.report import Kpis
from izreport.blocks.values import Kpi
from izreport.core.catalogue import FLOWS, INDICATORS
from izreport.core.errors import ParameterError
from izreport.core.i18n import _
from izreport.core.periods import Period
from izreport.storage.data import Dataset

#: Months averaged to estimate an enterprise that has not reported.
ESTIMATE_MONTHS = submissions.ESTIMATE_MONTHS

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


def _values(now: Totals, plan: dict[str, float | None], same: Totals | None,
            previous: Totals | None) -> Kpis:
    return Kpis({
        key: Kpi(now[key], ind.unit, None, ind, plan.get(key),
                 None if same is None else same[key],
                 None if previous is None else previous[key], bool(now["estimated"]))
        for key, ind in INDICATORS.items()
    })


@dataclass(frozen=True)
class MonthlyContext(rp.ReportContext):
    """The report context for one month, with its figures and their value objects.

    ``month`` (the month, against the month before and the same month last year) and
    ``ytd`` (the year to date, against the annual plan and the same period) are the value
    objects sentences use; their ``verb`` is "ước đạt" when they include estimates.
    """

    figures: MonthFigures | None = field(default=None, compare=False)

    @property
    def fig(self) -> MonthFigures:
        assert self.figures is not None
        return self.figures

    @cached_property
    def month(self) -> Kpis:
        f = self.fig
        return _values(f.month, {}, f.same_month, f.previous)

    @cached_property
    def ytd(self) -> Kpis:
        f = self.fig
        return _values(f.ytd, f.plans, f.ytd_same, None)

    @property
    def month_vi(self) -> str:
        """'tháng 6/2021'."""
        return month_label(self.period.year, self.period.first)

    @property
    def previous_vi(self) -> str:
        """The month before: 'tháng 5/2021', in January 'tháng 12/2020'."""
        prev = self.period.previous()
        return month_label(prev.year, prev.first)

    @property
    def vs_previous_vi(self) -> str:
        """'so với tháng trước'; in January the month before is named."""
        if self.period.first == 1:
            return f"so với {self.previous_vi}"
        return "so với tháng trước"

    @property
    def ytd_vi(self) -> str:
        """The year to date as published: '6 tháng đầu năm 2021', '9 tháng năm 2021'."""
        year, month = self.period.year, self.period.first
        if month == 1:
            return month_label(year, 1)
        if month == 12:
            return f"năm {year}"
        if month == 9:
            return f"9 tháng năm {year}"
        return f"{month} tháng đầu năm {year}"

    @property
    def estimate_method(self) -> str:
        """How the figures of enterprises that have not reported are estimated."""
        return (f"mỗi doanh nghiệp chưa báo cáo được ước bằng bình quân {ESTIMATE_MONTHS} "
                "tháng gần nhất của chính doanh nghiệp đó")

    def monthly(self, indicator: str = "production_value") -> pd.DataFrame:
        """As :meth:`ReportContext.monthly`, with missing enterprise-months estimated
        (column ``estimated``: whether the month's value includes estimates)."""
        return metrics.estimated_monthly(self.data, self.period, indicator, self.zone_id)

    def missing(self) -> pd.DataFrame:
        """Enterprises that have not reported for the month: ``name``, ``zone``,
        ``last_reported`` (YYYY-MM or empty) and their estimated flows."""
        return self.fig.missing


def month_label(year: int, month: int) -> str:
    """'tháng 6/2021': a month in sentences and table headers."""
    return f"tháng {month}/{year}"


def open_report(period: str, zone: str | None = None, number: int | None = None,
                issued: str | None = None, data_dir: Path | str | None = None
                ) -> MonthlyContext:
    """Load the data for one month (``2021-06``), check the scope, compute the figures."""
    p = Period.parse(period)
    if p.kind != "month":
        raise ParameterError(_("parameter 'period': {period!r} is not a month; the monthly "
                               "report takes a month (2021-06)").format(period=period))
    # no hand-written sections, so never a draft for want of them
    base = rp.open_report(str(p), zone, number=number, issued=issued, data_dir=data_dir,
                          hand_written=False)
    figs = month_figures(base.data, p, base.zone_id)
    kpis = {
        key: metrics.Kpi(
            indicator=ind, actual=figs.month[key],
            plan=figs.plans.get(key),
            same_period=figs.same_month[key] if figs.same_month is not None else None)
        for key, ind in INDICATORS.items()
    }
    values = {f.name: getattr(base, f.name) for f in fields(rp.ReportContext)
              if f.name != "outline"}
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
                                for key in FLOWS})
    return MonthFigures(
        month=month,
        previous=metrics.estimated_totals(ds, period.previous(), zone_id),
        same_month=metrics.estimated_totals(ds, period.same_period_last_year(), zone_id),
        ytd=ytd,
        ytd_same=metrics.estimated_totals(ds, period.ytd().same_period_last_year(), zone_id),
        plans={key: metrics.plan_target(ds, period.year, key, zone_id or "province")
               for key in FLOWS},
        expected=expected, missing=missing)
