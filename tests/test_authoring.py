"""The notebook is the report: plain charts and frames, sentences, and the 2021-H1 snapshot."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from izreport.blocks import numbering
from izreport.blocks.display import figure, table, text
from izreport.blocks.tables import ROUNDING_NOTE, with_total
from izreport.blocks.values import Amount, Change, Kpi, PlanShare, Ratio, compose
from izreport.core.catalogue import INDICATORS
from izreport.pipeline import params
from izreport.pipeline.render import RenderResult, render
from tests.conftest import DATA
from tests.test_browser import dump_dom
from tests.visible import html_lines, pdf_lines

SNAPSHOTS = Path(__file__).parent / "snapshots"
_COMPARISON_OLD = ("Giá trị SXCN (tỷ đồng) | Doanh thu (tỷ đồng) | Xuất khẩu (triệu USD) | "
                   "Nhập khẩu (triệu USD) | Nộp ngân sách (tỷ đồng) | GTSX so cùng kỳ (%)")
# column headers short enough for three printed lines, spelled out
_COMPARISON_NEW = ("Giá trị sản xuất (tỷ đồng) | Doanh thu (tỷ đồng) | Giá trị xuất "
                   "khẩu (triệu USD) | Giá trị nhập khẩu (triệu USD) | Nộp ngân sách "
                   "(tỷ đồng) | Giá trị sản xuất so cùng kỳ (%)")
#: Each deliberate change to the 2021-H1 report since the snapshot (before -> after).
DELIBERATE = [
    # the occupancy chart's axis now reads in percent, so the caption drops its "(%)"
    ("Hình 1. Tỷ lệ lấp đầy các khu công nghiệp đến tháng 6/2021 (%)",
     "Hình 1. Tỷ lệ lấp đầy các khu công nghiệp đến tháng 6/2021"),
    # the agency name in two balanced lines, not "… KHU CÔNG / NGHIỆP"
    ("\nBAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP\n", "\nBAN QUẢN LÝ CÁC\nKHU CÔNG NGHIỆP\n"),
    # abbreviations in headers spelled out
    # (the caption says whose contribution: the column says what)
    ("Các KCN thu hút", "Thu hút"),
    # capital attracted toward the 2021-2025 target: new and increased, not net of revocations
    ("| 2.000 | 15,18 | 0,76%", "| 2.000 | 49,38 | 2,47%"),
    ("Mục tiêu theo Nghị quyết số 04 của Ban Chấp hành Đảng bộ tỉnh. Mục tiêu tổng vốn",
     "Mục tiêu theo Nghị quyết số 04 của Ban Chấp hành Đảng bộ tỉnh. Vốn thu hút là vốn đăng ký "
     "cấp mới và tăng thêm từ năm 2021, không trừ vốn điều chỉnh giảm và dự án thu hồi. Mục tiêu "
     "tổng vốn"),
    (_COMPARISON_OLD, _COMPARISON_NEW),
    ("Trong đó nữ | Người nước ngoài | So cùng kỳ | Thu nhập bình quân (triệu đồng/người/tháng) "
     "| So cùng kỳ", "Trong đó nữ (người) | Người nước ngoài (người) | Lao động so cùng kỳ | "
     "Thu nhập (triệu đồng/người/tháng) | Thu nhập so cùng kỳ"),
    # no judgement the data do not support ("cơ bản ổn định"); the analyst's own words now
    ("hoạt động sản xuất kinh doanh của 150 doanh nghiệp trong các khu công nghiệp tỉnh Nam "
     "Định cơ bản ổn định.", "150 doanh nghiệp trong các khu công nghiệp tỉnh Nam Định hoạt "
     "động sản xuất kinh doanh."),
]


def _same_decimals(text: str) -> str:
    """Percentages without trailing zeros: the snapshot dropped them, columns now keep them."""
    return re.sub(r"(\d+),(\d*?)0+%", lambda m: m.group(1) + ("," + m.group(2) if m.group(2)
                                                                  else "") + "%", text)


def test_html_keeps_the_snapshot_but_for_the_deliberate_fixes(rendered: RenderResult) -> None:
    before = (SNAPSHOTS / "half-year_2021-H1.html.txt").read_text(encoding="utf-8")
    for old, new in DELIBERATE:
        assert old in before, old
        before = before.replace(old, new)
    lines = html_lines(rendered.files["html"].read_text(encoding="utf-8"))
    # deliberate: a note under each table whose rounded rows do not add up to its total
    assert lines.count(ROUNDING_NOTE) >= 1
    after = "\n".join(line for line in lines if line != ROUNDING_NOTE) + "\n"
    assert _same_decimals(after) == _same_decimals(before)
    # and the percentages of a column now all show the same decimals
    assert "| 100,0% | Đang hoạt động" in after and "| 100% |" not in after


def test_pdf_keeps_every_figure_of_the_snapshot(rendered: RenderResult) -> None:
    def figures(lines: list[str]) -> Counter[str]:
        return Counter(_same_decimals(t) for line in lines
                       for t in re.findall(r"\d[\d.,]*%?", line))

    before = figures((SNAPSHOTS / "half-year_2021-H1.pdf.txt").read_text(
        encoding="utf-8").splitlines())
    before -= Counter(["15,18", "0,76%"])  # deliberate: the target's capital (see DELIBERATE)
    after = figures(pdf_lines(rendered.files["pdf"]))
    lost = before - after
    assert not lost, f"figures missing from the PDF: {dict(lost)}"


# --- value objects and sentences ----------------------------------------------------------

def _kpi(actual: float | None, plan: float | None, same: float | None,
         key: str = "production_value") -> Kpi:
    ind = INDICATORS[key]
    return Kpi(actual, ind.unit, None, ind, plan, same)


def test_values_pick_their_words() -> None:
    p = _kpi(12000.2, 25940, 10426)
    assert f"{p.verb} {p}, {p.vs_plan} kế hoạch năm ({p.plan:t}), {p.change}" == (
        "đạt 12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm (25.940 tỷ đồng), tăng 15,1%")
    assert str(PlanShare(1.081)) == "vượt 8,10%"
    assert str(PlanShare(1.00004)) == "bằng 100,00%"  # not above 100% once rounded
    assert str(Change(0.929)) == "giảm 7,1%"
    assert str(Change(1.0004)) == "không thay đổi"
    assert Change(1.2).up and Change(0.8).down and not Change(None).up
    assert f"{Ratio(0.4626):.2}" == "46,26%"
    assert Amount(45500, "persons").n == "45.500"
    assert str(Amount(28033.5, "bn_vnd")) == "28,03 nghìn tỷ đồng"
    assert f"{Amount(28033.5, 'bn_vnd'):t.1}" == "28.033,5 tỷ đồng"
    assert str(Amount(50, "persons") / Amount(200, "persons")) == "25,0%"
    with pytest.raises(ValueError, match="format"):
        format(Amount(1, "persons"), "x")


def test_a_missing_comparison_drops_its_clause() -> None:
    p = _kpi(12000.0, None, None)
    sentence = compose(f"Giá trị sản xuất công nghiệp {p.verb} {p}, {p.vs_plan} kế hoạch năm "
                       f"({p.plan:t}), {p.change} so với cùng kỳ; doanh thu {p.change}.")
    assert sentence == "Giá trị sản xuất công nghiệp đạt 12 nghìn tỷ đồng."
    zero_base = _kpi(5.0, 0.0, 0.0)
    assert compose(f"A {zero_base}, {zero_base.change} so với cùng kỳ.") == "A 5,0 tỷ đồng."
    html = text(f"Câu một, {p.change} so với cùng kỳ. Câu hai.").html
    assert html == '<p class="iz-text">Câu một. Câu hai.</p>'


# --- tables and figures from plain objects ------------------------------------------------

def test_a_column_header_keeps_its_unit_on_one_line() -> None:
    from izreport.blocks.tables import ColumnFormat

    income = ColumnFormat("Thu nhập <bình quân>", unit="mvnd_per_person_month")
    assert income.header == "Thu nhập <bình quân> (triệu đồng/người/tháng)"
    # the unit is one span (no break inside it in print) that may break only after a "/"
    assert income.header_html == ('Thu nhập &lt;bình quân&gt; <span class="iz-unit">'
                                  "(triệu&nbsp;đồng/\u200bngười/\u200btháng)</span>")
    assert ColumnFormat("Tỷ trọng", kind="ratio").header_html == "Tỷ trọng"
    assert INDICATORS["production_value"].header == "Giá trị sản xuất (tỷ đồng)"
    assert INDICATORS["production_value"].row_label == \
        "Giá trị sản xuất công nghiệp (giá so sánh 2010)"


def test_plain_frame_reads_in_vietnamese() -> None:
    frame = pd.DataFrame({"zone": ["<b>A & B</b>", "C"], "production_value": [5365.693, 175.624],
                          "other": [5365.693, None], "occupancy": [0.5, 1.0]})
    html = table(frame, "Thử").to_html("Bảng 7")
    assert "5.366" in html  # catalogue: production in whole tỷ đồng
    assert "5.365,7" in html and "175.624" not in html  # unknown float column: 1 decimal
    assert "—" in html  # missing value
    assert "50,0%" in html and "100,0%" in html
    assert 'Giá trị sản xuất <span class="iz-unit">(tỷ&nbsp;đồng)</span>' in html
    assert ">Tỷ lệ lấp đầy<" in html
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in html and "<b>A" not in html
    assert '<span class="iz-num" data-iz-num="table">Bảng 7</span>. Thử' in html
    wide = table(frame, labels={"other": "Khác"}, units={"other": "ha"},
                 decimals={"other": 3}, percent=[]).to_html()
    assert 'Khác <span class="iz-unit">(ha)</span>' in wide and "5.365,693" in wide
    with pytest.raises(KeyError, match="không có cột"):
        table(frame, labels={"nope": "x"})


def test_styler_formats_are_kept_and_the_rest_is_vietnamese() -> None:
    frame = pd.DataFrame({"name": ["A"], "x": [1234.5678], "y": [0.25]})
    styler = frame.style.format({"x": "{:.3f}"}).set_caption("Từ Styler").hide(axis="index")
    t = table(styler)
    html = t.to_html()
    assert "1234.568" in html  # the analyst's own format wins
    assert "25,0%" not in html and ">0,3<" in html  # unformatted float: Vietnamese default
    assert "Từ Styler" in html


def test_a_styler_at_the_end_of_a_cell_is_a_report_table() -> None:
    """The display hook names pandas' Styler rather than importing it: still a table."""
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter

    from izreport.blocks.display import activate

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    assert activate(shell)
    styler = pd.DataFrame({"name": ["A"], "x": [1234.5]}).style.set_caption("Từ Styler")
    data, _meta = shell.display_formatter.format(styler)
    assert "iz-table" in data["text/html"] and "1.234,5" in data["text/html"]
    assert "Từ Styler" in data["text/html"]


