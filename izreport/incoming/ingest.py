"""Ingesting a month's submissions (the board's Excel workbook or CSV) into the store.

Enterprises send their monthly figures in the workbook made by :func:`write_template` or as
CSV. :func:`ingest` reads every given file, validates all of them with a pandera schema
(every problem listed at once, each naming file, sheet, row, column, value and rule; rows
that keep every rule are recognised by the same checks vectorised, without pandera) and
writes only if all are valid: one bad file must not leave the table half updated. The write
is one transaction of the store (:mod:`izreport.storage.store`), and each file ingested adds one
entry to the store's audit (who, when, SHA-256, rows added, replaced and unchanged, and the
values replaced), also when it changed nothing, so the audit shows every submission the
board processed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from izreport.blocks.submissions import FIGURES, expected_enterprises
from izreport.core import numbers as numbers_
from izreport.core.catalogue import FLOWS, INDICATORS, MAX_PRODUCTION_PER_WORKER, RATIOS
from izreport.core.errors import DataError, ParameterError, ScopeError
from izreport.core.files import atomic_write, put_value
from izreport.core.formatting import UNITS, number
from izreport.core.i18n import N_, Message, ngettext
from izreport.incoming import spreadsheet
from izreport.storage import data

COUNTS = tuple(k for k in FIGURES if INDICATORS[k].unit == "persons")
REPORT_COLUMNS = ("month", "enterprise_id", *FIGURES)
#: Decimals written to monthly_reports.csv (as the sample generator writes them).
DECIMALS = {k: int(INDICATORS[k].stored or 0) for k in FIGURES}
#: Plausibility bounds, stated in the messages and in the template's instructions.
#: (The catalogue holds them: izreport.core.catalogue, Indicator.plausible and RATIOS.)
INCOME_RANGE: tuple[float, float] = INDICATORS["avg_income"].plausible or (1.0, 100.0)
SHEET = "Báo cáo"
GUIDE_SHEET = "Hướng dẫn"

_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
#: (column name in CSV / API, Vietnamese header in the workbook, extra accepted names)
_HEADERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("enterprise_id", "Mã DN", ("ma doanh nghiep",)),
    ("name", "Tên doanh nghiệp", ()),
    ("zone", "Khu công nghiệp", ("zone_id", "kcn")),
    ("month", "Tháng", ("ky bao cao",)),
    *((k, str(INDICATORS[k].workbook), ()) for k in FIGURES),
)
_LABELS = {name: label for name, label, _ in _HEADERS}
_REQUIRED = ("month", "enterprise_id", *FIGURES)
_PERIOD_LABEL = "Kỳ báo cáo (tháng):"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


#: Problems listed one by one; beyond these only their number is given.
MAX_PROBLEMS = 50


class SubmissionError(DataError):
    """Submissions that cannot be ingested; ``problems`` holds one line per problem.

    Only the first :data:`MAX_PROBLEMS` are listed (``more`` counts the others): a file of
    200.000 bad rows must not produce megabytes of text. ``sheets`` keeps each file's
    problems with their cells, all of them (not capped), for the feedback sent back to the
    enterprise (:mod:`izreport.incoming.feedback`).
    """

    def __init__(self, problems: Iterable[str], sheets: Iterable[_Sheet] = ()) -> None:
        listed = list(problems)
        self.problems = tuple(listed[:MAX_PROBLEMS])
        self.more = len(listed) - len(self.problems)
        self.sheets = tuple(sheets)
        count = len(listed)
        lines = list(self.problems)
        if self.more:
            lines.append(str(Message("... and {count} more problems (only the first {shown} "
                                     "are listed)", count=self.more, shown=MAX_PROBLEMS)))
        super().__init__(ngettext("{count} problem in the submissions, nothing written:",
                                  "{count} problems in the submissions, nothing written:",
                                  count).format(count=count) + "\n" + "\n".join(lines))


@dataclass(frozen=True)
class CellProblem:
    """One faulty cell: where, the value as the file holds it, the rule and what is expected.

    The texts are Messages: shown in the run's language to the operator, in Vietnamese in
    the feedback to the enterprise.
    """

    where: Message | str     # "f.csv" or "f.xlsx, sheet 'Báo cáo'"
    unit: str                # "row" (spreadsheet) or "line" (CSV)
    row: int
    column: str              # field name (production_value)
    position: int | None     # 1-based column of the cell in the file, if the file has it
    value: object
    rule: Message | str      # a str: the number parser's own (Vietnamese) rule
    expected: Message | None
    enterprise: str | None = None
    text: Message | None = None     # the whole line, for problems of a row or a formula

    @property
    def header(self) -> str:
        """The column's Vietnamese header, as in the board's workbook."""
        return _LABELS.get(self.column, self.column)

    def __str__(self) -> str:
        if self.text is not None:
            return str(self.text)
        return str(Message("{where}, {unit} {row}, column '{header}': value {value}: {rule}",
                           where=self.where, unit=Message(self.unit), row=self.row,
                           header=self.header, value=_show(self.value), rule=self.rule))


@dataclass(frozen=True)
class FileResult:
    """What one submission file contributed."""

    path: Path
    sha256: str
    month: str
    rows: int
    added: int
    replaced: int
    unchanged: int
    blank: int          # template rows with no figures: enterprises that have not reported
    fmt: str            # how the file was read, e.g. "csv ';' decimal comma"


@dataclass(frozen=True)
class IngestResult:
    """Totals of one ingest run, and per file."""

    files: tuple[FileResult, ...]

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def replaced(self) -> int:
        return sum(f.replaced for f in self.files)

    @property
    def unchanged(self) -> int:
        return sum(f.unchanged for f in self.files)

    def summary(self) -> str:
        return f"{self.added} added, {self.replaced} replaced, {self.unchanged} unchanged"


# --------------------------------------------------------------------------- reading


@dataclass
class _Sheet:
    """One submission file read into cells, before any validation."""

    path: Path
    where: Message | str                    # "f.xlsx, sheet 'Báo cáo'" or "f.csv"
    unit: str                               # "row" (spreadsheet) or "line" (CSV)
    fmt: str
    headers: dict[str, str] = field(default_factory=dict)   # field -> header as written
    positions: dict[str, int] = field(default_factory=dict)  # field -> 1-based column
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    month: str | None = None                # declared month (workbook's period cell)
    month_source: Message | str = ""
    blank: int = 0
    problems: list[Message] = field(default_factory=list)
    cells: list[tuple[int, int, CellProblem]] = field(default_factory=list)
    across: list[CellProblem | Message] = field(default_factory=list)  # found with other files
    title: str | None = None                # the workbook sheet read
    delimiter: str = ","
    written: dict[tuple[int, str], str] = field(default_factory=dict)  # figures as text

    def problem(self, row: int, column: str, value: object, rule: Message | str,
                expected: Message | None = None) -> CellProblem:
        """One cell's problem, named as the user sees it (the column's Vietnamese header)."""
        ent = next((v.get("enterprise_id") for r, v in self.rows if r == row), None)
        if (row, column) in self.written:  # -1,163 as written, not the number read
            value = _AsWritten(self.written[(row, column)])
        return CellProblem(self.where, self.unit, row, column, self.positions.get(column),
                           value, rule, expected, str(ent) if ent is not None else None)

    def add(self, row: int, column: str, value: object, rule: Message | str,
            expected: Message | None = None) -> None:
        """Record a problem in one cell."""
        order = list(_LABELS).index(column) if column in _LABELS else len(_LABELS)
        self.cells.append((row, order, self.problem(row, column, value, rule, expected)))

    def mark(self, row: int, letters: str, value: object, rule: Message,
             text: Message) -> None:
        """A problem of a cell found in the workbook's XML (column ``letters``), before the
        headers are read: ``text`` is the line listed, the cell is marked in the feedback."""
        position = spreadsheet.column_number(letters)
        self.cells.append((row, -1, CellProblem(self.where, self.unit, row, letters, position,
                                                value, rule, None, None, text)))

    def file_problem(self, text: str, **args: object) -> None:
        """A problem of the whole file (no cell to point at); ``where`` is filled in."""
        self.problems.append(Message(text, where=self.where, **args))

    def cell_problems(self) -> list[CellProblem]:
        return [p for _, _, p in sorted(self.cells, key=lambda c: (c[0], c[1]))]

    def all_problems(self) -> list[str]:
        """File-level problems first, then cell problems in reading order."""
        return [str(p) for p in self.problems] + [str(p) for p in self.cell_problems()]


def fold(text: str) -> str:
    """Header key: case, accents, spacing and the '(unit)' part ignored."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(text.replace("_", " ").split())


