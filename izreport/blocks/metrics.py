"""Indicators and how they aggregate: totals, plan ratios, comparisons, breakdowns.

Every figure a report prints comes from here, so the notebook, the narrative and the
tests agree by construction. Definitions (see ``data/README.md``):

- flows (production, revenue, export, import, budget) add up over enterprises and months;
- workers are the head count in the last month of the period;
- average income is weighted by workers over every enterprise-month of the period;
- enterprises are those with at least one report in the period.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from izreport.core.catalogue import FLOWS, INDICATORS, Indicator
from izreport.core.errors import ReconciliationError
from izreport.core.i18n import _
from izreport.core.periods import Period
from izreport.storage.data import Dataset

__all__ = ["FLOWS", "INDICATORS", "Indicator", "Kpi", "aggregate", "breakdown", "covers",
           "estimated_monthly", "estimated_rows", "estimated_totals", "kpis", "monthly",
           "occupancy", "plan_target", "ratio", "reconcile", "top_enterprises", "totals",
           "zone_kpis"]


def aggregate(rows: pd.DataFrame, period: Period, by: str | list[str] | None = None,
              ds: Dataset | None = None) -> pd.DataFrame:
    """Every indicator for report rows of one period, overall (one row) or per group.

    Grouped by ``month``, each group is its own period: its head counts are that month's.
    ``ds``: the dataset whose :attr:`~Dataset.reports` the rows were selected from (labels
    kept): groups and enterprises are then counted on its numbered values, not on text.
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    if "month" in keys:
        at_end = np.ones(len(rows), dtype=bool)
    else:
        at_end = (rows["month"] == period.last_month).to_numpy(dtype=bool, na_value=False)
    workers = rows["workers"].to_numpy()
    # only the columns summed, in one pass per group (a national report's rows are many);
    # arrays rather than Series: nothing to align, the same values and types
    if ds is not None:
        at = rows.index.to_numpy()
        columns: dict[str, Any] = {
            k: pd.Categorical.from_codes(ds.codes(k)[0][at], categories=ds.codes(k)[1])
            for k in keys}
        enterprise = ds.codes("enterprise_id")[0][at]
    else:
        columns = {k: rows[k].array for k in keys}
        enterprise = rows["enterprise_id"].array
    work = pd.DataFrame({
        **columns,
        "_all": 0,
        **{k: rows[k].to_numpy() for k in FLOWS},
        "workers": np.where(at_end, workers, 0),
        "female_workers": np.where(at_end, rows["female_workers"].to_numpy(), 0),
        "foreign_workers": np.where(at_end, rows["foreign_workers"].to_numpy(), 0),
        "_iw": rows["avg_income"].to_numpy() * workers,
        "_w": workers,
        "_enterprise": enterprise,
    }, index=rows.index)
    grouped = work.groupby(keys or "_all", observed=True, sort=True)
    out = grouped[[*FLOWS, "workers", "female_workers", "foreign_workers", "_iw", "_w"]].sum()
    out["enterprises"] = grouped["_enterprise"].nunique()
    if not keys:
        out = out.reset_index(drop=True)
    elif ds is not None:   # the groups' values as text again, as grouping on text gives
        out.index = (out.index.astype(rows[keys[0]].dtype) if len(keys) == 1 else
                     out.index.set_levels([level.astype(rows[k].dtype) for level, k
                                           in zip(out.index.levels, keys, strict=True)]))
    out["avg_income"] = (out["_iw"] / out["_w"]).where(out["_w"] > 0)
    return out.drop(columns=["_iw", "_w"])


def _aggregated(ds: Dataset, months: Iterable[str], period: Period, by: str | None,
                zone_id: str | None) -> pd.DataFrame:
    """``aggregate`` of the rows of ``months``, computed once per dataset (a report asks for
    the same figures from several places: its KPIs, breakdowns, reconciliation); a copy."""
    months = tuple(months)
    return ds.memo(("aggregate", months, period.last_month, by, zone_id),
                   lambda: aggregate(ds.select(months, zone_id), period, by=by, ds=ds)).copy()


