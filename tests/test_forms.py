"""National statistical forms: the workbook, its numbers against the reports, forms as data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from izreport.blocks import investment
from izreport.blocks import report as iz
from izreport.commands.cli import app
from izreport.core.config import load_board
from izreport.forms.statforms import FORMS_DIR
from izreport.storage.data import Dataset
from tests.conftest import DATA

runner = CliRunner()
CODES_ROW = 10  # A, B, (1), (2), ... under the two header rows
TOTAL_ROW = CODES_ROW + 1
NUMBER_TEXT = re.compile(r"^\s*[-+]?\d[\d.,\s]*$")


def build(tmp_path: Path, period: str, forms: Path | None = None) -> tuple[object, Path]:
    out = tmp_path / f"bieu-{period}.xlsx"
    args = ["forms", "--period", period, "--data", str(DATA), "--out", str(out)]
    if forms is not None:
        args += ["--forms", str(forms)]
    return runner.invoke(app, args), out


@pytest.fixture(scope="module", params=["2024-Q2", "2023"])
def workbook(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[str, openpyxl.Workbook]:
    result, out = build(tmp_path_factory.mktemp("forms"), request.param)
    assert result.exit_code == 0, result.output
    return request.param, openpyxl.load_workbook(out)


def column(ws: object, group: str, header: str) -> int:
    """The sheet column whose group and header cells say so (merged groups span right)."""
    current = ""
    for c in range(3, ws.max_column + 1):
        current = ws.cell(CODES_ROW - 2, c).value or current
        if current == group and ws.cell(CODES_ROW - 1, c).value == header:
            return c
    raise AssertionError(f"no column {group} / {header}")


def zone_rows(ws: object) -> dict[str, int]:
    return {ws.cell(r, 2).value: r for r in range(TOTAL_ROW, ws.max_row + 1)}


def test_sheets_title_block_and_numeric_cells(workbook: tuple[str, openpyxl.Workbook]) -> None:
    period, wb = workbook
    assert wb.sheetnames == ["Biểu 2101", "Biểu 2104", "Biểu 2106"]
    label = "quý II năm 2024" if period == "2024-Q2" else "năm 2023"
    board = load_board().name
    for ws in wb:
        block = " | ".join(str(v) for row in ws.iter_rows(max_row=6, values_only=True)
                           for v in row if v)
        assert f"Kỳ báo cáo: {label}" in block
        assert f"Đơn vị báo cáo: {board}" in block
        assert "Số liệu cập nhật đến hết tháng 6/2025" in block
        for row in ws.iter_rows(min_row=TOTAL_ROW, min_col=3):
            for cell in row:
                assert isinstance(cell.value, int | float), (ws.title, cell.coordinate)
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and NUMBER_TEXT.match(v)), (ws.title, v)
        headers = [ws.cell(CODES_ROW - 1, c).value or ws.cell(CODES_ROW - 2, c).value
                   for c in range(3, ws.max_column + 1)]
        assert all(re.search(r"\((tỷ đồng|triệu USD|người|dự án|doanh nghiệp)\)$", h)
                   for h in headers), headers


def test_2104_totals_equal_the_report(workbook: tuple[str, openpyxl.Workbook]) -> None:
    period, wb = workbook
    rep = iz.open_report(period, data_dir=DATA, hand_written=False)
    ws = wb["Biểu 2104"]
    by_own = rep.breakdown("ownership").set_index("ownership")
    ytd = iz.open_report(str(rep.period.ytd()), data_dir=DATA, hand_written=False)
    by_own_ytd = ytd.breakdown("ownership").set_index("ownership")
    groups = {"FDI": "Dự án có vốn đầu tư nước ngoài (FDI)",
              "DDI": "Dự án đầu tư trong nước (DDI)"}
    labels = {"production_value": "Giá trị sản xuất công nghiệp", "revenue": "Doanh thu",
              "export_value": "Giá trị xuất khẩu", "import_value": "Giá trị nhập khẩu",
              "budget_paid": "Nộp ngân sách nhà nước"}
    units = {"production_value": "tỷ đồng", "revenue": "tỷ đồng", "budget_paid": "tỷ đồng",
             "export_value": "triệu USD", "import_value": "triệu USD"}
    total = dict.fromkeys(labels, 0.0)
    for own, group in groups.items():
        for key, label in labels.items():
            got = ws.cell(TOTAL_ROW, column(ws, group, f"{label} - trong kỳ ({units[key]})"))
            assert got.value == pytest.approx(by_own.loc[own, key], rel=1e-9)
            total[key] += got.value
            cum = ws.cell(TOTAL_ROW, column(
                ws, group, f"{label} - lũy kế từ đầu năm ({units[key]})")).value
            assert cum == pytest.approx(by_own_ytd.loc[own, key], rel=1e-9)
        stock = rep.projects()
        unit = "triệu USD" if own == "FDI" else "tỷ đồng"  # never converted
        assert ws.cell(TOTAL_ROW, column(ws, group, f"Vốn đăng ký - đến cuối kỳ ({unit})")
                       ).value == pytest.approx(stock.capital[own])
        assert ws.cell(TOTAL_ROW, column(
            ws, group, "Số dự án còn hiệu lực - đến cuối kỳ (dự án)")).value == \
            stock.projects[own]
    totals = rep.totals()
    for key, value in total.items():
        assert value == pytest.approx(totals[key], rel=1e-9)
    workers = ws.cell(TOTAL_ROW, column(ws, "Lao động", "Tổng số lao động - tại cuối kỳ (người)"))
    assert workers.value == totals["workers"]


def test_zone_cells_come_from_the_zone_data(workbook: tuple[str, openpyxl.Workbook],
                                            dataset: Dataset) -> None:
    period, wb = workbook
    ws = wb["Biểu 2104"]
    rep = iz.open_report(period, data_dir=DATA, hand_written=False)
    rows = dataset.reports[dataset.reports["month"].isin(rep.period.months)]
    c = column(ws, "Dự án có vốn đầu tư nước ngoài (FDI)", "Doanh thu - trong kỳ (tỷ đồng)")
    for zone_id, name in zip(dataset.zones["zone_id"], dataset.zones["name"], strict=True):
        r = zone_rows(ws).get(name)
        want = rows[(rows["zone_id"] == zone_id) & (rows["ownership"] == "FDI")]["revenue"]
        if r is None:
            assert want.empty, name
        else:
            assert ws.cell(r, c).value == pytest.approx(float(want.sum()), rel=1e-9)
    lao = wb["Biểu 2106"]
    last = rows[rows["month"] == rep.period.last_month]
    hoa_xa = zone_rows(lao)["Hòa Xá"]
    assert lao.cell(hoa_xa, column(lao, "Tổng số", "Lao động Việt Nam - tại cuối kỳ (người)")
                    ).value == int((last["workers"] - last["foreign_workers"])
                                   [last["zone_id"] == "hoa-xa"].sum())


def test_2101_investment_of_the_period(workbook: tuple[str, openpyxl.Workbook],
                                       dataset: Dataset) -> None:
    period, wb = workbook
    rep = iz.open_report(period, data_dir=DATA, hand_written=False)
    flows = investment.flows(dataset, rep.period).set_index(["kind", "ownership"])
    ws = wb["Biểu 2101"]
    fdi, ddi = "Dự án có vốn đầu tư nước ngoài (FDI)", "Dự án đầu tư trong nước (DDI)"
    assert ws.cell(TOTAL_ROW, column(ws, fdi, "Vốn đăng ký cấp mới - trong kỳ (triệu USD)")
                   ).value == pytest.approx(flows.loc[("new", "FDI"), "capital"])
    assert ws.cell(TOTAL_ROW, column(ws, ddi, "Vốn đăng ký cấp mới - trong kỳ (tỷ đồng)")
                   ).value == pytest.approx(flows.loc[("new", "DDI"), "capital"])
    assert ws.cell(TOTAL_ROW, column(ws, fdi, "Số dự án cấp mới - trong kỳ (dự án)")
                   ).value == flows.loc[("new", "FDI"), "projects"]
    since = investment.registered_since(dataset, f"{rep.period.year}-01-01", rep.last_day)
    assert ws.cell(TOTAL_ROW, column(
        ws, ddi, "Vốn đăng ký cấp mới và tăng thêm - lũy kế từ đầu năm (tỷ đồng)")
    ).value == pytest.approx(since["DDI"])


def test_2104_implemented_capital_and_projects_in_operation(
        workbook: tuple[str, openpyxl.Workbook]) -> None:
    """Read straight from the exchange files: each valid project's latest quarterly report
    up to the period's end; FDI sums triệu USD only, domestic tỷ đồng only."""
    import pandas as pd

    period, wb = workbook
    last_quarter = "2024-Q2" if period == "2024-Q2" else "2023-Q4"
    last_day = "2024-06-30" if period == "2024-Q2" else "2023-12-31"
    progress = pd.read_csv(DATA / "project_progress.csv")
    projects = pd.read_csv(DATA / "projects.csv", dtype={"enterprise_id": str})
    known = projects[projects["certificate_date"] <= last_day]
    valid = known[known["kind"] == "new"].set_index("project_id")
    valid = valid.drop(known.loc[known["kind"] == "revoked", "project_id"])
    latest = (progress[progress["quarter"] <= last_quarter].sort_values("quarter")
              .groupby("project_id").tail(1).set_index("project_id"))
    latest = latest[latest.index.isin(valid.index)]
    latest["zone_id"] = valid.loc[latest.index, "zone_id"]
    ws = wb["Biểu 2104"]
    groups = {"FDI": ("Dự án có vốn đầu tư nước ngoài (FDI)", "triệu USD",
                      "implemented_capital_musd", "implemented_capital_bn_vnd"),
              "DDI": ("Dự án đầu tư trong nước (DDI)", "tỷ đồng",
                      "implemented_capital_bn_vnd", "implemented_capital_musd")}
    names = dict(zip(*pd.read_csv(DATA / "zones.csv")[["name", "zone_id"]].T.values,
                     strict=True))
    for own, (group, unit, own_column, other_column) in groups.items():
        mine = latest[latest["ownership"] == own]
        assert mine[other_column].isna().all()                     # never converted
        capital = column(ws, group, f"Vốn thực hiện lũy kế - đến cuối kỳ ({unit})")
        running = column(ws, group, "Số dự án đang hoạt động - đến cuối kỳ (dự án)")
        assert ws.cell(TOTAL_ROW, capital).value == pytest.approx(mine[own_column].sum())
        assert ws.cell(TOTAL_ROW, running).value == int((mine["status"] == "operating").sum())
        assert 0 < ws.cell(TOTAL_ROW, capital).value < ws.cell(TOTAL_ROW, column(
            ws, group, f"Vốn đăng ký - đến cuối kỳ ({unit})")).value
        for name, r in zone_rows(ws).items():
            if name == "Tổng số":
                continue
            zone = mine[mine["zone_id"] == names[name]]
            assert ws.cell(r, capital).value == pytest.approx(zone[own_column].sum()), name