def _header_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for name, label, extra in _HEADERS:
        for key in (name, label, label.split("(")[0], *extra):
            keys[fold(key)] = name
    return keys


_KEYS = _header_keys()


class _AsWritten(str):
    """A figure as the file writes it ('1.234,5'), shown without quotes like a number."""


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return str(Message("(empty)"))
    if isinstance(value, _AsWritten):
        return str.__str__(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(str(value)) if isinstance(value, str) else str(value)


def _map_headers(sheet: _Sheet, cells: list[object]) -> dict[int, str]:
    """Column position -> field; unknown columns are ignored, duplicated ones are problems."""
    positions: dict[int, str] = {}
    for pos, cell in enumerate(cells):
        if cell is None or str(cell).strip() == "":
            continue
        name = _KEYS.get(fold(str(cell)))
        if name is None:
            continue
        if name in sheet.headers:
            sheet.file_problem("{where}: columns '{first}' and '{second}' both give "
                               "'{header}'", first=sheet.headers[name], second=cell,
                               header=_LABELS[name])
            continue
        sheet.headers[name] = str(cell).strip()
        sheet.positions[name] = pos + 1
        positions[pos] = name
    return positions


def _read_csv(path: Path, shown: str) -> _Sheet:
    sheet = _Sheet(path, shown, N_("line"), "csv")
    size = path.stat().st_size
    if size > spreadsheet.MAX_UNPACKED:
        sheet.file_problem("{where}: {size} bytes, more than the limit of {limit} bytes "
                           "(nothing was read)", size=size, limit=spreadsheet.MAX_UNPACKED)
        return sheet
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        sheet.file_problem("{where}: not UTF-8 text (byte {byte}); save it as 'CSV UTF-8'",
                           byte=exc.start)
        return sheet
    header_line, delimiter = _csv_header(text)
    sheet.delimiter = delimiter
    sheet.fmt = f"csv {delimiter!r}"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    positions: dict[int, str] | None = None
    width = 0
    for record in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record) or line < header_line:
            continue                    # blank lines, a title above the header
        if positions is None:
            positions, width = _map_headers(sheet, record), len(record)
            continue
        if len(sheet.rows) >= spreadsheet.MAX_ROWS:
            sheet.file_problem("{where}: more than {limit} rows; a monthly submission has one "
                               "row per enterprise", limit=spreadsheet.MAX_ROWS)
            sheet.rows.clear()
            return sheet
        if len(record) != width:
            if delimiter == "," and len(record) > width:
                sheet.file_problem("{where}, line {line}: {count} fields but the header has "
                                   "{width} (a decimal comma in a comma-separated file? use "
                                   "';' between columns or quote the value)",
                                   line=line, count=len(record), width=width)
            else:
                sheet.file_problem("{where}, line {line}: {count} fields but the header has "
                                   "{width}", line=line, count=len(record), width=width)
            continue
        sheet.rows.append((line, {name: record[pos].strip() or None
                                  for pos, name in positions.items()}))
    if positions is None:
        sheet.file_problem("{where}: empty file (no header line)")
    return sheet


def _csv_header(text: str) -> tuple[int, str]:
    """The header's line (1-based) and the column delimiter it uses.

    The header is the first of the first 20 lines that names the enterprise id column with
    one of the delimiters (title lines may come first); without one, the first line and
    its most frequent delimiter.
    """
    delimiters = (",", ";", "\t")
    lines = text.split("\n", 20)[:20]
    for number_, line in enumerate(lines, start=1):
        for delimiter in delimiters:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if any(_KEYS.get(fold(cell)) == "enterprise_id" for cell in cells):
                return number_, delimiter
    return 1, max(delimiters, key=lines[0].count)


def _read_xlsx(path: Path, shown: str) -> _Sheet:
    """Read the report sheet, refusing what openpyxl would silently misread.

    The zip's declared sizes are checked before any XML is parsed, the report sheet is
    streamed once for its limits, hidden rows and formulas without a saved value, and only
    then read (openpyxl's read-only mode) for its values.
    """
    from openpyxl import load_workbook

    sheet = _Sheet(path, shown, N_("row"), "xlsx")
    refused = spreadsheet.check_archive(path, shown)
    if refused is not None:
        sheet.problems.append(refused)
        return sheet
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        sheet.file_problem("{where}: cannot be opened as an Excel workbook: {error}", error=exc)
        return sheet
    try:
        _read_book(book, sheet)
    finally:
        book.close()
    return sheet