def totals(ds: Dataset, period: Period, zone_id: str | None = None) -> dict[str, float] | None:
    """All indicators of one scope and period; None when there are no data for it (the
    period lies outside the data, or no enterprise of the scope reported in it), so that a
    comparison with it reads "—" rather than against zero."""
    if not covers(ds, period):
        return None
    frame = _aggregated(ds, period.months, period, None, zone_id)
    if frame.empty:
        return None
    return {k: float(v) for k, v in frame.iloc[0].items()}


def covers(ds: Dataset, period: Period) -> bool:
    """Whether every month of the period lies within the data."""
    first, last = ds.months
    return first <= period.first_month and period.last_month <= last


def plan_target(ds: Dataset, year: int, indicator: str, scope: str = "province"
                ) -> float | None:
    """The annual plan target of one indicator, or None when no plan was set."""
    return ds.memo(("plans",), lambda: _plan_targets(ds.plans)).get((year, indicator, scope))


def _plan_targets(plans: pd.DataFrame) -> dict[tuple[int, str, str], float]:
    """Every plan target by (year, indicator, scope), the first where the table repeats one
    (a report looks up a few dozen of them)."""
    out: dict[tuple[int, str, str], float] = {}
    for year, indicator, scope, target in zip(plans["year"], plans["indicator"],
                                              plans["scope"], plans["target"], strict=True):
        out.setdefault((int(year), str(indicator), str(scope)), float(target))
    return out


def ratio(value: float | None, base: float | None) -> float | None:
    """value / base, or None when either is missing or the base is zero."""
    if value is None or base is None or base == 0 or math.isnan(base) or math.isnan(value):
        return None
    return value / base


@dataclass(frozen=True)
class Kpi:
    """One indicator of a report: the period's value and what it is compared with."""

    indicator: Indicator
    actual: float
    plan: float | None
    same_period: float | None

    @property
    def of_plan(self) -> float | None:
        """Share of the annual plan reached (0.4626 = 46,26%)."""
        return ratio(self.actual, self.plan)

    @property
    def vs_same_period(self) -> float | None:
        """Ratio to the same period of the previous year (1.151 = 115,1%)."""
        return ratio(self.actual, self.same_period)


def kpis(ds: Dataset, period: Period, zone_id: str | None = None) -> dict[str, Kpi]:
    """The headline indicators of a report with plan and same-period comparisons."""
    return _kpis(ds, period, zone_id, totals(ds, period, zone_id),
                 totals(ds, period.same_period_last_year(), zone_id))


def zone_kpis(ds: Dataset, period: Period, zone_ids: Iterable[str]
              ) -> dict[str, dict[str, Kpi]]:
    """:func:`kpis` of each zone (the appendix), from one aggregation per period instead
    of two per zone: the same figures to the last bit (see :func:`_zone_totals`)."""
    now, before = (_zone_totals(ds, p) for p in (period, period.same_period_last_year()))
    return {z: _kpis(ds, period, z, now.get(z), before.get(z)) for z in zone_ids}


def _zone_totals(ds: Dataset, period: Period) -> dict[str, dict[str, float]]:
    """:func:`totals` of every zone with reports in the period.

    The rows go in zone order, each zone's rows in their own order, so that pandas sums
    each zone as one run of rows, as it sums the rows of a zone selected alone (grouped
    in any other order it sums with compensation, and the last bit may differ).
    """
    if not covers(ds, period):
        return {}
    rows = ds.select(period.months)
    codes = ds.codes("zone_id")[0][rows.index.to_numpy()]   # the groups' own order
    ordered = rows.iloc[np.argsort(codes, kind="stable")]
    frame = aggregate(ordered, period, by="zone_id", ds=ds)
    return {str(zone): {k: float(v) for k, v in row.items()} for zone, row in frame.iterrows()}


