"""The monthly report: its blocks (figures equal the metrics, wording, estimates for
enterprises that have not reported) and end-to-end renders to HTML and PDF."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest

from izreport import data, metrics, narrative, submissions
from izreport import monthly as mr
from izreport.errors import ParameterError
from izreport.formatting import number, percent
from izreport.ingest import ingest
from izreport.params import get_report, validate
from izreport.periods import Period
from izreport.render import RenderResult, render
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

def test_monthly_parameters_are_declared() -> None:
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


def test_open_report_takes_a_month_only() -> None:
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


def test_kpi_table_shows_the_metrics_in_vietnamese_style(june: mr.MonthlyContext,
                                                         dataset: data.Dataset) -> None:
    table = mr.kpi_table(june)
    headers = [c.header for c in table.columns]
    assert headers == ["Chỉ tiêu", "Tháng 6/2021", "Tháng 5/2021", "So tháng trước (%)",
                       "Lũy kế 6 tháng", "Kế hoạch năm 2021", "% kế hoạch năm",
                       "Cùng kỳ năm 2020", "So cùng kỳ (%)"]
    month = metrics.totals(dataset, Period.parse("2021-06"))
    prev = metrics.totals(dataset, Period.parse("2021-05"))
    assert month is not None and prev is not None
    production = table.rows[0]
    assert production[0] == "Giá trị SXCN (tỷ đồng)"
    assert production[1] == number(month["production_value"])
    assert production[2] == number(prev["production_value"])
    assert production[3] == percent(month["production_value"] / prev["production_value"], 1)
    assert production[4:7] == ("12.000", "25.940", "46,26%")
    export = table.rows[2]
    assert export[4:7] == ("450,0", "1.000,0", "45%")
    assert not [h for h in headers if h.startswith("Ước")]


def test_narrative_reads_like_the_published_reports(june: mr.MonthlyContext,
                                                    dataset: data.Dataset) -> None:
    month = _text(mr.month_text(june))
    total = metrics.totals(dataset, Period.parse("2021-06"))
    assert total is not None
    assert month.startswith(" Trong tháng 6/2021, giá trị sản xuất công nghiệp của các khu "
                            "công nghiệp tỉnh Nam Định đạt "
                            f"{number(total['production_value'])} tỷ đồng, tăng ")
    assert "so với tháng trước" in month and "so với cùng kỳ" in month
    assert " ước đạt" not in month and "số ước" not in month
    ytd = _text(mr.ytd_text(june))
    assert ("Lũy kế 6 tháng đầu năm 2021, giá trị sản xuất công nghiệp đạt 12 nghìn tỷ đồng, "
            "bằng 46,26% kế hoạch năm (25.940 tỷ đồng)") in ytd
    assert "giá trị xuất khẩu đạt 450 triệu USD, bằng 45% kế hoạch năm (1 tỷ USD)" in ytd
    labour = _text(mr.labour_text(june))
    assert "Đến cuối tháng 6/2021, các khu công nghiệp tỉnh Nam Định có 45.500 lao động" in labour
    assert "6,3 triệu đồng/người/tháng" in labour
    assert mr.labour_table(june).rows[0][1] == "45.500"


def test_coverage_when_everyone_reported(june: mr.MonthlyContext) -> None:
    text = _text(mr.coverage_text(june))
    assert "Tất cả 150 doanh nghiệp đang hoạt động đã gửi báo cáo tháng 6/2021 (100%)" in text
    assert "không có số ước" in text
    assert mr.missing_table(june) is None
    assert "DỰ THẢO" not in mr.header(june).html


def test_previous_month_of_january_is_december_of_last_year() -> None:
    assert narrative.previous_month_what(2021, 6) == "so với tháng trước"
    assert narrative.previous_month_what(2021, 1) == "so với tháng 12/2020"
    ctx = mr.open_report("2021-01", data_dir=str(DATA))
    assert ctx.previous_vi == "tháng 12/2020"
    assert [c.header for c in mr.kpi_table(ctx).columns][1:3] == ["Tháng 1/2021",
                                                                 "Tháng 12/2020"]
    assert "so với tháng 12/2020" in _text(mr.month_text(ctx))
    assert "so với tháng trước" not in _text(mr.month_text(ctx))
    assert _text(mr.ytd_text(ctx)).startswith(" Lũy kế tháng 1/2021, ")
    # the first month of the data has no month before it: the clause is left out
    first = mr.open_report("2017-01", data_dir=str(DATA))
    assert first.fig.previous is None
    assert "so với tháng" not in _text(mr.month_text(first))
    assert mr.kpi_table(first).rows[0][2] == "—"


@pytest.mark.parametrize(("month", "label"), [
    (1, "tháng 1/2021"), (2, "2 tháng đầu năm 2021"), (6, "6 tháng đầu năm 2021"),
    (9, "9 tháng năm 2021"), (11, "11 tháng đầu năm 2021"), (12, "năm 2021")])
def test_ytd_label(month: int, label: str) -> None:
    assert narrative.ytd_label(2021, month) == label


def test_month_flow_sentence() -> None:
    s = narrative.flow_sentence("doanh thu", 110, "bn_vnd", previous=100,
                                      same_period=88, prose=False)
    assert s == "doanh thu đạt 110 tỷ đồng, tăng 10% so với tháng trước, tăng 25% so với cùng kỳ"
    s = narrative.flow_sentence("doanh thu", 90, "bn_vnd", estimated=True, previous=100)
    assert s == "doanh thu ước đạt 90,0 tỷ đồng, giảm 10% so với tháng trước"
    assert narrative.flow_sentence("xuất khẩu", 0, "musd", previous=5) == (
        "xuất khẩu chưa phát sinh")
    assert narrative.flow_sentence("x", 5, "musd", previous=0, same_period=None) == (
        "x đạt 5 triệu USD")
    assert narrative.head_count_clause(100, 100, "so với tháng trước") == (
        "không thay đổi so với tháng trước")
    assert narrative.head_count_clause(90, 100, "so với tháng trước") == (
        "giảm 10 người so với tháng trước")


def test_zone_monthly_report(dataset: data.Dataset) -> None:
    ctx = mr.open_report("2021-06", "Hòa Xá", data_dir=str(DATA))
    want = metrics.totals(dataset, Period.parse("2021-06"), "hoa-xa")
    assert want is not None
    assert ctx.fig.month["production_value"] == pytest.approx(want["production_value"])
    assert set(ctx.fig.expected["zone_id"]) == {"hoa-xa"}
    assert mr.signature(ctx) is None
    assert "Khu công nghiệp Hòa Xá tháng 6 năm 2021" in mr.header(ctx).html


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
    headers = [c.header for c in mr.kpi_table(july).columns]
    assert headers[1] == "Ước tháng 7/2025" and headers[2] == "Tháng 6/2025"
    assert headers[4] == "Ước lũy kế 7 tháng"
    assert "bình quân 3 tháng gần nhất" in (mr.kpi_table(july).note or "")
    month = _text(mr.month_text(july))
    assert "giá trị sản xuất công nghiệp của các khu công nghiệp tỉnh Nam Định ước đạt" in month
    assert "Số liệu tháng 7/2025 là số ước do còn 5 doanh nghiệp chưa gửi báo cáo" in month
    assert "ước đạt" in _text(mr.ytd_text(july))
    assert "ước có" in _text(mr.labour_text(july))
    coverage = _text(mr.coverage_text(july))
    assert "185/190 doanh nghiệp đang hoạt động đã gửi báo cáo tháng 7/2025 (97,4%)" in coverage
    assert ("mỗi doanh nghiệp chưa báo cáo được ước bằng bình quân 3 tháng gần nhất của chính "
            "doanh nghiệp đó") in coverage
    chart = mr.monthly_chart(july)
    assert chart.caption.endswith("tháng 7/2025 là số ước") and "(ước)" in chart.alt_text


def test_missing_list_names_each_enterprise_and_is_escaped(july_data: Path,
                                                           tmp_path: Path) -> None:
    from izreport.store import enterprises

    folder = tmp_path / "data"
    shutil.copytree(july_data, folder)      # its store holds the data (the CSV files seeded it)
    evil = '<img src=x onerror=alert(1)> Công ty "A&B"'
    with data.open_store(folder).writing() as conn:
        conn.execute(enterprises.update().where(enterprises.c.enterprise_id == "DN0012")
                     .values(name=evil))
    ctx = mr.open_report("2025-07", data_dir=str(folder))
    table = mr.missing_table(ctx)
    assert table is not None and len(table.rows) == 5
    assert [r[0] for r in table.rows].count(evil) == 1
    html = table.to_html()
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
                   "12.000", "25.940", "46,26%", "450,0", "1.000,0", "45%", "45.500"):
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
    assert "185/190 doanh nghiệp" in html
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
