"""Hostile workbooks: what openpyxl would misread is refused, with its place; limits come first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from izreport.incoming import spreadsheet
from izreport.incoming.ingest import SHEET, SubmissionError, ingest
from tests.conftest import sqlite_store, store_state

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "data" / "submissions" / "2025-07" / "bao-cao-2025-07.xlsx"


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return sqlite_store(tmp_path / "data")


def _edited(tmp_path: Path, edit: object, name: str = "bao-cao.xlsx") -> Path:
    book = load_workbook(BOOK)
    edit(book)  # type: ignore[operator]
    path = tmp_path / name
    book.save(path)
    return path


def _refused(path: Path, store: Path) -> tuple[str, ...]:
    before = store_state(store)
    with pytest.raises(SubmissionError) as info:
        ingest([path], store)
    assert store_state(store) == before
    return info.value.problems


def _first_data_row(book: object) -> int:
    ws = book[SHEET]  # type: ignore[index]
    return next(r[0].row for r in ws.iter_rows(min_row=4) if r[4].value is not None)


def test_the_unchanged_sample_workbook_is_accepted(store: Path, tmp_path: Path) -> None:
    path = _edited(tmp_path, lambda book: None)
    assert ingest([path], store).added == 180


def test_a_hidden_sheet_is_refused(store: Path, tmp_path: Path) -> None:
    def hide(book: object) -> None:
        extra = book.copy_worksheet(book[SHEET])  # type: ignore[attr-defined]
        extra.title = "Ẩn"
        extra.sheet_state = "hidden"

    problems = _refused(_edited(tmp_path, hide), store)
    assert problems == ("bao-cao.xlsx, sheet 'Ẩn': the sheet is hidden; unhide it and move its "
                        "rows to sheet 'Báo cáo', or delete it (hidden sheets are not read)",)


def test_the_report_sheet_hidden_behind_a_visible_one_is_refused(store: Path,
                                                                 tmp_path: Path) -> None:
    def swap(book: object) -> None:
        book.create_sheet("Trang bìa", 0)["A1"] = None  # type: ignore[attr-defined]
        book.active = 0  # type: ignore[attr-defined]
        book[SHEET].sheet_state = "hidden"  # type: ignore[index]

    problems = _refused(_edited(tmp_path, swap), store)
    assert any("sheet 'Báo cáo': the sheet is hidden" in p for p in problems)


def test_hidden_rows_are_refused(store: Path, tmp_path: Path) -> None:
    rows: list[int] = []

    def hide(book: object) -> None:
        rows.append(_first_data_row(book))
        book[SHEET].row_dimensions[rows[0]].hidden = True  # type: ignore[index]

    problems = _refused(_edited(tmp_path, hide), store)
    assert problems == (f"bao-cao.xlsx, sheet 'Báo cáo', row {rows[0]}: the row is hidden; "
                        "unhide it or delete it (hidden rows are not read)",)


def test_an_extra_sheet_with_data_is_refused(store: Path, tmp_path: Path) -> None:
    def extra(book: object) -> None:
        book.create_sheet("Tháng 6")["C7"] = 12.5  # type: ignore[attr-defined]

    problems = _refused(_edited(tmp_path, extra), store)
    assert problems == ("bao-cao.xlsx, sheet 'Tháng 6', row 7, column C: the sheet holds data "
                        "but only sheet 'Báo cáo' is read; move the rows there or delete the "
                        "sheet",)


def test_an_empty_extra_sheet_is_accepted(store: Path, tmp_path: Path) -> None:
    path = _edited(tmp_path, lambda book: book.create_sheet("Ghi chú"))
    assert ingest([path], store).added == 180


def test_formulas_without_a_saved_value_are_refused(store: Path, tmp_path: Path) -> None:
    rows: list[int] = []

    def formulas(book: object) -> None:
        rows.append(_first_data_row(book))
        ws = book[SHEET]  # type: ignore[index]
        for col in "EFG":
            ws[f"{col}{rows[0]}"] = f"=1+{col}1*0"

    problems = _refused(_edited(tmp_path, formulas), store)
    assert problems == tuple(
        f"bao-cao.xlsx, sheet 'Báo cáo', row {rows[0]}, column {col}: formula "
        f"'=1+{col}1*0' has no saved value; type the number, or open the file in Excel or "
        "LibreOffice and save it so the value is calculated" for col in "EFG")


def test_a_formula_with_its_saved_value_is_read_as_the_value(store: Path,
                                                             tmp_path: Path) -> None:
    """The value a spreadsheet program calculated and saved is what is ingested."""
    path = _edited(tmp_path, lambda book: None)
    row = _first_data_row(load_workbook(path))
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    xml = parts[member].decode()
    start = xml.index(f'<c r="E{row}"')
    end = xml.index("</c>", start) + 4
    cell = xml[start:end]
    value = cell[cell.index("<v>") + 3:cell.index("</v>")]
    parts[member] = (xml[:start] + f'<c r="E{row}"><f>0+{value}</f><v>{value}</v></c>'
                     + xml[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in parts.items():
            dst.writestr(name, body)
    assert ingest([path], store).added == 180


def _sheet_workbook(path: Path, rows: object, dimension: str = "") -> Path:
    """The sample workbook with its report sheet's XML replaced by ``rows`` (byte chunks)."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(BOOK) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
            b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + dimension.encode() + b"<sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, body in parts.items():
            if name != member:
                dst.writestr(name, body)
                continue
            with dst.open(name, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for chunk in rows:  # type: ignore[attr-defined]
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return path


def test_too_many_rows_are_refused_before_reading(store: Path, tmp_path: Path) -> None:
    row = b"<row><c><v>1</v></c></row>"
    path = _sheet_workbook(tmp_path / "dai.xlsx", [row * (spreadsheet.MAX_ROWS + 1)])
    problems = _refused(path, store)
    assert problems == (f"dai.xlsx, sheet 'Báo cáo': more than {spreadsheet.MAX_ROWS} rows; "
                        "a monthly submission has one row per enterprise",)


def test_a_declared_size_over_the_limits_is_refused(store: Path, tmp_path: Path) -> None:
    path = _sheet_workbook(tmp_path / "rong.xlsx", [b""], '<dimension ref="A1:ZZ30"/>')
    problems = _refused(path, store)
    assert problems == ("rong.xlsx, sheet 'Báo cáo': the sheet declares 30 rows and 702 "
                        f"columns, more than the limit of {spreadsheet.MAX_ROWS} rows and "
                        f"{spreadsheet.MAX_COLUMNS} columns (nothing was read)",)


def test_a_cell_beyond_the_column_limit_is_refused(store: Path, tmp_path: Path) -> None:
    path = _sheet_workbook(tmp_path / "cot.xlsx", [b'<row r="2"><c r="ZZ2"><v>1</v></c></row>'])
    problems = _refused(path, store)
    assert problems == ("cot.xlsx, sheet 'Báo cáo', row 2, column ZZ: more than "
                        f"{spreadsheet.MAX_COLUMNS} columns",)


_BOMB_CHECK = """
import json, resource, sys
from izreport.incoming.ingest import SubmissionError, ingest
try:
    ingest([sys.argv[1]], sys.argv[2])
    problems = []
except SubmissionError as exc:
    problems = list(exc.problems)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"problems": problems, "peak": peak}))
"""


def test_a_zip_bomb_is_refused_within_500_mb(store: Path, tmp_path: Path) -> None:
    """A sheet of 2 GB of cells packed into about 2 MB: refused from the zip's directory.

    Any reader that parsed it would hold hundreds of millions of cells, far past the bound;
    the peak resident memory of the whole refusing process (Python, pandas and all) is
    measured in a child process.
    """
    cells = b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row>"
    chunk = cells * 1000                                         # 15 MB
    path = _sheet_workbook(tmp_path / "bom.xlsx", (chunk for _ in range(140)))
    assert path.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(path) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 2 * 1000 ** 3
    before = store_state(store)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _BOMB_CHECK, str(path), str(store)],
                          capture_output=True, text=True, env=env, check=True, timeout=120)
    result = json.loads(proc.stdout)
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith("bom.xlsx: the workbook unpacks to ")
    assert "more than the limit of 32,0 MB (nothing was read)" in result["problems"][0]
    assert result["peak"] < 500 * 1024 * 1024
    assert store_state(store) == before


