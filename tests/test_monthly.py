"""The monthly report: its blocks (figures equal the metrics, wording, estimates for
enterprises that have not reported) and end-to-end renders to HTML and PDF."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pandas as pd
import pytest

from izreport.blocks import metrics, submissions
from izreport.blocks import monthly as mr
from izreport.blocks.display import table
from izreport.core.errors import ParameterError
from izreport.core.formatting import number, percent
from izreport.core.periods import Period
from izreport.incoming.ingest import ingest
from izreport.pipeline.params import get_report, validate
from izreport.pipeline.render import RenderResult, render
from izreport.storage import data
from tests.conftest import DATA, pdftotext

SUBMISSIONS = DATA / "submissions" / "2025-07"
MISSING_2025_07 = {"DN0012", "DN0059", "DN0104", "DN0153", "DN0193"}
FLOWS = ("production_value", "revenue", "export_value", "import_value", "budget_paid")


def _copy_data(target: Path) -> Path:
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("*.md", "submissions"))
    return target


@pytest.fixture(scope="module")
def july_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the data with the sample 2025-07 submissions ingested (5 missing)."""
    folder = _copy_data(tmp_path_factory.mktemp("monthly") / "data")
    ingest([SUBMISSIONS / "bao-cao-2025-07.xlsx", SUBMISSIONS / "bo-sung-2025-07.csv"], folder)
    return folder


@pytest.fixture(scope="module")
def june() -> mr.MonthlyContext:
    return mr.open_report("2021-06", data_dir=str(DATA))


@pytest.fixture(scope="module")
def july(july_data: Path) -> mr.MonthlyContext:
    return mr.open_report("2025-07", data_dir=str(july_data))


def _text(block: object) -> str:
    return re.sub(r"<[^>]+>", " ", block.html)  # type: ignore[attr-defined]


# --- parameters -----------------------------------------------------------------------------

def test_monthly_parameters_are_declared(english: None) -> None:
    spec = get_report("monthly")
    assert spec.path.is_file() and spec.path.name == "monthly_report.ipynb"
    assert validate(spec, {}) == {"period": "2021-06", "zone": None, "number": None,
                                  "issued": None}
    assert validate(spec, {"period": "2021-07", "zone": "hoa xa"}, DATA)["zone"] == "Hòa Xá"
    assert spec.stem({"period": "2021-06", "zone": None}) == "monthly_2021-06"
    for raw, words in (({"period": "2021-H1"}, ["'period'", "half", "month"]),
                       ({"final": True}, ["unknown parameter 'final'"]),
                       ({"period": "2031-01"}, ["outside the data"])):
        with pytest.raises(ParameterError) as err:
            validate(spec, raw)
        for word in words:
            assert word in str(err.value)


def test_open_report_takes_a_month_only(english: None) -> None:
    with pytest.raises(ParameterError, match="month"):
        mr.open_report("2021-H1", data_dir=str(DATA))


# --- figures equal the metrics ----------------------------------------------------------------

def test_month_figures_equal_the_metrics(june: mr.MonthlyContext,
                                         dataset: data.Dataset) -> None:
    f = june.fig
    p = Period.parse("2021-06")
    for got, period in ((f.month, p), (f.previous, Period.parse("2021-05")),
                        (f.same_month, Period.parse("2020-06")),
                        (f.ytd, Period.parse("2021-H1")), (f.ytd_same, Period.parse("2020-H1"))):
        want = metrics.totals(dataset, period)
        assert got is not None and want is not None
        for key in (*FLOWS, "workers", "female_workers", "avg_income", "enterprises"):
            assert got[key] == pytest.approx(want[key]), (period, key)
        assert got["estimated"] == 0
    half = metrics.kpis(dataset, Period.parse("2021-H1"))
    assert f.plans["production_value"] == half["production_value"].plan == 25940
    assert june.kpis["production_value"].actual == pytest.approx(f.month["production_value"])
    assert not f.estimated and f.missing.empty and june.draft is False


def test_month_values_compare_with_the_month_before_and_the_plan(
        june: mr.MonthlyContext, dataset: data.Dataset) -> None:
    month = metrics.totals(dataset, Period.parse("2021-06"))
    prev = metrics.totals(dataset, Period.parse("2021-05"))
    assert month is not None and prev is not None
    p = june.month.production_value
    assert float(p) == pytest.approx(month["production_value"])
    assert float(p.previous) == pytest.approx(prev["production_value"])
    assert str(p.vs_previous) == percent(month["production_value"] / prev["production_value"],
                                         1, strip=False)
    assert p.verb == "đạt" and not june.fig.estimated
    y = june.ytd.production_value
    assert f"{y}, {y.vs_plan} kế hoạch năm ({y.plan:t})" == (
        "12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm (25.940 tỷ đồng)")
    assert f"{june.ytd.export_value.plan}" == "1 tỷ USD"
    assert june.month.workers.n == "45.500"
    assert june.ytd_vi == "6 tháng đầu năm 2021" and june.vs_previous_vi == "so với tháng trước"


