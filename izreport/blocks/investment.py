"""Investment attraction from the certificate register (``projects.csv``).

FDI capital is in triệu USD and domestic (DDI) capital in tỷ đồng; the two are never
converted into each other, so every figure here is kept per ownership group.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from izreport.core.periods import Period
from izreport.storage.data import Dataset

KINDS = ("new", "increase", "decrease", "revoked")
KIND_LABELS = {"new": "Cấp mới", "increase": "Điều chỉnh tăng vốn",
               "decrease": "Điều chỉnh giảm vốn", "revoked": "Thu hồi"}
#: Signed contribution of each event to registered capital.
_SIGN = {"new": 1.0, "increase": 1.0, "decrease": -1.0, "revoked": -1.0}
OWNERSHIPS = ("FDI", "DDI")
CAPITAL_UNIT = {"FDI": "musd", "DDI": "bn_vnd"}


def _capital(frame: pd.DataFrame) -> pd.Series:
    """Each event's capital in its own unit (USD for FDI, VND for DDI)."""
    return frame["capital_musd"].where(frame["ownership"] == "FDI", frame["capital_bn_vnd"]
                                       ).fillna(0.0)


def events(ds: Dataset, first_day: str, last_day: str, zone_id: str | None = None
           ) -> pd.DataFrame:
    """Certificate events dated within [first_day, last_day] (ISO dates)."""
    p = ds.projects
    rows = p[(p["certificate_date"] >= first_day) & (p["certificate_date"] <= last_day)]
    if zone_id is not None:
        rows = rows[rows["zone_id"] == zone_id]
    return rows.assign(capital=_capital(rows))


def _bounds(period: Period) -> tuple[str, str]:
    return f"{period.first_month}-01", f"{period.last_month}-31"


def flows(ds: Dataset, period: Period, zone_id: str | None = None) -> pd.DataFrame:
    """Projects and capital per kind of event and ownership in the period.

    Columns: kind, ownership, projects, capital, unit — one row for every kind and
    ownership, zeros included, so a table always shows the whole picture.
    """
    rows = events(ds, *_bounds(period), zone_id)
    grouped = rows.groupby(["kind", "ownership"]).agg(projects=("project_id", "count"),
                                                       capital=("capital", "sum"))
    index = pd.MultiIndex.from_product([KINDS, OWNERSHIPS], names=["kind", "ownership"])
    out = grouped.reindex(index, fill_value=0).reset_index()
    out["projects"] = out["projects"].astype(int)
    out["unit"] = out["ownership"].map(CAPITAL_UNIT)
    return out


def by_country(ds: Dataset, period: Period, zone_id: str | None = None) -> pd.DataFrame:
    """FDI capital newly registered or added in the period, per investor country."""
    rows = events(ds, *_bounds(period), zone_id)
    fdi = rows[(rows["ownership"] == "FDI") & rows["kind"].isin(["new", "increase"])]
    out = (fdi.groupby("investor_country")
           .agg(projects=("project_id", "nunique"), capital=("capital", "sum"))
           .reset_index()
           .sort_values(["capital", "investor_country"], ascending=[False, True]))
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Stock:
    """Valid projects and their registered capital at a date, per ownership group."""

    projects: dict[str, int]
    capital: dict[str, float]


def stock(ds: Dataset, last_day: str, zone_id: str | None = None) -> Stock:
    """Projects still valid at ``last_day`` (new minus revoked) and their capital."""
    rows = events(ds, "0000-00-00", last_day, zone_id)
    signed = rows["capital"] * rows["kind"].map(_SIGN)
    projects: dict[str, int] = {}
    capital: dict[str, float] = {}
    for own in OWNERSHIPS:
        mine = rows["ownership"] == own
        projects[own] = int(((rows["kind"] == "new") & mine).sum()
                            - ((rows["kind"] == "revoked") & mine).sum())
        capital[own] = float(signed[mine].sum())
    return Stock(projects, capital)


def registered_since(ds: Dataset, first_day: str, last_day: str,
                     zone_id: str | None = None) -> dict[str, float]:
    """Capital attracted between two dates: newly registered plus capital increases.

    This is what the province counts toward its investment-attraction target: capital that
    certificates of the period brought in. Decreases and revocations are not subtracted (a
    revocation in 2023 of a project certified in 2015 attracted nothing less in 2021-2025);
    they show in the register (:func:`stock`) and in the period's own table.
    """
    rows = events(ds, first_day, last_day, zone_id)
    attracted = rows[rows["kind"].isin(("new", "increase"))]
    return {own: float(attracted.loc[attracted["ownership"] == own, "capital"].sum())
            for own in OWNERSHIPS}


#: Project status in the quarterly progress reports, as the forms and reports name it.
STATUS_LABELS = {"building": "đang xây dựng", "operating": "đang hoạt động",
                 "stopped": "ngừng hoạt động"}


def progress(ds: Dataset, last_day: str, zone_id: str | None = None) -> pd.DataFrame:
    """Projects valid at ``last_day`` with their latest quarterly progress report up to it.

    Columns: project_id, zone_id, ownership, status, implemented (cumulative implemented
    capital in the project's own unit: triệu USD for FDI, tỷ đồng for DDI). A project that
    has not reported yet is left out (its status and capital are not known).
    """
    from izreport.storage.data import quarter_of

    reports = ds.project_progress
    reports = reports[reports["quarter"] <= quarter_of(last_day[:7])]
    latest = reports.sort_values("quarter", kind="stable").groupby("project_id").tail(1)
    rows = events(ds, "0000-00-00", last_day, zone_id)
    new = rows.loc[rows["kind"] == "new", ["project_id", "zone_id", "ownership"]]
    new = new[~new["project_id"].isin(set(rows.loc[rows["kind"] == "revoked", "project_id"]))]
    out = new.merge(latest[["project_id", "status", "implemented_capital_musd",
                            "implemented_capital_bn_vnd"]], on="project_id", how="inner")
    out["implemented"] = out["implemented_capital_musd"].where(
        out["ownership"] == "FDI", out["implemented_capital_bn_vnd"]).astype(float)
    return out[["project_id", "zone_id", "ownership", "status", "implemented"]]


def implemented(ds: Dataset, last_day: str, zone_id: str | None = None) -> Stock:
    """Projects in operation and cumulative implemented capital at ``last_day``, per
    ownership group (capital in its own unit, never converted)."""
    rows = progress(ds, last_day, zone_id)
    return Stock(
        projects={own: int(((rows["ownership"] == own) & (rows["status"] == "operating")).sum())
                  for own in OWNERSHIPS},
        capital={own: float(rows.loc[rows["ownership"] == own, "implemented"].sum())
                 for own in OWNERSHIPS})