def _read_book(book: Any, sheet: _Sheet) -> None:
    """The checks of the workbook's sheets, then the report sheet's rows."""
    from openpyxl.utils import get_column_letter

    path, shown = sheet.path, sheet.where
    if SHEET in book.sheetnames:
        ws = book[SHEET]
    elif len(book.sheetnames) == 1:
        ws = book.worksheets[0]
    else:
        sheet.file_problem("{where}: no sheet '{sheet}' (sheets: {sheets})", sheet=SHEET,
                           sheets=", ".join(book.sheetnames))
        return
    sheet.where = Message("{file}, sheet '{sheet}'", file=shown, sheet=ws.title)
    sheet.title = ws.title
    for other in book.worksheets:
        where = Message("{file}, sheet '{sheet}'", file=shown, sheet=other.title)
        if other.sheet_state != "visible":
            sheet.problems.append(Message(
                "{where}: the sheet is hidden; unhide it and move its rows to sheet '{sheet}', "
                "or delete it (hidden sheets are not read)", where=where, sheet=SHEET))
        elif other is not ws and other.title != GUIDE_SHEET:
            found = spreadsheet.scan_sheet(path, other._worksheet_path, str(where),
                                           values_only=True)
            if found.too_big is not None:
                sheet.problems.append(found.too_big)
            elif found.first_value:
                row, column = found.first_value
                sheet.problems.append(Message(
                    "{where}, row {row}, column {column}: the sheet holds data but only sheet "
                    "'{sheet}' is read; move the rows there or delete the sheet",
                    where=where, row=row, column=column, sheet=ws.title))
    scan = spreadsheet.scan_sheet(path, ws._worksheet_path, str(sheet.where))
    if scan.too_big is not None:
        sheet.problems.append(scan.too_big)
        return
    hidden = Message("the row is hidden; unhide it or delete it (hidden rows are not read)")
    for row in scan.hidden_rows:
        sheet.mark(row, "A", None, hidden,
                   Message("{where}, row {row}: {rule}", where=sheet.where, row=row,
                           rule=hidden))
    for row, column, formula in scan.formulas:
        rule = Message("formula {formula!r} has no saved value; type the number, or open the "
                       "file in Excel or LibreOffice and save it so the value is calculated",
                       formula=formula)
        sheet.mark(row, column, formula, rule,
                   Message("{where}, row {row}, column {column}: {rule}", where=sheet.where,
                           row=row, column=column, rule=rule))
    if sheet.problems or sheet.cells:
        return
    header_row = None
    positions: dict[int, str] = {}
    for row_number, row in enumerate(ws.iter_rows(min_row=1, max_row=20), start=1):
        values = [getattr(c, "value", None) for c in row]
        texts = [fold(v) if isinstance(v, str) else "" for v in values]
        if fold(_PERIOD_LABEL) in texts:
            idx = texts.index(fold(_PERIOD_LABEL))
            pos = next((i for i in range(idx + 1, len(values)) if values[i] not in (None, "")),
                       None)
            if pos is not None:
                sheet.month = _month_text(values[pos])
                sheet.month_source = Message("cell {cell}", cell=f"{get_column_letter(pos + 1)}"
                                                                 f"{row_number}")
        if any(_KEYS.get(t) == "enterprise_id" for t in texts):
            header_row = row_number
            positions = _map_headers(sheet, values)
            break
    if header_row is None:
        sheet.file_problem("{where}: no header row with 'Mã DN' or 'enterprise_id' in the "
                           "first 20 rows")
        return
    for row_number, row in enumerate(ws.iter_rows(min_row=header_row + 1),
                                     start=header_row + 1):
        cells = {name: getattr(row[pos], "value", None) if pos < len(row) else None
                 for pos, name in positions.items()}
        cells = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in cells.items()}
        if all(v is None for v in cells.values()):
            continue
        if all(cells.get(f) is None for f in FIGURES):
            sheet.blank += 1        # a prefilled template row: not reported (yet)
            continue
        if "month" in cells:
            cells["month"] = _month_text(cells["month"])
        sheet.rows.append((row_number, cells))


def _month_text(value: object) -> object:
    """Excel turns '2025-07' into a date and people write '07/2025': give 'YYYY-MM'."""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{4})", value.strip())
        if match:
            return f"{match.group(2)}-{int(match.group(1)):02d}"
    return value


# --------------------------------------------------------------------------- numbers

_CONVENTION = {"dot": Message("decimal point '.' (1234.5)"),
               "comma": Message("decimal comma ',' (1.234,5)")}
_A_NUMBER = Message("a number, e.g. 1234.5 or 1.234,5 as in the rest of the file")


def _parse_numbers(sheet: _Sheet) -> set[tuple[int, str]]:
    """Turn text figures into floats with the file's decimal convention, found from its values.

    A value such as '4.56' or '0,119' shows the convention; '1.234' alone does not (1.234 or
    1234?). Ambiguous values are rejected when nothing in the file tells, never guessed, and a
    file mixing both conventions is rejected. Returns the cells already reported.
    """
    seen: dict[str, tuple[int, str, str]] = {}
    bad: set[tuple[int, str]] = set()
    ambiguous: list[tuple[int, str, str]] = []
    numbers: list[tuple[dict[str, Any], int, str]] = []   # cells that read as a number
    clean, kind_of, written = numbers_.clean, numbers_.kind, sheet.written
    for row, values in sheet.rows:
        for name in FIGURES:
            value = values.get(name)
            if isinstance(value, str):          # the usual case first (every CSV cell)
                written[(row, name)] = value
                text = clean(value)
                values[name] = text
                kind = kind_of(text)
                if kind is not None:
                    numbers.append((values, row, name))
                elif text:
                    sheet.add(row, name, value, numbers_.why_not(text), _A_NUMBER)
                    bad.add((row, name))
                if kind in ("dot", "comma"):
                    seen.setdefault(kind, (row, name, value))
                elif kind in ("dot?", "comma?"):
                    ambiguous.append((row, name, value))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    numbers_.check(float(value))
                except numbers_.NumberError as exc:
                    sheet.add(row, name, value, str(exc), _A_NUMBER)
                    bad.add((row, name))
    if len(seen) == 2:
        (r1, c1, v1), (r2, c2, v2) = seen["dot"], seen["comma"]
        sheet.file_problem(
            "{where}: mixed number formats: {unit} {r1}, column '{c1}' {v1!r} uses the {dot} "
            "but {unit} {r2}, column '{c2}' {v2!r} uses the {comma}; use one convention in the "
            "whole file", unit=Message(sheet.unit), r1=r1, c1=_LABELS[c1], v1=v1, r2=r2,
            c2=_LABELS[c2], v2=v2, dot=_CONVENTION["dot"], comma=_CONVENTION["comma"])
        return {(row, name) for row, _ in sheet.rows for name in FIGURES}
    convention = next(iter(seen), None)
    if sheet.fmt.startswith("csv"):  # the audit's record of how the file was read: English
        sheet.fmt += f", {_CONVENTION[convention].msgid}" if convention else ", whole numbers"
    if convention is None:
        for row, name, value in ambiguous:
            sep = "." if "." in value else ","
            decimal = numbers_.to_float(value, "dot" if sep == "." else "comma")
            thousands = numbers_.to_float(value, "comma" if sep == "." else "dot")
            sheet.add(
                row, name, value,
                Message("ambiguous number format: '{sep}' may be a decimal separator "
                        "({decimal}) or a thousands separator ({thousands:.0f}) and no other "
                        "value in the file shows which; write decimals such as 4.50 (with ',' "
                        "between columns) or 4,50 (with ';' between columns)",
                        sep=sep, decimal=decimal, thousands=thousands),
                Message("{decimal} written 4.50 style (',' between columns) or 4,50 style "
                        "(';' between columns)", decimal=value))
            bad.add((row, name))
        convention = "dot"
    limit = numbers_.MAX_MAGNITUDE
    for values, row, name in numbers:
        if (row, name) not in bad:
            number_ = numbers_.to_float(values[name], convention)
            if abs(number_) < limit:        # finite and in range: what check() lets through
                values[name] = number_
                continue
            try:
                values[name] = numbers_.check(number_)
            except numbers_.NumberError as exc:
                sheet.add(row, name, values[name], str(exc), _A_NUMBER)
                bad.add((row, name))
    return bad


# --------------------------------------------------------------------------- validation

