from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from izreport.blocks import metrics
from izreport.core.formatting import number, percent
from izreport.core.periods import Period
from izreport.storage.data import Dataset
from tests.conftest import DATA

Q1 = Period.parse("2021-Q1")


def _rows(records: list[tuple[str, str, float, int, float]]) -> pd.DataFrame:
    """(month, enterprise, production, workers, income) with the other columns filled."""
    frame = pd.DataFrame(records, columns=["month", "enterprise_id", "production_value",
                                           "workers", "avg_income"])
    for flow in metrics.FLOWS:
        if flow != "production_value":
            frame[flow] = 1.0
    frame["female_workers"] = frame["workers"] // 2
    frame["foreign_workers"] = 0
    return frame


def test_aggregation_rules_on_a_hand_made_table() -> None:
    rows = _rows([
        ("2021-01", "A", 10.0, 100, 5.0),
        ("2021-02", "A", 20.0, 100, 5.0),
        ("2021-03", "A", 30.0, 120, 6.0),
        ("2021-01", "B", 1.0, 300, 4.0),
        ("2021-02", "B", 2.0, 300, 4.0),  # B left before March
    ])
    out = metrics.aggregate(rows, Q1).iloc[0]
    assert out["production_value"] == 63.0
    assert out["revenue"] == 5.0
    assert out["workers"] == 120  # head count in the period's last month only
    assert out["female_workers"] == 60
    assert out["enterprises"] == 2
    expected_income = (100 * 5 + 100 * 5 + 120 * 6 + 300 * 4 + 300 * 4) / (100 + 100 + 120 + 600)
    assert out["avg_income"] == pytest.approx(expected_income)


def test_aggregation_by_group_adds_up_to_the_total() -> None:
    rows = _rows([("2021-03", "A", 10.0, 10, 5.0), ("2021-03", "B", 5.0, 30, 7.0)])
    rows["ownership"] = ["FDI", "DDI"]
    groups = metrics.aggregate(rows, Q1, by="ownership")
    assert groups.loc["FDI", "production_value"] == 10.0
    assert groups["workers"].sum() == metrics.aggregate(rows, Q1).iloc[0]["workers"]


@pytest.mark.parametrize(("value", "base", "expected"), [
    (115.1, 100.0, 1.151), (5.0, 0.0, None), (None, 3.0, None), (3.0, None, None),
    (1.0, float("nan"), None),
])
def test_ratio(value: float | None, base: float | None, expected: float | None) -> None:
    got = metrics.ratio(value, base)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_kpis_2021_h1_are_the_published_figures(dataset: Dataset) -> None:
    k = metrics.kpis(dataset, Period.parse("2021-H1"))
    assert number(k["production_value"].actual) == "12.000"
    assert k["production_value"].plan == 25940
    assert percent(k["production_value"].of_plan) == "46,26%"
    assert number(k["export_value"].actual) == "450"
    assert percent(k["export_value"].of_plan) == "45%"
    assert number(k["budget_paid"].actual) == "200"
    assert 45000 < k["workers"].actual < 46000
    assert number(k["avg_income"].actual, 1) == "6,3"
    assert k["enterprises"].actual == 150
    assert k["workers"].plan is None  # no plan for stock indicators
    same = metrics.totals(dataset, Period.parse("2020-H1"))
    assert same is not None
    assert k["production_value"].vs_same_period == pytest.approx(
        k["production_value"].actual / same["production_value"])


def test_no_same_period_before_the_data_starts(dataset: Dataset) -> None:
    k = metrics.kpis(dataset, Period.parse("2017-H1"))
    assert k["production_value"].same_period is None
    assert k["production_value"].vs_same_period is None


def test_zones_and_ownership_reconcile_with_the_province(dataset: Dataset) -> None:
    period = Period.parse("2021-H1")
    province = metrics.totals(dataset, period)
    assert province is not None
    for by in ("zone_id", "ownership", "sector"):
        parts = metrics.breakdown(dataset, period, by)
        for key in (*metrics.FLOWS, "workers", "enterprises"):
            assert parts[key].sum() == pytest.approx(province[key]), (by, key)
    zones = metrics.breakdown(dataset, period, "zone_id")
    assert list(zones["production_value"]) == sorted(zones["production_value"], reverse=True)
    assert set(zones["zone"]) == {"Hòa Xá", "Bảo Minh", "Mỹ Trung"}


def test_fdi_dominates_exports(dataset: Dataset) -> None:
    own = metrics.breakdown(dataset, Period.parse("2021"), "ownership").set_index("ownership")
    assert own.loc["FDI", "export_value"] > 3 * own.loc["DDI", "export_value"]


def test_monthly_series_has_this_year_and_last(dataset: Dataset) -> None:
    frame = metrics.monthly(dataset, Period.parse("2021-H1"), "production_value")
    assert list(frame["month"]) == [f"2021-0{m}" for m in range(1, 7)] + [
        f"2020-0{m}" for m in range(1, 7)]
    total = frame.loc[frame["year"] == 2021, "value"].sum()
    assert total == pytest.approx(metrics.totals(dataset, Period.parse("2021-H1"))[
        "production_value"])


def test_monthly_series_leaves_out_months_before_the_data(dataset: Dataset) -> None:
    frame = metrics.monthly(dataset, Period.parse("2017-H1"), "export_value")
    assert set(frame["year"]) == {2017}


def test_top_enterprises_are_sorted_with_shares(dataset: Dataset) -> None:
    top = metrics.top_enterprises(dataset, Period.parse("2021-H1"), "export_value", n=10)
    assert len(top) == 10
    assert list(top["value"]) == sorted(top["value"], reverse=True)
    assert top["share"].sum() < 1
    assert math.isclose(top["share"].iloc[0] * 450, top["value"].iloc[0], rel_tol=0.01)


