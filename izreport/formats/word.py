"""The report as a Word file (.docx): the draft that goes round for comments.

Built with python-docx from the print version of the page (the same HTML the PDF is made
from), so the Word file has what the PDF has, in the official form of Nghị định 30/2020:
A4 with margins 20/15/20/30 mm, Times New Roman 13 pt (LibreOffice shows the metric-
compatible Liberation Serif), the two-column header block, page numbers centred at the top
from page 2, headings, numbered tables as real Word tables, charts as 200 dpi images with
their captions, the signature block, and "DỰ THẢO" at the top of every page of a draft.

python-docx was chosen over docxtpl (a template engine on top of python-docx: it needs a
hand-made .docx template, and the structure here comes from the page) and over pandoc
(no Python package ships its binary here; its Word output knows no two-column header block
nor page-number rules).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from docx import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
BODY_PT = 13
TEXT_WIDTH_MM = 210 - 30 - 15
#: Chart images: 200 dots per inch, enough for print, small enough to mail round.
CHART_PPI = 200
#: A chart's greatest height on the page, as in print.css.
CHART_MAX_HEIGHT_MM = 62

_CENTER, _RIGHT, _LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT, \
    WD_ALIGN_PARAGRAPH.LEFT
_JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY


def html_to_docx(html: str, properties: dict[str, Any] | None = None) -> bytes:
    """Lay the print page out as a Word document; returns the .docx bytes."""
    soup = BeautifulSoup(html, "html.parser")
    doc = Document()
    _page_setup(doc, draft="iz-is-draft" in (soup.body.get("class") or []))
    _properties(doc, properties or {}, soup)
    main = soup.find("main") or soup.body
    _Writer(doc).blocks(main.children)
    _no_empty_last_page(doc)
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())


def _no_empty_last_page(doc: Any) -> None:
    """Shrink the empty paragraphs that close the document (Word needs one after a last
    table) to a line of 1 pt: after a full last page they would start a blank page."""
    for paragraph in reversed(doc.paragraphs):
        if paragraph.text.strip() or paragraph._p.xpath(".//w:drawing"):
            break
        fmt = paragraph.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = Pt(1)
        for run in paragraph.runs:
            run.font.size = Pt(1)
        if paragraph._p.getprevious() is not None and \
                paragraph._p.getprevious().tag.endswith("}tbl"):
            break


def _fixed_zip(data: bytes) -> bytes:
    """The same package with every member dated 1980-01-01: the zip's own timestamps are
    the clock's, and the same inputs should give the same file."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- page and styles


def _page_setup(doc: Any, draft: bool) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), 1.15
    # page numbers centred at the top, not on page 1 (Nghị định 30/2020)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    if draft:
        _draft_mark(header)
        _draft_mark(section.first_page_header.paragraphs[0])
        header = section.header.add_paragraph()
    header.alignment = _CENTER
    _page_field(header)


def _draft_mark(paragraph: Paragraph) -> None:
    paragraph.alignment = _RIGHT
    run = paragraph.add_run("DỰ THẢO")
    run.bold, run.font.size = True, Pt(12)
    _border(paragraph, "top", "bottom", "left", "right")