def _rules() -> dict[str, tuple[str, str, str]]:
    """Check key -> (column blamed, rule, what is expected), English msgids formatted with
    the row's fields (numbers already written the Vietnamese way, see :func:`_context`;
    ``_most``, ``_unit_of`` and the ratio's ``_value``, ``_limit_of``, ``_rule`` are added
    per check by :func:`_check_context`)."""
    never_negative = (N_("must not be negative"), N_("a number of at least 0"))
    rules = {f"min_{n}": (n, *never_negative) for n in FIGURES}
    rules |= {f"max_{n}": (n, N_("implausible {_label}: more than {_most} {_unit_of} for one "
                                 "enterprise in a month (rule max_{_key})"),
                           N_("at most {_most} {_unit_of}: check the unit and the decimal "
                              "separator"))
              for n in FIGURES if INDICATORS[n].plausible and n != "avg_income"}
    rules |= {r.key: (r.column, N_("implausible: {_value} {_unit_of} where at most {_limit_of} "
                                   "{_unit_of} is plausible: {_rule} (rule {_key})"),
                      N_("at most {_limit_of} {_unit_of}, or correct the figures compared"))
              for r in RATIOS}
    rules |= {f"whole_{n}": (n, N_("must be a whole number of people"),
                             N_("a whole number of people, e.g. 120")) for n in COUNTS}
    rules |= {
        "min_workers": ("workers", N_("must be at least 1: an operating enterprise has workers "
                                   "(no negatives)"), N_("a whole number of at least 1")),
        "income_range": ("avg_income", N_("implausible income: must be between {_low} and "
                         "{_high} triệu đồng/người/tháng"),
                         N_("between {_low} and {_high} (triệu đồng/người/tháng)")),
        "female_le_workers": ("female_workers", N_("female workers must not exceed workers "
                              "({workers})"), N_("at most {workers}, the row's workers")),
        "foreign_le_workers": ("foreign_workers", N_("foreign workers must not exceed workers "
                               "({workers})"), N_("at most {workers}, the row's workers")),
        "productivity": ("production_value", N_("implausible productivity: {_per_worker} tỷ "
                         "đồng per worker ({workers} workers) exceeds the bound of {_bound} tỷ "
                         "đồng per worker per month"),
                         N_("at most {_limit} tỷ đồng ({_bound} tỷ đồng × {workers} workers), "
                         "or correct the workers")),
        "known": ("enterprise_id", N_("unknown enterprise: not in enterprises.csv"),
                  N_("the enterprise's code as printed in the template (column 'Mã DN')")),
        "operating": ("enterprise_id", N_("enterprise not operating in {month}: it reports from "
                      "{_start} to {_end}"),
                      N_("only enterprises operating in {month}: remove this row")),
        "zone": ("zone", N_("zone does not match the enterprise's zone in enterprises.csv: "
                 "{_zone}"), "{_zone}"),
        "unique": ("enterprise_id", N_("duplicate enterprise-month ({enterprise_id}, {month}): "
                   "already given on {_unit} {_first}"),
                   N_("one row per enterprise and month: keep one of the two rows")),
        "same_month": ("month", N_("month differs from the file's month {_file_month} "
                       "({_month_source})"), "{_file_month}"),
    }
    return rules


_RULES = _rules()


#: Rules across a row's columns: (check key, True where the row keeps the rule).
_WIDE: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    ("female_le_workers", lambda d: ~(d["female_workers"] > d["workers"])),
    ("foreign_le_workers", lambda d: ~(d["foreign_workers"] > d["workers"])),
    ("productivity", lambda d: ~(d["_per_worker"] > MAX_PRODUCTION_PER_WORKER)),
    *((r.key, lambda d, r=r: ~(r.value(d) > r.limit(d))) for r in RATIOS),
    # a month already refused is not compared with the enterprise's span
    ("operating", lambda d: d["_start"].isna() | d["_operating"].astype(bool)
     | d["month"].isna()),
    ("zone", lambda d: d["_zone_ok"].astype(bool)),
    ("unique", lambda d: d["_first"].isna()),
)


def _bounds(name: str) -> tuple[float, float]:
    """The plausible range of a figure (income has its own, :data:`INCOME_RANGE`)."""
    if name == "avg_income":
        return INCOME_RANGE
    low, high = INDICATORS[name].plausible or (0, np.inf)
    return low, high


def _types_hold(raw: pd.DataFrame) -> bool:
    """Whether the types schema would find nothing: every month a text written YYYY-MM,
    every enterprise id a text, every figure a number. Decided without pandera (importing
    and running it costs a valid national month most of its ingest); False only sends the
    rows through the schema, which names each failure."""
    months = raw["month"].tolist()
    if not all(isinstance(m, str) and _MONTH_RE.fullmatch(m) for m in months):
        return False
    if not all(isinstance(e, str) for e in raw["enterprise_id"].tolist()):
        return False
    return all(type(v) in (float, int) and v == v for n in FIGURES for v in raw[n].tolist())


def _rules_hold(typed: pd.DataFrame, ds: data.Dataset, file_month: str) -> bool:
    """Whether the rules schema of :func:`_schemas` would find nothing (see
    :func:`_types_hold`): every figure within its bounds (head counts whole), the file's
    month, known enterprises and every rule across columns."""
    if typed.empty:
        return False
    for name in FIGURES:
        values = typed[name]
        ok = values.between(*_bounds(name))
        if name in COUNTS:
            ok &= values == np.floor(values)
        if not ok.all():
            return False
    if not ((typed["month"] == file_month).all()
            and typed["enterprise_id"].isin(set(ds.enterprises["enterprise_id"])).all()):
        return False
    return all(bool(ok(typed).all()) for _key, ok in _WIDE)


def _schemas(ds: data.Dataset, file_month: str) -> tuple[Any, Any]:
    """Types schema (required, numbers, month format), then the rules schema."""
    import pandera.pandas as pa

    types = pa.DataFrameSchema({
        "month": pa.Column(str, pa.Check.str_matches(_MONTH_RE.pattern, error="month_format")),
        "enterprise_id": pa.Column(str),
        **{n: pa.Column("float64", coerce=True) for n in FIGURES},
    })
    known = set(ds.enterprises["enterprise_id"])

    checks = [pa.Check(ok, name=key, error=key) for key, ok in _WIDE]

    def bounds(n: str) -> list[Any]:
        low, high = _bounds(n)
        return [pa.Check.ge(low, error=f"min_{n}"), pa.Check.le(high, error=f"max_{n}")]

    columns: dict[str, Any] = {n: pa.Column("float64", bounds(n), nullable=True)
                               for n in FIGURES}
    for n in COUNTS:
        columns[n] = pa.Column("float64", [
            *bounds(n), pa.Check(lambda s: s == np.floor(s), error=f"whole_{n}")],
            nullable=True)
    columns["avg_income"] = pa.Column("float64", pa.Check.in_range(
        *INCOME_RANGE, error="income_range"), nullable=True)
    columns["month"] = pa.Column(object, pa.Check.isin([file_month], error="same_month"),
                                 nullable=True)
    columns["enterprise_id"] = pa.Column(object, pa.Check.isin(known, error="known"),
                                         nullable=True)
    return types, pa.DataFrameSchema(columns, checks=checks)


