"""End to end: the CLI's render function on the sample data, and what the outputs contain."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import html5lib
import pytest

from izreport.core.errors import ParameterError, RenderError
from izreport.pipeline.render import RenderResult, render
from tests.conftest import DATA, pdftotext

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")

FIGURES_2021_H1 = [
    "12.000", "25.940", "46,26%", "450,0", "1.000,0", "45,00%", "200", "6,3", "150",
]


def test_render_writes_notebook_html_and_pdf(rendered: RenderResult) -> None:
    assert set(rendered.files) == {"ipynb", "html", "pdf"}
    for path in rendered.files.values():
        assert path.is_file() and path.stat().st_size > 0
        assert path.name.startswith("half-year_2021-H1.")
    leftovers = [p for p in rendered.files["html"].parent.iterdir()
                 if p.name.startswith(".") and p.name != ".state"]   # .state: the stem locks
    assert leftovers == []  # the temporary folder is gone


def test_executed_notebook_keeps_parameters_and_has_no_errors(rendered: RenderResult) -> None:
    nb = json.loads(rendered.files["ipynb"].read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"] == {
        "period": "2021-H1", "zone": None, "final": False, "number": None, "issued": None}
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]


def test_html_states_the_figures_in_vietnamese_style(html_text: str) -> None:
    for figure in FIGURES_2021_H1:
        assert f">{figure}<" in html_text, figure
    lead = "Giá trị sản xuất công nghiệp đạt 12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm"
    assert lead in html_text
    assert "6 tháng đầu năm 2021" in html_text


def test_html_shows_no_code(html_text: str) -> None:
    assert "rp.open_report" not in html_text and "ctx" not in html_text.split("<script>")[0]
    assert "In&nbsp;[" not in html_text and "jp-InputArea" not in html_text


def test_html_loads_nothing_from_outside(html_text: str) -> None:
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html_text)
    assert [r for r in refs if re.match(r"(?i)(https?:)?//", r)] == []
    assert "cdn.jsdelivr" not in html_text and "require.js" not in html_text
    assert "@import" not in html_text


def test_vega_bundle_is_inlined_once_and_charts_carry_only_specs(html_text: str) -> None:
    assert html_text.count("window.vegaEmbed=") == 1
    assert html_text.count('class="iz-chart"') == 4
    assert html_text.count('type="application/json"') == 4


def test_html_is_valid_html5_and_accessible(html_text: str) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    doc = parser.parse(html_text)  # raises on any parse error
    assert html_text.startswith("<!DOCTYPE html>")
    assert doc.get("lang") == "vi"
    assert doc.find("head/title").text.startswith("Báo cáo tình hình hoạt động")
    tables = doc.findall(".//table[@class='iz-table']")
    assert len(tables) >= 12
    for table in tables:
        assert table.find("caption") is not None
        assert table.findall("thead/tr/th") and all(
            th.get("scope") == "col" for th in table.findall("thead/tr/th"))
        assert all(tr.find("th").get("scope") == "row" for tr in table.findall("tbody/tr"))
    for chart in doc.findall(".//div[@class='iz-chart']"):
        assert chart.get("role") == "img" and len(chart.get("aria-label", "")) > 20


def test_same_inputs_give_byte_identical_html(rendered: RenderResult, tmp_path: Path) -> None:
    again = render("half-year", {"period": "2021-H1"}, tmp_path, data_dir=DATA)
    assert again.files["html"].read_bytes() == rendered.files["html"].read_bytes()


def test_pdf_is_a4_with_embedded_fonts(rendered: RenderResult) -> None:
    info = subprocess.run(["pdfinfo", str(rendered.files["pdf"])], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert re.search(r"Tagged:\s+yes", info)  # a draft too: headings and tables are tagged
    fonts = subprocess.run(["pdffonts", str(rendered.files["pdf"])], capture_output=True,
                           text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes yes " in line for line in fonts), fonts
    assert any("IZ-Serif" in line for line in fonts)
    assert any("Liberation-Sans" in line for line in fonts)  # chart text, as SVG text


def test_pdf_text_has_the_figures_with_diacritics(pdf_text: str) -> None:
    flat = " ".join(pdf_text.split()).replace("/ ", "/")  # lines may break after a slash
    assert "Tình hình hoạt động của các khu công nghiệp tỉnh Nam Định" in flat
    assert "12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm (25.940 tỷ đồng)" in flat
    assert "450 triệu USD, bằng 45,00% kế hoạch năm (1 tỷ USD)" in flat
    assert "6,3 triệu đồng/người/tháng" in flat
    for word in ("Thực hiện", "Nộp ngân sách", "Lao động", "Hình 1.", "Bảng 2."):
        assert word in flat


def test_pdf_pages_are_numbered_from_page_two(rendered: RenderResult) -> None:
    pages = pdftotext(rendered.files["pdf"], "-layout").split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    assert pages[0].strip().splitlines()[0].strip() != "1"
    for number, page in enumerate(pages[1:], start=2):
        assert page.strip().splitlines()[0].strip() == str(number)


def test_zone_report(tmp_path: Path) -> None:
    result = render("half-year", {"period": "2021-H1", "zone": "Hòa Xá"}, tmp_path,
                    formats=["html"], data_dir=DATA)
    html = result.files["html"].read_text(encoding="utf-8")
    assert result.files["html"].name == "half-year_2021-H1_hoa-xa.html"
    assert "Tình hình hoạt động của Khu công nghiệp Hòa Xá 6 tháng đầu năm 2021" in html


def test_bad_period_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match="2021-13"):
        render("half-year", {"period": "2021-13"}, out, data_dir=DATA)
    assert not out.exists()


def test_enterprise_names_are_escaped_end_to_end(data_copy: Path, tmp_path: Path) -> None:
    path = data_copy / "enterprises.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    exporter = _top_exporter_id()
    evil = '<img src=x onerror=alert(1)> Công ty "A&B"'
    rows = [_replace_name(r, evil) if r.startswith(exporter + ",") else r for r in rows]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = render("half-year", {"period": "2021-H1"}, tmp_path, formats=["html"],
                    data_dir=data_copy)
    html = result.files["html"].read_text(encoding="utf-8")
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; Công ty &quot;A&amp;B&quot;" in html


def _top_exporter_id() -> str:
    from izreport.blocks import metrics
    from izreport.core.periods import Period
    from izreport.storage import data

    top = metrics.top_enterprises(data.load(DATA), Period.parse("2021-H1"), n=1)
    return str(top["enterprise_id"].iloc[0])


def _replace_name(row: str, name: str) -> str:
    import csv
    import io

    cells = next(csv.reader([row]))
    cells[1] = name
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def test_failed_run_keeps_the_good_report_and_the_failed_notebook(
        rendered: RenderResult, data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    good = render("half-year", {"period": "2021-H1"}, out, formats=["html"], data_dir=DATA)
    before = good.files["html"].read_bytes()
    (data_copy / "plans.csv").write_text("year,scope,indicator,target,unit\nx,y,z,w,v\n",
                                         encoding="utf-8")
    with pytest.raises(RenderError) as err:
        render("half-year", {"period": "2021-H1"}, out, formats=["html"], data_dir=data_copy)
    assert "failed in cell" in str(err.value)
    assert good.files["html"].read_bytes() == before
    assert (out / "failed" / "half-year_2021-H1.ipynb").is_file()
    assert sorted(p.name for p in out.iterdir() if p.name != ".state") == [
        "failed", "half-year_2021-H1.html", "half-year_2021-H1.ipynb"]


def test_html_alone_has_no_dangling_pdf_link(tmp_path: Path) -> None:
    result = render("half-year", {"period": "2021-H1"}, tmp_path, formats=["html"],
                    data_dir=DATA)
    assert "iz-pdf-link" not in result.files["html"].read_text(encoding="utf-8").split(
        "</style>")[-1]
