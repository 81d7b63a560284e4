"""Every page reads right: the layout of many report kinds, checked page by page.

Each report is rendered once (HTML and PDF). The PDF's pages are read back from
WeasyPrint's own layout of the print page (the same layout the PDF is written from), so a
check knows which table row, caption or signature sits on which page. The intranet page
is read for the numbers in table columns and the static SVG of every chart.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from pathlib import Path
from typing import Any

import html5lib
import nbformat
import pytest
from PIL import ImageFont

from izreport.core.resources import FONTS_DIR
from izreport.formats.export import PrintHTMLExporter
from izreport.pipeline.render import RenderResult, render
from tests.conftest import DATA

REPORTS = {
    "province 2017-H1": ("half-year", {"period": "2017-H1"}),
    "province 2021-H1": ("half-year", {"period": "2021-H1"}),
    "province 2023": ("half-year", {"period": "2023"}),
    "province 2024-H1": ("half-year", {"period": "2024-H1"}),
    "province 2025-H1": ("half-year", {"period": "2025-H1"}),
    "quarterly 2022-Q3": ("quarterly", {"period": "2022-Q3"}),
    "monthly 2023-11": ("monthly", {"period": "2023-11"}),
    "zone Bảo Minh 2022-H1": ("half-year", {"period": "2022-H1", "zone": "Bảo Minh"}),
    "zone Mỹ Thuận 2023": ("half-year", {"period": "2023", "zone": "Mỹ Thuận"}),
}


@pytest.fixture(scope="module", params=list(REPORTS))
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> RenderResult:
    name, values = REPORTS[request.param]
    return render(name, values, tmp_path_factory.mktemp("layout"), data_dir=DATA)


# --- pages, from the print layout ------------------------------------------------------------

class Pages:
    """Which elements of the print page lie on which page."""

    def __init__(self, result: RenderResult) -> None:
        from weasyprint import HTML

        nb = nbformat.read(result.files["ipynb"], as_version=4)
        html, _ = PrintHTMLExporter().from_notebook_node(nb)
        document = HTML(string=html, base_url=str(FONTS_DIR) + "/")
        self.parent = {child: node for node in document.etree_element.iter() for child in node}
        self.pages: list[set[Any]] = []
        #: lines of each column header cell (its text -> the most lines it takes)
        self.header_lines: dict[str, int] = {}
        #: column headers whose text runs out of their cell (a word or unit too wide)
        self.header_overflow: set[str] = set()
        #: column headers with a word cut across two lines ("n / gười")
        self.header_split: set[str] = set()
        #: share of each page's content area left blank below its last line, row or image
        self.blank: list[float] = []
        for page in document.render().pages:
            found: set[Any] = set()
            _walk(page._page_box, found)
            self.pages.append(found)
            self._measure(page._page_box)

    def _measure(self, page: Any) -> None:
        from weasyprint.formatting_structure import boxes

        inked: list[Any] = []
        _boxes(page, inked)
        top, height = page.content_box_y(), page.height
        ends = [b.position_y + b.margin_height() for b, _ in inked
                if isinstance(b, boxes.LineBox | boxes.ReplacedBox | boxes.TableCellBox)]
        self.blank.append((top + height - max(ends)) / height if ends else 1.0)
        for box, in_head in inked:
            if isinstance(box, boxes.TableCellBox) and in_head:
                lines: list[Any] = []
                _boxes(box, lines)
                text = " ".join("".join(box.element.itertext()).split())
                count = sum(isinstance(b, boxes.LineBox) for b, _ in lines)
                self.header_lines[text] = max(count, self.header_lines.get(text, 0))
                texts = []
                for line, _ in lines:
                    if isinstance(line, boxes.LineBox):
                        found: list[Any] = []
                        _boxes(line, found)
                        texts.append("".join(b.text for b, _ in found
                                             if isinstance(b, boxes.TextBox)))
                words = set(re.findall(r"\w+", text))
                for a, b in itertools.pairwise(t.replace("\u200b", "").strip() for t in texts):
                    tail, head = re.search(r"\w+$", a), re.match(r"\w+", b)
                    if tail and head and tail.group() + head.group() in words:
                        self.header_split.add(text)  # a word cut in two
                right = box.content_box_x() + box.width
                if any(b.position_x + b.margin_width() > right + 0.5 for b, _ in lines
                       if isinstance(b, boxes.TextBox)):
                    self.header_overflow.add(text)

    def ancestors(self, element: Any) -> list[Any]:
        out = []
        while element in self.parent:
            element = self.parent[element]
            out.append(element)
        return out

    def inside(self, element: Any, css_class: str) -> bool:
        return any(css_class in (a.get("class") or "").split()
                   for a in [element, *self.ancestors(element)])


def _walk(box: Any, found: set[Any]) -> None:
    element = getattr(box, "element", None)
    if element is not None:
        found.add(element)
    for child in getattr(box, "children", None) or []:
        _walk(child, found)


def _boxes(box: Any, out: list[tuple[Any, bool]], head: bool = False) -> None:
    """Every box of a page's content (not its margin boxes), and whether it lies in a
    table's header rows."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.MarginBox):
        return
    head = head or (isinstance(box, boxes.TableRowGroupBox) and box.is_header)
    out.append((box, head))
    for child in getattr(box, "children", None) or []:
        _boxes(child, out, head)


