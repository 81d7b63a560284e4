"""The half-year report as the official document (Nghị định 30/2020) a board signs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from izreport.blocks import metrics, report
from izreport.core.errors import ParameterError, ReconciliationError, RenderError
from izreport.core.formatting import number
from izreport.core.periods import Period
from izreport.pipeline.render import RenderResult, render
from izreport.storage import data
from tests.conftest import DATA, pdftotext

MM = 72 / 25.4  # PDF points per millimetre
A4_W, A4_H = 595.28, 841.89


def _pages(pdf: Path) -> list[str]:
    return [p for p in pdftotext(pdf, "-layout").split("\f") if p.strip()]


def _words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Word boxes (xMin, yMin, xMax, yMax, text) per page, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            page)])
    return pages


def test_page_one_carries_the_header_block(rendered: RenderResult) -> None:
    first = " ".join(_pages(rendered.files["pdf"])[0].split())
    # the agency name in two balanced lines, no word left alone on the second
    for text in ("UBND TỈNH NAM ĐỊNH", "BAN QUẢN LÝ CÁC", "KHU CÔNG NGHIỆP", "Số:", "/BC-BQLCKCN",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Nam Định, ngày 05 tháng 7 năm 2021", "BÁO CÁO",
                 "I. ĐẶC ĐIỂM TÌNH HÌNH"):
        assert text in first, text


def test_margins_and_page_numbers_measured_in_the_pdf(rendered: RenderResult) -> None:
    pages = _words(rendered.files["pdf"])
    assert len(pages) >= 5
    for index, words in enumerate(pages, start=1):
        numbers = [w for w in words if w[1] < 20 * MM]  # anything in the top margin
        body = [w for w in words if w not in numbers]
        if index == 1:
            assert numbers == []  # no page number on page 1
        else:
            assert [w[4] for w in numbers] == [str(index)]
            x_mid = (numbers[0][0] + numbers[0][2]) / 2
            assert abs(x_mid - (30 * MM + (A4_W - 15 * MM)) / 2) < 3  # centred over the text
        assert min(w[0] for w in body) >= 30 * MM - 1, f"left margin on page {index}"
        assert max(w[2] for w in body) <= A4_W - 15 * MM + 1, f"right margin on page {index}"
        assert min(w[1] for w in body) >= 20 * MM - 1, f"top margin on page {index}"
        assert max(w[3] for w in body) <= A4_H - 20 * MM + 1, f"bottom margin on page {index}"


def test_document_ends_with_signature_then_appendix(pdf_text: str) -> None:
    flat = " ".join(pdf_text.split())
    sign = flat.index("KT. TRƯỞNG BAN")
    last_section = flat.index("X. KIẾN NGHỊ, ĐỀ XUẤT")
    assert last_section < flat.index("Nơi nhận:") and last_section < sign
    assert sign < flat.index("PHÓ TRƯỞNG BAN") < flat.index("Nguyễn Văn An")
    assert "- UBND tỉnh (để báo cáo);" in flat and "- Lưu: VT, QLDN." in flat
    appendix = flat.index("PHỤ LỤC")
    assert appendix > sign
    for zone in ("Phụ lục 1. Khu công nghiệp Hòa Xá", "Phụ lục 2. Khu công nghiệp Bảo Minh",
                 "Phụ lục 3. Khu công nghiệp Mỹ Trung"):
        assert zone in flat[appendix:]


def test_sections_tables_and_figures_are_numbered(pdf_text: str) -> None:
    flat = " ".join(pdf_text.split())
    heads = ["I. ĐẶC ĐIỂM TÌNH HÌNH", "II. QUY HOẠCH, HẠ TẦNG VÀ TỶ LỆ LẤP ĐẦY",
             "III. THU HÚT ĐẦU TƯ", "IV. KẾT QUẢ SẢN XUẤT KINH DOANH",
             "V. LAO ĐỘNG VÀ THU NHẬP", "VI. CÔNG TÁC BẢO VỆ MÔI TRƯỜNG",
             "VII. CÔNG TÁC QUẢN LÝ NHÀ NƯỚC, CẢI CÁCH HÀNH CHÍNH",
             "VIII. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "IX. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM KỲ TỚI",
             "X. KIẾN NGHỊ, ĐỀ XUẤT"]
    positions = [flat.index(h) for h in heads]
    assert positions == sorted(positions)
    tables = [int(n) for n in re.findall(r"Bảng (\d+)\.", flat)]
    assert tables == list(range(1, len(tables) + 1)) and len(tables) >= 10
    figures = [int(n) for n in re.findall(r"Hình (\d+)\.", flat)]
    assert figures == [1, 2, 3, 4]
    assert "DỰ THẢO" not in flat  # every hand-written section of 2021-H1 is there


def test_numbers_in_the_text_equal_the_metrics(pdf_text: str, html_text: str) -> None:
    ds = data.load(DATA)
    period = Period.parse("2021-H1")
    flat = " ".join(pdf_text.split())
    for zone in ds.operating_zones(period):
        k = metrics.kpis(ds, period, zone.zone_id)
        for key in ("production_value", "workers"):
            shown = number(k[key].actual, k[key].indicator.decimals)
            assert shown in flat, (zone.name, key, shown)
            assert f">{shown}<" in html_text
    occ = metrics.occupancy(ds, "2021-06").set_index("name")
    assert f"{number(occ.loc['Mỹ Trung', 'occupancy'] * 100, 1)}%" in flat


def test_zone_reports_reconcile_with_the_province() -> None:
    ds = data.load(DATA)
    for text in ("2021-H1", "2021-H2", "2021"):
        period = Period.parse(text)
        province = metrics.kpis(ds, period)
        zones = [metrics.kpis(ds, period, z.zone_id) for z in ds.operating_zones(period)]
        for key in (*metrics.FLOWS, "workers", "enterprises"):
            assert sum(z[key].actual for z in zones) == pytest.approx(province[key].actual)


def test_a_mismatch_fails_the_render_with_the_numbers(data_copy: Path, tmp_path: Path,
                                                     english: None) -> None:
    path = data_copy / "enterprises.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",FDI,", ",Liên doanh,", 1),
                    encoding="utf-8")
    with pytest.raises(ReconciliationError, match=r"FDI \+ DDI add up to [\d,.]+, province"):
        metrics.reconcile(data.load(data_copy), Period.parse("2021-H1"))
    with pytest.raises(RenderError, match="do not reconcile"):
        render("half-year", {"period": "2021-H1"}, tmp_path, formats=["html"],
               data_dir=data_copy)
    assert not (tmp_path / "half-year_2021-H1.html").exists()


@pytest.fixture(scope="module")
def draft_h2(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    return render("half-year", {"period": "2021-H2"}, tmp_path_factory.mktemp("h2"),
                  data_dir=DATA)


def test_second_half_wording_and_draft_mark(draft_h2: RenderResult) -> None:
    html = draft_h2.files["html"].read_text(encoding="utf-8")
    assert "Tình hình hoạt động của các khu công nghiệp tỉnh Nam Định 6 tháng cuối năm 2021" in html
    assert "Nam Định, ngày 05 tháng 01 năm 2022" in html  # month 1 keeps its leading zero
    assert "Cùng kỳ năm 2020" in html
    assert 'class="iz-draft-banner"' in html and "[Chưa có nội dung" in html
    pages = _pages(draft_h2.files["pdf"])
    assert all("DỰ THẢO" in page for page in pages)  # every printed page is marked


def test_final_refuses_a_draft_naming_the_missing_sections(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as err:
        render("half-year", {"period": "2021-H2", "final": True}, tmp_path, data_dir=DATA)
    message = str(err.value)
    assert "2021-H2.md" in message and "Công tác bảo vệ môi trường" in message
    assert "Kiến nghị, đề xuất" in message
    assert list(tmp_path.iterdir()) == []


def test_final_renders_a_complete_report_with_its_number(tmp_path: Path) -> None:
    result = render("half-year", {"period": "2021-H1", "final": True, "number": 5,
                                  "issued": "2021-07-05"}, tmp_path, formats=["html"],
                    data_dir=DATA)
    html = result.files["html"].read_text(encoding="utf-8")
    assert "Số: 05/BC-BQLCKCN" in html
    assert "DỰ THẢO" not in html


def test_year_wording(tmp_path: Path) -> None:
    result = render("half-year", {"period": "2021"}, tmp_path, formats=["html"], data_dir=DATA)
    html = result.files["html"].read_text(encoding="utf-8")
    assert "Tình hình hoạt động của các khu công nghiệp tỉnh Nam Định năm 2021" in html
    assert "Thực hiện năm 2021" in html and "Cùng kỳ năm 2020" in html
    assert "Nam Định, ngày 05 tháng 01 năm 2022" in html


def test_html_has_a_table_of_contents_and_a_pdf_link(html_text: str) -> None:
    nav = html_text[html_text.index('<nav class="iz-toc"'):html_text.index("</nav>")]
    targets = re.findall(r'href="#([^"]+)"', nav)
    assert len(targets) == 11  # ten sections and the appendix
    for target in targets:
        assert f'id="{target}"' in html_text
    assert 'href="half-year_2021-H1.pdf"' in nav


def test_board_identity_comes_from_configuration(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[1] / "izreport.toml"
    renamed = config.read_text(encoding="utf-8").replace("UBND TỈNH NAM ĐỊNH",
                                                         "UBND TỈNH NINH BÌNH")
    renamed = renamed.replace('place = "Nam Định"', 'place = "Ninh Bình"')
    (tmp_path / "izreport.toml").write_text(renamed, encoding="utf-8")
    os.environ["IZREPORT_CONFIG"] = str(tmp_path / "izreport.toml")
    try:
        result = render("half-year", {"period": "2021-H1"}, tmp_path / "out", formats=["html"],
                        data_dir=DATA)
    finally:
        del os.environ["IZREPORT_CONFIG"]
    html = result.files["html"].read_text(encoding="utf-8")
    assert "UBND TỈNH NINH BÌNH" in html and "Ninh Bình, ngày 05 tháng 7 năm 2021" in html
    assert "UBND TỈNH NAM ĐỊNH" not in html


def test_zone_report_is_a_complete_document() -> None:
    ctx = report.open_report("2021-H1", "Bảo Minh")
    # a zone report is a complete official document: without its own texts it is a draft
    assert "Chưa có nội dung" in ctx.written_section("environment").html  # type: ignore[union-attr]
    assert ctx.draft and ctx.texts.path.name == "2021-H1_bao-minh.md"
    assert "Khu công nghiệp Bảo Minh" in ctx.appendix().html
    assert list(ctx.occupancy()["name"]) == ["Bảo Minh"]  # one zone: no total row
