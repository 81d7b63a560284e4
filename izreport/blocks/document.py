"""The official form of a report (Nghị định 30/2020/NĐ-CP, Phụ lục I) as HTML blocks.

Header block (agencies, number, Quốc hiệu and tiêu ngữ, place and date), the title,
numbered section headings, the draft mark, and the signature block with ``Nơi nhận``.
Layout and sizes live in the print stylesheet; this module only says what is written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from html import escape

from izreport.blocks.html import Html
from izreport.core.config import Config
from izreport.core.formatting import date_vi, roman

#: PDF keywords saying what a document is; ``izreport sign`` signs only the issued version.
FINAL_KEYWORD = "Bản chính thức"
DRAFT_KEYWORD = "Dự thảo"
#: Id of the signature box in the signature block; ``izreport sign`` finds it in the PDF.
SIGN_BOX_ID = "iz-chu-ky"
#: Its size in print (print.css, .iz-sign-box), millimetres: width, height.
SIGN_BOX_MM = (50.0, 22.0)


def _balanced(name: str, width: int = 24) -> str:
    """An agency name too long for its column, in two lines of similar length broken
    between words ("BAN QUẢN LÝ CÁC / KHU CÔNG NGHIỆP"), never one word left alone."""
    words = name.split()
    if len(name) <= width or len(words) < 2:
        return escape(name)
    cut = min(range(1, len(words)),
              key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return f'{escape(" ".join(words[:cut]))}<br>{escape(" ".join(words[cut:]))}'


def default_issue_date(year: int, last_month: int) -> datetime.date:
    """The 5th of the month after the period: reports go out early in the next month."""
    if last_month == 12:
        return datetime.date(year + 1, 1, 5)
    return datetime.date(year, last_month + 1, 5)


def header(config: Config, subject: str, issued: datetime.date, number: int | None,
           draft: bool) -> Html:
    """Page 1: agencies and number on the left, Quốc hiệu and date on the right, title."""
    board = config.board
    mark = ('<p class="iz-draft-mark" role="note">DỰ THẢO</p>' if draft else "")
    html = (
        f'<header class="iz-doc-header">{mark}'
        '<table class="iz-header" role="presentation"><tr>'
        '<td class="iz-agency">'
        f'<p class="iz-parent">{escape(board.parent_agency)}</p>'
        f'<p class="iz-issuer">{_balanced(board.short_name)}</p>'
        '<div class="iz-rule iz-rule-agency"></div>'
        f'<p class="iz-number">Số: {escape(config.document_number(number))}</p></td>'
        '<td class="iz-motto">'
        '<p class="iz-nation">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>'
        '<p class="iz-slogan">Độc lập - Tự do - Hạnh phúc</p>'
        '<div class="iz-rule iz-rule-motto"></div>'
        f'<p class="iz-date">{escape(date_vi(issued, board.place))}</p></td>'
        '</tr></table>'
        '<h1 class="iz-title"><span class="iz-kind">BÁO CÁO</span>'
        f'<span class="iz-subject">{escape(subject)}</span></h1>'
        '<div class="iz-rule iz-rule-title"></div></header>'
    )
    # what the exporters write into the PDF's metadata (and the Word file's properties)
    meta = (("title", f"Báo cáo {subject[0].lower()}{subject[1:]}"),
            ("draft", "1" if draft else ""), ("subject", subject),
            ("author", board.name), ("issued", issued.isoformat()),
            ("number", config.document_number(number) if number is not None else ""))
    return Html(html, meta)


@dataclass
class Outline:
    """Numbers sections I, II, … and their parts 1, 2, … in order of appearance."""

    sections: int = 0
    parts: int = 0

    def section(self, title: str) -> Html:
        self.sections += 1
        self.parts = 0
        anchor = f"muc-{self.sections}"
        text = f"{roman(self.sections)}. {title.upper()}"
        return Html(f'<h2 id="{anchor}" class="iz-section">{escape(text)}</h2>',
                    (("section", anchor), ("section_title", text)))

    def part(self, title: str) -> Html:
        self.parts += 1
        anchor = f"muc-{self.sections}-{self.parts}"
        return Html(f'<h3 id="{anchor}" class="iz-part">{escape(f"{self.parts}. {title}")}</h3>')


def appendix_heading(title: str) -> Html:
    """'PHỤ LỤC' starts on a new page in print."""
    return Html('<h2 id="phu-luc" class="iz-appendix">PHỤ LỤC</h2>'
                f'<p class="iz-appendix-title">{escape(title)}</p>',
                (("section", "phu-luc"), ("section_title", "PHỤ LỤC")))


def signature(config: Config) -> Html:
    """Recipients on the left, the signer on the right, as the decree lays them out."""
    rec = config.recipients
    items = [f"<li>- {escape(r)};</li>" for r in rec.list]
    items.append(f"<li>- {escape(rec.archive)}.</li>")
    sig = config.signature
    return Html(
        '<table class="iz-sign" role="presentation"><tr>'
        '<td class="iz-recipients"><p class="iz-recipients-title">Nơi nhận:</p>'
        f'<ul>{"".join(items)}</ul></td>'
        f'<td class="iz-signer"><p class="iz-authority">{escape(sig.authority)}</p>'
        f'<p class="iz-sign-title">{escape(sig.title)}</p>'
        # the box where `izreport sign` places the signature image: the PDF keeps its
        # position as the named destination SIGN_BOX_ID
        f'<div class="iz-sign-space"><div id="{SIGN_BOX_ID}" class="iz-sign-box"></div></div>'
        f'<p class="iz-signer-name">{escape(sig.name)}</p></td>'
        "</tr></table>"
    )
