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

from izreport.charts import FONTS_DIR
from izreport.export import PrintHTMLExporter
from izreport.render import RenderResult, render
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
        for page in document.render().pages:
            found: set[Any] = set()
            _walk(page._page_box, found)
            self.pages.append(found)

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