def _kpis(ds: Dataset, period: Period, zone_id: str | None, now: dict[str, float] | None,
          before: dict[str, float] | None) -> dict[str, Kpi]:
    if now is None:
        raise ValueError(f"period {period} is outside the data")
    scope = zone_id or "province"
    return {
        key: Kpi(
            indicator=ind,
            actual=now[key],
            plan=plan_target(ds, period.year, key, scope) if ind.how == "sum" else None,
            same_period=before[key] if before is not None else None,
        )
        for key, ind in INDICATORS.items()
    }


def breakdown(ds: Dataset, period: Period, by: str, zone_id: str | None = None
              ) -> pd.DataFrame:
    """Indicators per zone, ownership (FDI/DDI) or sector, largest production first."""
    frame = _aggregated(ds, period.months, period, by, zone_id).reset_index()
    if by == "zone_id":
        names = ds.zones.set_index("zone_id")["name"]
        frame.insert(1, "zone", frame["zone_id"].map(names))
    return frame.sort_values("production_value", ascending=False, kind="stable"
                             ).reset_index(drop=True)


def monthly(ds: Dataset, period: Period, indicator: str, zone_id: str | None = None
            ) -> pd.DataFrame:
    """One indicator month by month for the year to the period's end and the year before.

    Columns: ``year``, ``month_no`` (1-12), ``month`` ('YYYY-MM'), ``value``.
    Months outside the data are left out.
    """
    frames = []
    for p in (period.ytd(), period.ytd().same_period_last_year()):
        months = [m for m in p.months if covers(ds, Period.parse(m))]
        if not months:
            continue
        values = _aggregated(ds, months, p, "month", zone_id)[indicator]
        for month in months:
            one = Period.parse(month)
            frames.append({"year": one.year, "month_no": one.first, "month": month,
                           "value": float(values.get(month, 0.0))})
    return pd.DataFrame(frames, columns=["year", "month_no", "month", "value"])


def top_enterprises(ds: Dataset, period: Period, indicator: str = "export_value", n: int = 10,
                    zone_id: str | None = None) -> pd.DataFrame:
    """The n enterprises with the largest value of a flow indicator, with their share."""
    rows = ds.select(period.months, zone_id)
    total = float(rows[indicator].sum())
    grouped = (rows.groupby("enterprise_id", sort=True)
               .agg(name=("name", "first"), zone_id=("zone_id", "first"),
                    ownership=("ownership", "first"), country=("investor_country", "first"),
                    value=(indicator, "sum"))
               .reset_index())
    top = grouped.sort_values(["value", "enterprise_id"], ascending=[False, True]).head(n)
    top = top.assign(share=top["value"] / total if total else float("nan"))
    names = ds.zones.set_index("zone_id")["name"]
    return top.assign(zone=top["zone_id"].map(names)).reset_index(drop=True)


def occupancy(ds: Dataset, month: str, zone_id: str | None = None) -> pd.DataFrame:
    """Leased industrial land and occupancy rate (leased / industrial land) per zone.

    Computed once per month, zone and dataset (a report's table and chart both ask); a copy.
    """
    return ds.memo(("occupancy", month, zone_id), lambda: _occupancy(ds, month, zone_id)
                   ).copy()


def _occupancy(ds: Dataset, month: str, zone_id: str | None) -> pd.DataFrame:
    land = ds.zone_land[ds.zone_land["month"] == month][["zone_id", "leased_ha"]]
    zones = ds.zones[ds.zones["kind"] == "KCN"][
        ["zone_id", "name", "total_area_ha", "industrial_land_ha", "status"]]
    out = zones.merge(land, on="zone_id", how="inner")
    if zone_id is not None:
        out = out[out["zone_id"] == zone_id]
    out = out.assign(occupancy=out["leased_ha"] / out["industrial_land_ha"])
    return out.reset_index(drop=True)