def test_previous_month_of_january_is_december_of_last_year() -> None:
    ctx = mr.open_report("2021-01", data_dir=str(DATA))
    assert ctx.previous_vi == "tháng 12/2020"
    assert ctx.vs_previous_vi == "so với tháng 12/2020"
    assert ctx.ytd_vi == "tháng 1/2021"
    first = mr.open_report("2017-01", data_dir=str(DATA))
    assert first.month.production_value.previous.missing  # no data before the first month
    assert first.month.production_value.change_previous.missing


@pytest.mark.parametrize(("month", "label"), [(2, "2 tháng đầu năm 2021"),
                                              (9, "9 tháng năm 2021"), (12, "năm 2021")])
def test_ytd_label(month: int, label: str) -> None:
    ctx = mr.open_report(f"2021-{month:02d}", data_dir=str(DATA))
    assert ctx.ytd_vi == label


def test_zone_monthly_report(dataset: data.Dataset) -> None:
    ctx = mr.open_report("2021-06", "Hòa Xá", data_dir=str(DATA))
    want = metrics.totals(dataset, Period.parse("2021-06"), "hoa-xa")
    assert want is not None
    assert ctx.fig.month["production_value"] == pytest.approx(want["production_value"])
    assert set(ctx.fig.expected["zone_id"]) == {"hoa-xa"}
    assert "Khu công nghiệp Hòa Xá tháng 6 năm 2021" in ctx.header().html


# --- estimates for enterprises that have not reported -------------------------------------------

def test_missing_enterprises_are_estimated_and_flagged(july: mr.MonthlyContext,
                                                       july_data: Path) -> None:
    f = july.fig
    assert set(f.missing["enterprise_id"]) == MISSING_2025_07
    assert (len(f.expected), f.reported) == (190, 185)
    assert f.estimated and f.month["estimated"] == 5 and f.ytd["estimated"] == 5
    ds = data.load(july_data)
    actual = metrics.totals(ds, Period.parse("2025-07"))
    rows = submissions.estimate_month(ds, "2025-07")
    assert actual is not None
    for key in FLOWS:
        assert f.month[key] == pytest.approx(rows[key].sum())
        assert f.month[key] > actual[key]
    june = metrics.totals(ds, Period.parse("2025-06"))
    assert f.previous == pytest.approx(june | {"estimated": 0.0})
    assert july.month.production_value.verb == "ước đạt"
    assert july.ytd.production_value.verb == "ước đạt"
    assert july.month.workers.estimated
    series = july.monthly("production_value")
    assert series[series["estimated"]]["month"].tolist() == ["2025-07"]


def test_estimates_are_computed_once_per_month_and_handed_out_as_copies(
        july_data: Path) -> None:
    ds = data.load(july_data)
    first = submissions.estimate_month(ds, "2025-07")
    first.loc[0, "production_value"] = -1.0  # a caller's change stays its own
    again = submissions.estimate_month(ds, "2025-07")
    fresh = data.load(july_data)
    pd.testing.assert_frame_equal(again, submissions._estimate(fresh, "2025-07"))
    assert again.loc[0, "production_value"] != -1.0
    june = submissions.estimate_month(ds, "2025-06")  # everyone reported: the rows as sent
    assert not june["estimated"].any() and set(june["month"]) == {"2025-06"}
    sent = fresh.monthly_reports[fresh.monthly_reports["month"] == "2025-06"]
    pd.testing.assert_frame_equal(
        june.drop(columns="estimated"),
        sent.sort_values("enterprise_id").reset_index(drop=True), check_exact=True)
    # the latest month before, as a plain groupby max reads it
    missing = submissions.missing_enterprises(ds, "2025-07")
    reports = fresh.monthly_reports
    latest = reports[reports["month"] < "2025-07"].groupby("enterprise_id")["month"].max()
    assert list(missing["last_reported"]) == [latest.get(e, "") for e in
                                              missing["enterprise_id"]]
    missing.loc[0, "name"] = "x"
    assert submissions.missing_enterprises(ds, "2025-07").loc[0, "name"] != "x"
    assert submissions.missing_enterprises(ds, "2025-06").empty


def test_missing_list_names_each_enterprise_and_is_escaped(july_data: Path,
                                                           tmp_path: Path) -> None:
    from izreport.storage.store import enterprises

    folder = tmp_path / "data"
    shutil.copytree(july_data, folder)      # its store holds the data (the CSV files seeded it)
    evil = '<img src=x onerror=alert(1)> Công ty "A&B"'
    with data.open_store(folder).writing() as conn:
        conn.execute(enterprises.update().where(enterprises.c.enterprise_id == "DN0012")
                     .values(name=evil))
    ctx = mr.open_report("2025-07", data_dir=str(folder))
    missing = ctx.missing()
    assert len(missing) == 5 and missing["name"].tolist().count(evil) == 1
    html = table(missing[["name", "zone"]]).to_html()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; Công ty &quot;A&amp;B&quot;" in html


