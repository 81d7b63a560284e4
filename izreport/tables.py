"""Accessible, escaped HTML tables and text blocks for notebook output.

Everything that comes from data (enterprise names above all) is untrusted text and is
escaped here, in one place; callers pass plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any


@dataclass(frozen=True)
class Column:
    """A table column: header text and whether it holds numbers (right-aligned)."""

    header: str
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """A captioned table whose first column heads each row."""

    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None = None

    @classmethod
    def build(cls, caption: str, columns: Sequence[Column], rows: Iterable[Sequence[object]],
              note: str | None = None) -> Table:
        body = tuple(tuple("" if c is None else str(c) for c in row) for row in rows)
        for row in body:
            if len(row) != len(columns):
                raise ValueError(f"row has {len(row)} cells, table has {len(columns)} columns")
        return cls(caption=caption, columns=tuple(columns), rows=body, note=note)

    def to_html(self) -> str:
        head = "".join(
            f'<th scope="col"{_num(c)}>{escape(c.header)}</th>' for c in self.columns)
        body = []
        for row in self.rows:
            cells = [f'<th scope="row">{escape(row[0])}</th>']
            cells += [f"<td{_num(col)}>{escape(cell)}</td>"
                      for col, cell in zip(self.columns[1:], row[1:], strict=True)]
            body.append("<tr>" + "".join(cells) + "</tr>")
        note = f'<p class="iz-note">{escape(self.note)}</p>' if self.note else ""
        return (
            f'<div class="iz-table-wrap"><table class="iz-table">'
            f"<caption>{escape(self.caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def _num(column: Column) -> str:
    return ' class="num"' if column.numeric else ""


@dataclass(frozen=True)
class Html:
    """A trusted HTML fragment built by this package (its data parts already escaped).

    ``meta`` travels in the output's metadata under "izreport" (the exporters read the
    page title from there).
    """

    html: str
    meta: tuple[tuple[str, str], ...] = ()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, str], dict[str, Any]]:
        return {"text/html": self.html}, ({"izreport": dict(self.meta)} if self.meta else {})


def paragraphs(*texts: str, css_class: str = "iz-text") -> Html:
    """Plain-text paragraphs, escaped."""
    return Html("".join(f'<p class="{css_class}">{escape(t)}</p>' for t in texts if t))