def test_the_same_data_give_the_same_workbook_bytes(tmp_path: Path) -> None:
    first, one = build(tmp_path / "a", "2024-Q2")
    second, two = build(tmp_path / "b", "2024-Q2")
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert one.read_bytes() == two.read_bytes()
    props = openpyxl.load_workbook(one).properties
    assert props.created == props.modified and props.modified.strftime("%Y-%m") == "2025-06"


def edited_forms(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the shipped forms with one text replaced in one form file."""
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    path = forms / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return forms


def _columns(text: str) -> tuple[str, list[str]]:
    head, *blocks = text.split("\n[[columns]]\n")
    return head, blocks


def _join(head: str, blocks: list[str]) -> str:
    return head + "".join("\n[[columns]]\n" + b.rstrip("\n") + "\n" for b in blocks)


def test_moving_a_column_in_the_form_file_moves_it_in_the_workbook(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    path = forms / "2106.toml"
    head, blocks = _columns(path.read_text(encoding="utf-8"))
    moved = [blocks[3], *blocks[:3], *blocks[4:]]  # foreign workers first
    path.write_text(_join(head, moved), encoding="utf-8")
    before_result, before = build(tmp_path / "a", "2024-Q2")
    after_result, after = build(tmp_path / "b", "2024-Q2", forms)
    assert before_result.exit_code == 0 and after_result.exit_code == 0, after_result.output
    old, new = openpyxl.load_workbook(before)["Biểu 2106"], openpyxl.load_workbook(after)[
        "Biểu 2106"]
    foreign = "Lao động nước ngoài - tại cuối kỳ (người)"
    assert old.cell(CODES_ROW - 1, 6).value == foreign
    assert new.cell(CODES_ROW - 1, 3).value == foreign
    assert new.cell(CODES_ROW - 1, 4).value == old.cell(CODES_ROW - 1, 3).value
    for r in range(TOTAL_ROW, old.max_row + 1):
        assert new.cell(r, 3).value == old.cell(r, 6).value
        assert new.cell(r, 4).value == old.cell(r, 3).value


def test_a_form_that_does_not_reconcile_fails_with_both_numbers(tmp_path: Path) -> None:
    # the ministry's template listing only two zones: the others' figures would be lost
    forms = edited_forms(tmp_path, "2104.toml", "recipient =",
                         'zones = ["hoa-xa", "bao-minh"]\nrecipient =')
    result, out = build(tmp_path, "2024-Q2", forms)
    assert result.exit_code == 2
    assert not out.exists()
    message = " ".join(result.output.split())
    assert "biểu thống kê không khớp với báo cáo, không ghi tệp" in message
    assert "và 27 cột khác" in message   # the 4 progress columns too
    revenue = re.search(r"cột 6 'Dự án có vốn đầu tư nước ngoài \(FDI\): Giá trị sản xuất "
                        r"công nghiệp' "
                        r"\(trong kỳ, tỷ đồng\): tổng các khu ([\d.,]+), báo cáo quý II năm "
                        r"2024 ([\d.,]+)", message)
    assert revenue, message
    rep = iz.open_report("2024-Q2", data_dir=DATA, hand_written=False)
    fdi = rep.breakdown("ownership").set_index("ownership").loc["FDI", "production_value"]
    assert revenue.group(2) == f"{fdi:,.3f}".replace(",", "_").replace(".", ",").replace(
        "_", ".")
    assert revenue.group(1) != revenue.group(2)


def test_a_column_checked_against_another_figure_fails(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    path = forms / "2104.toml"
    head, blocks = _columns(path.read_text(encoding="utf-8"))
    blocks[11] = blocks[11].replace('measure = "import_value"',
                                    'measure = "import_value"\ncheck = "export_value"')
    assert "check" in blocks[11]
    path.write_text(_join(head, blocks), encoding="utf-8")
    result, out = build(tmp_path, "2024-Q2", forms)
    assert result.exit_code == 2 and not out.exists()
    assert "Giá trị nhập khẩu" in result.output


@pytest.mark.parametrize(("edit", "message"), [
    (('unit = "tỷ đồng"\nsource = "register"', 'unit = "triệu USD"\nsource = "register"'),
     "cột 17: đơn vị 'triệu USD' không đúng: số liệu này tính bằng 'tỷ đồng' (không quy đổi)"),
    (('measure = "revenue"', 'measure = "profit"'),
     "cột 8: chỉ tiêu 'profit' không có trong báo cáo tháng"),
])
def test_a_bad_form_file_is_one_line_naming_file_and_column(
        tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    forms = edited_forms(tmp_path, "2104.toml", *edit)
    result, out = build(tmp_path, "2024-Q2", forms)
    assert result.exit_code == 2 and not out.exists()
    line = " ".join(result.output.split())
    assert "2104.toml" in line and message in line, line


def test_a_yearly_form_is_left_out_of_the_quarter(tmp_path: Path) -> None:
    forms = edited_forms(tmp_path, "2106.toml", "recipient =", 'periods = ["year"]\nrecipient =')
    quarter, q_out = build(tmp_path / "q", "2024-Q2", forms)
    year, y_out = build(tmp_path / "y", "2024", forms)
    assert quarter.exit_code == 0 and year.exit_code == 0, quarter.output + year.output
    assert openpyxl.load_workbook(q_out).sheetnames == ["Biểu 2101", "Biểu 2104"]
    assert openpyxl.load_workbook(y_out).sheetnames == ["Biểu 2101", "Biểu 2104", "Biểu 2106"]


def test_forms_take_a_quarter_or_a_year_only(tmp_path: Path) -> None:
    result, out = build(tmp_path, "2024-H1")
    assert result.exit_code == 2 and not out.exists()
    assert "quý (2024-Q2) hoặc năm (2024)" in result.output


def test_the_store_gives_the_same_forms(store_source: Path | str, tmp_path: Path) -> None:
    from izreport.storage.data import open_store

    open_store(store_source).engine.dispose()  # the folder's CSV files fill its store
    out = tmp_path / "store.xlsx"
    result = runner.invoke(app, ["forms", "--period", "2024-Q2", "--data", str(store_source),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    reference, csv_out = build(tmp_path, "2024-Q2")  # the exchange CSV files, read as such
    assert reference.exit_code == 0, reference.output
    want = openpyxl.load_workbook(csv_out)
    got = openpyxl.load_workbook(out)
    for name in want.sheetnames:
        assert list(got[name].iter_rows(values_only=True)) == \
            list(want[name].iter_rows(values_only=True)), name