def test_total_row_recomputes_ratios() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "leased": [1.0, 3.0], "land": [2.0, 4.0],
                          "rate": [0.5, 0.75]})
    out = with_total(frame, ratios={"rate": ("leased", "land")})
    assert out.iloc[-1].tolist() == ["Tổng số", 4.0, 6.0, 4.0 / 6.0]
    assert '<tr class="iz-total">' in table(out).to_html()


def test_numbers_follow_page_order_after_hidden_cells_go() -> None:
    numbering.reset()
    out = []
    for kind in ("table", "figure", "table"):
        label = numbering.next_label(kind)  # type: ignore[arg-type]
        html = numbering.caption_html(label, "x")
        out.append({"output_type": "display_data", "data": {"text/html": html},
                    "metadata": {"izreport": {"numbered": kind, "caption": f"{label}. x",
                                              "caption_text": "x"}}})
    nb = {"cells": [{"outputs": out[1:]}]}  # the first table was in a hidden cell
    numbering.renumber(nb)
    htmls = [o["data"]["text/html"] for o in nb["cells"][0]["outputs"]]
    assert ">Hình 1<" in htmls[0] and ">Bảng 1<" in htmls[1]
    assert nb["cells"][0]["outputs"][1]["metadata"]["izreport"]["caption"] == "Bảng 1. x"