# --- end to end -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def june_render(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render("monthly", {"period": "2021-06"}, tmp_path_factory.mktemp("june"),
                  data_dir=DATA)


@pytest.fixture(scope="module")
def july_render(tmp_path_factory: pytest.TempPathFactory, july_data: Path) -> RenderResult:
    return render("monthly", {"period": "2025-07"}, tmp_path_factory.mktemp("july"),
                  data_dir=july_data)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found
    return int(found[1])


def _flat(pdf: Path) -> str:
    return " ".join(pdftotext(pdf).split()).replace("/ ", "/")


def test_render_monthly_2021_06(june_render: RenderResult, dataset: data.Dataset) -> None:
    files = june_render.files
    assert set(files) == {"ipynb", "html", "pdf"}
    assert all(p.name.startswith("monthly_2021-06.") for p in files.values())
    nb = json.loads(files["ipynb"].read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"] == {
        "period": "2021-06", "zone": None, "number": None, "issued": None}
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]

    html = files["html"].read_text(encoding="utf-8")
    month = metrics.totals(dataset, Period.parse("2021-06"))
    assert month is not None
    for figure in (number(month["production_value"]), number(month["export_value"], 1),
                   "12.000", "25.940", "46,26%", "450,0", "1.000,0", "45,00%", "45.500"):
        assert f">{figure}<" in html, figure
    assert "<title>Báo cáo tình hình hoạt động của các khu công nghiệp tỉnh Nam Định tháng 6 " \
           "năm 2021</title>" in html
    assert 'class="iz-draft-mark"' not in html and " ước đạt" not in html
    assert html.count('class="iz-chart"') == 1

    assert 2 <= _pages(files["pdf"]) <= 4
    flat = _flat(files["pdf"])
    assert "DỰ THẢO" not in flat
    assert "Tình hình hoạt động của các khu công nghiệp tỉnh Nam Định tháng 6 năm 2021" in flat
    assert (f"đạt {number(month['production_value'])} tỷ đồng, tăng 2,5% so với tháng trước"
            in flat)
    assert "12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm (25.940 tỷ đồng)" in flat
    assert "Tất cả 150 doanh nghiệp đang hoạt động đã gửi báo cáo tháng 6/2021" in flat
    for word in ("Bảng 1.", "Bảng 2.", "Hình 1.", "Nơi nhận", "III. TÌNH HÌNH TIẾP NHẬN"):
        assert word in flat, word


def test_render_monthly_with_missing_submissions(july_render: RenderResult) -> None:
    html = july_render.files["html"].read_text(encoding="utf-8")
    assert "Ước tháng 7/2025" in html and "ước đạt" in html
    assert "185/190 doanh nghiệp" in html and "Ước lũy kế 7 tháng" in html
    assert "Số liệu tháng 7/2025 là số ước do còn 5 doanh nghiệp chưa gửi báo cáo" in html
    assert "ước có" in html and "tháng 7/2025 là số ước" in html
    assert "Doanh nghiệp chưa gửi báo cáo tháng 7/2025" in html
    assert 2 <= _pages(july_render.files["pdf"]) <= 4
    flat = _flat(july_render.files["pdf"])
    assert "tháng 7 năm 2025" in flat and "ước đạt" in flat
    assert ("mỗi doanh nghiệp chưa báo cáo được ước bằng bình quân 3 tháng gần nhất của chính "
            "doanh nghiệp đó") in flat


def test_missing_enterprises_are_named_in_the_render(july_render: RenderResult,
                                                     july_data: Path) -> None:
    html = july_render.files["html"].read_text(encoding="utf-8")
    names = data.load(july_data).enterprises.set_index("enterprise_id")["name"]
    for ent in sorted(MISSING_2025_07):
        assert escape(str(names[ent])) in html, ent


def test_estimated_rows_are_computed_once_per_months_and_handed_out_as_copies(
        july_data: Path) -> None:
    ds, fresh = data.load(july_data), data.load(july_data)
    ytd = Period.parse("2025-07").ytd()
    first = metrics.estimated_rows(ds, ytd)
    pd.testing.assert_frame_equal(first, metrics._estimated_rows(fresh, ytd, None),
                                  check_exact=True)
    assert first["estimated"].sum() == 5
    first.loc[0, "revenue"] = -1.0  # a caller's change stays its own
    assert metrics.estimated_rows(ds, ytd).loc[0, "revenue"] != -1.0
    zone = metrics.estimated_rows(ds, ytd, "hoa-xa")
    assert set(zone["zone_id"]) == {"hoa-xa"} and len(zone) < len(first)
    june = metrics.estimated_rows(ds, Period.parse("2025-06"))
    assert set(june["month"]) == {"2025-06"} and not june["estimated"].any()
