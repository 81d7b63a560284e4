"""Guarding the reading of submitted workbooks: limits first, then what openpyxl would hide.

An .xlsx file is a zip of XML. A small file can unpack to gigabytes (a zip bomb) and a
workbook can carry what the reader would silently misread: a hidden sheet or hidden rows,
rows on a second sheet, or formulas whose value was never calculated (openpyxl then reads
an empty cell). :func:`check_archive` looks only at the zip's directory (sizes as declared,
which :mod:`zipfile` enforces while unpacking) before any XML is parsed, and
:func:`scan_sheet` streams the one sheet that is read, stopping at the row and column
limits, before openpyxl reads its values. Messages name file, sheet, row and column.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from izreport.core.i18n import Message

#: Most bytes a workbook may unpack to (all members together).
MAX_UNPACKED = 32 * 1024 * 1024
#: Most members a workbook zip may hold.
MAX_MEMBERS = 500
#: Most rows and columns of the report sheet (and lines of a CSV submission).
MAX_ROWS = 20_000
MAX_COLUMNS = 100

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def check_archive(path: Path, shown: str) -> Message | None:
    """Why the file must not be unpacked (not a zip, too many members, too big), or None.

    ``shown`` is the file as messages name it.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Message("{file}: cannot be opened as an Excel workbook: {reason}",
                       file=shown, reason=exc)
    if len(members) > MAX_MEMBERS:
        return Message("{file}: the workbook holds {count} parts, more than the limit of "
                       "{limit}; it is not a submission workbook",
                       file=shown, count=len(members), limit=MAX_MEMBERS)
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        return Message("{file}: the workbook unpacks to {size} MB, more than the limit of "
                       "{limit} MB (nothing was read); send only the sheet '{sheet}' with the "
                       "month's rows", file=shown, size=_mb(unpacked), limit=_mb(MAX_UNPACKED),
                       sheet="Báo cáo")
    return None


def column_number(letters: str) -> int:
    """'A' -> 1, 'AB' -> 28."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


@dataclass
class SheetScan:
    """What the streaming pass over one sheet found."""

    hidden_rows: list[int] = field(default_factory=list)
    formulas: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, formula
    too_big: Message | None = None     # the limit exceeded, as a message (nothing else read)
    first_value: tuple[int, str] | None = None     # first cell holding a value


def _elements(path: Path, member: str) -> Iterator[tuple[str, Any]]:
    from openpyxl.xml.functions import iterparse  # defusedxml when installed

    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as src:
        yield from iterparse(src, events=("start", "end"))


def scan_sheet(path: Path, member: str, where: str, values_only: bool = False) -> SheetScan:
    """Stream the sheet's XML: limits, hidden rows with values, formulas without a value.

    ``where`` names file and sheet in messages. With ``values_only`` the scan stops at the
    first cell holding a value (for sheets that should hold none).
    """
    scan = SheetScan()
    row_number = 0
    row_hidden = False
    row_has_value = False
    for event, el in _elements(path, member):
        tag = el.tag
        if event == "start":
            if tag == f"{_NS}dimension":
                limit = _over_limit(str(el.get("ref", "")).split(":")[-1], where)
                if limit:
                    scan.too_big = limit
                    return scan
            elif tag == f"{_NS}row":
                row_number = int(el.get("r") or row_number + 1)
                if row_number > MAX_ROWS:
                    scan.too_big = Message("{where}: more than {limit} rows; a monthly "
                                           "submission has one row per enterprise",
                                           where=where, limit=MAX_ROWS)
                    return scan
                row_hidden = str(el.get("hidden", "")).lower() in ("1", "true")
                row_has_value = False
            continue
        if tag == f"{_NS}c":
            ref = _CELL_REF.fullmatch(str(el.get("r", "")))
            letters = ref.group(1) if ref else "A"
            if column_number(letters) > MAX_COLUMNS:
                scan.too_big = Message("{where}, row {row}, column {column}: more than "
                                       "{limit} columns", where=where, row=row_number,
                                       column=letters, limit=MAX_COLUMNS)
                return scan
            formula = el.find(f"{_NS}f")
            value = el.find(f"{_NS}v")
            inline = el.find(f"{_NS}is")
            has_value = (value is not None and (value.text or "") != "") or inline is not None
            if has_value:
                row_has_value = True
                if scan.first_value is None:
                    scan.first_value = (row_number, letters)
                    if values_only:
                        return scan
            elif formula is not None and not values_only:
                text = "=" + (formula.text or "")
                scan.formulas.append((row_number, letters, text))
            el.clear()
        elif tag == f"{_NS}row":
            if row_hidden and row_has_value:
                scan.hidden_rows.append(row_number)
            el.clear()
    return scan


def _over_limit(corner: str, where: str) -> Message | None:
    """The sheet's declared size (its <dimension>) against the limits, before reading rows."""
    ref = _CELL_REF.fullmatch(corner)
    if ref is None:
        return None
    rows, columns = int(ref.group(2)), column_number(ref.group(1))
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        return Message("{where}: the sheet declares {rows} rows and {columns} columns, more "
                       "than the limit of {max_rows} rows and {max_columns} columns (nothing "
                       "was read)", where=where, rows=rows, columns=columns, max_rows=MAX_ROWS,
                       max_columns=MAX_COLUMNS)
    return None