def test_plain_chart_is_a_themed_numbered_figure() -> None:
    chart = alt.Chart(pd.DataFrame({"a": ["x", "y"], "b": [1500.5, 2]})).mark_bar().encode(
        x="a:N", y="b:Q").properties(title="Biểu đồ thử", description="Hai cột")
    fig = figure(chart)
    assert fig.caption == "Biểu đồ thử" and fig.alt_text == "Hai cột"
    numbering.reset()
    data, meta = fig._repr_mimebundle_()
    assert meta["izreport"]["caption"] == "Hình 1. Biểu đồ thử"
    assert data["image/svg+xml"].lstrip().startswith("<svg")
    assert "Biểu đồ thử" not in data["image/svg+xml"]  # the title moved under the figure
    assert fig.spec["config"]["locale"]["number"]["decimal"] == ","
    assert "https://" not in data["text/html"].split("<script")[0]


def test_a_figure_spec_is_the_chart_with_its_text_alternative() -> None:
    """The text alternative goes into the spec as ``properties(description=...)`` puts it."""
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1500.5, 2.0]})
    bars = alt.Chart(frame).mark_bar().encode(x="a:N", y="b:Q")
    layered = bars + bars.mark_text().encode(text="b:Q")
    for chart, own in ((bars, None), (layered, None), (bars.properties(description="Cũ"), "Cũ")):
        for alt_text in (None, "Hai cột: x 1.500,5; y 2"):
            fig = figure(chart, "Chú thích", alt_text=alt_text)
            want = fig.chart.properties(description=alt_text) if alt_text else fig.chart
            assert fig.spec == want.to_dict(validate=False)
            assert fig.spec.get("description") == (alt_text or own)
            want.to_dict(validate=True)  # a spec Vega-Lite accepts