def _page_field(paragraph: Paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    for r in paragraph.runs:
        r.font.size = Pt(BODY_PT)


def _properties(doc: Any, props: dict[str, Any], soup: BeautifulSoup) -> None:
    import datetime as dt

    core = doc.core_properties
    core.title = str(props.get("title") or (soup.title.string if soup.title else "") or "")
    core.author = str(props.get("author") or "")
    core.subject = str(props.get("subject") or "")
    core.keywords = str(props.get("keywords") or "")
    core.language = "vi-VN"
    core.comments = ""
    created = props.get("created")
    when = (dt.datetime.fromisoformat(created.replace("Z", "+00:00")) if created
            else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    core.created = core.modified = when.astimezone(dt.UTC).replace(tzinfo=None)
    core.revision = 1
    core.last_modified_by = core.author


def _border(paragraph: Paragraph, *sides: str, size: int = 6) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in sides:
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "1")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    ppr.append(borders)


def _no_borders(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")  # no cell padding: the columns are the layout
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _widths(table: Table, widths: list[Any]) -> None:
    """Column widths on the grid and on every cell (LibreOffice reads the grid, Word both)."""
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _cant_split(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _text(el: Tag | NavigableString) -> str:
    """The element's text with spaces collapsed; a ``<br>`` stays a line break (Word
    writes it as one, e.g. the agency name in two lines); a ``<wbr>`` is a zero-width
    space, where a compound unit in a column header may break (triệu đồng/người/tháng)."""
    if isinstance(el, Tag):
        for br in el.find_all("br"):
            br.replace_with("\x00")
        for wbr in el.find_all("wbr"):
            wbr.replace_with("\u200b")
        raw = el.get_text()
    else:
        raw = str(el)
    return re.sub(r"\s*\x00\s*", "\n", re.sub(r"[^\S\x00]+", " ", raw)).strip()


def _classes(el: Tag) -> set[str]:
    return set(el.get("class") or [])


# --------------------------------------------------------------------------- content


class _Writer:
    """Walks the print page's blocks in order and writes each as Word content."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def para(self, text: str = "", *, size: float | None = None, bold: bool = False,
             italic: bool = False, align: Any = None, indent: bool = False,
             after: float | None = None, before: float | None = None,
             container: Any = None, keep_next: bool = False) -> Paragraph:
        target = container if container is not None else self.doc
        paragraph = target.add_paragraph()
        if text:
            run = paragraph.add_run(text)
            run.bold, run.italic = bold or None, italic or None
            if size:
                run.font.size = Pt(size)
        fmt = paragraph.paragraph_format
        if align is not None:
            paragraph.alignment = align
        if indent:
            fmt.first_line_indent = Cm(1.27)
        if after is not None:
            fmt.space_after = Pt(after)
        if before is not None:
            fmt.space_before = Pt(before)
        if keep_next:
            fmt.keep_with_next = True
        return paragraph

    def blocks(self, nodes: Iterable[Any]) -> None:
        for node in nodes:
            if isinstance(node, NavigableString):
                if node.strip():
                    self.para(_text(node), align=_JUSTIFY, indent=True)
                continue
            if isinstance(node, Tag):
                self.block(node)

    def block(self, el: Tag) -> None:
        cls = _classes(el)
        name = el.name
        if name in ("script", "style", "nav") or "iz-draft-mark" in cls:
            return
        if name == "header" and "iz-doc-header" in cls:
            self.header_block(el)
        elif name == "table" and "iz-sign" in cls:
            self.signature(el)
        elif name == "table":
            self.table(el)
        elif name == "figure":
            self.figure(el)
        elif name in ("h1", "h2", "h3", "h4"):
            self.heading(el)
        elif name == "p":
            self.paragraph(el)
        elif name in ("ul", "ol"):
            self.list(el)
        elif name in ("div", "section", "main", "article"):
            self.blocks(el.children)
        elif _text(el):
            self.para(_text(el), align=_JUSTIFY, indent=True)

    # -- official header block (page 1)

    def header_block(self, el: Tag) -> None:
        grid = el.find("table", class_="iz-header")
        if grid is not None:
            table = self.doc.add_table(rows=1, cols=2)
            _no_borders(table)
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            table.autofit = False
            shares = (0.42, 0.58)  # as the stylesheet splits the header table
            _widths(table, [Mm(TEXT_WIDTH_MM * share) for share in shares])
            for cell, td, share in zip(table.rows[0].cells, grid.find_all("td"), shares,
                                       strict=False):
                cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
                self.header_cell(cell, td, TEXT_WIDTH_MM * share)
        title = el.find("h1")
        if title is not None:
            kind = title.find(class_="iz-kind")
            subject = title.find(class_="iz-subject")
            self.para(_text(kind) if kind else _text(title), size=13.5, bold=True,
                      align=_CENTER, before=16, after=0)
            if subject is not None:
                self.para(_text(subject), size=13.5, bold=True, align=_CENTER, after=0)
            rule = self.para(size=4, align=_CENTER, after=12)
            rule.paragraph_format.left_indent = Mm(TEXT_WIDTH_MM * 0.38)
            rule.paragraph_format.right_indent = Mm(TEXT_WIDTH_MM * 0.38)
            _border(rule, "bottom", size=6)

    def header_cell(self, cell: Any, td: Tag, width_mm: float) -> None:
        sizes = {"iz-parent": (12.5, False, False), "iz-issuer": (12.5, True, False),
                 "iz-number": (13, False, False), "iz-nation": (12.5, True, False),
                 "iz-slogan": (13, True, False), "iz-date": (13, False, True)}
        for child in td.find_all(["p", "div"], recursive=False):
            cls = _classes(child)
            if "iz-rule" in cls:
                rule = self.para(size=2, align=_CENTER, after=4, container=cell)
                # short rules: a third of the agency's column, the motto's width
                side = width_mm / 3 if "iz-rule-agency" in cls else width_mm * 0.2
                rule.paragraph_format.left_indent = Mm(side)
                rule.paragraph_format.right_indent = Mm(side)
                _border(rule, "bottom", size=6)
                continue
            size, bold, italic = next((v for k, v in sizes.items() if k in cls),
                                      (12.5, False, False))
            before = 6 if "iz-number" in cls or "iz-date" in cls else 0
            self.para(_text(child), size=size, bold=bold, italic=italic, align=_CENTER,
                      after=0, before=before, container=cell)

    # -- headings and text

    def heading(self, el: Tag) -> None:
        cls = _classes(el)
        if "iz-appendix" in cls:
            heading = self.para(_text(el), size=13, bold=True, align=_CENTER, after=0,
                                keep_next=True)
            heading.paragraph_format.page_break_before = True  # as in print
            return
        align = _CENTER if el.name == "h1" else _JUSTIFY
        self.para(_text(el), size=13, bold=True, align=align, before=12 if el.name == "h2"
                  else 8, after=6 if el.name == "h2" else 4, keep_next=True)

    def paragraph(self, el: Tag) -> None:
        cls = _classes(el)
        text = _text(el)
        if not text:
            return
        if "iz-note" in cls:
            self.para(text, size=11, italic=True, align=_JUSTIFY, after=6)
        elif "iz-appendix-title" in cls:
            self.para(text, bold=True, align=_CENTER, after=12)
        else:
            paragraph = self.para(align=_JUSTIFY, indent=True)
            self.inline(paragraph, el)

    def inline(self, paragraph: Paragraph, el: Tag) -> None:
        """Runs with bold and italic as the page marks them."""
        for piece in el.descendants:
            if not isinstance(piece, NavigableString):
                continue
            text = re.sub(r"\s+", " ", str(piece))
            if not text:
                continue
            parents = {p.name for p in piece.parents}
            run = paragraph.add_run(text)
            run.bold = True if parents & {"strong", "b"} else None
            run.italic = True if parents & {"em", "i"} else None

    def list(self, el: Tag) -> None:
        ordered = el.name == "ol"
        items = el.find_all("li", recursive=False)
        for number, item in enumerate(items, start=1):
            mark = f"{number}. " if ordered else "- "
            # items follow each other closely, the list as a whole is one paragraph apart
            paragraph = self.para(align=_JUSTIFY, after=6 if number == len(items) else 0)
            paragraph.paragraph_format.left_indent = Cm(1.27 + 0.6)
            paragraph.paragraph_format.first_line_indent = Cm(-0.6)
            paragraph.add_run(mark)
            self.inline(paragraph, item)

    # -- tables and figures

    def table(self, el: Tag) -> None:
        caption = el.find("caption")
        if caption is not None:
            self.para(_text(caption), size=10.5, bold=True, align=_LEFT, after=4,
                      keep_next=True)
        rows = el.find_all("tr")
        if not rows:
            return
        width = max(sum(int(c.get("colspan", 1)) for c in r.find_all(["th", "td"]))
                    for r in rows)
        table = self.doc.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        # the label column gets 28% (22% of a table of nine columns or more), as in print;
        # the others share the rest
        label = TEXT_WIDTH_MM * (0.22 if width >= 9 else 0.28) if width > 2 \
            else TEXT_WIDTH_MM / width
        other = (TEXT_WIDTH_MM - label) / max(width - 1, 1)
        for tr in rows:
            row = table.add_row()
            _cant_split(row)
            head = tr.parent.name == "thead"
            if head:
                _repeat_header(row)
            for cell, source in zip(row.cells, tr.find_all(["th", "td"]), strict=False):
                paragraph = cell.paragraphs[0]
                paragraph.paragraph_format.space_after = Pt(1.5)
                paragraph.paragraph_format.space_before = Pt(1.5)
                paragraph.paragraph_format.line_spacing = 1.0
                numeric = "num" in _classes(source)
                paragraph.alignment = _CENTER if head else _RIGHT if numeric else _LEFT
                run = paragraph.add_run(_text(source))
                run.font.size = Pt(9.5 if head else 10.5)
                run.bold = True if head else None
        _widths(table, [Mm(label)] + [Mm(other)] * (width - 1))
        if el.find_parent(class_="iz-appendix-body") is not None:
            # one zone's table on one page, as in print: every row keeps with the next
            for row in table.rows[:-1]:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.keep_with_next = True
        self.para(after=0, size=4)

    def figure(self, el: Tag) -> None:
        svg = _figure_svg(el)
        if svg is not None:
            self.picture(svg)
        caption = el.find("figcaption")
        if caption is not None and _text(caption):
            self.para(_text(caption), size=12, italic=True, align=_CENTER, after=8)

    def picture(self, svg: str) -> None:
        import vl_convert as vlc

        from izreport.core.resources import FONTS_DIR

        vlc.register_font_directory(str(FONTS_DIR))
        png = vlc.svg_to_png(svg, ppi=CHART_PPI)
        # the print page shows the SVG at CSS pixels (96 per inch); the PNG is scaled by
        # CHART_PPI / 72, so its width in pixels gives back the same size in millimetres
        width_px, height_px = _png_size(png)
        width_mm = min(width_px * 72 / CHART_PPI / 96 * 25.4, TEXT_WIDTH_MM)
        # no higher than in print (print.css: at most CHART_MAX_HEIGHT_MM)
        width_mm = min(width_mm, CHART_MAX_HEIGHT_MM * width_px / height_px)
        paragraph = self.para(align=_CENTER, after=2, keep_next=True)
        paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))

    # -- signature block

    def signature(self, el: Tag) -> None:
        table = self.doc.add_table(rows=1, cols=2)
        _no_borders(table)
        table.autofit = False
        left, right = table.rows[0].cells
        _widths(table, [Mm(TEXT_WIDTH_MM * 0.5)] * 2)
        _cant_split(table.rows[0])
        for cell in (left, right):
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        recipients = el.find(class_="iz-recipients")
        if recipients is not None:
            title = recipients.find(class_="iz-recipients-title")
            if title is not None:
                self.para(_text(title), size=12, bold=True, italic=True, after=0,
                          container=left, align=_LEFT)
            for li in recipients.find_all("li"):
                self.para(_text(li), size=11, after=0, container=left, align=_LEFT)
        signer = el.find(class_="iz-signer")
        if signer is not None:
            for child in signer.find_all(["p", "div"], recursive=False):
                cls = _classes(child)
                if "iz-sign-space" in cls:
                    space = self.para(after=0, container=right)
                    # the room for signature and seal is 22 mm, as in print, not 22 mm
                    # and an empty line
                    space.paragraph_format.space_before = Mm(22)
                    space.paragraph_format.line_spacing = Pt(1)
                    continue
                self.para(_text(child), size=13, bold=True, align=_CENTER, after=0,
                          container=right)
        # Word needs a paragraph after a table; one of 1 pt, so that a signature at the
        # foot of a full page does not push an empty line onto a page of its own
        self.para(after=0).paragraph_format.line_spacing = Pt(1)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG header (IHDR)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _figure_svg(figure: Tag) -> str | None:
    """A print-page figure's SVG: inline, or the ``data:`` image the print page gives
    the PDF (:func:`izreport.blocks.vega.svg_image`)."""
    from izreport.blocks.vega import image_svg

    svg = figure.find("svg")
    if svg is not None:
        return str(svg)
    image = figure.find("img")
    return image_svg(str(image.get("src") or "")) if image is not None else None

