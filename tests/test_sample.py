"""The committed sample data: reproducible, structurally sound, and calibrated to the published
figures at their published precision (reference: published-figures.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from izreport.samples.sample import TET, generate

DATA = Path(__file__).resolve().parents[1] / "data"
SUMS = ["production_value", "revenue", "export_value", "import_value", "budget_paid"]
FILES = ["zones.csv", "zone_land.csv", "enterprises.csv", "monthly_reports.csv", "plans.csv",
         "projects.csv", "enterprise_moves.csv", "project_progress.csv"]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def reports() -> pd.DataFrame:
    df = pd.read_csv(DATA / "monthly_reports.csv", dtype={"month": str, "enterprise_id": str})
    return df.merge(enterprises_frame()[["enterprise_id", "zone_id", "ownership"]],
                    on="enterprise_id")


def enterprises_frame() -> pd.DataFrame:
    return _read("enterprises.csv")


@pytest.fixture(scope="module")
def plans() -> pd.DataFrame:
    return pd.read_csv(DATA / "plans.csv", dtype={"scope": str})


def months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def total(reports: pd.DataFrame, indicator: str, period: list[str]) -> float:
    return float(reports.loc[reports["month"].isin(period), indicator].sum())


def workers(reports: pd.DataFrame, period: list[str]) -> int:
    return int(reports.loc[reports["month"] == period[-1], "workers"].sum())


def avg_income(reports: pd.DataFrame, period: list[str]) -> float:
    rows = reports[reports["month"].isin(period)]
    return float((rows["avg_income"] * rows["workers"]).sum() / rows["workers"].sum())


def enterprise_count(reports: pd.DataFrame, period: list[str]) -> int:
    return int(reports.loc[reports["month"].isin(period), "enterprise_id"].nunique())


def plan(plans: pd.DataFrame, year: int, indicator: str) -> float:
    row = plans[(plans["year"] == year) & (plans["scope"] == "province")
                & (plans["indicator"] == indicator)]
    assert len(row) == 1
    return float(row["target"].iloc[0])


def valid_projects(at: str) -> int:
    projects = _read("projects.csv")
    upto = projects[projects["certificate_date"] <= at]
    return int((upto["kind"] == "new").sum() - (upto["kind"] == "revoked").sum())


Q1_2017 = months("2017-01", "2017-03")
Y2017 = months("2017-01", "2017-12")
Y2018 = months("2018-01", "2018-12")
H1_2021 = months("2021-01", "2021-06")


# --- reproducibility --------------------------------------------------------------------------


def test_regenerated_files_are_byte_identical(tmp_path: Path) -> None:
    written = generate(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / "out" / name).read_bytes() == (DATA / name).read_bytes(), name
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary leftovers


def test_monthly_reports_stay_small() -> None:
    assert (DATA / "monthly_reports.csv").stat().st_size < 3_000_000


# --- published figures ------------------------------------------------------------------------


def test_2017_q1(reports: pd.DataFrame, plans: pd.DataFrame) -> None:
    production = total(reports, "production_value", Q1_2017)
    assert round(production) == 5790
    assert round(production / plan(plans, 2017, "production_value") * 100) == 35
    export = total(reports, "export_value", Q1_2017)
    assert round(export) == 137
    assert round(export / plan(plans, 2017, "export_value") * 100, 1) == 23.2
    assert round(workers(reports, Q1_2017), -2) == 34800
    assert round(avg_income(reports, Q1_2017), 1) == 4.8
    assert enterprise_count(reports, Q1_2017) == 149
    assert valid_projects("2017-03-31") == 172


def test_2017_q1_projects_are_in_the_three_operating_zones() -> None:
    projects = _read("projects.csv")
    early = projects[projects["certificate_date"] <= "2017-03-31"]
    assert set(early["zone_id"]) == {"hoa-xa", "bao-minh", "my-trung"}


def test_2018(reports: pd.DataFrame, plans: pd.DataFrame) -> None:
    production = total(reports, "production_value", Y2018)
    assert round(production, -3) == 19000
    assert round(production / plan(plans, 2018, "production_value") * 100, 1) == 102.7
    assert round(production / total(reports, "production_value", Y2017) * 100, 1) == 115.1
    export = total(reports, "export_value", Y2018)
    assert round(export) == 700
    assert round(export / plan(plans, 2018, "export_value") * 100, 1) == 107.7
    assert round(export / total(reports, "export_value", Y2017) * 100, 1) == 116.7
    assert round(workers(reports, Y2018), -3) == 41000
    by_zone = reports[reports["month"] == "2018-12"].groupby("zone_id")["workers"].sum()
    assert round(by_zone["hoa-xa"], -3) == 21000
    assert round(by_zone["bao-minh"], -3) == 14000
    assert round(by_zone["my-trung"], -3) == 5000
    income = avg_income(reports, Y2018)
    assert income > 5.5
    assert round(income, 1) == 5.5
    assert round(total(reports, "budget_paid", Y2018)) == 310


def test_2021_h1(reports: pd.DataFrame, plans: pd.DataFrame) -> None:
    production = total(reports, "production_value", H1_2021)
    assert plan(plans, 2021, "production_value") == 25940
    assert round(production) == 12000
    assert round(production / 25940 * 100, 2) == 46.26
    export = total(reports, "export_value", H1_2021)
    assert plan(plans, 2021, "export_value") == 1000
    assert round(export) == 450
    assert round(export / 1000 * 100, 2) == 45.00
    assert round(total(reports, "budget_paid", H1_2021)) == 200
    assert 45000 < workers(reports, H1_2021) < 46000
    assert round(avg_income(reports, H1_2021), 1) == 6.3
    assert enterprise_count(reports, H1_2021) == 150


def test_2024_new_projects() -> None:
    projects = _read("projects.csv")
    window = projects[projects["certificate_date"].between("2024-01-01", "2024-05-31")
                      & (projects["kind"] == "new")]
    assert len(window) == 11
    assert window["ownership"].value_counts().to_dict() == {"FDI": 7, "DDI": 4}


def test_plans_cover_every_year_and_indicator(plans: pd.DataFrame) -> None:
    province = plans[plans["scope"] == "province"]
    assert len(province) == 9 * len(SUMS)
    for year in range(2017, 2026):
        assert set(province.loc[province["year"] == year, "indicator"]) == set(SUMS)


# --- structure --------------------------------------------------------------------------------


def test_ids_and_foreign_keys() -> None:
    zones, firms, projects = _read("zones.csv"), _read("enterprises.csv"), _read("projects.csv")
    reports = _read("monthly_reports.csv")
    assert zones["zone_id"].is_unique
    assert firms["enterprise_id"].is_unique and firms["tax_code"].is_unique
    assert firms["name"].is_unique
    assert firms["name"].str.contains("&", regex=False).sum() == 1
    assert firms["tax_code"].str.fullmatch(r"06\d{8}").all()
    new = projects[projects["kind"] == "new"]
    assert new["project_id"].is_unique
    assert not reports.duplicated(["month", "enterprise_id"]).any()
    assert set(firms["zone_id"]) <= set(zones["zone_id"])
    assert set(projects["zone_id"]) <= set(zones["zone_id"])
    assert set(reports["enterprise_id"]) <= set(firms["enterprise_id"])
    linked = projects.loc[projects["enterprise_id"] != "", "enterprise_id"]
    assert set(linked) <= set(firms["enterprise_id"])
    # changes refer to an earlier `new` certificate of the same project
    first = new.set_index("project_id")["certificate_date"]
    changes = projects[projects["kind"] != "new"]
    assert changes["project_id"].isin(first.index).all()
    assert (changes["certificate_date"].to_numpy()
            >= first[changes["project_id"]].to_numpy()).all()
    assert set(projects["kind"]) <= {"new", "increase", "decrease", "revoked"}


def test_capital_is_never_converted() -> None:
    firms, projects = _read("enterprises.csv"), _read("projects.csv")
    for frame, musd, bn in ((firms, "registered_capital_musd", "registered_capital_bn_vnd"),
                            (projects, "capital_musd", "capital_bn_vnd")):
        fdi = frame["ownership"] == "FDI"
        assert (frame.loc[fdi, musd] != "").all() and (frame.loc[fdi, bn] == "").all()
        assert (frame.loc[~fdi, musd] == "").all() and (frame.loc[~fdi, bn] != "").all()
    assert (firms.loc[firms["ownership"] == "DDI", "investor_country"] == "Việt Nam").all()


def test_reports_within_enterprise_and_zone_lifetimes(reports: pd.DataFrame) -> None:
    firms = _read("enterprises.csv").set_index("enterprise_id")
    zones = _read("zones.csv").set_index("zone_id")
    span = reports.groupby("enterprise_id")["month"].agg(["min", "max", "count"])
    assert (span["min"] == firms.loc[span.index, "start_month"]).all()
    end = firms.loc[span.index, "end_month"].replace("", "2025-06")
    assert (span["max"] == end).all()
    expected = [len(months(a, b)) for a, b in zip(span["min"], span["max"], strict=True)]
    assert span["count"].tolist() == expected  # no gaps
    opening = zones.loc[firms["zone_id"], "operating_from"].to_numpy()
    assert (opening != "").all()
    assert (firms["start_month"].to_numpy() >= opening).all()
    kinds = zones.loc[firms["zone_id"], "kind"]
    assert (kinds == "KCN").all()  # clusters report under a different regime
    assert set(zones.index[zones["status"] == "planned"]).isdisjoint(firms["zone_id"])


def test_values_are_plausible(reports: pd.DataFrame) -> None:
    numeric = [*SUMS, "workers", "female_workers", "foreign_workers", "avg_income"]
    assert (reports[numeric] >= 0).all().all()
    assert (reports["female_workers"] <= reports["workers"]).all()
    assert (reports["foreign_workers"] <= reports["workers"]).all()
    ratio = reports["revenue"].sum() / reports["production_value"].sum()
    assert 1.1 <= ratio <= 1.35


def test_tet_dip_each_year(reports: pd.DataFrame) -> None:
    monthly = reports.groupby("month")["production_value"].sum()
    for tet in TET.values():
        month = pd.Period(tet, freq="M")
        around = [str(month + k) for k in (-2, -1, 1, 2) if str(month + k) in monthly.index]
        assert monthly[str(month)] < monthly[around].mean(), tet


def test_covid_dip(reports: pd.DataFrame) -> None:
    monthly = reports.groupby("month")["production_value"].sum()
    assert monthly["2020-04"] < monthly["2019-04"]


def test_fdi_dominates_exports(reports: pd.DataFrame) -> None:
    year = reports["month"].str[:4]
    by_owner = reports.groupby([year, "ownership"])["export_value"].sum().unstack()
    share = by_owner["FDI"] / by_owner.sum(axis=1)
    assert (share > 0.75).all(), share.to_dict()


def test_leased_land_within_industrial_land() -> None:
    land = pd.read_csv(DATA / "zone_land.csv", dtype={"month": str})
    zones = pd.read_csv(DATA / "zones.csv", dtype=str, keep_default_na=False)
    zones = zones.set_index("zone_id")
    cap = zones.loc[land["zone_id"], "industrial_land_ha"].astype(float).to_numpy()
    assert (land["leased_ha"].to_numpy() <= cap).all()
    assert (land["leased_ha"] >= 0).all()
    for zone, rows in land.groupby("zone_id"):
        first = zones.loc[zone, "operating_from"]
        assert rows["month"].tolist() == months(first, "2025-06"), zone
        assert rows["leased_ha"].is_monotonic_increasing, zone
    assert set(land["zone_id"]) == set(zones.index[zones["operating_from"] != ""])


def test_project_progress_is_plausible() -> None:
    """Implemented capital: cumulative, in the project's own currency, 40-70 % of the
    registered capital for projects in operation, and within the intake's 150 % rule."""
    from izreport.incoming.intake import IMPLEMENTED_MARGIN
    from izreport.samples.sample import IMPLEMENTED_SHARE

    progress = pd.read_csv(DATA / "project_progress.csv")
    projects = pd.read_csv(DATA / "projects.csv")
    fdi = progress["ownership"] == "FDI"
    assert progress.loc[fdi, "implemented_capital_bn_vnd"].isna().all()
    assert progress.loc[~fdi, "implemented_capital_musd"].isna().all()
    progress["value"] = progress["implemented_capital_musd"].fillna(
        progress["implemented_capital_bn_vnd"])
    assert progress["value"].notna().all()
    steps = progress.sort_values(["project_id", "quarter"]).groupby("project_id")["value"]
    assert (steps.diff().dropna() >= 0).all()                         # never decreases
    assert set(progress["status"]) == {"building", "operating", "stopped"}
    amount = projects["capital_musd"].fillna(projects["capital_bn_vnd"])
    sign = projects["kind"].map({"new": 1, "increase": 1, "decrease": -1, "revoked": 0})
    added = projects["kind"].isin(["new", "increase"])
    for quarter in ("2021-Q2", "2024-Q2", "2025-Q2"):
        end = f"{quarter[:4]}-{int(quarter[6]) * 3:02d}-31"
        known = projects["certificate_date"] <= end
        registered = (amount * sign)[known].groupby(projects["project_id"]).sum()
        ceiling = amount[known & added].groupby(projects["project_id"]).sum()
        now = progress[progress["quarter"] == quarter].set_index("project_id")
        share = now["value"] / registered.reindex(now.index)
        running = share[now["status"] == "operating"]
        low, high = IMPLEMENTED_SHARE
        assert running.between(low - 1e-3, high + 1e-3).mean() > 0.95, quarter
        assert (now["value"] <= IMPLEMENTED_MARGIN * ceiling.reindex(now.index)).all()
        revoked = set(projects.loc[known & (projects["kind"] == "revoked"), "project_id"])
        valid = set(projects.loc[known & (projects["kind"] == "new"), "project_id"]) - revoked
        assert set(now.index) == valid, quarter                  # every valid project reports
