"""``izreport run-due``: what is due on a date, what changed, the lock, the run log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.core.i18n import _
from izreport.pipeline import runlog
from izreport.pipeline.request import RunRequest, resolve
from izreport.schedule import due

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")

runner = CliRunner()


def _planned(date: str, data: Path) -> set[tuple[str, str]]:
    planned, _ = due.plan(dt.date.fromisoformat(date), data)
    return {(p.report, p.params["period"]) for p in planned}


@pytest.mark.parametrize(("date", "expected"), [
    ("2021-07-05", {("monthly", "2021-06"), ("half-year", "2021-H1"), ("quarterly", "2021-Q2")}),
    ("2021-08-05", {("monthly", "2021-07"), ("half-year", "2021-H1"), ("quarterly", "2021-Q2")}),
    ("2021-12-31", {("monthly", "2021-11"), ("half-year", "2021-H1"), ("quarterly", "2021-Q3")}),
    ("2022-01-05", {("monthly", "2021-12"), ("half-year", "2021"),  # the year report
                    ("quarterly", "2021-Q4")}),
    ("2022-06-30", {("monthly", "2022-05"), ("half-year", "2021"), ("quarterly", "2022-Q1")}),
    ("2025-08-05", {("monthly", "2025-06"), ("half-year", "2025-H1"),  # data end 2025-06
                    ("quarterly", "2025-Q2")}),
    ("2030-01-01", {("monthly", "2025-06"), ("half-year", "2025-H1"), ("quarterly", "2025-Q2")}),
    ("2017-02-01", {("monthly", "2017-01")}),
    ("2017-01-31", set()),
])
def test_what_is_due_on_a_date(data_copy: Path, date: str, expected: set[tuple[str, str]]
                               ) -> None:
    assert _planned(date, data_copy) == expected


def test_a_report_without_a_schedule_is_not_due(
        data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebooks = _notebooks_copy(tmp_path, monkeypatch)
    nb = json.loads((notebooks / "monthly_report.ipynb").read_text(encoding="utf-8"))
    del nb["metadata"]["izreport"]["schedule"]
    (notebooks / "monthly_report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    assert _planned("2021-07-05", data_copy) == {("half-year", "2021-H1"),
                                                 ("quarterly", "2021-Q2")}
    assert {r.report for r in due.next_due(dt.date(2021, 7, 5), data_copy)} == {
        "half-year", "quarterly"}


def _notebooks_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's report notebooks in a folder of their own (IZREPORT_NOTEBOOKS)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for path in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"):
        (notebooks / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("IZREPORT_NOTEBOOKS", str(notebooks))
    return notebooks


@pytest.mark.parametrize(("date", "expected"), [
    ("2021-07-05", {("monthly", "2021-07", "2021-08-01"), ("half-year", "2021", "2022-01-01"),
                    ("quarterly", "2021-Q3", "2021-10-01")}),
    ("2022-01-05", {("monthly", "2022-01", "2022-02-01"), ("half-year", "2022-H1", "2022-07-01"),
                    ("quarterly", "2022-Q1", "2022-04-01")}),
])
def test_what_comes_next(data_copy: Path, date: str, expected: set[tuple[str, str, str]]
                         ) -> None:
    rows = due.next_due(dt.date.fromisoformat(date), data_copy)
    assert {(r.report, r.period, r.due_from.isoformat()) for r in rows} == expected


def test_all_zones_adds_the_zone_reports(data_copy: Path) -> None:
    planned, _ = due.plan(dt.date(2021, 7, 5), data_copy, all_zones=True)
    halves = [p.params for p in planned if p.report == "half-year"]
    assert halves[0] == {"period": "2021-H1"}
    assert {h.get("zone") for h in halves[1:]} == {"hoa-xa", "bao-minh", "my-trung"}


def _request(report: str, period: str, data: Path) -> RunRequest:
    return resolve(report, {"period": period}, data)


def test_the_fingerprint_follows_every_input(data_copy: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    texts = tmp_path / "texts"
    texts.mkdir()
    monkeypatch.setenv("IZREPORT_TEXTS", str(texts))
    request = _request("half-year", "2021-H1", data_copy)
    first = due.inputs(request)
    assert first == due.inputs(request)  # stable
    assert "package" in first.parts and "notebook" in first.parts and "config" in first.parts

    table = data_copy / "monthly_reports.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(",5.07\n", ",5.08\n", 1),
                     encoding="utf-8")
    changed = due.inputs(request)
    assert changed.digest != first.digest
    assert changed.changes(first.parts) == ["data/monthly_reports.csv"]

    (texts / "2021-H1.md").write_text("## Kiến nghị, đề xuất\n\nMột đề xuất.\n", encoding="utf-8")
    (texts / "2021-H2.md").write_text("## Kiến nghị\n\nKhông liên quan.\n", encoding="utf-8")
    with_texts = due.inputs(request)
    assert with_texts.changes(changed.parts) == ["texts/2021-H1.md"]  # not 2021-H2.md

    other = due.inputs(_request("half-year", "2021", data_copy))
    assert "params" in other.changes(first.parts)


def test_up_to_date_reports_are_skipped(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    request = _request("half-year", "2021-H1", data_copy)
    stem = request.stem
    current = due.inputs(request)
    due.write_state(out, {stem: {"fingerprint": current.digest, "parts": current.parts,
                                 "time": "2021-07-05T06:00:00+07:00"}})
    for fmt in ("html", "pdf"):
        (out / f"{stem}.{fmt}").write_text("rendered", encoding="utf-8")
    run = due.decide(dt.date(2021, 8, 5), out, data_copy)
    actions = {i.stem: (i.action, i.reason) for i in run.items}
    assert actions["half-year_2021-H1"][0] == "skip"
    assert actions["monthly_2021-07"] == ("render", "never rendered")

    (out / f"{stem}.pdf").unlink()
    again = {i.stem: i for i in due.decide(dt.date(2021, 8, 5), out, data_copy).items}
    assert again[stem].reason == f"output missing: {stem}.pdf"
    html_only = due.decide(dt.date(2021, 8, 5), out, data_copy, formats=("html",))
    assert {i.stem: i.action for i in html_only.items}[stem] == "skip"

    (data_copy / "plans.csv").write_text(
        (data_copy / "plans.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = {i.stem: i for i in due.decide(dt.date(2021, 8, 5), out, data_copy).items}
    assert changed[stem].reason == "inputs changed: data/plans.csv"


def test_run_due_renders_then_skips_and_publishes(data_copy: Path, tmp_path: Path) -> None:
    out, site = tmp_path / "out", tmp_path / "site"
    args = ["run-due", "--date", "2021-07-05", "--out", str(out), "--data", str(data_copy),
            "--publish", str(site)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "ok      monthly_2021-06: never rendered" in first.output
    assert "ok      half-year_2021-H1: never rendered" in first.output
    assert "ok      quarterly_2021-Q2: never rendered" in first.output
    assert "ok      bieu-thong-ke_2021-Q2: never made" in first.output
    assert (out / "bieu-thong-ke_2021-Q2.xlsx").is_file()
    for name in ("monthly_2021-06", "half-year_2021-H1", "quarterly_2021-Q2"):
        assert (out / f"{name}.html").is_file() and (out / f"{name}.pdf").is_file()
    assert (site / "bao-cao-thang/2021/2021-06.pdf").is_file()
    assert (site / "bao-cao-6-thang/2021/2021-H1.html").is_file()
    assert (site / "bao-cao-quy/2021/2021-Q2.html").is_file()  # from the notebook's "site"
    state = json.loads((out / ".state" / "fingerprints.json").read_text(encoding="utf-8"))
    assert set(state) == {"monthly_2021-06", "half-year_2021-H1", "quarterly_2021-Q2",
                          "bieu-thong-ke_2021-Q2"}
    records = runlog.read(out)
    assert [r["result"] for r in records] == ["ok"] * 4
    assert all(r["data_until"] == "2025-06" and r["fingerprint"] and r["duration"] > 0
               and {"html", "pdf"} <= set(r["files"]) for r in records[:3])
    assert set(records[3]["files"]) == {"xlsx"}
    written = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}

    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert second.output.count("skipped") == 4 and "ok " not in second.output
    assert "site unchanged" in second.output
    assert {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()} == written
    assert [r["result"] for r in runlog.read(out)][4:] == ["skipped"] * 4

    status = runner.invoke(app, ["status", "--out", str(out), "--data", str(data_copy),
                                 "--date", "2021-07-05"])
    assert status.exit_code == 0, status.output
    assert _("up to date") in status.output and "2021-08-01" in status.output
    assert "forms 2021-Q2, " + _("from {day}").format(day="2021-07-05") + ": " + _(
        "up to date") in status.output
    assert "2022-01-01" in status.output  # the year report, once December is in


def test_the_forms_are_due_each_quarter_and_made_only_when_inputs_change(
        data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert due.forms_periods(dt.date(2024, 8, 2), due.data_months(data_copy)) == ["2024-Q2"]
    assert due.forms_periods(dt.date(2024, 1, 10), due.data_months(data_copy)) == [
        "2023-Q4", "2023"]
    items = due.due_forms(dt.date(2024, 1, 10), out, data_copy)
    assert [(i.stem, i.reason) for i in items] == [
        ("bieu-thong-ke_2023-Q4", "never made"), ("bieu-thong-ke_2023", "never made")]
    for item in items:
        due._make_forms(item, out, data_copy, "2025-06")
        assert item.status == "ok"
    assert (out / "bieu-thong-ke_2023.xlsx").is_file()
    again = due.due_forms(dt.date(2024, 1, 10), out, data_copy)
    assert [i.action for i in again] == ["skip", "skip"]
    (data_copy / "projects.csv").write_text(
        (data_copy / "projects.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = due.due_forms(dt.date(2024, 1, 10), out, data_copy)
    assert [i.reason for i in changed] == ["inputs changed: data/projects.csv"] * 2
    assert [r["result"] for r in runlog.read(out)] == ["ok", "ok"]


def test_a_failed_render_exits_1_and_is_retried(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (data_copy / "plans.csv").write_text("year,scope,indicator,target,unit\nx,y,z,w,v\n",
                                         encoding="utf-8")
    args = ["run-due", "--date", "2017-02-05", "--out", str(out), "--data", str(data_copy),
            "--to", "html"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "failed" in result.output and "monthly_2017-01" in result.output
    (record,) = runlog.read(out)
    assert record["result"] == "failed" and record["error"]
    assert due.read_state(out) == {}  # not recorded as done: tomorrow's run tries again
    assert (out / "failed" / "monthly_2017-01.ipynb").is_file()


def test_a_second_instance_exits_cleanly_while_the_lock_is_held(data_copy: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    with due.state_lock(out):
        result = runner.invoke(app, ["run-due", "--date", "2021-07-05", "--out", str(out),
                                     "--data", str(data_copy), "--to", "html"])
    assert result.exit_code == due.LOCKED_EXIT == 75
    assert "another izreport run-due is running" in " ".join(result.output.split())
    assert runlog.read(out) == [] and not list(out.glob("*.html"))
    with due.state_lock(out):  # released afterwards, however the holder ended
        pass


def test_bad_date(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run-due", "--date", "5/13/2021", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--date" in result.output


def test_a_report_added_by_notebook_is_scheduled_and_published(
        data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's nine-months report: a notebook and its declaration, no Python."""
    from tests.test_readme import examples

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    monkeypatch.setenv("IZREPORT_NOTEBOOKS", str(notebooks))
    source = Path(__file__).resolve().parents[1] / "notebooks" / "quarterly_report.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    nb["metadata"]["izreport"] = json.loads(examples()["report"])
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    cell["source"] = 'period = "2021-9M"  # 9 tháng\nzone = None  # toàn tỉnh\n'
    (notebooks / "nine_months_report.ipynb").write_text(json.dumps(nb, ensure_ascii=False),
                                                        encoding="utf-8")
    assert _planned("2021-10-05", data_copy) == {("nine-months", "2021-9M")}
    assert _planned("2021-09-05", data_copy) == {("nine-months", "2020-9M")}

    out, site = tmp_path / "out", tmp_path / "site"
    result = runner.invoke(app, ["run-due", "--date", "2021-10-05", "--out", str(out),
                                 "--data", str(data_copy), "--to", "html,pdf",
                                 "--publish", str(site)])
    assert result.exit_code == 0, result.output
    assert (out / "nine-months_2021-9M.html").is_file()
    assert (site / "bao-cao-9-thang/2021/2021-9M.html").is_file()
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "<h3>Báo cáo 9 tháng</h3>" in index and "2021-9M" in index
