"""Who has reported for a month, and estimates for those who have not.

The monthly report is due before every enterprise has sent its figures. These helpers list the
enterprises expected for a month without a report row and fill the gap with an estimate the
report can mark as such, instead of silently under-counting the province.
"""

from __future__ import annotations

import pandas as pd

from izreport.core.catalogue import INDICATORS, REPORTED
from izreport.storage.data import Dataset

#: Figures of a monthly report row (monthly_reports.csv without month and enterprise_id).
FIGURES = REPORTED
_COUNTS = tuple(k for k in REPORTED if INDICATORS[k].unit == "persons")
#: Number of last reported months averaged by :func:`estimate_month`.
ESTIMATE_MONTHS = 3


def expected_enterprises(ds: Dataset, month: str) -> pd.DataFrame:
    """Enterprises that must report for the month: started, and not ended before it.

    Columns enterprise_id, name, zone_id, zone (the zone's name), sorted by enterprise_id.
    """
    ent = ds.enterprises
    end = ent["end_month"].fillna("")
    rows = ent[(ent["start_month"] <= month) & ((end == "") | (end >= month))]
    out = rows[["enterprise_id", "name", "zone_id"]].copy()
    out["zone_id"] = ds.zone_at(out["enterprise_id"], month)   # the zone of that month
    out["zone"] = out["zone_id"].map(ds.zones.set_index("zone_id")["name"])
    return out.sort_values("enterprise_id").reset_index(drop=True)


def missing_enterprises(ds: Dataset, month: str) -> pd.DataFrame:
    """Enterprises expected for the month (operating) that have no report row for it.

    Columns as :func:`expected_enterprises` plus ``last_reported`` (their latest month with a
    report before ``month``, empty if none).
    """
    expected = expected_enterprises(ds, month)
    reports = ds.monthly_reports
    present = set(reports.loc[reports["month"] == month, "enterprise_id"])
    out = expected[~expected["enterprise_id"].isin(present)].reset_index(drop=True)
    before = reports[reports["month"] < month].groupby("enterprise_id")["month"].max()
    out["last_reported"] = out["enterprise_id"].map(before).fillna("").astype("string")
    return out


def estimate_month(ds: Dataset, month: str) -> pd.DataFrame:
    """The month's report rows, plus an estimated row for each missing enterprise.

    Method: a missing enterprise is put at the plain mean of its last three reported months
    before ``month`` (fewer if it has reported fewer; head counts rounded to whole people).
    An enterprise that has never reported gets no row. Columns are those of
    monthly_reports.csv plus ``estimated`` (bool), sorted by enterprise_id.
    """
    reports = ds.monthly_reports
    actual = reports[reports["month"] == month].copy()
    actual["estimated"] = False
    missing = missing_enterprises(ds, month)["enterprise_id"]
    history = reports[(reports["month"] < month) & reports["enterprise_id"].isin(missing)]
    recent = (history.sort_values(["enterprise_id", "month"])
              .groupby("enterprise_id").tail(ESTIMATE_MONTHS))
    estimates = recent.groupby("enterprise_id", as_index=False)[list(FIGURES)].mean()
    for name in _COUNTS:
        estimates[name] = estimates[name].round().astype("int64")
    estimates.insert(0, "month", month)
    estimates["estimated"] = True
    out = pd.concat([actual, estimates[actual.columns]], ignore_index=True)
    out["month"] = out["month"].astype(reports["month"].dtype)
    return out.sort_values("enterprise_id").reset_index(drop=True)
