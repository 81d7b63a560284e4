"""The Word file (--to docx): the official form as the PDF, checked through LibreOffice."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from docx import Document

from izreport.formats.export import ReportDocxExporter
from izreport.formats.word import html_to_docx
from izreport.pipeline.render import RenderResult, _check_formats
from tests.conftest import pdftotext

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("UBND TỈNH NAM ĐỊNH", "BAN QUẢN LÝ CÁC", "KHU CÔNG NGHIỆP", "Số: 05/BC-BQLCKCN",
          "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
          "Nam Định, ngày 05 tháng 7 năm 2021", "BÁO CÁO",
          "Tình hình hoạt động của các khu công nghiệp tỉnh Nam Định 6 tháng đầu năm")
SIGNATURE = ("Nơi nhận:", "KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Nguyễn Văn An")


@pytest.fixture(scope="module")
def word(final_report: RenderResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    nb = nbformat.read(final_report.files["ipynb"], as_version=4)
    body, resources = ReportDocxExporter().from_notebook_node(
        nb, {"metadata": {"name": "half-year_2021-H1"}})
    assert resources["output_extension"] == ".docx"
    path = tmp_path_factory.mktemp("docx") / "half-year_2021-H1.docx"
    path.write_bytes(body)
    return path


@pytest.fixture(scope="module")
def word_pdf(word: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .docx as LibreOffice lays it out (headless, its own profile, the project fonts)."""
    home = tmp_path_factory.mktemp("lo-home")
    shutil.copytree(ROOT / "izreport" / "fonts", home / ".fonts")
    env = dict(os.environ, HOME=str(home))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{home}/profile",
                    "--convert-to", "pdf", "--outdir", str(word.parent), str(word)],
                   env=env, check=True, capture_output=True, timeout=180)
    return word.with_suffix(".pdf")


def _pages(pdf: Path) -> list[str]:
    return [" ".join(p.split()) for p in pdftotext(pdf, "-layout").split("\f") if p.strip()]


def test_same_inputs_give_the_same_docx_bytes(word: Path, final_report: RenderResult) -> None:
    nb = nbformat.read(final_report.files["ipynb"], as_version=4)
    again, _ = ReportDocxExporter().from_notebook_node(
        nb, {"metadata": {"name": "half-year_2021-H1"}})
    assert again == word.read_bytes()


def test_same_number_of_pages_as_the_pdf(word_pdf: Path, final_report: RenderResult) -> None:
    assert len(_pages(word_pdf)) == len(_pages(final_report.files["pdf"]))


def test_header_block_on_page_one(word_pdf: Path, final_report: RenderResult) -> None:
    word_first, pdf_first = _pages(word_pdf)[0], _pages(final_report.files["pdf"])[0]
    for text in HEADER:
        assert text in word_first and text in pdf_first, text


def test_page_numbers_from_page_two(word_pdf: Path) -> None:
    pages = _pages(word_pdf)
    assert not re.match(r"^\d+ ", pages[0])
    for number, page in enumerate(pages[1:], start=2):
        assert page.startswith(f"{number} "), page[:40]


def test_tables_are_word_tables_with_the_pdfs_vietnamese_numbers(
        word: Path, word_pdf: Path, final_report: RenderResult) -> None:
    doc = Document(str(word))
    captions = [p.text for p in doc.paragraphs if re.match(r"Bảng \d+\.", p.text)]
    assert captions[0].startswith("Bảng 1. Diện tích và tỷ lệ lấp đầy")
    assert len(captions) >= 10
    grid = next(t for t in doc.tables if t.rows[0].cells[0].text == "Khu công nghiệp")
    rows = [[c.text for c in r.cells] for r in grid.rows]
    assert rows[0][1] == "Diện tích (ha)"
    numbers = [c for r in rows[1:] for c in r[1:5]]
    assert "285,37" in numbers and "81,6%" in numbers  # "." thousands, "," decimals
    flat_pdf = " ".join(_pages(final_report.files["pdf"]))
    flat_word = " ".join(_pages(word_pdf))
    for row in rows[1:]:
        line = " ".join(row[:5])
        assert line in flat_word and line in flat_pdf, line


def test_charts_are_print_resolution_images_with_captions(word: Path) -> None:
    doc = Document(str(word))
    images = list(doc.inline_shapes)
    assert len(images) == 4
    for shape in images:
        assert shape.width.mm <= 165.1
    captions = [p.text for p in doc.paragraphs if re.match(r"Hình \d\.", p.text)]
    assert [c.split(".")[0] for c in captions] == ["Hình 1", "Hình 2", "Hình 3", "Hình 4"]


def test_signature_block_on_the_same_page_as_in_the_pdf(word_pdf: Path,
                                                        final_report: RenderResult) -> None:
    def where(pages: list[str]) -> int:
        for index, page in enumerate(pages):
            positions = [page.find(t) for t in SIGNATURE]
            if all(p >= 0 for p in positions):
                assert positions[1] < positions[2] < positions[3]
                return index
        raise AssertionError("no signature block")

    assert where(_pages(word_pdf)) == where(_pages(final_report.files["pdf"]))


def test_official_page_form(word: Path) -> None:
    section = Document(str(word)).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.right_margin, section.bottom_margin,
               section.left_margin)
    assert [round(m.mm) for m in margins] == [20, 15, 20, 30]
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    normal = Document(str(word)).styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 13


def test_document_properties(word: Path) -> None:
    props = Document(str(word)).core_properties
    assert props.author == "Ban Quản lý các Khu công nghiệp tỉnh Nam Định"
    assert props.title.startswith("Báo cáo tình hình hoạt động")
    assert props.language == "vi-VN"


def test_draft_is_marked_on_every_page() -> None:
    html = ('<html lang="vi"><body class="iz-is-draft"><main><p class="iz-text">Nội dung</p>'
            "</main></body></html>")
    doc = Document(io.BytesIO(html_to_docx(html)))
    section = doc.sections[0]
    assert "DỰ THẢO" in section.header._element.xml
    assert "DỰ THẢO" in section.first_page_header._element.xml
    final = Document(io.BytesIO(html_to_docx(html.replace("iz-is-draft", "iz-is-final"))))
    assert "DỰ THẢO" not in final.sections[0].header._element.xml


def test_docx_is_a_format_and_an_nbconvert_exporter() -> None:
    from nbconvert.exporters import get_exporter

    assert _check_formats(["html", "docx"]) == ("html", "docx")
    assert get_exporter("izreport_docx") is ReportDocxExporter


def test_a_chart_given_as_an_image_comes_back_as_its_svg() -> None:
    """The print page gives the PDF each chart as a ``data:`` image; the Word file reads
    the SVG back from it (and nothing from any other image)."""
    from izreport.blocks.vega import image_svg, svg_image

    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>Hòa Xá: 100,0%</text></svg>'
    source = svg_image(svg)
    assert source.startswith("data:image/svg+xml;base64,") and "<" not in source
    assert image_svg(source) == svg
    assert image_svg("data:image/png;base64,iVBORw0KGgo=") is None