def reconcile(ds: Dataset, period: Period, tolerance: float = 1e-6) -> None:
    """Zones must add up to the province, and FDI plus DDI to the total.

    A row whose zone is not in zones.csv, or whose ownership is neither FDI nor DDI, would
    otherwise vanish from a breakdown while staying in the total: fail with the numbers.
    """
    total = totals(ds, period)
    if total is None:
        return
    known_zones = set(ds.zones["zone_id"])
    problems = []
    for by, known in (("zone_id", known_zones), ("ownership", {"FDI", "DDI"})):
        parts = _aggregated(ds, period.months, period, by, None)
        parts = parts[parts.index.isin(known)]
        for key in (*FLOWS, "workers", "enterprises"):
            got, want = float(parts[key].sum()), total[key]
            if abs(got - want) > tolerance * max(1.0, abs(want)):
                label = _("zones") if by == "zone_id" else "FDI + DDI"
                problems.append(_("{key}: {label} add up to {got:,.3f}, province total is "
                                  "{want:,.3f}").format(key=key, label=label, got=got,
                                                        want=want))
    if problems:
        raise ReconciliationError(_("{period}: totals do not reconcile: {problems}").format(
            period=period, problems="; ".join(problems)))


# --- months with missing submissions (monthly report) ------------------------------------------

def estimated_rows(ds: Dataset, period: Period, zone_id: str | None = None) -> pd.DataFrame:
    """Report rows of a period where every missing enterprise-month is estimated.

    Each month goes through :func:`izreport.blocks.submissions.estimate_month` (a missing enterprise
    is put at the mean of its last reported months); the rows carry the enterprise
    attributes of :attr:`Dataset.reports` and a boolean ``estimated`` column. Computed
    once per months, zone and dataset (the year to date serves the totals and the chart
    of a monthly report); a copy.
    """
    return ds.memo(("estimated_rows", tuple(period.months), zone_id),
                   lambda: _estimated_rows(ds, period, zone_id)).copy()


def _estimated_rows(ds: Dataset, period: Period, zone_id: str | None) -> pd.DataFrame:
    from izreport.blocks.submissions import estimate_month

    frames = [estimate_month(ds, month) for month in period.months]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    rows = ds.with_attributes(rows)
    if zone_id is not None:
        rows = rows[rows["zone_id"] == zone_id]
    return rows.sort_values(["month", "enterprise_id"]).reset_index(drop=True)


def estimated_totals(ds: Dataset, period: Period, zone_id: str | None = None
                     ) -> dict[str, float] | None:
    """As :func:`totals`, with missing enterprise-months estimated.

    The extra key ``estimated`` is the number of enterprise-months estimated (0 when every
    enterprise reported, and then the values equal :func:`totals`). None when the data do
    not cover the period.
    """
    if not covers(ds, period):
        return None
    rows = estimated_rows(ds, period, zone_id)
    frame = aggregate(rows, period)
    if frame.empty:
        out = {k: 0.0 for k in INDICATORS} | {"female_workers": 0.0, "foreign_workers": 0.0}
    else:
        out = {k: float(v) for k, v in frame.iloc[0].items()}
    out["estimated"] = float(rows["estimated"].sum())
    return out


def estimated_monthly(ds: Dataset, period: Period, indicator: str,
                      zone_id: str | None = None) -> pd.DataFrame:
    """As :func:`monthly` (a flow indicator), with missing enterprise-months estimated.

    Extra column ``estimated``: whether the month's value includes estimates.
    """
    if INDICATORS[indicator].how != "sum":
        raise ValueError(f"{indicator} is not a flow indicator")
    records = []
    for p in (period.ytd(), period.ytd().same_period_last_year()):
        months = [m for m in p.months if covers(ds, Period.parse(m))]
        if not months:
            continue
        span = Period(int(months[0][:4]), int(months[0][5:]), int(months[-1][5:]))
        rows = estimated_rows(ds, span, zone_id)
        for month in months:
            one = rows[rows["month"] == month]
            records.append({"year": int(month[:4]), "month_no": int(month[5:]), "month": month,
                            "value": float(one[indicator].sum()),
                            "estimated": bool(one["estimated"].any())})
    return pd.DataFrame(records, columns=["year", "month_no", "month", "value", "estimated"])
