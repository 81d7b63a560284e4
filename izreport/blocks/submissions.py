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
    rows = _operating(ds, month)
    out = rows[["enterprise_id", "name", "zone_id"]].copy()
    out["zone_id"] = ds.zone_at(out["enterprise_id"], month)   # the zone of that month
    out["zone"] = out["zone_id"].map(ds.zones.set_index("zone_id")["name"])
    return out.sort_values("enterprise_id").reset_index(drop=True)


def _operating(ds: Dataset, month: str) -> pd.DataFrame:
    """Rows of enterprises.csv that must report for the month."""
    ent = ds.enterprises
    end = ent["end_month"].fillna("")
    return ent[(ent["start_month"] <= month) & ((end == "") | (end >= month))]


def _missing_ids(ds: Dataset, month: str) -> pd.Series:
    """The ids of :func:`missing_enterprises`, in no particular order, without their zones
    and last months."""
    ids = _operating(ds, month)["enterprise_id"]
    reports = ds.monthly_reports
    return ids[~ids.isin(reports.loc[reports["month"] == month, "enterprise_id"])]


def missing_enterprises(ds: Dataset, month: str) -> pd.DataFrame:
    """Enterprises expected for the month (operating) that have no report row for it.

    Columns as :func:`expected_enterprises` plus ``last_reported`` (their latest month with a
    report before ``month``, empty if none). Computed once per month and dataset (a
    monthly report estimates each month of two years to date); a copy.
    """
    return ds.memo(("missing_enterprises", month), lambda: _missing(ds, month)).copy()


def _missing(ds: Dataset, month: str) -> pd.DataFrame:
    expected = expected_enterprises(ds, month)
    out = expected[expected["enterprise_id"].isin(_missing_ids(ds, month))
                   ].reset_index(drop=True)
    out["last_reported"] = out["enterprise_id"].map(_last_months(ds.monthly_reports, month)
                                                    ).fillna("").astype("string")
    return out


def _last_months(reports: pd.DataFrame, month: str) -> pd.Series:
    """Each enterprise's latest month with a report before ``month`` ('YYYY-MM' sorts as
    time does): the last row of each in month order, as a text column's groupby max runs
    row by row in Python."""
    earlier = reports.loc[reports["month"] < month, ["enterprise_id", "month"]]
    last = earlier.sort_values("month", kind="stable").drop_duplicates("enterprise_id",
                                                                      keep="last")
    return last.set_index("enterprise_id")["month"]


def estimate_month(ds: Dataset, month: str) -> pd.DataFrame:
    """The month's report rows, plus an estimated row for each missing enterprise.

    Method: a missing enterprise is put at the plain mean of its last three reported months
    before ``month`` (fewer if it has reported fewer; head counts rounded to whole people).
    An enterprise that has never reported gets no row. Columns are those of
    monthly_reports.csv plus ``estimated`` (bool), sorted by enterprise_id. Computed once
    per month and dataset; a copy.
    """
    return ds.memo(("estimate_month", month), lambda: _estimate(ds, month)).copy()


def _estimate(ds: Dataset, month: str) -> pd.DataFrame:
    reports = ds.monthly_reports
    actual = reports[reports["month"] == month].copy()
    actual["estimated"] = False
    missing = _missing_ids(ds, month)
    if len(missing):
        history = reports[(reports["month"] < month) & reports["enterprise_id"].isin(missing)]
        recent = (history.sort_values(["enterprise_id", "month"])
                  .groupby("enterprise_id").tail(ESTIMATE_MONTHS))
        estimates = recent.groupby("enterprise_id", as_index=False)[list(FIGURES)].mean()
        for name in _COUNTS:
            estimates[name] = estimates[name].round().astype("int64")
        estimates.insert(0, "month", month)
        estimates["estimated"] = True
        out = pd.concat([actual, estimates[actual.columns]], ignore_index=True)
    else:  # everyone has reported (most months): nothing to estimate
        out = actual
    out["month"] = out["month"].astype(reports["month"].dtype)
    return out.sort_values("enterprise_id").reset_index(drop=True)
