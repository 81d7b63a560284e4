"""Report tables from DataFrames: numbers stay numbers until a column format displays them.

A :class:`Table` keeps the frame as it is and a :class:`ColumnFormat` per column (label,
unit, decimals, number or percentage). Formats come, in this order, from what the notebook
says (``iz.table(df, labels=..., decimals=...)``), from the indicator catalogue when the
column is named after a catalogue entry, and from the column's type. Numbers are written
the Vietnamese way (5.365,7; 46,26%), rounded half away from zero; a missing value is "—".

Everything that comes from data (enterprise names above all) is untrusted text and is
escaped here, in one place.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Any, Literal

import pandas as pd

from izreport.blocks import numbering
from izreport.core.catalogue import measure
from izreport.core.formatting import MISSING, UNITS, number, percent, rounded

__all__ = ["TOTAL_LABELS", "ColumnFormat", "Table", "with_total"]

#: First-column labels of rows that sum up the rows above (printed in bold).
TOTAL_LABELS = frozenset({"Tổng số", "Tổng cộng", "Cộng", "Toàn tỉnh"})
#: Said under a table whose rounded rows do not add up to its rounded total.
ROUNDING_NOTE = "Số liệu được làm tròn; tổng có thể chênh lệch do làm tròn."
#: Decimals of a float column that neither the notebook nor the catalogue describes.
DEFAULT_DECIMALS = 1

ColumnKind = Literal["text", "number", "ratio"]


@dataclass(frozen=True)
class ColumnFormat:
    """How one column is headed and displayed."""

    label: str
    kind: ColumnKind = "number"
    decimals: int = 0
    unit: str = ""

    @property
    def header(self) -> str:
        unit = UNITS.get(self.unit, self.unit)
        return f"{self.label} ({unit})" if unit else self.label

    @property
    def header_html(self) -> str:
        """The header as HTML: the unit in its own span, its words held together (no-break
        spaces), a break allowed only after a "/" of a compound unit (triệu đồng/người/tháng)."""
        unit = UNITS.get(self.unit, self.unit)
        if not unit:
            return escape(self.label)
        unit_html = _breakable(f"({unit})").replace(" ", "&nbsp;")
        return f'{escape(self.label)} <span class="iz-unit">{unit_html}</span>'

    @property
    def numeric(self) -> bool:
        return self.kind != "text"

    def text(self, value: Any) -> str:
        """The cell as the reader sees it."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return MISSING
        if self.kind == "ratio":
            return percent(float(value), self.decimals, strip=False)
        if self.kind == "number":
            return number(float(value), self.decimals)
        return str(value)


def _default_format(name: Any, series: pd.Series) -> ColumnFormat:
    entry = measure(str(name))
    if entry is not None:
        unit = "" if entry.kind == "ratio" else entry.unit
        return ColumnFormat(entry.column_label, entry.kind, entry.decimals, unit)
    label = str(name)
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return ColumnFormat(label, "text")
    decimals = 0 if pd.api.types.is_integer_dtype(series) else DEFAULT_DECIMALS
    return ColumnFormat(label, "number", decimals)


