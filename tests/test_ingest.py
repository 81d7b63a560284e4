"""Monthly submissions: template, validation (all problems at once), all-or-nothing ingest."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from izreport.blocks.submissions import estimate_month, expected_enterprises, missing_enterprises
from izreport.commands.cli import app
from izreport.core.i18n import using
from izreport.incoming.ingest import (
    SubmissionError,
    ingest,
    write_samples,
    write_template,
)
from izreport.storage import data
from izreport.storage.store import read_audit
from tests.conftest import DATA, store_state

ROOT = Path(__file__).resolve().parents[1]
SUBS = ROOT / "data" / "submissions" / "2025-07"
BOOK = SUBS / "bao-cao-2025-07.xlsx"
EXTRA = SUBS / "bo-sung-2025-07.csv"
runner = CliRunner()


@pytest.fixture(autouse=True)
def vietnamese() -> Iterator[None]:
    """The messages checked here are the Vietnamese ones (the default language)."""
    with using("vi"):
        yield


@pytest.fixture
def data_dir(store_source: Path | str) -> Path | str:
    """A writable store filled from the sample (never the real data/): a data folder with
    the sample's CSV files (SQLite) or a PostgreSQL database."""
    return store_source


def _hashes(source: Path | str) -> dict[str, object]:
    return store_state(source)


def _problems(paths: list[Path], data_dir: Path) -> tuple[str, ...]:
    with pytest.raises(SubmissionError) as info:
        ingest(paths, data_dir)
    return info.value.problems


def test_clean_workbook_and_csv_are_added(data_dir: Path) -> None:
    result = ingest([BOOK, EXTRA], data_dir)
    assert [f.added for f in result.files] == [180, 5]
    assert result.summary() == "185 added, 0 replaced, 0 unchanged"
    assert result.files[0].blank == 10           # 5 missing + the 5 sent by CSV
    assert "decimal comma" in result.files[1].fmt
    ds = data.load(data_dir)
    assert ds.months == ("2017-01", "2025-07")
    july = ds.monthly_reports.set_index(["month", "enterprise_id"]).loc["2025-07"]
    assert len(july) == 185
    # '1.220' in the ';' CSV is 1220 workers, '1,009' is 1.009 triệu USD
    extra = pd.read_csv(EXTRA, sep=";", dtype=str).set_index("enterprise_id")
    for ent, rec in extra.iterrows():
        assert july.loc[ent, "workers"] == int(rec["workers"].replace(".", ""))
        assert july.loc[ent, "avg_income"] == pytest.approx(
            float(rec["avg_income"].replace(",", ".")))
    assert (july["workers"] > 999).any()
    table = ds.monthly_reports
    assert list(table["month"]) == sorted(table["month"])  # sort order kept
    assert ds.reports["zone_id"].notna().all()


def test_reingest_is_a_no_op(data_dir: Path) -> None:
    ingest([BOOK, EXTRA], data_dir)
    before = store_state(data_dir)["monthly_reports"]
    result = ingest([BOOK, EXTRA], data_dir)
    assert result.summary() == "0 added, 0 replaced, 185 unchanged"
    assert store_state(data_dir)["monthly_reports"] == before


def test_untouched_rows_keep_their_values(data_dir: Path) -> None:
    ingest([BOOK, EXTRA], data_dir)
    after = data.load(data_dir).monthly_reports
    sample = data.load(DATA).monthly_reports
    pd.testing.assert_frame_equal(after.iloc[:len(sample)], sample)  # 2025-07 sorts last
    assert len(after) == len(sample) + 185
    if isinstance(data_dir, Path):
        assert not [p for p in data_dir.iterdir() if p.name.endswith(".tmp")]


def test_corrected_resubmission_replaces_the_row(data_dir: Path, tmp_path: Path) -> None:
    ingest([BOOK, EXTRA], data_dir)
    lines = EXTRA.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(";")
    cells[3] = "99,5"                                  # revenue
    fixed = tmp_path / "dinh-chinh.csv"
    fixed.write_text("\n".join([lines[0], ";".join(cells)]) + "\n", encoding="utf-8")
    result = ingest([fixed], data_dir)
    assert result.summary() == "0 added, 1 replaced, 0 unchanged"
    rows = data.load(data_dir).monthly_reports
    row = rows[(rows["month"] == "2025-07") & (rows["enterprise_id"] == cells[1])]
    assert row["revenue"].tolist() == [99.5]
    assert len(rows[rows["month"] == "2025-07"]) == 185


