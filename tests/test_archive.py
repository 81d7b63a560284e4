"""The issued PDF: byte-identical for the same inputs, archival PDF/A with its metadata."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from izreport.formats.export import ReportPDFExporter
from izreport.pipeline.render import RenderResult, render
from tests.conftest import DATA, FINAL


def _catalog(pdf: Path) -> tuple[str, str]:
    """The XMP metadata packet and the catalog's /Lang, as an archive's checker reads them."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with pdf.open("rb") as f:
        root = PdfFileReader(f).root
        xmp = root["/Metadata"].get_object().data.decode("utf-8")
        return xmp, str(root.get("/Lang", ""))


def _info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-isodates", str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_same_inputs_give_byte_identical_pdf(final_report: RenderResult, tmp_path: Path) -> None:
    again = render("half-year", FINAL, tmp_path, formats=["pdf"], data_dir=DATA)
    first, second = final_report.files["pdf"].read_bytes(), again.files["pdf"].read_bytes()
    assert first == second
    # the identifier is present (PDF/A needs one) and comes from the content, not the clock
    from pyhanko.pdf_utils.reader import PdfFileReader

    with final_report.files["pdf"].open("rb") as f:
        ident = PdfFileReader(f).trailer_view["/ID"]
    assert len(ident) == 2 and len(ident[0]) == 32


def test_creation_date_is_the_documents_date_or_source_date_epoch(
        final_report: RenderResult, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    info = _info(final_report.files["pdf"])
    assert info["CreationDate"] == info["ModDate"] == "2021-07-05T00:00:00+07"
    nb = nbformat.read(final_report.files["ipynb"], as_version=4)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1625443200")  # 2021-07-05 00:00 UTC
    body, _ = ReportPDFExporter().from_notebook_node(nb, {"metadata": {"name": "x"}})
    (tmp_path / "x.pdf").write_bytes(body)
    assert _info(tmp_path / "x.pdf")["CreationDate"] == "2021-07-05T00:00:00Z"


def test_final_pdf_is_pdfa_2a_with_the_documents_metadata(final_report: RenderResult) -> None:
    pdf = final_report.files["pdf"]
    xmp, lang = _catalog(pdf)
    assert re.search(r'pdfaid:part="2"', xmp) and re.search(r'pdfaid:conformance="A"', xmp)
    assert "Ban Quản lý các Khu công nghiệp tỉnh Nam Định" in xmp  # dc:creator = the board
    assert "6 tháng đầu năm 2021" in xmp  # dc:title and dc:description
    assert "<xmp:CreateDate>2021-07-05T00:00:00+07:00</xmp:CreateDate>" in xmp
    assert lang == "vi"
    info = _info(pdf)
    assert info["Author"] == "Ban Quản lý các Khu công nghiệp tỉnh Nam Định"
    assert info["Subject"].startswith("Tình hình hoạt động của các khu công nghiệp")
    assert "Bản chính thức" in info["Keywords"]
    assert info["Tagged"] == "yes"  # level A: structure tags for screen readers


def _figure_alternatives(pdf: Path) -> list[str]:
    """The text alternative (/Alt) of each Figure in the PDF's structure tree, in order."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, generic.IndirectObject):
            node = node.get_object()
        if isinstance(node, generic.ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, generic.DictionaryObject):
            if node.get("/S") == "/Figure":
                found.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])

    with pdf.open("rb") as f:
        walk(PdfFileReader(f).root["/StructTreeRoot"])
    return found


def test_every_chart_of_the_pdf_tells_a_screen_reader_what_it_shows(
        final_report: RenderResult, rendered: RenderResult) -> None:
    """PDF/A level A wants a text alternative on every figure: each chart's is the one the
    intranet page gives it (what it shows, with its figures), in Vietnamese."""
    page = rendered.files["html"].read_text(encoding="utf-8")
    labels = [html.unescape(label)
              for label in re.findall(r'class="iz-chart" role="img" aria-label="([^"]*)"', page)]
    assert len(labels) == 4
    for result in (final_report, rendered):
        alternatives = _figure_alternatives(result.files["pdf"])
        assert alternatives == labels
        assert all(a.startswith("Biểu đồ ") and re.search(r": \d", a) for a in alternatives)


def test_final_pdf_embeds_every_font(final_report: RenderResult) -> None:
    out = subprocess.run(["pdffonts", str(final_report.files["pdf"])], capture_output=True,
                         text=True, check=True).stdout.splitlines()[2:]
    assert len(out) >= 3
    for line in out:
        assert line.split()[-5] == "yes", line  # the "emb" column


def test_draft_stays_plain_pdf(rendered: RenderResult) -> None:
    xmp, _ = _catalog(rendered.files["pdf"]) if _has_xmp(rendered.files["pdf"]) else ("", "")
    assert "pdfaid" not in xmp
    assert "Bản chính thức" not in _info(rendered.files["pdf"]).get("Keywords", "")


def _has_xmp(pdf: Path) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader

    with pdf.open("rb") as f:
        return "/Metadata" in PdfFileReader(f).root