def _failures(schema: Any, frame: pd.DataFrame) -> pd.DataFrame:
    from pandera.errors import SchemaErrors

    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def _validate(sheet: _Sheet, ds: data.Dataset) -> pd.DataFrame:
    """Typed rows of one sheet (index = row number); problems are added to the sheet."""
    bad = _parse_numbers(sheet)
    if sheet.problems and not sheet.rows:
        return pd.DataFrame()
    raw = pd.DataFrame([v for _, v in sheet.rows], index=[r for r, _ in sheet.rows],
                       columns=[n for n, _, _ in _HEADERS if n in sheet.headers], dtype=object)
    for name in raw.columns:
        if name in ("month", "enterprise_id", "zone", "name"):
            raw[name] = raw[name].map(lambda v: v if v is None else str(v).strip())
    first_month = next((v for v in raw.get("month", [])
                        if isinstance(v, str) and _MONTH_RE.fullmatch(v)), None)
    file_month = sheet.month or first_month or ""
    if sheet.month is None:
        sheet.month_source = Message("its first row") if first_month else Message("none")
    elif not _MONTH_RE.fullmatch(str(sheet.month)):
        sheet.file_problem("{where}, {source}: value {value}: the report month must be "
                           "written YYYY-MM", source=sheet.month_source,
                           value=_show(sheet.month))
    sheet.month = file_month
    done = set(bad)
    missing = [n for n in _REQUIRED if n not in raw.columns]
    for name in missing:
        sheet.file_problem("{where}: required column '{header}' missing", header=_LABELS[name])
    if missing:
        return pd.DataFrame()
    # valid rows (the usual case) skip pandera; any doubt and the schemas name each problem
    quick = not bad and not raw.empty and _types_hold(raw)
    for item in ([] if quick else _failures(_schemas(ds, file_month)[0], raw).itertuples()):
        if item.index is None or pd.isna(item.index):
            continue
        row, col = int(item.index), str(item.column)
        if (row, col) in done:
            continue
        done.add((row, col))
        if item.check == "not_nullable":
            rule, expected = Message("value missing (required)"), Message(
                "a value: the cell must not be empty")
        elif col == "month":
            rule, expected = Message("the month must be written YYYY-MM"), Message(
                "the month written YYYY-MM, e.g. {month}", month=sheet.month or "2025-07")
        elif col == "enterprise_id":
            rule, expected = Message("must be text"), Message(
                "the enterprise's code as printed in the template (column 'Mã DN')")
        else:
            rule, expected = Message("not a number"), _A_NUMBER
        sheet.add(row, col, raw.at[row, col], rule, expected)
    typed = raw.copy()
    for name in FIGURES:
        typed[name] = pd.to_numeric(typed[name].where(
            [(r, name) not in done for r in typed.index]), errors="coerce").astype("float64")
    for name in ("month", "enterprise_id"):
        typed[name] = typed[name].where([(r, name) not in done for r in typed.index])
    typed = _with_context(typed, ds, sheet)
    if quick and _rules_hold(typed, ds, file_month):
        return typed[list(REPORT_COLUMNS)]
    failures = _failures(_schemas(ds, file_month)[1], typed)
    for item in failures.drop_duplicates(["index", "check"]).itertuples():
        if item.index is None or pd.isna(item.index):
            continue
        row = int(item.index)
        column, rule, expected = _RULES[str(item.check)]
        if (row, column) in done:
            continue
        done.add((row, column))
        context = _context(typed.loc[row]) | _check_context(str(item.check), typed.loc[row])
        sheet.add(row, column, raw.at[row, column] if column in raw else None,
                  Message(rule, **context), Message(expected, **context))
    return typed[list(REPORT_COLUMNS)]


def _context(row: pd.Series) -> dict[str, Any]:
    """A row's fields for the rule texts, the numbers in Vietnamese style (6,48; 1.220)."""
    context: dict[str, Any] = dict(row.items())
    workers = row.get("workers")
    if isinstance(workers, float) and not np.isnan(workers):
        context["workers"] = number(workers)
        context["_limit"] = number(workers * MAX_PRODUCTION_PER_WORKER)
    per_worker = row.get("_per_worker")
    if isinstance(per_worker, float) and not np.isnan(per_worker):
        context["_per_worker"] = number(per_worker, 2)
    if context.get("_end") == "now":
        context["_end"] = Message("now")
    context |= {"_bound": number(MAX_PRODUCTION_PER_WORKER, strip=True),
                "_low": number(INCOME_RANGE[0], strip=True),
                "_high": number(INCOME_RANGE[1], strip=True),
                "_unit": Message(str(row.get("_unit")))}
    return context


def _check_context(check: str, row: pd.Series) -> dict[str, Any]:
    """The fields of a plausibility rule's texts: its bound or amounts, unit and name."""
    if check.startswith("max_") and check[4:] in INDICATORS:
        indicator = INDICATORS[check[4:]]
        most = (indicator.plausible or (0, 0))[1]
        return {"_label": indicator.prose, "_most": number(most, 1, strip=True),
                "_unit_of": UNITS.get(indicator.unit, indicator.unit), "_key": check[4:]}
    ratio = next((r for r in RATIOS if r.key == check), None)
    if ratio is None:
        return {}
    return {"_value": number(float(ratio.value(row)), 1, strip=True),
            "_limit_of": number(float(ratio.limit(row)), 1, strip=True),
            "_unit_of": UNITS.get(ratio.unit, ratio.unit), "_rule": Message(ratio.rule),
            "_key": ratio.key}


def _with_context(frame: pd.DataFrame, ds: data.Dataset, sheet: _Sheet) -> pd.DataFrame:
    """Columns the rules need: enterprise span and zone, first row of a duplicate, ratios."""
    ent = ds.enterprises.set_index("enterprise_id")
    zones = dict(zip(ds.zones["zone_id"].tolist(), ds.zones["name"].tolist(), strict=True))
    ids = frame["enterprise_id"]
    out = frame.copy()
    out["_start"] = ids.map(ent["start_month"]).astype(object)
    out["_end"] = ids.map(ent["end_month"]).fillna("").replace("", "now").astype(object)
    end = ids.map(ent["end_month"]).fillna("")
    # plain lists below: iterating a Series of text costs microseconds per value
    month_list = frame["month"].tolist()
    out["_operating"] = [
        bool(s) and isinstance(m, str) and s <= m and (not e or e >= m)
        for s, e, m in zip(out["_start"].fillna("").tolist(), end.tolist(), month_list,
                           strict=True)]
    months = frame["month"].map(lambda m: m if isinstance(m, str) else "")
    zone_id = ds.zone_at(ids, months).tolist()          # the zone of the month reported
    out["_zone"] = [f"{zones.get(z, z)} ({z})" if isinstance(z, str) else ""
                    for z in zone_id]
    given = frame["zone"].tolist() if "zone" in frame else [None] * len(frame)
    matches: dict[tuple[str, str], bool] = {}       # each zone as written, folded once
    for g, z in zip(given, zone_id, strict=True):
        if isinstance(g, str) and isinstance(z, str) and (g, z) not in matches:
            matches[(g, z)] = fold(g) in (fold(z), fold(zones.get(z, z)))
    out["_zone_ok"] = [
        not isinstance(g, str) or not isinstance(z, str) or matches[(g, z)]
        for g, z in zip(given, zone_id, strict=True)]
    first: dict[tuple[str, str], int] = {}
    firsts: list[int | None] = []
    for mon, ent_id, row in zip(month_list, ids.tolist(), frame.index.tolist(), strict=True):
        key = (mon, ent_id)
        known = isinstance(mon, str) and isinstance(ent_id, str) and key in first
        firsts.append(first[key] if known else None)
        first.setdefault(key, row)
    out["_first"] = pd.Series(firsts, index=frame.index, dtype=object)
    out["_per_worker"] = frame["production_value"] / frame["workers"].where(frame["workers"] > 0)
    out["_unit"] = sheet.unit
    out["_file_month"] = sheet.month
    out["_month_source"] = sheet.month_source
    return out