def test_occupancy_is_leased_over_industrial_land(dataset: Dataset) -> None:
    occ = metrics.occupancy(dataset, "2021-06")
    assert set(occ["zone_id"]) == {"hoa-xa", "bao-minh", "my-trung"}
    assert ((occ["occupancy"] > 0) & (occ["occupancy"] <= 1)).all()
    row = occ.set_index("zone_id").loc["hoa-xa"]
    assert row["occupancy"] == pytest.approx(row["leased_ha"] / row["industrial_land_ha"])


def test_occupancy_is_computed_once_and_handed_out_as_copies(dataset: Dataset) -> None:
    first = metrics.occupancy(dataset, "2021-06")
    pd.testing.assert_frame_equal(first, metrics._occupancy(dataset, "2021-06", None))
    first.loc[0, "leased_ha"] = -1.0  # a caller's change stays its own
    assert (metrics.occupancy(dataset, "2021-06")["leased_ha"] > 0).all()
    zone = metrics.occupancy(dataset, "2021-06", "hoa-xa")
    assert list(zone["zone_id"]) == ["hoa-xa"]
    earlier = metrics.occupancy(dataset, "2018-06").set_index("zone_id")["leased_ha"]
    later = metrics.occupancy(dataset, "2021-06").set_index("zone_id")["leased_ha"]
    assert not earlier.equals(later)  # another month, other figures


def test_monthly_head_counts_are_each_months_own(dataset: Dataset) -> None:
    frame = metrics.monthly(dataset, Period.parse("2021-H1"), "workers").set_index("month")
    for month in ("2021-02", "2021-06", "2020-04"):
        own = metrics.totals(dataset, Period.parse(month))
        assert own is not None and frame.loc[month, "value"] == own["workers"]


def test_plan_targets_are_read_once_and_match_the_table(dataset: Dataset) -> None:
    plans = dataset.plans
    for row in plans.itertuples():
        hit = plans[(plans["year"] == row.year) & (plans["indicator"] == row.indicator)
                    & (plans["scope"] == row.scope)]
        assert metrics.plan_target(dataset, row.year, row.indicator, row.scope) == float(
            hit["target"].iloc[0])
    assert metrics.plan_target(dataset, 1990, "production_value") is None
    assert metrics.plan_target(dataset, 2021, "workers") is None  # head counts have no plan
    doubled = dataclasses.replace(dataset, plans=plans.assign(target=plans["target"] * 2))
    assert metrics.plan_target(doubled, 2021, "production_value") == 2 * (
        metrics.plan_target(dataset, 2021, "production_value") or 0) > 0


def test_a_report_breakdown_is_computed_once_and_handed_out_as_copies() -> None:
    from izreport.blocks.report import open_report
    from tests.conftest import DATA

    rep = open_report("2021-H1", data_dir=DATA, hand_written=False)
    first = rep.breakdown("zone_id")
    pd.testing.assert_frame_equal(first, rep._breakdown("zone_id"), check_exact=True)
    first.loc[0, "production_value"] = -1.0  # a notebook's change stays its own
    assert (rep.breakdown("zone_id")["production_value"] > 0).all()
    owners = rep.breakdown("ownership")
    assert set(owners["ownership"]) == {"FDI", "DDI"} and "zone" not in owners
    zone = open_report("2021-H1", "Hòa Xá", data_dir=DATA, hand_written=False)
    assert list(zone.breakdown("zone_id")["zone_id"]) == ["hoa-xa"]


@pytest.mark.parametrize("period", ["2021-H1", "2017-H1", "2024", "2021-Q2", "2025-06",
                                    "2019-9M", "2018"])
def test_every_zone_at_once_equals_each_zone_alone(period: str) -> None:
    """The appendix's figures, from one aggregation: exactly those of each zone alone."""
    from izreport.storage import data
    from tests.conftest import DATA

    p = Period.parse(period)
    ds, alone = data.load(DATA), data.load(DATA)
    zones = [z.zone_id for z in ds.operating_zones(p)]
    together = metrics.zone_kpis(ds, p, zones)
    assert len(zones) > 1 and list(together) == zones
    for zone in zones:
        assert together[zone] == metrics.kpis(alone, p, zone)  # to the last bit
    with pytest.raises(ValueError, match="outside the data"):
        metrics.zone_kpis(ds, p, ["no-such-zone"])


@pytest.mark.parametrize("period", ["2021-H1", "2020", "2021-06", "2019-Q3"])
def test_aggregates_on_the_datasets_numbered_values_equal_those_on_text(period: str) -> None:
    """Grouping and counting enterprises on the dataset's numbered values (what a report
    does) gives exactly the frames grouping on the text gives, a zone's rows too."""
    import itertools

    from izreport.storage import data

    p = Period.parse(period)
    ds = data.load(DATA, months=data.report_months(p), tables=data.REPORT_TABLES)
    for by, zone in itertools.product((None, "zone_id", "sector", "ownership", "month",
                                       "investor_country"), (None, "hoa-xa")):
        rows = ds.select(p.months, zone)
        pd.testing.assert_frame_equal(metrics.aggregate(rows, p, by=by, ds=ds),
                                      metrics.aggregate(rows, p, by=by))
    codes, values = ds.codes("zone_id")
    assert list(values) == sorted(values) and len(codes) == len(ds.reports)
    assert (values[codes] == ds.reports["zone_id"]).all()
