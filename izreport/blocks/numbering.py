"""Running numbers of tables and figures ("Bảng 3", "Hình 2") in a report.

The kernel numbers each table and figure as a cell displays it, so an analyst sees the
numbers in JupyterLab. Cells run again, out of order, or hidden from readers would leave
gaps, so the exporters number once more in page order (:func:`renumber`): the number sits
in a marked ``<span>`` of the output's HTML and in its metadata caption.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any, Literal

Kind = Literal["table", "figure"]
WORDS: dict[str, str] = {"table": "Bảng", "figure": "Hình"}
_COUNTS: dict[str, int] = {"table": 0, "figure": 0}
_SPAN_RE = re.compile(r'(<span class="iz-num" data-iz-num="(table|figure)">)[^<]*(</span>)')


def reset() -> None:
    """Start a new report: the next table is Bảng 1 and the next figure Hình 1."""
    for kind in _COUNTS:
        _COUNTS[kind] = 0


def next_label(kind: Kind) -> str:
    _COUNTS[kind] += 1
    return f"{WORDS[kind]} {_COUNTS[kind]}"


def caption_text(label: str | None, caption: str | None) -> str:
    """'Hình 2. Giá trị xuất khẩu theo tháng' (plain text, for metadata and alt text)."""
    parts = [p for p in (label, caption) if p]
    return ". ".join(parts)


def caption_html(label: str | None, caption: str | None, tag: str = "caption") -> str:
    """The caption element with its number in a span the exporters can renumber."""
    if not label and not caption:
        return ""
    num = (f'<span class="iz-num" data-iz-num="{_kind(label)}">{escape(label)}</span>'
           if label else "")
    sep = ". " if label and caption else ""
    return f"<{tag}>{num}{sep}{escape(caption or '')}</{tag}>"


def _kind(label: str) -> str:
    return next(k for k, w in WORDS.items() if label.startswith(w))


def renumber(nb: Any) -> Any:
    """Number the tables and figures of an executed notebook in page order (in place)."""
    counts = {"table": 0, "figure": 0}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("izreport", {})
            kind = meta.get("numbered")
            if kind not in counts:
                continue
            counts[kind] += 1
            label = f"{WORDS[kind]} {counts[kind]}"
            data = output.get("data", {})
            html = data.get("text/html")
            if isinstance(html, list):
                html = "".join(html)
            if isinstance(html, str):
                data["text/html"] = _SPAN_RE.sub(lambda m, lb=label: m.group(1) + lb + m.group(3),
                                                 html)
            if "caption" in meta:
                meta["caption"] = caption_text(label, meta.get("caption_text"))
    return nb