def _classes(element: Any) -> list[str]:
    return (element.get("class") or "").split()


def _tag(element: Any) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


@cache
def _pages(path: Path) -> Pages:
    return Pages(_RESULTS[path])


_RESULTS: dict[Path, RenderResult] = {}


def pages_of(result: RenderResult) -> Pages:
    _RESULTS[result.files["pdf"]] = result
    return _pages(result.files["pdf"])


def test_no_page_holds_only_the_signature_block(report: RenderResult) -> None:
    layout = pages_of(report)
    for number, page in enumerate(layout.pages, start=1):
        if not any("iz-sign" in _classes(e) for e in page):
            continue
        text = [e for e in page if _tag(e) in ("p", "h2", "h3", "li", "td", "th")
                and not layout.inside(e, "iz-sign") and (e.text or "").strip()]
        assert text, f"page {number} holds only the signature block"


def test_tables_split_with_at_least_two_rows_on_each_page(report: RenderResult) -> None:
    layout = pages_of(report)
    tables = [e for e in layout.parent if _tag(e) == "table" and "iz-table" in _classes(e)]
    for table in tables:
        rows = [r for r in table.iter() if _tag(r) == "tr" and layout.parent.get(r) is not None
                and _tag(layout.parent[r]) == "tbody"]
        caption = next((c for c in table.iter() if _tag(c) == "caption"), None)
        title = "".join(caption.itertext()) if caption is not None else "?"
        counts = [sum(1 for r in rows if r in page) for page in layout.pages]
        shown = [c for c in counts if c]
        if len(shown) > 1:
            assert min(shown) >= 2, f"{title}: rows per page {shown}"
        if caption is not None and rows:
            at = next(i for i, page in enumerate(layout.pages) if caption in page)
            assert rows[0] in layout.pages[at], f"{title}: caption alone at the foot of a page"


def test_no_column_header_wraps_onto_more_than_three_lines(report: RenderResult) -> None:
    layout = pages_of(report)
    assert layout.header_lines, "no table header found"
    long = {text: n for text, n in layout.header_lines.items() if n > 3}
    assert not long, f"headers of more than three lines: {long}"
    assert not layout.header_overflow, f"headers wider than their column: {layout.header_overflow}"
    assert not layout.header_split, f"a word cut across two lines: {layout.header_split}"


def test_no_page_is_left_a_third_empty(report: RenderResult) -> None:
    """Nothing kept whole (a chart, a table's first rows) leaves a large blank before it.

    The last page ends where the text ends, and the page before the appendix, which starts
    on a page of its own, ends with the signature."""
    layout = pages_of(report)
    appendix = {i for i, page in enumerate(layout.pages)
                if any("iz-appendix" in _classes(e) for e in page)}
    for number, blank in enumerate(layout.blank[:-1], start=1):
        if number in appendix:  # number is the index of the next page
            continue
        assert blank <= 1 / 3, f"page {number} is {blank:.0%} blank at its foot"


# --- numbers and charts, from the intranet page ---------------------------------------------

def _doc(result: RenderResult) -> Any:
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    return parser.parse(result.files["html"].read_text(encoding="utf-8"))


_NUMBER = re.compile(r"^-?\d{1,3}(?:\.\d{3})*(?:,(\d+))?(%?)$")


def test_every_numeric_column_has_one_number_of_decimals(report: RenderResult) -> None:
    for table in _doc(report).iter("table"):
        if "iz-table" not in _classes(table):
            continue
        caption = "".join(table.find("caption").itertext()) if table.find("caption") is not None \
            else "?"
        heads = [th for th in table.iter("th") if th.get("scope") == "col"]
        # a column marked per-row holds each row's indicator in its own unit and decimals
        per_row = {i for i, th in enumerate(heads) if th.get("data-iz-per-row") is not None}
        columns: dict[int, set[tuple[int, bool]]] = {}
        for tr in table.find("tbody").iter("tr"):
            row: set[int] = set()
            for i, cell in enumerate(c for c in tr if c.tag in ("td", "th")):
                match = _NUMBER.match("".join(cell.itertext()).strip())
                if not match or "num" not in _classes(cell):
                    continue
                decimals = len(match.group(1) or "")
                if i in per_row and not match.group(2):
                    row.add(decimals)
                else:
                    columns.setdefault(i, set()).add((decimals, bool(match.group(2))))
            assert len(row) <= 1, f"{caption}: one row shows {row} decimals"
        for i, shown in columns.items():
            assert len(shown) == 1, f"{caption}: column {i + 1} shows {shown} (decimals, %)"


