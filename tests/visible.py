"""What a reader sees of a report, as text: for comparing a render with a snapshot.

HTML: the text of the page without scripts, styles and the SVG inside charts (a chart is
read by its caption and text alternative), one block element a line. PDF: poppler's text,
without the page numbers at the top of each page.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "tr", "caption", "figcaption", "div", "table",
           "section", "header", "footer", "nav", "ul", "ol", "figure", "br", "title"}
_SKIP = {"script", "style", "svg", "noscript"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCKS:
            self.lines.append("")
        elif tag in ("td", "th"):
            self.lines[-1] += " | "

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.lines[-1] += data


def _tidy(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        # a zero-width space (a break allowed after a unit's "/") is not seen
        text = re.sub(r"\s+", " ", line.replace("\u200b", "")).strip(" |")
        if text:
            out.append(text)
    return out


def html_lines(html: str) -> list[str]:
    """Visible text of a page, one block a line, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return _tidy(parser.lines)


def pdf_lines(path: Path) -> list[str]:
    """Text lines of a PDF, without the lines that hold only a page number."""
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [line for line in _tidy(text.replace("\f", "\n").splitlines())
            if not line.isdigit()]