def test_audit_has_one_entry_per_file(data_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZREPORT_USER", "chuyen-vien-a")
    ingest([BOOK, EXTRA], data_dir)
    ingest([EXTRA], data_dir)
    fixed = tmp_path / "dinh-chinh.csv"
    lines = EXTRA.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(";")
    old_revenue, cells[3] = cells[3], "99,5"
    fixed.write_text("\n".join([lines[0], ";".join(cells)]) + "\n", encoding="utf-8")
    ingest([fixed], data_dir)
    entries = read_audit(data.open_store(data_dir))
    assert entries[0]["action"] == "seed"                 # the sample that filled the store
    entries = entries[1:]
    assert [(r["file_name"], r["added"], r["replaced"], r["unchanged"]) for r in entries] == [
        (BOOK.name, 180, 0, 0), (EXTRA.name, 5, 0, 0), (EXTRA.name, 0, 0, 5),
        (fixed.name, 0, 1, 0)]
    assert entries[1]["sha256"] == hashlib.sha256(EXTRA.read_bytes()).hexdigest()
    assert all(r["month"] == "2025-07" and r["time"].endswith("Z") for r in entries)
    assert {r["user_name"] for r in entries} == {"chuyen-vien-a"}
    assert pd.Timestamp(entries[0]["time"]).tzinfo is not None
    old = f"{float(old_revenue.replace(',', '.')):.3f}"
    assert entries[3]["values"] == [{"record": f"2025-07 {cells[1]}",
                                     "old": {"revenue": old}, "new": {"revenue": "99.500"}}]


BROKEN = {
    "loi-so-am.csv": "loi-so-am.csv, dòng 3, cột 'Xuất khẩu (triệu USD)': giá trị -1.163: "
                     "không được âm",
    "loi-trung-lap.csv": "loi-trung-lap.csv, dòng 5, cột 'Mã DN': giá trị 'DN0012': trùng "
                         "doanh nghiệp và tháng (DN0012, 2025-07): đã có ở dòng 2",
    "loi-doanh-nghiep.csv": "loi-doanh-nghiep.csv, dòng 3, cột 'Mã DN': giá trị 'DN9999': mã "
                            "doanh nghiệp không có trong danh sách doanh nghiệp của Ban "
                            "(enterprises.csv)",
    "loi-thang.xlsx": "loi-thang.xlsx, trang 'Báo cáo', dòng 54, cột 'Tháng': giá trị "
                      "'2025-08': tháng khác với tháng của tệp là 2025-07 (ô B2)",
    "loi-cot.csv": "loi-cot.csv: thiếu cột bắt buộc 'Lao động nữ (người)'",
    "loi-lao-dong-nu.csv": "loi-lao-dong-nu.csv, dòng 4, cột 'Lao động nữ (người)': giá trị "
                           "561: lao động nữ không được nhiều hơn tổng số lao động (536)",
    "loi-thu-nhap.csv": "loi-thu-nhap.csv, dòng 2, cột 'Thu nhập bình quân (triệu "
                        "đồng/người/tháng)': giá trị 150.00: thu nhập không hợp lý: phải từ 1 "
                        "đến 100 triệu đồng/người/tháng",
    "loi-nang-suat.csv": "loi-nang-suat.csv, dòng 3, cột 'Giá trị SXCN (tỷ đồng, giá SS "
                         "2010)': giá trị 2500.000: giá trị SXCN không hợp lý: 6,48 tỷ đồng/lao "
                         "động (386 lao động), vượt mức tối đa 2 tỷ đồng/lao động/tháng",
    "loi-ngung-hoat-dong.csv": "loi-ngung-hoat-dong.csv, dòng 3, cột 'Mã DN': giá trị "
                               "'DN0011': doanh nghiệp không hoạt động trong tháng 2025-07: "
                               "chỉ báo cáo từ 2017-01 đến 2020-02",
    "loi-khu.xlsx": "loi-khu.xlsx, trang 'Báo cáo', dòng 3, cột 'Khu công nghiệp': giá trị "
                    "'my-trung': khu công nghiệp không khớp với khu của doanh nghiệp trong "
                    "danh sách (enterprises.csv): Hòa Xá (hoa-xa)",
    "loi-tron-quy-uoc.csv": "loi-tron-quy-uoc.csv: lẫn hai cách viết số: dòng 4, cột 'Thu "
                            "nhập bình quân (triệu đồng/người/tháng)' '7.41' dùng dấu chấm thập "
                            "phân '.' (1234.5) nhưng dòng 2, cột 'Xuất khẩu (triệu USD)' "
                            "'0,087' dùng dấu phẩy thập phân ',' (1.234,5); cả tệp phải dùng "
                            "một cách viết",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_is_rejected_and_nothing_changes(data_dir: Path, name: str) -> None:
    before = _hashes(data_dir)
    assert _problems([SUBS / name], data_dir) == (BROKEN[name],)
    assert _hashes(data_dir) == before


def test_ambiguous_numbers_are_rejected_not_guessed(data_dir: Path) -> None:
    before = _hashes(data_dir)
    problems = _problems([SUBS / "loi-dinh-dang.csv"], data_dir)
    assert len(problems) == 12                          # 6 decimal figures on 2 lines
    first = problems[0]
    assert first.startswith("loi-dinh-dang.csv, dòng 2, cột 'Giá trị SXCN (tỷ đồng, giá SS "
                            "2010)': giá trị 163.265: cách viết số không rõ nghĩa")
    assert "dấu thập phân (163.265) hoặc dấu nhóm nghìn (163265)" in first
    assert all("cách viết số không rõ nghĩa" in p for p in problems)
    assert _hashes(data_dir) == before


def test_broken_files_readme_lists_every_broken_file() -> None:
    readme = (SUBS / "README.md").read_text(encoding="utf-8")
    for name, message in BROKEN.items():
        assert f"`{name}`" in readme and message in readme, name
    assert "`loi-dinh-dang.csv`" in readme


def test_all_or_nothing_across_files(data_dir: Path) -> None:
    before = _hashes(data_dir)
    problems = _problems([BOOK, SUBS / "loi-so-am.csv"], data_dir)
    assert problems == (BROKEN["loi-so-am.csv"],)
    assert _hashes(data_dir) == before


def test_every_problem_of_every_file_is_listed(data_dir: Path) -> None:
    problems = _problems([SUBS / "loi-so-am.csv", SUBS / "loi-cot.csv",
                          SUBS / "loi-dinh-dang.csv"], data_dir)
    assert problems[:2] == (BROKEN["loi-so-am.csv"], BROKEN["loi-cot.csv"])
    assert len(problems) == 14 and all("không rõ nghĩa" in p for p in problems[2:])


def test_the_same_rows_in_two_broken_files_are_duplicates(data_dir: Path) -> None:
    problems = _problems([SUBS / "loi-so-am.csv", SUBS / "loi-thu-nhap.csv"], data_dir)
    assert problems[:2] == (BROKEN["loi-so-am.csv"], BROKEN["loi-thu-nhap.csv"])
    assert problems[2].startswith("loi-thu-nhap.csv, dòng 2, cột 'Mã DN': giá trị 'DN0012': "
                                  "DN0012 tháng 2025-07 cũng có ở loi-so-am.csv, dòng 2")


def test_same_enterprise_month_in_two_files(data_dir: Path, tmp_path: Path) -> None:
    twice = tmp_path / "lan-hai.csv"    # the same rows, one figure corrected
    twice.write_text(EXTRA.read_text(encoding="utf-8").replace(";228;", ";229;", 1),
                     encoding="utf-8")
    problems = _problems([EXTRA, twice], data_dir)
    assert len(problems) == 5
    assert problems[0].startswith("lan-hai.csv, dòng 2, cột 'Mã DN'")
    assert "cũng có ở bo-sung-2025-07.csv, dòng 2" in problems[0]


def test_a_skipped_month_is_rejected(data_dir: Path, tmp_path: Path) -> None:
    late = tmp_path / "thang-9.csv"
    text = (SUBS / "loi-so-am.csv").read_text(encoding="utf-8").replace("-1.163", "1.163")
    late.write_text(text.replace("2025-07", "2025-09"), encoding="utf-8")
    problems = _problems([late], data_dir)
    assert problems == ("thang-9.csv: tháng 2025-09 sẽ để trống một khoảng: số liệu mới đến "
                        "2025-06; hãy nhập tháng 2025-07 trước",)


@pytest.mark.parametrize(("text", "expected"), [
    ("{h}\n2025-07,DN0001,\"1,234.5\",5.25,0.1,0.1,0.1,\"1,200\",900,1,6.5\n", 1234.5),
    ("{hs}\n2025-07;DN0001;1.234,5;5,25;0,1;0,1;0,1;1.200;900;1;6,5\n", 1234.5),
    ("{hs}\n2025-07;DN0001;1234.5;5.25;0.1;0.1;0.1;1200;900;1;6.5\n", 1234.5),
])
def test_number_conventions(data_dir: Path, tmp_path: Path, text: str, expected: float) -> None:
    header = "month,enterprise_id,production_value,revenue,export_value,import_value," \
             "budget_paid,workers,female_workers,foreign_workers,avg_income"
    path = tmp_path / "so.csv"
    path.write_text(text.format(h=header, hs=header.replace(",", ";")), encoding="utf-8")
    ingest([path], data_dir)
    rows = data.load(data_dir).monthly_reports
    row = rows[rows["month"] == "2025-07"].iloc[0]
    assert (row["production_value"], row["workers"]) == (expected, 1200)


def test_unquoted_decimal_comma_in_a_comma_file(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "phay.csv"
    header = "month,enterprise_id,production_value,revenue,export_value,import_value," \
             "budget_paid,workers,female_workers,foreign_workers,avg_income"
    path.write_text(f"{header}\n2025-07,DN0001,4,5,5.25,0.1,0.1,0.1,200,90,1,6.5\n",
                    encoding="utf-8")
    (problem,) = _problems([path], data_dir)
    assert problem.startswith("phay.csv, dòng 2: có 12 trường nhưng dòng tiêu đề có 11")
    assert "dấu phẩy thập phân" in problem


def test_template_lists_the_expected_enterprises(data_dir: Path, tmp_path: Path) -> None:
    out = write_template("2025-07", data_dir, tmp_path / "t.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["Báo cáo", "Hướng dẫn"]
    ws = book["Báo cáo"]
    assert ws["B2"].value == "2025-07"
    headers = [c.value for c in ws[3]]
    assert headers[:4] == ["Mã DN", "Tên doanh nghiệp", "Khu công nghiệp", "Tháng"]
    assert "Giá trị SXCN (tỷ đồng, giá SS 2010)" in headers
    assert headers[-1] == "Thu nhập bình quân (triệu đồng/người/tháng)"
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    ds = data.load(data_dir)
    expected = expected_enterprises(ds, "2025-07")
    assert [r[0] for r in rows] == list(expected["enterprise_id"])
    assert len(rows) == 190 and "DN0011" not in {r[0] for r in rows}   # DN0011 ended 2020-02
    assert all(r[3] == "2025-07" and all(v is None for v in r[4:]) for r in rows)
    assert rows[0][2] == "Bảo Minh"
    assert "không vượt quá" in " ".join(str(c.value) for c in book["Hướng dẫn"]["A"])
    again = write_template("2025-07", data_dir, tmp_path / "t2.xlsx")
    assert again.read_bytes() == out.read_bytes()      # deterministic


def test_blank_template_has_nothing_to_ingest(data_dir: Path, tmp_path: Path) -> None:
    out = write_template("2025-07", data_dir, tmp_path / "t.xlsx")
    assert _problems([out], data_dir) == ("t.xlsx, trang 'Báo cáo': không có dòng báo cáo "
                                          "nào (mọi dòng đều trống)",)


def test_template_rejects_a_bad_period(data_dir: Path, tmp_path: Path) -> None:
    from izreport.core.errors import ParameterError

    with pytest.raises(ParameterError, match="2025-13"):
        write_template("2025-13", data_dir, tmp_path / "t.xlsx")


def test_missing_enterprises_and_estimates(data_dir: Path) -> None:
    ingest([BOOK, EXTRA], data_dir)
    ds = data.load(data_dir)
    missing = missing_enterprises(ds, "2025-07")
    assert list(missing["enterprise_id"]) == ["DN0012", "DN0059", "DN0104", "DN0153", "DN0193"]
    assert set(missing["last_reported"]) == {"2025-06"}
    month = estimate_month(ds, "2025-07")
    assert len(month) == 190 and month["estimated"].sum() == 5
    assert month["enterprise_id"].is_unique
    est = month.set_index("enterprise_id").loc["DN0059"]
    hist = ds.monthly_reports
    last3 = hist[(hist["enterprise_id"] == "DN0059")
                 & hist["month"].isin(["2025-04", "2025-05", "2025-06"])]
    assert est["revenue"] == pytest.approx(last3["revenue"].mean())
    assert est["workers"] == round(last3["workers"].mean())
    assert not month.set_index("enterprise_id").loc["DN0001", "estimated"]


def test_cli_ingest_and_template(data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["template", "--period", "2025-07", "--data", str(data_dir),
                                 "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t.xlsx").is_file()
    result = runner.invoke(app, ["ingest", str(BOOK), str(EXTRA), "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "185 added, 0 replaced, 0 unchanged" in result.output
    result = runner.invoke(app, ["ingest", str(BOOK), "--data", str(data_dir)])
    assert "0 added, 0 replaced, 180 unchanged" in result.output


def test_cli_lists_one_problem_per_line(data_dir: Path, english: None) -> None:
    before = _hashes(data_dir)
    result = runner.invoke(app, ["ingest", str(SUBS / "loi-so-am.csv"),
                                 str(SUBS / "loi-cot.csv"), "--data", str(data_dir),
                                 "--no-feedback"])  # nothing written beside committed files
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[1:] == [BROKEN["loi-so-am.csv"], BROKEN["loi-cot.csv"]]
    assert lines[0].endswith("2 lỗi trong các tệp báo cáo, chưa ghi gì vào kho số liệu:")
    assert not (SUBS / "tra-lai").exists()
    assert _hashes(data_dir) == before


def test_sample_submissions_are_reproducible(tmp_path: Path) -> None:
    written = write_samples(ROOT / "data", tmp_path)
    committed = {p.name for p in SUBS.iterdir()} - {"README.md"}
    assert {p.name for p in written} == committed
    for path in written:
        assert path.read_bytes() == (SUBS / path.name).read_bytes(), path.name


def test_a_faulty_figure_is_shown_as_the_file_writes_it(data_dir: Path, tmp_path: Path) -> None:
    header = "month;enterprise_id;production_value;revenue;export_value;import_value;" \
             "budget_paid;workers;female_workers;foreign_workers;avg_income"
    path = tmp_path / "vn.csv"
    path.write_text(f"{header}\n2025-07;DN0001;1.234,5;5,25;-0,5;0,1;0,1;1.200;900;1;6,5\n",
                    encoding="utf-8")
    (problem,) = _problems([path], data_dir)
    # '-0,5' as in the file, not the number read (-0.5, which reads as -5 in Vietnamese)
    assert problem == "vn.csv, dòng 2, cột 'Xuất khẩu (triệu USD)': giá trị -0,5: không được âm"


def test_rows_pass_without_the_schemas_only_where_the_schemas_find_nothing(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid rows skip pandera; that shortcut is taken only where the rules schema finds
    no problem (checked on the shipped submissions, clean and broken)."""
    from izreport.incoming import ingest as ingest_module

    typed: list[tuple[pd.DataFrame, str]] = []
    context = ingest_module._with_context

    def keep(frame: pd.DataFrame, ds: data.Dataset, sheet: object) -> pd.DataFrame:
        out = context(frame, ds, sheet)  # type: ignore[arg-type]
        typed.append((out, str(sheet.month)))  # type: ignore[attr-defined]
        return out

    monkeypatch.setattr(ingest_module, "_with_context", keep)
    for path in sorted(SUBS.glob("*.*")):
        if path.suffix in (".csv", ".xlsx"):
            with contextlib.suppress(SubmissionError):
                ingest([path], data_dir)
    ds = data.load(data_dir, months=())
    quick = []
    for frame, month in typed:
        found = ingest_module._failures(ingest_module._schemas(ds, month)[1], frame)
        found = found[found["index"].notna()]     # row failures: what a message names
        holds = ingest_module._rules_hold(frame, ds, month)
        assert not holds or found.empty
        quick.append(holds)
    assert True in quick and quick.count(False) >= 5      # both ways were taken


def test_valid_submissions_are_checked_without_pandera(data_dir: Path) -> None:
    """Importing and running pandera cost most of a valid month's ingest: it only names
    problems, so a valid file never needs it."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from izreport.incoming.ingest import ingest; "
              f"ingest([Path({str(EXTRA)!r})], {str(data_dir)!r}); "
              "assert 'pandera' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
