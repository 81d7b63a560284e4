"""Feedback on a rejected submission, for the enterprise that sent it, in Vietnamese.

For each rejected file, in a folder ``tra-lai/`` ("returned") beside it, never touching the
file itself:

- ``<name>.xlsx``: a copy of the workbook (a CSV file becomes a workbook with the same rows
  and columns) where every faulty cell is filled and carries a comment naming the rule
  broken and the value expected. The enterprise corrects it and sends it back.
- ``<name>.txt``: a summary the board can send as is: why the file was not accepted, then
  one numbered line per problem (row, column by its Vietnamese header, enterprise, value,
  rule, expected value).

Both are Vietnamese whatever the language of the run, since they go to enterprises; the
same inputs give the same bytes (no clock in them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from izreport.core.files import atomic_write, put_value
from izreport.core.i18n import Message, _, using
from izreport.incoming.ingest import SHEET, CellProblem, SubmissionError, _Sheet, _show, _stable_zip

FOLDER = "tra-lai"
#: Light red fill with dark red text: Excel's own "bad" cell style, readable when printed.
FILL = "FFC7CE"
FONT = "9C0006"
AUTHOR = "Ban Quản lý các KCN"


def write_feedback(error: SubmissionError) -> list[Path]:
    """Write the annotated copy and the summary of every rejected file; their paths."""
    written: list[Path] = []
    with using("vi"):
        for sheet in error.sheets:
            general = [*sheet.problems, *(p for p in sheet.across if isinstance(p, Message))]
            cells = [*sheet.cell_problems(),
                     *(p for p in sheet.across if isinstance(p, CellProblem))]
            if not general and not cells:
                continue
            folder = sheet.path.parent / FOLDER
            folder.mkdir(exist_ok=True)
            marked = [p for p in cells if p.position is not None]
            copy = (_annotated_copy(sheet, marked, folder / f"{sheet.path.stem}.xlsx")
                    if marked else None)
            if copy is not None:
                written.append(copy)
            summary = folder / f"{sheet.path.stem}.txt"
            atomic_write(summary, summary_text(sheet, general, cells, copy).encode("utf-8"))
            written.append(summary)
    return written


def comment_text(problem: CellProblem) -> str:
    """What the comment on a faulty cell says: the rule, then the expected value."""
    lines = [_("Error: {rule}").format(rule=problem.rule)]
    if problem.expected is not None:
        lines.append(_("Expected: {expected}").format(expected=problem.expected))
    return "\n".join(lines)


def summary_text(sheet: _Sheet, general: list[Message], cells: list[CellProblem],
                 copy: Path | None) -> str:
    """The letter-like summary of one rejected file."""
    from izreport.core.config import load_board
    from izreport.core.errors import IzReportError

    try:
        board = load_board().name
    except (IzReportError, OSError):
        board = "Ban Quản lý các Khu công nghiệp"
    count = len(general) + len(cells)
    lines = [board.upper(), "",
             _("RESULT OF CHECKING THE MONTHLY REPORT {month}").format(
                 month=_month_words(sheet.month)),
             _("File: {name}").format(name=sheet.path.name), "",
             _("The report has not been accepted: it has {count} error(s) to correct.").format(
                 count=count)]
    if copy is not None:
        lines.append(_("The faulty cells are filled in colour in the attached file {name}; "
                       "each carries a note with the error and the expected value. Please "
                       "correct those cells and send the whole file again.").format(
                           name=copy.name))
    else:
        lines.append(_("Please correct the file and send it again."))
    if general:
        lines += ["", _("Errors of the whole file:")]
        lines += [f"- {_without_file(str(p), sheet)}" for p in general]
    if cells:
        lines += ["", _("Errors by cell:")]
        for i, p in enumerate(cells, start=1):
            where = _("{unit} {row}, column '{header}'").format(
                unit=_(p.unit).capitalize(), row=p.row, header=p.header)
            if p.position is not None:
                where += " " + _("(cell {cell})").format(cell=_cell_name(p.row, p.position))
            if p.enterprise:
                where += ", " + _("enterprise {code}").format(code=p.enterprise)
            text = _("{where}: value {value}. Error: {rule}.").format(
                where=where, value=_show(p.value), rule=p.rule)
            if p.expected is not None:
                text += " " + _("Expected: {expected}.").format(expected=p.expected)
            lines.append(f"{i}. {text}")
    lines += ["", _("After correcting, send the file again; the corrected report replaces "
                    "the month's figures already sent.")]
    return "\n".join(lines) + "\n"


def _without_file(text: str, sheet: _Sheet) -> str:
    """A file-level message without the file name in front (the summary names it)."""
    prefix = f"{sheet.where}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _month_words(month: str | None) -> str:
    if month and len(month) == 7 and month[4] == "-":
        return _("{month}/{year}").format(month=month[5:], year=month[:4])
    return month or ""


def _cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _annotated_copy(sheet: _Sheet, cells: list[CellProblem], target: Path) -> Path | None:
    """The file as a workbook with its faulty cells filled and commented; None if unreadable."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = _as_workbook(sheet)
    if book is None:
        return None
    ws = book[sheet.title] if sheet.title in book.sheetnames else book.worksheets[0]
    notes: dict[tuple[int, int], list[str]] = {}
    for p in cells:
        notes.setdefault((p.row, int(p.position or 1)), []).append(comment_text(p))
    fill = PatternFill("solid", fgColor=FILL)
    for (row, column), texts in sorted(notes.items()):
        cell = ws.cell(row, column)
        cell.fill = fill
        cell.font = Font(color=FONT, bold=True)
        comment = Comment("\n".join(texts), AUTHOR)
        comment.width, comment.height = 320, 40 + 40 * sum(t.count("\n") + 2 for t in texts)
        cell.comment = comment
    stamp = _stamp(sheet.month)
    book.properties.created = book.properties.modified = stamp
    buf = io.BytesIO()
    book.save(buf)
    atomic_write(target, _stable_zip(buf.getvalue(), stamp))
    return target


def _stamp(month: str | None) -> dt.datetime:
    """The workbook's dates: the first of the report month (never the clock)."""
    try:
        return dt.datetime(int(str(month)[:4]), int(str(month)[5:7]), 1)
    except ValueError:
        return dt.datetime(1980, 1, 1)


def _as_workbook(sheet: _Sheet) -> Any:
    from openpyxl import Workbook, load_workbook

    if sheet.path.suffix.lower() == ".xlsx":
        try:
            return load_workbook(sheet.path)
        except Exception:  # a damaged file: the summary says why
            return None
    try:
        text = sheet.path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    sheet.title = SHEET
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sheet.delimiter)
    line = 1
    for record in reader:  # line numbers of the file = row numbers of the copy
        for column, value in enumerate(record, start=1):
            put_value(ws, line, column, value).number_format = "@"  # as written, no formula
        line = reader.line_num + 1
    return book