# --- a notebook edited as an analyst would -------------------------------------------------

_EXTRA_CELLS = [
    'import pandas as pd\nimport altair as alt\n'
    'demo = pd.DataFrame({"Khu": ["Hòa Xá", "Bảo Minh"], "Giá trị": [5365.693, 175.624]})\n'
    'alt.Chart(demo, title="Biểu đồ thêm của chuyên viên").mark_bar().encode('
    'x="Khu:N", y="Giá trị:Q")',
    'demo.rename(columns={"Khu": "Khu công nghiệp"})',
]


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """A copy of the half-year notebook with a changed sentence and two plain cells."""
    folder = tmp_path_factory.mktemp("notebooks")
    nb = json.loads((params.NOTEBOOKS_DIR / "half_year_report.ipynb").read_text("utf-8"))
    nb["metadata"]["izreport"]["report"] = "half-year-edited"
    changed = 0
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if "hoạt động sản xuất \"\n    f\"kinh doanh. \"" in source:
            cell["source"] = source.replace(
                "hoạt động sản xuất \"\n    f\"kinh doanh. \"",
                "vẫn giữ nhịp sản xuất kinh doanh sôi động. \"")
            changed += 1
    assert changed == 1
    at = next(i for i, c in enumerate(nb["cells"]) if "rep.signature()" in "".join(c["source"]))
    for offset, source in enumerate(_EXTRA_CELLS):
        nb["cells"].insert(at + offset, {"cell_type": "code", "execution_count": None,
                                         "id": f"extra{offset}", "metadata": {}, "outputs": [],
                                         "source": source})
    (folder / "edited.ipynb").write_text(json.dumps(nb, ensure_ascii=False), "utf-8")
    patch = pytest.MonkeyPatch()
    patch.setattr(params, "NOTEBOOKS_DIR", folder)
    try:
        return render("half-year-edited", {"period": "2021-H1"},
                      tmp_path_factory.mktemp("out"), data_dir=DATA)
    finally:
        patch.undo()


def test_changed_sentence_reaches_the_pdf(edited: RenderResult) -> None:
    words = " ".join(pdf_lines(edited.files["pdf"]))
    assert "vẫn giữ nhịp sản xuất kinh doanh sôi động" in words