def column_formats(frame: pd.DataFrame, *, labels: Mapping[Any, str] | None = None,
                   units: Mapping[Any, str] | None = None,
                   decimals: Mapping[Any, int] | None = None,
                   percent: Sequence[Any] = ()) -> tuple[ColumnFormat, ...]:
    """Each column's format: the notebook's words first, then the catalogue, then the type."""
    labels, units, decimals = dict(labels or {}), dict(units or {}), dict(decimals or {})
    unknown = (set(labels) | set(units) | set(decimals) | set(percent)) - set(frame.columns)
    if unknown:
        raise KeyError(f"Bảng không có cột {', '.join(map(repr, sorted(map(str, unknown))))}; "
                       f"các cột: {', '.join(map(str, frame.columns))}")
    out = []
    for name in frame.columns:
        fmt = _default_format(name, frame[name])
        if name in percent:
            fmt = replace(fmt, kind="ratio", unit="",
                          decimals=fmt.decimals if fmt.kind == "ratio" else 1)
        if name in decimals:
            fmt = replace(fmt, decimals=int(decimals[name]),
                          kind="number" if fmt.kind == "text" else fmt.kind)
        if name in units:
            fmt = replace(fmt, unit=units[name])
        if name in labels:
            fmt = replace(fmt, label=labels[name])
        out.append(fmt)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Table:
    """A numbered report table: the frame, its column formats and its words.

    The first column heads each row. Displayed in a report kernel it takes the next
    "Bảng N" (the exporters renumber in page order, after hidden cells are removed).
    """

    frame: pd.DataFrame
    formats: tuple[ColumnFormat, ...]
    caption: str | None = None
    note: str | None = None
    source: str | None = None
    numbered: bool = True
    cells: Mapping[tuple[int, int], str] | None = None  # texts a pandas Styler formatted
    row_decimals: tuple[int, ...] | None = None  # rows with their own decimals (KPI tables)
    row_decimal_columns: frozenset[int] = frozenset()

    @classmethod
    def from_frame(cls, data: pd.DataFrame | pd.Series | Any, caption: str | None = None,
                   *, labels: Mapping[Any, str] | None = None,
                   units: Mapping[Any, str] | None = None,
                   decimals: Mapping[Any, int] | None = None, percent: Sequence[Any] = (),
                   note: str | None = None, source: str | None = None,
                   numbered: bool = True, row_decimals: str | None = None,
                   drop_empty: bool = False) -> Table:
        """A table from a DataFrame, Series or pandas Styler (see the module's docstring).

        A named or non-default index becomes the first column. From a Styler: its data,
        caption, hidden columns and the cells its ``format()`` calls formatted.
        ``row_decimals`` names a column holding each row's decimals for the number columns
        (rows of different indicators); that column is not shown. ``drop_empty`` leaves out
        the columns with no value at all (a plan column in a zone report).
        """
        cells = None
        styler_cls = _styler_class()
        if styler_cls is not None and isinstance(data, styler_cls):
            frame, cells, caption = _from_styler(data, caption)
        elif isinstance(data, pd.Series):
            frame = data.to_frame()
        elif isinstance(data, pd.DataFrame):
            frame = data
        else:
            raise TypeError(f"iz.table() cần một DataFrame, Series hoặc Styler, không phải "
                            f"{type(data).__name__}")
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
            frame = frame.reset_index()
            cells = None if cells is None else {(r, c + 1): t for (r, c), t in cells.items()}
        frame = frame.reset_index(drop=True)
        per_row = None
        if row_decimals is not None:
            per_row = tuple(int(d) for d in frame[row_decimals])
            frame = frame.drop(columns=row_decimals)
            # columns the notebook gave decimals keep them
            per_row_cols = frozenset(i for i, c in enumerate(frame.columns)
                                     if c not in (decimals or {}))
        else:
            per_row_cols = frozenset()
        formats = column_formats(frame, labels=labels, units=units, decimals=decimals,
                                 percent=percent)
        if drop_empty:
            keep = [i for i, c in enumerate(frame.columns)
                    if i == 0 or frame[c].map(_has_value).any()]
            frame, formats = frame.iloc[:, keep], tuple(formats[i] for i in keep)
            per_row_cols = frozenset(keep.index(i) for i in per_row_cols if i in keep)
            cells = None if cells is None else {
                (r, keep.index(c)): t for (r, c), t in cells.items() if c in keep}
        return cls(frame, formats, caption, note, source, numbered, cells, per_row,
                   per_row_cols)

    def cell(self, row: int, col: int) -> str:
        if self.cells is not None and (row, col) in self.cells:
            return self.cells[(row, col)]
        fmt = self.formats[col]
        if (self.row_decimals is not None and fmt.kind == "number"
                and col in self.row_decimal_columns):
            fmt = replace(fmt, decimals=self.row_decimals[row])
        return fmt.text(self.frame.iat[row, col])

    def to_html(self, label: str | None = None) -> str:
        """The table as HTML; ``label`` is its number ("Bảng 3"), if numbered."""
        head = "".join(f'<th scope="col"{_num(f)}{self._per_row(i)}>{f.header_html}</th>'
                       for i, f in enumerate(self.formats))
        body = []
        for i in range(len(self.frame)):
            first = self.cell(i, 0)
            cells = [f'<th scope="row"{_num(self.formats[0])}>{escape(first)}</th>']
            cells += [f"<td{_num(f)}>{_breakable(self.cell(i, j))}</td>"
                      for j, f in enumerate(self.formats[1:], start=1)]
            total = ' class="iz-total"' if first.strip() in TOTAL_LABELS else ""
            body.append(f"<tr{total}>" + "".join(cells) + "</tr>")
        rounding = ROUNDING_NOTE if self._total_differs() else None
        notes = "".join(f'<p class="iz-note">{escape(t)}</p>'
                        for t in (self.note, rounding, _source(self.source)) if t)
        mixed = ' data-iz-rows="mixed"' if self.row_decimals is not None else ""
        return (
            f'<div class="iz-table-wrap"><table class="iz-table"{mixed}>'
            f"{numbering.caption_html(label, self.caption)}"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{notes}</div>"
        )

    def _total_differs(self) -> bool:
        """Whether a total row, shown rounded, differs from the sum of the rounded rows."""
        rows = [self.cell(i, 0).strip() for i in range(len(self.frame))]
        if len(rows) < 3 or rows[-1] not in TOTAL_LABELS:
            return False
        for col, fmt in enumerate(self.formats):
            if fmt.kind != "number" or col == 0 or (self.cells and any(
                    (r, col) in self.cells for r in range(len(rows)))):
                continue
            values = pd.to_numeric(self.frame.iloc[:, col], errors="coerce")
            parts, total = values.iloc[:-1], values.iloc[-1]
            if parts.isna().any() or pd.isna(total):
                continue
            if abs(parts.sum() - total) > 1e-6 * max(1.0, abs(total)):
                continue  # not a sum (a weighted mean, a ratio): nothing to reconcile
            decimals = [self._decimals(r, col) for r in range(len(rows))]
            shown = sum(rounded(v, d) or 0 for v, d in zip(parts, decimals, strict=False))
            if shown != rounded(total, decimals[-1]):
                return True
        return False

    def _per_row(self, col: int) -> str:
        """Marks a column whose decimals follow each row's indicator (for checks)."""
        if self.row_decimals is not None and col in self.row_decimal_columns:
            return " data-iz-per-row"
        return ""

    def _decimals(self, row: int, col: int) -> int:
        if self.row_decimals is not None and col in self.row_decimal_columns:
            return self.row_decimals[row]
        return self.formats[col].decimals

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, str], dict[str, Any]]:
        label = numbering.next_label("table") if self.numbered else None
        meta = {"izreport": {"numbered": "table"}} if label else {}
        return {"text/html": self.to_html(label)}, meta


