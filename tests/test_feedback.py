"""Feedback on a rejected submission: an annotated copy of the workbook and a Vietnamese
summary beside the file, the original untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.incoming.feedback import FILL, FOLDER
from izreport.incoming.ingest import REPORT_COLUMNS

runner = CliRunner()
SUBS = Path(__file__).resolve().parents[1] / "data" / "submissions" / "2025-07"
FILES = ("loi-lao-dong-nu.csv", "loi-thang.xlsx", "loi-cot.csv", "loi-so-am.csv")
#: English words of the rules and column codes that must not reach an enterprise.
ENGLISH = ("must", "column", "value", "workers", "female_workers", "export_value", "line ",
           "expected", "error")


@pytest.fixture
def rejected(tmp_path: Path, data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The broken files ingested in an English run: the feedback is Vietnamese anyway."""
    folder = tmp_path / "nop"
    folder.mkdir()
    for name in FILES:
        shutil.copy(SUBS / name, folder / name)
    monkeypatch.setenv("IZREPORT_LANG", "en")
    result = runner.invoke(app, ["ingest", *(str(folder / n) for n in FILES),
                                 "--data", str(data_copy)])
    assert result.exit_code == 2, result.output
    assert "problems in the submissions, nothing written" in result.output
    assert f"{FOLDER}/loi-thang.xlsx" in result.output
    return folder


def _comments(path: Path) -> dict[str, tuple[str, str | None]]:
    ws = load_workbook(path)["Báo cáo"]
    return {c.coordinate: (c.comment.text, c.fill.fgColor.rgb) for row in ws.iter_rows()
            for c in row if c.comment is not None}


def _filled(path: Path) -> set[str]:
    ws = load_workbook(path)["Báo cáo"]
    return {c.coordinate for row in ws.iter_rows() for c in row
            if c.fill.fill_type == "solid" and str(c.fill.fgColor.rgb).endswith(FILL)}


def test_the_originals_are_untouched(rejected: Path) -> None:
    for name in FILES:
        assert (rejected / name).read_bytes() == (SUBS / name).read_bytes()
    assert sorted(p.name for p in (rejected / FOLDER).iterdir()) == [
        "loi-cot.txt", "loi-lao-dong-nu.txt", "loi-lao-dong-nu.xlsx", "loi-so-am.txt",
        "loi-so-am.xlsx", "loi-thang.txt", "loi-thang.xlsx"]  # no cell to mark in loi-cot


def test_the_workbook_copy_marks_the_faulty_cell_in_vietnamese(rejected: Path) -> None:
    copy = rejected / FOLDER / "loi-thang.xlsx"
    comments = _comments(copy)
    # its month, and two enterprises loi-lao-dong-nu.csv (sent with it) already gave
    assert set(comments) == _filled(copy) == {"D54", "A14", "A94"}
    assert comments["A14"][0].startswith(
        "Lỗi: DN0012 tháng 2025-07 cũng có ở loi-lao-dong-nu.csv, dòng 2")
    text, _ = comments["D54"]
    assert text == ("Lỗi: tháng khác với tháng của tệp là 2025-07 (ô B2)\n"
                    "Giá trị đúng: 2025-07")
    ws = load_workbook(copy)["Báo cáo"]
    original = load_workbook(SUBS / "loi-thang.xlsx")["Báo cáo"]
    assert ws["D54"].value == original["D54"].value == "2025-08"  # marked, not corrected
    assert ws.max_row == original.max_row


def test_a_csv_file_comes_back_as_a_workbook_with_the_same_cells(rejected: Path) -> None:
    copy = rejected / FOLDER / "loi-lao-dong-nu.xlsx"
    column = "ABCDEFGHIJK"[REPORT_COLUMNS.index("female_workers")]
    comments = _comments(copy)
    assert set(comments) == _filled(copy) == {f"{column}4"}
    text, _ = comments[f"{column}4"]
    assert text.startswith("Lỗi: lao động nữ không được nhiều hơn tổng số lao động (536)")
    assert "Giá trị đúng: không quá 536" in text
    ws = load_workbook(copy)["Báo cáo"]
    lines = (SUBS / "loi-lao-dong-nu.csv").read_text(encoding="utf-8").splitlines()
    assert [c.value for c in ws[1]] == lines[0].split(",")          # line n = row n
    assert [c.value for c in ws[4]] == lines[3].split(",")          # the values as written
    negative = _comments(rejected / FOLDER / "loi-so-am.xlsx")
    cell = f"{'ABCDEFGHIJK'[REPORT_COLUMNS.index('export_value')]}3"
    assert set(negative) == {cell, "B2", "B3", "B4"}  # B: the same rows as the first file
    assert negative[cell][0] == "Lỗi: không được âm\nGiá trị đúng: một số không âm (từ 0 " \
                                "trở lên)"