def test_plain_chart_and_frame_are_numbered_report_parts(edited: RenderResult,
                                                          tmp_path: Path) -> None:
    html = edited.files["html"].read_text(encoding="utf-8")
    lines = html_lines(html)
    assert "Hình 5. Biểu đồ thêm của chuyên viên" in lines
    table_caption = next(line for line in lines if line.startswith("Bảng 11"))
    assert table_caption == "Bảng 11"  # a plain frame is numbered even without a caption
    assert "Hòa Xá | 5.365,7" in lines and "Bảo Minh | 175,6" in lines
    assert "cdn.jsdelivr" not in html and "https://cdn" not in html
    dom = dump_dom(edited.files["html"], tmp_path / "profile")
    assert dom.count('class="iz-chart"') == 5
    assert dom.count('data-iz-drawn="true"') == 5  # Vega drew every chart, offline
    pdf = subprocess.run(["pdftotext", str(edited.files["pdf"]), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert "Hình 5. Biểu đồ thêm của chuyên viên" in pdf
    assert "5.365,7" in pdf
    # the chart is drawn as vector paths in the PDF, not as an image
    pages = subprocess.run(["pdfimages", "-list", str(edited.files["pdf"])],
                           capture_output=True, text=True, check=True).stdout
    assert len(pages.strip().splitlines()) <= 2  # header lines only: no raster images


def test_rounded_rows_that_miss_the_total_get_the_rounding_note() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "production_value": [1.4, 1.4]})
    html = table(with_total(frame)).to_html()
    assert ">1<" in html and ">3<" in html  # 1 + 1 shown against a total of 3
    assert "Số liệu được làm tròn; tổng có thể chênh lệch do làm tròn." in html
    exact = pd.DataFrame({"name": ["a", "b"], "production_value": [1.0, 2.0]})
    assert "làm tròn" not in table(with_total(exact)).to_html()


def test_no_data_a_year_earlier_reads_as_a_dash() -> None:
    from izreport.blocks import report

    ctx = report.open_report("2022-H1", "Dệt may Rạng Đông")  # first reports in 2022
    k = ctx.kpi.production_value
    assert k.same_period.missing and k.change.missing and str(k.vs_same_period) == "—"
    assert compose(f"Giá trị {k}, {k.change} so với cùng kỳ.") == f"Giá trị {k}."
    appendix = html_lines(ctx.appendix().html)
    row = next(line for line in appendix if line.startswith("Doanh thu"))
    assert row.endswith("| — | —"), row  # no same period, no ratio: never "0"


def test_a_zone_with_no_enterprise_in_the_period_is_refused() -> None:
    from izreport.blocks import report
    from izreport.core.errors import ParameterError

    with pytest.raises(ParameterError, match="không có doanh nghiệp nào báo cáo"):
        report.open_report("2021-H1", "Dệt may Rạng Đông")


def test_markdown_parser_is_made_once_and_reads_each_text_afresh() -> None:
    import mistune

    from izreport.blocks import report

    texts = ["Đoạn *một*.\n\n- a\n- b", "Đoạn hai <b>x</b>[^1].\n\n[^1]: chú thích", "# Tiêu đề"]
    assert report._markdown_parser() is report._markdown_parser()
    for body in texts + texts:  # the same text twice gives the same page, with no leftovers
        assert report._markdown(body) == str(mistune.create_markdown(escape=True)(body))
    assert report._markdown(texts[0]) != report._markdown(texts[2])


@pytest.mark.parametrize(("env", "frozen"), [("1", True), ("", False), ("0", False)])
def test_only_a_render_kernel_sets_the_imports_aside_from_the_collector(
        monkeypatch: pytest.MonkeyPatch, env: str, frozen: bool) -> None:
    import gc

    from izreport.blocks import report

    calls: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(True))
    monkeypatch.setenv("IZREPORT_RENDER", env)
    report.open_report("2021-H1", "Hòa Xá", data_dir=DATA)
    assert calls == ([True] if frozen else [])