# --------------------------------------------------------------------------- ingest


def _format(name: str, value: float) -> str:
    decimals = DECIMALS[name]
    return f"{value:.{decimals}f}"


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def ingest(paths: list[Path], data_dir: Path | str | None = None, month: str | None = None
           ) -> IngestResult:
    """Validate every file, then add or replace their rows in the store's monthly reports.

    All or nothing: a single problem in any file raises :class:`SubmissionError` listing every
    problem and nothing is written; the write is one transaction, so a killed ingest leaves
    the store as it was. ``month``, when given, is the month every file must be.
    ``data_dir`` is a data folder or database URL (default: :func:`izreport.storage.data.resolve`).
    """
    if month is not None and not _MONTH_RE.fullmatch(month):
        raise ParameterError(str(Message("--month {month!r}: not a month written YYYY-MM",
                                         month=month)))
    ds = data.load(data_dir, months=())
    problems: list[str] = []
    sheets: list[tuple[_Sheet, pd.DataFrame, str]] = []
    given = [Path(p) for p in paths]
    names = Counter(p.name for p in given)
    by_path: dict[Path, str] = {}
    by_digest: dict[str, str] = {}
    for path in given:
        # files of the same name from different folders are named by their path
        shown = str(path) if names[path.name] > 1 else path.name
        if not path.is_file():
            problems.append(str(Message("{path}: file not found", path=path)))
            continue
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            problems.append(str(Message("{file}: unsupported file type '{suffix}' (give .xlsx "
                                        "or .csv)", file=shown, suffix=suffix)))
            continue
        real = path.resolve()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if real in by_path or digest in by_digest:
            problems.append(str(Message("{file}: the same file as {other} (same content); give "
                                        "each submission once", file=shown,
                                        other=by_path.get(real) or by_digest[digest])))
            continue
        by_path[real], by_digest[digest] = shown, shown
        sheet = _read_csv(path, shown) if suffix == ".csv" else _read_xlsx(path, shown)
        frame = (_validate(sheet, ds) if sheet.rows or not (sheet.problems or sheet.cells)
                 else pd.DataFrame())
        if month and sheet.month and sheet.month != month:
            sheet.file_problem("{where}: the file is for {month}, expected {expected}",
                               month=sheet.month, expected=month)
        if not sheet.rows and not sheet.all_problems():
            sheet.file_problem("{where}: no report rows (every row is blank)")
        problems += sheet.all_problems()
        sheets.append((sheet, frame, digest))
    problems += [str(p) for p in _across_files(sheets, ds)]
    if problems:
        raise SubmissionError(problems, [s for s, _, _ in sheets])
    return _write(sheets, data_dir)


def _listed(frame: pd.DataFrame, column: str) -> list[Any]:
    """A column's values as a list (no column: none); iterating a list is many times
    faster than iterating a Series of text."""
    return frame[column].tolist() if column in frame else []


def _across_files(sheets: list[tuple[_Sheet, pd.DataFrame, str]], ds: data.Dataset
                  ) -> list[CellProblem | Message]:
    """Problems between files: the same enterprise-month twice, a month skipped.

    Each is also kept with its file (``across``), for the feedback on that file.
    """
    problems: list[CellProblem | Message] = []
    seen: dict[tuple[str, str], tuple[int, int]] = {}     # -> (file, row) first given
    for number_, (sheet, frame, _digest) in enumerate(sheets):
        for row, mon, ent in zip(frame.index.tolist(), _listed(frame, "month"),
                                 _listed(frame, "enterprise_id"), strict=True):
            first = seen.get((mon, ent))
            if first is not None and first[0] != number_:
                other = sheets[first[0]][0]
                problem = sheet.problem(
                    int(row), "enterprise_id", ent,
                    Message("{enterprise} {month} is also in {other}; give each "
                            "enterprise-month once", enterprise=ent, month=mon,
                            other=Message("{where}, {unit} {row}", where=other.where,
                                          unit=Message(other.unit), row=first[1])),
                    Message("one row per enterprise and month in all the files sent: remove "
                            "this row or the other"))
                sheet.across.append(problem)
                problems.append(problem)
            seen.setdefault((mon, ent), (number_, int(row)))
    last = ds.months[1]
    for mon in sorted({s.month for s, _, _ in sheets if s.month}):
        if mon > _next_month(last):
            gap = [s for s, _, _ in sheets if s.month == mon]
            problem = Message("{names}: month {month} would leave a gap: the data end at "
                              "{last}; ingest {next} first", names=", ".join(
                                  str(s.where) for s in gap), month=mon, last=last,
                              next=_next_month(last))
            for s in gap:
                s.across.append(problem)
            problems.append(problem)
        last = max(last, mon)
    return problems


def _write(sheets: list[tuple[_Sheet, pd.DataFrame, str]], source: Path | str | None
           ) -> IngestResult:
    """Add or replace the rows in one transaction, with one audit entry per file."""
    import sqlalchemy as sa

    from izreport.storage.store import monthly_reports, record_audit

    store = data.open_store(source)
    months = sorted({str(m) for _, frame, _ in sheets for m in frame.get("month", [])})
    results: list[FileResult] = []
    with store.writing() as conn:
        current = {(r.month, r.enterprise_id): {n: _format(n, float(getattr(r, n)))
                                                for n in FIGURES}
                   for r in conn.execute(sa.select(monthly_reports)
                                         .where(monthly_reports.c.month.in_(months)))}
        for sheet, frame, digest in sheets:
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            replaced_values = []
            unchanged = 0
            # column by column: the stored decimals as text (what the audit compares and
            # records) and the number stored, read back from that text
            texts = [[_format(n, float(v)) for v in frame[n].tolist()] for n in FIGURES]
            stored = [[int(float(t)) if n in COUNTS else float(t) for t in column]
                      for n, column in zip(FIGURES, texts, strict=True)]
            for mon, ent, written, values in zip(
                    frame["month"].tolist(), frame["enterprise_id"].tolist(),
                    zip(*texts, strict=True), zip(*stored, strict=True), strict=True):
                new = dict(zip(FIGURES, written, strict=True))
                key = (mon, ent)
                old = current.get(key)
                row = dict(zip(FIGURES, values, strict=True))
                if old is None:
                    inserts.append({"month": mon, "enterprise_id": ent, **row})
                elif old != new:
                    updates.append({"k_month": mon, "k_enterprise": ent, **row})
                    changed = [n for n in FIGURES if old[n] != new[n]]
                    replaced_values.append((f"{mon} {ent}", {n: old[n] for n in changed},
                                            {n: new[n] for n in changed}))
                else:
                    unchanged += 1
                    continue
                current[key] = new
            if inserts:
                conn.execute(monthly_reports.insert(), inserts)
            if updates:
                conn.execute(
                    monthly_reports.update()
                    .where(monthly_reports.c.month == sa.bindparam("k_month"),
                           monthly_reports.c.enterprise_id == sa.bindparam("k_enterprise"))
                    .values({n: sa.bindparam(n) for n in FIGURES}), updates)
            result = FileResult(sheet.path, digest, sheet.month or "", len(frame), len(inserts),
                                len(updates), unchanged, sheet.blank, sheet.fmt)
            record_audit(conn, action="ingest", table_name="monthly_reports",
                         file_name=sheet.path.name, sha256=digest, month=result.month,
                         rows=result.rows, added=result.added, replaced=result.replaced,
                         unchanged=result.unchanged, blank=result.blank, fmt=result.fmt,
                         replaced_values=replaced_values)
            results.append(result)
    return IngestResult(tuple(results))