def test_the_summary_is_vietnamese_and_names_columns_by_header(rejected: Path) -> None:
    summary = (rejected / FOLDER / "loi-lao-dong-nu.txt").read_text(encoding="utf-8")
    assert "BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP" in summary
    assert "KẾT QUẢ KIỂM TRA BÁO CÁO THÁNG 07/2025" in summary
    assert "Báo cáo chưa được tiếp nhận: có 1 lỗi cần sửa." in summary
    assert "loi-lao-dong-nu.xlsx" in summary  # the copy to send with it
    assert ("1. Dòng 4, cột 'Lao động nữ (người)' (ô I4), doanh nghiệp DN0104: giá trị 561. "
            "Lỗi: lao động nữ không được nhiều hơn tổng số lao động (536).") in summary
    for name in ("loi-lao-dong-nu.txt", "loi-thang.txt", "loi-cot.txt", "loi-so-am.txt"):
        text = (rejected / FOLDER / name).read_text(encoding="utf-8").lower()
        assert not [w for w in ENGLISH if w in text], name
    missing = (rejected / FOLDER / "loi-cot.txt").read_text(encoding="utf-8")
    assert "- thiếu cột bắt buộc 'Lao động nữ (người)'" in missing


def test_the_feedback_is_the_same_bytes_each_time(rejected: Path, data_copy: Path) -> None:
    first = {p.name: p.read_bytes() for p in (rejected / FOLDER).iterdir()}
    result = runner.invoke(app, ["ingest", *(str(rejected / n) for n in FILES),
                                 "--data", str(data_copy)])
    assert result.exit_code == 2
    assert {p.name: p.read_bytes() for p in (rejected / FOLDER).iterdir()} == first


def test_hidden_rows_and_formulas_are_marked_and_a_hidden_sheet_is_a_file_error(
        tmp_path: Path, data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workbook checks' problems with a cell are marked on it in the copy; a refusal of
    the whole file (a hidden sheet) is listed among the errors of the whole file."""
    from izreport.incoming.feedback import write_feedback
    from izreport.incoming.ingest import SHEET, SubmissionError, ingest

    monkeypatch.setenv("IZREPORT_LANG", "en")
    book = load_workbook(SUBS / "bao-cao-2025-07.xlsx")
    ws = book[SHEET]
    rows = [r[0].row for r in ws.iter_rows(min_row=4) if r[4].value is not None][:2]
    ws.row_dimensions[rows[0]].hidden = True
    ws[f"F{rows[1]}"] = "=1+F1*0"
    book.create_sheet("Ẩn").sheet_state = "hidden"
    path = tmp_path / "an.xlsx"
    book.save(path)
    with pytest.raises(SubmissionError) as info:
        ingest([path], data_copy)
    assert info.value.problems[0] == (
        "an.xlsx, sheet 'Ẩn': the sheet is hidden; unhide it and move its rows to sheet "
        "'Báo cáo', or delete it (hidden sheets are not read)")
    assert info.value.problems[1] == (
        f"an.xlsx, sheet 'Báo cáo', row {rows[0]}: the row is hidden; unhide it or delete it "
        "(hidden rows are not read)")
    assert info.value.problems[2].startswith(
        f"an.xlsx, sheet 'Báo cáo', row {rows[1]}, column F: formula '=1+F1*0' has no saved "
        "value")
    write_feedback(info.value)
    copy = tmp_path / FOLDER / "an.xlsx"
    comments = _comments(copy)
    assert set(comments) == _filled(copy) == {f"A{rows[0]}", f"F{rows[1]}"}
    assert comments[f"A{rows[0]}"][0] == (
        "Lỗi: dòng bị ẩn; hãy bỏ ẩn hoặc xóa dòng (dòng ẩn không được đọc)")
    assert comments[f"F{rows[1]}"][0].startswith(
        "Lỗi: công thức '=1+F1*0' chưa có giá trị được lưu")
    summary = (tmp_path / FOLDER / "an.txt").read_text(encoding="utf-8")
    general, by_cell = summary.split("Lỗi chung của tệp:")[1].split("Lỗi từng ô:")
    assert "trang bị ẩn; hãy bỏ ẩn và chuyển các dòng sang trang 'Báo cáo'" in general
    assert "dòng bị ẩn" not in general and "dòng bị ẩn" in by_cell