_FONT = str(FONTS_DIR / "LiberationSans-Regular.ttf")
_TEXT = re.compile(r'<text([^>]*)>([^<]*)</text>')


def _label_boxes(group: str) -> list[tuple[float, float, float, float, float, float]]:
    """Each label: (left, right, baseline, angle, font size, anchor x)."""
    out = []
    for attrs, text in _TEXT.findall(group):
        move = re.search(r"translate\(([-\d.]+),([-\d.]+)\)", attrs)
        turn = re.search(r"rotate\(([-\d.]+)\)", attrs)
        size = float(re.search(r'font-size="([\d.]+)px"', attrs).group(1))  # type: ignore[union-attr]
        anchor = re.search(r'text-anchor="(\w+)"', attrs)
        if move is None:
            continue
        x, y = float(move.group(1)), float(move.group(2))
        width = ImageFont.truetype(_FONT, round(size)).getlength(text)
        start = {"start": x, "middle": x - width / 2, "end": x - width}[
            anchor.group(1) if anchor else "start"]
        out.append((start, start + width, y, float(turn.group(1)) if turn else 0.0, size, x))
    return out


def test_no_two_axis_labels_of_a_chart_overlap(report: RenderResult) -> None:
    import math

    html = report.files["html"].read_text(encoding="utf-8")
    groups = re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', html)
    assert groups or "iz-chart" not in html
    for group in groups:
        boxes = _label_boxes(group)
        for a, b in itertools.pairwise(boxes):
            if a[3] or b[3]:  # rotated labels: lines must not touch across their height
                gap = abs(b[5] - a[5]) * abs(math.sin(math.radians(a[3] or b[3])))
                assert gap >= a[4] * 0.9, f"rotated labels too close: {group[:200]}"
            elif abs(a[2] - b[2]) < a[4]:  # same line: horizontal extents must not meet
                assert a[1] <= b[0] or b[1] <= a[0], f"labels overlap: {a} {b}"


_ABBREVIATIONS = re.compile(r"\b(SXCN|GTSX|KCN|CCN|KKT|DN|SX)\b")


def test_table_headers_spell_words_out(report: RenderResult) -> None:
    """No abbreviation a reader must guess in a table's headers."""
    for table in _doc(report).iter("table"):
        if "iz-table" not in _classes(table):
            continue
        for th in table.iter("th"):
            text = "".join(th.itertext())
            assert not _ABBREVIATIONS.search(text), f"abbreviation in a header: {text!r}"


_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]",
                         re.IGNORECASE)
#: Words of Vega's own English descriptions of a chart ("Y-axis titled …", "Symbol legend …").
_VEGA_ENGLISH = re.compile(r"\b(axis|titled|legend|scale|Symbol|marks?|chart|with values from)\b",
                           re.IGNORECASE)


def test_every_chart_speaks_vietnamese_to_a_screen_reader(report: RenderResult) -> None:
    """Each chart is one image with a Vietnamese text alternative and a caption; neither its
    static SVG nor the interactive view (aria off in its spec) adds Vega's English."""
    import json

    doc = _doc(report)
    charts = [d for d in doc.iter("div") if "iz-chart" in _classes(d)]
    assert charts, "no chart"
    figures = [f for f in doc.iter("figure") if "iz-figure" in _classes(f)]
    assert len(figures) == len(charts)
    for figure in figures:
        chart = next(d for d in figure.iter("div") if "iz-chart" in _classes(d))
        label = chart.get("aria-label") or ""
        assert chart.get("role") == "img" and _VIETNAMESE.search(label), label
        assert not _VEGA_ENGLISH.search(label), label
        # it says what the chart shows, figures included, not only its caption again
        assert label.startswith("Biểu đồ ") and re.search(r": \d", label), label
        caption = figure.find("figcaption")
        assert caption is not None and "".join(caption.itertext()).startswith("Hình ")
        for element in chart.iter():
            for name in ("aria-label", "aria-roledescription", "title"):
                value = element.get(name)
                assert not value or not _VEGA_ENGLISH.search(value), f"{name}={value!r}"
            if str(element.tag).endswith(("desc", "title")):
                text = "".join(element.itertext())
                assert not _VEGA_ENGLISH.search(text), text
        spec = json.loads(figure.find("script").text)
        assert spec["config"]["aria"] is False


def test_no_axis_repeats_a_label(report: RenderResult) -> None:
    """Ticks read as different numbers: a small axis shows 0,2 and 0,4, not "0" five times."""
    html = report.files["html"].read_text(encoding="utf-8")
    for group in re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', html):
        labels = [text for _, text in _TEXT.findall(group)]
        assert len(labels) == len(set(labels)), f"an axis repeats its labels: {labels}"