def with_total(frame: pd.DataFrame, label: str = "Tổng số",
               ratios: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """The frame with a total row: numeric columns summed, each ratio column recomputed
    from its summed numerator and denominator (a ratio of totals is not a sum of ratios).

    The first column holds ``label``; other text columns are left empty.
    """
    ratios = dict(ratios or {})
    row: dict[Any, Any] = {}
    for i, name in enumerate(frame.columns):
        if i == 0:
            row[name] = label
        elif name in ratios:
            top, bottom = (frame[c].sum(min_count=1) for c in ratios[name])
            row[name] = top / bottom if pd.notna(bottom) and bottom else float("nan")
        elif pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(
                frame[name]):
            row[name] = frame[name].sum(min_count=1)
        else:
            row[name] = ""
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


#: A "/" between two words (a compound unit: triệu đồng/người/tháng), not in a date.
_SLASH = re.compile(r"(?<=[^\W\d])/(?=[^\W\d])")


def _breakable(text: str) -> str:
    """Escaped cell text where a narrow column may break a compound unit after its "/"
    rather than inside a word."""
    return _SLASH.sub("/\u200b", escape(text))  # a zero-width space: WeasyPrint has no <wbr>


def _has_value(value: Any) -> bool:
    return value is not None and not (not isinstance(value, str) and pd.isna(value)) and (
        value != "")


def _source(source: str | None) -> str | None:
    return f"Nguồn: {source}" if source else None


def _num(fmt: ColumnFormat) -> str:
    return ' class="num"' if fmt.numeric else ""


def _styler_class() -> type | None:
    """pandas' Styler class if it has been imported: no Styler exists before (importing
    it compiles jinja2 templates, ~30 ms that a report without one need not pay)."""
    module = sys.modules.get("pandas.io.formats.style")
    return getattr(module, "Styler", None)


def _from_styler(styler: Any, caption: str | None
                 ) -> tuple[pd.DataFrame, dict[tuple[int, int], str], str | None]:
    """Data, the cells the analyst formatted with ``Styler.format``, and the caption."""
    frame: pd.DataFrame = styler.data
    hidden = set(getattr(styler, "hidden_columns", []) or [])
    keep = [i for i in range(frame.shape[1]) if i not in hidden]
    # A Styler formats every cell (pandas' defaults unless format() said otherwise): a
    # cell shown as a fresh Styler would show it keeps the Vietnamese defaults instead.
    funcs = getattr(styler, "_display_funcs", {})
    plain = getattr(type(styler)(frame), "_display_funcs", {})
    cells = {}
    for new, old in enumerate(keep):
        for row in range(frame.shape[0]):
            value = frame.iat[row, old]
            if (row, old) in funcs:
                shown = str(funcs[(row, old)](value))
                if shown != str(plain[(row, old)](value)):  # a defaultdict: pandas' default
                    cells[(row, new)] = shown
    if getattr(styler, "hide_index_", None) and all(styler.hide_index_):
        frame = frame.reset_index(drop=True)
    return frame.iloc[:, keep], cells, caption or styler.caption