# --------------------------------------------------------------------------- template


_GUIDE = (
    "HƯỚNG DẪN ĐIỀN BÁO CÁO THÁNG",
    "",
    "1. Mỗi doanh nghiệp một dòng. Không sửa các cột Mã DN, Tên doanh nghiệp, Khu công nghiệp, "
    "Tháng và ô Kỳ báo cáo.",
    "2. Điền đủ 9 chỉ tiêu từ cột Giá trị SXCN đến Thu nhập bình quân; dòng để trống toàn bộ "
    "số liệu được coi là doanh nghiệp chưa báo cáo.",
    "3. Đơn vị: giá trị SXCN, doanh thu, nộp ngân sách: tỷ đồng (giá trị SXCN theo giá so sánh "
    "2010); xuất khẩu, nhập khẩu: triệu USD; lao động: người; thu nhập bình quân: triệu "
    "đồng/người/tháng.",
    "4. Số liệu không được âm; số lao động là số nguyên, ít nhất 1 người.",
    "5. Lao động nữ và lao động nước ngoài không vượt quá tổng số lao động.",
    f"6. Thu nhập bình quân từ {INCOME_RANGE[0]:g} đến {INCOME_RANGE[1]:g} triệu "
    "đồng/người/tháng.",
    f"7. Giá trị SXCN bình quân một lao động không quá {MAX_PRODUCTION_PER_WORKER:g} tỷ "
    "đồng/người/tháng.",
    "8. Nhập số trực tiếp vào ô (dạng số), không nhập chữ hay đơn vị.",
    "9. Nếu gửi file CSV (UTF-8): hoặc dấu phẩy ngăn cột và dấu chấm thập phân (1234.5), "
    "hoặc dấu chấm phẩy ngăn cột và dấu phẩy thập phân (1.234,5). Số như 1.234 không rõ "
    "nghĩa nếu cả file không có số thập phân nào khác: sẽ bị từ chối.",
    "10. Báo cáo bổ sung hoặc đính chính của cùng tháng sẽ thay thế số liệu đã nộp.",
)