def test_errors_are_capped_at_50_and_counted(store: Path, tmp_path: Path) -> None:
    """5.000 duplicate rows (a larger file meets the row limit): the first 50 problems and
    the number of the others."""
    lines = (ROOT / "data" / "submissions" / "2025-07" / "bo-sung-2025-07.csv").read_text(
        encoding="utf-8").splitlines()
    path = tmp_path / "trung.csv"
    path.write_text("\n".join([lines[0], *[lines[1]] * 5_000]) + "\n", encoding="utf-8")
    before = store_state(store)
    with pytest.raises(SubmissionError) as info:
        ingest([path], store)
    assert store_state(store) == before
    problems = info.value.problems
    assert len(problems) == 50 and info.value.more > 0
    assert problems[0].startswith("trung.csv, line 3, column 'Mã DN': ")
    message = str(info.value).splitlines()
    assert len(message) == 52
    assert message[-1] == (f"... and {info.value.more} more problems (only the first 50 are "
                           "listed)")


def test_a_csv_over_the_row_limit_is_refused(store: Path, tmp_path: Path) -> None:
    lines = (ROOT / "data" / "submissions" / "2025-07" / "bo-sung-2025-07.csv").read_text(
        encoding="utf-8").splitlines()
    path = tmp_path / "dai.csv"
    path.write_text("\n".join([lines[0], *[lines[1]] * (spreadsheet.MAX_ROWS + 1)]) + "\n",
                    encoding="utf-8")
    assert _refused(path, store) == (f"dai.csv: more than {spreadsheet.MAX_ROWS} rows; a "
                                     "monthly submission has one row per enterprise",)


def _split_extra(tmp_path: Path, first: list[int], second: list[int]) -> tuple[Path, Path]:
    """Two files both named bo-sung.csv, in folders a/ and b/, with the given lines of the
    sample supplement."""
    lines = (ROOT / "data" / "submissions" / "2025-07" / "bo-sung-2025-07.csv").read_text(
        encoding="utf-8").splitlines()
    paths = []
    for folder, picked in (("a", first), ("b", second)):
        path = tmp_path / folder / "bo-sung.csv"
        path.parent.mkdir()
        path.write_text("\n".join([lines[0], *(lines[i] for i in picked)]) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def test_same_name_different_enterprises_are_both_ingested(store: Path, tmp_path: Path) -> None:
    a, b = _split_extra(tmp_path, [1, 2], [3, 4, 5])
    result = ingest([a, b], store)
    assert [f.added for f in result.files] == [2, 3]
    assert [f.path for f in result.files] == [a, b]


def test_same_name_same_enterprise_month_is_refused_naming_both_paths(store: Path,
                                                                      tmp_path: Path) -> None:
    a, b = _split_extra(tmp_path, [1, 2], [2, 3])
    before = store_state(store)
    with pytest.raises(SubmissionError) as info:
        ingest([a, b], store)
    assert store_state(store) == before
    (problem,) = info.value.problems
    assert problem.startswith(f"{b}, line 2, column 'Mã DN': ")
    assert f"is also in {a}, line 3; give each enterprise-month once" in problem


def test_the_same_file_twice_is_refused(store: Path, tmp_path: Path) -> None:
    a, b = _split_extra(tmp_path, [1, 2], [1, 2])
    assert _refused_many([a, b], store) == (
        f"{b}: the same file as {a} (same content); give each submission once",)
    assert _refused_many([a, a], store) == (
        f"{a}: the same file as {a} (same content); give each submission once",)


def _refused_many(paths: list[Path], store: Path) -> tuple[str, ...]:
    before = store_state(store)
    with pytest.raises(SubmissionError) as info:
        ingest(paths, store)
    assert store_state(store) == before
    return info.value.problems


def test_a_title_line_above_the_csv_header_is_skipped(store: Path, tmp_path: Path) -> None:
    """A title line first (no delimiter in it) neither hides the header's ';' nor brings
    a decimal-comma hint."""
    extra = ROOT / "data" / "submissions" / "2025-07" / "bo-sung-2025-07.csv"
    path = tmp_path / "tieu-de.csv"
    path.write_text("BÁO CÁO BỔ SUNG THÁNG 7/2025\n\n" + extra.read_text(encoding="utf-8"),
                    encoding="utf-8")
    result = ingest([path], store)
    assert result.added == 5 and "decimal comma" in result.files[0].fmt


def test_a_title_line_does_not_shift_line_numbers(store: Path, tmp_path: Path) -> None:
    extra = ROOT / "data" / "submissions" / "2025-07" / "bo-sung-2025-07.csv"
    lines = extra.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2025-07;", "2025-13;", 1)
    path = tmp_path / "tieu-de.csv"
    path.write_text("\n".join(["Báo cáo bổ sung", *lines]) + "\n", encoding="utf-8")
    (problem,) = _refused(path, store)
    assert problem.startswith("tieu-de.csv, line 4, column 'Tháng': value '2025-13': ")