def write_template(period: str, data_dir: Path | str | None, out: Path) -> Path:
    """Write the blank workbook for a month, one prefilled row per enterprise expected.

    The same data and period give the same bytes (fixed workbook dates, fixed zip times), so
    templates can be compared or committed.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    if not _MONTH_RE.fullmatch(period or ""):
        raise ParameterError(f"period {period!r} is not a month written YYYY-MM")
    ds = data.load(data_dir, months=())
    rows = expected_enterprises(ds, period)
    if rows.empty:
        raise ScopeError(f"no enterprise is operating in {period} (the data cover "
                         f"{ds.months[0]}..{ds.months[1]})")
    out = Path(out)
    if out.is_dir():
        out = out / f"bao-cao-{period}.xlsx"
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    ws["A1"] = f"BÁO CÁO TÌNH HÌNH SẢN XUẤT KINH DOANH THÁNG {period[5:]}/{period[:4]}"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"], ws["B2"] = _PERIOD_LABEL, period
    ws["B2"].number_format = "@"
    ws["B2"].font = Font(bold=True)
    header_row = 3
    for col, (_name, label, _extra) in enumerate(_HEADERS, start=1):
        cell = ws.cell(header_row, col, label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, rec in enumerate(rows.itertuples(index=False), start=header_row + 1):
        for col, value in enumerate((rec.enterprise_id, rec.name, rec.zone, period), start=1):
            put_value(ws, i, col, value).number_format = "@"
    last = header_row + len(rows)
    amounts = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                             error="Số liệu không được âm", showErrorMessage=True)
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            error="Số người là số nguyên không âm", showErrorMessage=True)
    amounts.add(f"E{header_row + 1}:I{last}")
    amounts.add(f"M{header_row + 1}:M{last}")
    counts.add(f"J{header_row + 1}:L{last}")
    ws.add_data_validation(amounts)
    ws.add_data_validation(counts)
    widths = (9, 44, 18, 9, 16, 12, 12, 12, 13, 11, 11, 13, 18)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(1, col).column_letter].width = width
    ws.row_dimensions[header_row].height = 48
    ws.freeze_panes = ws.cell(header_row + 1, 3)
    guide = book.create_sheet(GUIDE_SHEET)
    for i, text in enumerate(_GUIDE, start=1):
        guide.cell(i, 1, text).font = Font(bold=(i == 1))
    guide.column_dimensions["A"].width = 120
    stamp = dt.datetime(int(period[:4]), int(period[5:]), 1)
    book.properties.creator = "izreport"
    book.properties.created = stamp
    buf = io.BytesIO()
    book.save(buf)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, _stable_zip(buf.getvalue(), stamp))
    return out


def _stable_zip(payload: bytes, stamp: dt.datetime) -> bytes:
    """openpyxl stamps the save time in docProps/core.xml and the zip: fix both."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + iso.encode(), body)
            dst.writestr(zipfile.ZipInfo(info.filename, _FIXED_TIME), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --------------------------------------------------------------------------- sample files

#: Enterprises left out of the sample workbook: positions in the month's expected list.
_SAMPLE_MISSING = (10, 50, 90, 130, 170)
_SAMPLE_SUPPLEMENT = (20, 60, 100, 140)


def write_samples(data_dir: Path, out: Path, month: str = "2025-07") -> list[Path]:
    """Write the sample submissions for a month: two clean files and broken ones for tests.

    Figures continue each enterprise's trend of the year so far (last month times its average
    monthly growth, capped at ±3 %); no randomness, so the files are reproducible.
    """
    ds = data.load(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = _projected(ds, month)
    ids = list(rows["enterprise_id"])
    biggest = str(rows.loc[rows["workers"].idxmax(), "enterprise_id"])
    missing = {ids[i] for i in _SAMPLE_MISSING if i < len(ids)}
    extra = [ids[i] for i in _SAMPLE_SUPPLEMENT if i < len(ids)] + [biggest]
    extra = [e for e in dict.fromkeys(extra) if e not in missing]
    by_id = rows.set_index("enterprise_id")
    written = []

    book = out / f"bao-cao-{month}.xlsx"
    filled = by_id.drop(index=sorted(missing | set(extra)))
    written.append(_filled_workbook(data_dir, month, book, filled))
    written.append(_write_text(out / f"bo-sung-{month}.csv",
                               _csv_text(by_id.loc[extra], vietnamese=True)))

    some = by_id.loc[sorted(missing)[:3]]
    fault: dict[str, pd.DataFrame] = {}
    neg = some.copy()
    neg.iloc[1, neg.columns.get_loc("export_value")] = -neg.iloc[1]["export_value"]
    fault["loi-so-am.csv"] = neg
    fault["loi-trung-lap.csv"] = pd.concat([some, some.iloc[[0]]])
    unknown = some.copy()
    unknown.index = [some.index[0], "DN9999", some.index[2]]
    fault["loi-doanh-nghiep.csv"] = unknown
    female = some.copy()
    female.iloc[2, female.columns.get_loc("female_workers")] = female.iloc[2]["workers"] + 25
    fault["loi-lao-dong-nu.csv"] = female
    income = some.copy()
    income.iloc[0, income.columns.get_loc("avg_income")] = 150.0
    fault["loi-thu-nhap.csv"] = income
    output = some.copy()
    output.iloc[1, output.columns.get_loc("production_value")] = 2500.0
    fault["loi-nang-suat.csv"] = output
    ended = ds.enterprises[ds.enterprises["end_month"].fillna("") != ""]
    gone = some.copy()
    gone.index = [some.index[0], str(ended["enterprise_id"].iloc[0]), some.index[2]]
    fault["loi-ngung-hoat-dong.csv"] = gone
    for name, frame in fault.items():
        written.append(_write_text(out / name, _csv_text(frame)))
    written.append(_write_text(out / "loi-cot.csv",
                               _csv_text(some.drop(columns=["female_workers"]))))
    written.append(_write_text(out / "loi-dinh-dang.csv", _ambiguous_csv(by_id, month)))
    written.append(_write_text(out / "loi-tron-quy-uoc.csv",
                               _csv_text(some, vietnamese=True).replace(
                                   _vi(float(some.iloc[2]["avg_income"]), 2),
                                   f"{float(some.iloc[2]['avg_income']):.2f}", 1)))
    wrong = by_id.loc[sorted(missing)[:3]].copy()
    written.append(_filled_workbook(data_dir, month, out / "loi-thang.xlsx", wrong,
                                    month_of={str(wrong.index[1]): _next_month(month)}))
    written.append(_plain_workbook(out / "loi-khu.xlsx", ds, wrong))
    return written


def _projected(ds: data.Dataset, month: str) -> pd.DataFrame:
    """Every expected enterprise's figures for the month, continuing its trend of the year."""
    reports = ds.monthly_reports
    year = reports[(reports["month"] >= f"{month[:4]}-01") & (reports["month"] < month)]
    rows = []
    for ent in expected_enterprises(ds, month)["enterprise_id"]:
        hist = year[year["enterprise_id"] == ent].sort_values("month")
        if hist.empty:
            continue
        first, last, steps = hist.iloc[0], hist.iloc[-1], max(len(hist) - 1, 1)

        def grow(name: str, first: pd.Series = first, last: pd.Series = last,
                 steps: int = steps) -> float:
            a, b = float(first[name]), float(last[name])
            rate = (b / a) ** (1 / steps) if a > 0 and b > 0 else 1.0
            return b * min(max(rate, 0.97), 1.03)

        workers = round(grow("workers"))
        row = {n: round(grow(n), DECIMALS[n]) for n in FIGURES if n not in COUNTS}
        row |= {"enterprise_id": ent, "month": month, "workers": workers,
                "female_workers": round(workers * last["female_workers"] / last["workers"]),
                "foreign_workers": int(last["foreign_workers"])}
        rows.append(row)
    return pd.DataFrame(rows)[list(REPORT_COLUMNS)]


def _vi(value: float, decimals: int) -> str:
    """'1.234,5' style: '.' groups thousands, ',' marks decimals."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _csv_text(frame: pd.DataFrame, vietnamese: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if vietnamese else ",", lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for ent, rec in frame.iterrows():
        cells = [_vi(float(rec[n]), DECIMALS[n]) if vietnamese else _format(n, float(rec[n]))
                 for n in FIGURES if n in rec.index]
        writer.writerow([rec["month"], ent, *cells])
    text = buf.getvalue()
    if len(frame.columns) < len(REPORT_COLUMNS) - 1:        # a dropped column: drop the header
        missing = [n for n in FIGURES if n not in frame.columns]
        head, rest = text.split("\n", 1)
        text = ",".join(c for c in head.split(",") if c not in missing) + "\n" + rest
    return text


def _ambiguous_csv(by_id: pd.DataFrame, month: str) -> str:
    """Every figure written '12.345': decimal point or thousands separator, nothing tells."""
    amounts = list(FLOWS)
    big = by_id[(by_id[amounts] >= 1).all(axis=1) & (by_id[amounts] < 1000).all(axis=1)]
    lines = [";".join(REPORT_COLUMNS)]
    for ent, rec in big.head(2).iterrows():
        cells = [f"{float(rec[n]):.3f}" for n in amounts]
        cells += [str(int(rec[n])) for n in COUNTS] + [f"{float(rec['avg_income']):.3f}"]
        lines.append(";".join([month, str(ent), *cells]))
    return "\n".join(lines) + "\n"


def _write_text(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _filled_workbook(data_dir: Path, month: str, path: Path, filled: pd.DataFrame,
                     month_of: dict[str, str] | None = None) -> Path:
    """The month's template with the given enterprises' figures typed in (others blank)."""
    from openpyxl import load_workbook

    write_template(month, data_dir, path)
    book = load_workbook(path)
    ws = book[SHEET]
    columns = {name: i for i, (name, _, _) in enumerate(_HEADERS, start=1)}
    for row in ws.iter_rows(min_row=4):
        ent = row[0].value
        if ent in filled.index:
            rec = filled.loc[ent]
            for name in FIGURES:
                value = float(rec[name])
                ws.cell(row[0].row, columns[name],
                        int(value) if name in COUNTS else round(value, DECIMALS[name]))
            if month_of and ent in month_of:
                put_value(ws, row[0].row, columns["month"], month_of[ent])
    return _save_stable(book, path, month)


def _plain_workbook(path: Path, ds: data.Dataset, rows: pd.DataFrame) -> Path:
    """A workbook with the CSV column names and a zone_id column; one zone is wrong."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = SHEET
    ws.append(["zone_id", *REPORT_COLUMNS])
    zones = ds.enterprises.set_index("enterprise_id")["zone_id"]
    for i, (ent, rec) in enumerate(rows.iterrows()):
        zone = str(zones[ent])
        if i == 1:
            zone = "my-trung" if zone != "my-trung" else "hoa-xa"
        for col, value in enumerate(
                [zone, rec["month"], ent, *(float(rec[n]) for n in FIGURES)], start=1):
            put_value(ws, i + 2, col, value)
    return _save_stable(book, path, str(rows["month"].iloc[0]))


def _save_stable(book: Any, path: Path, month: str) -> Path:
    stamp = dt.datetime(int(month[:4]), int(month[5:]), 1)
    book.properties.created = stamp
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(_stable_zip(buf.getvalue(), stamp))
    return path
