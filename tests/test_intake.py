"""Intakes of certificates, zone land and plans: templates, checks, all or nothing, audit."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from typer.testing import CliRunner

from izreport.blocks import investment
from izreport.commands.cli import app
from izreport.core.periods import Period
from izreport.incoming.intake import IntakeError, take_in, write_template
from izreport.storage import data
from izreport.storage.store import read_audit
from tests.conftest import DATA, store_state

INTAKES = DATA / "intakes"
FOLDERS = {"certificates": "certificates", "zone-land": "zone-land", "plans": "plans",
           "enterprises": "enterprises", "progress": "progress"}
TEMPLATES = {"certificates": ("mau-gcn.xlsx", None), "zone-land": ("mau-dat-2025-07.xlsx",
             "2025-07"), "plans": ("mau-ke-hoach-2026.xlsx", "2026-01"),
             "enterprises": ("mau-dn.xlsx", None),
             "progress": ("mau-tien-do-2025-07.xlsx", "2025-07")}
runner = CliRunner()


def _broken() -> list[tuple[str, str, str]]:
    """(intake, file, message) from the README table of each intake."""
    text = (INTAKES / "README.md").read_text(encoding="utf-8")
    out = []
    for section, kind in (("Investment certificates", "certificates"),
                          ("Zone land", "zone-land"), ("Annual plans", "plans"),
                          ("Enterprises", "enterprises"), ("Project progress", "progress")):
        part = text[text.index(f"## {section}"):]
        part = part[:part.index("\n## ", 3)] if "\n## " in part[3:] else part
        out += [(kind, f, m) for f, m in re.findall(r"^\| `([^`]+)` \| (.+) \|$", part, re.M)]
    return out


BROKEN = _broken()


def test_every_broken_file_is_in_the_readme() -> None:
    listed = {(k, f) for k, f, _ in BROKEN}
    shipped = {(k, p.name) for k, folder in FOLDERS.items()
               for p in (INTAKES / folder).glob("loi-*.csv")}
    assert listed == shipped and len(listed) == 29


@pytest.mark.parametrize(("kind", "name", "message"), BROKEN)
def test_a_broken_file_is_rejected_and_nothing_changes(
        store_source: Path | str, kind: str, name: str, message: str) -> None:
    data.open_store(store_source)
    before = store_state(store_source)
    with pytest.raises(IntakeError) as info:
        take_in(kind, [INTAKES / FOLDERS[kind] / name], store_source)
    assert info.value.problems == (message,)
    assert store_state(store_source) == before


@pytest.mark.parametrize(("kind", "clean", "broken"), [
    ("certificates", "gcn-2025-07.csv", "loi-ngay.csv"),
    ("progress", "tien-do-2025-Q3.csv", "loi-chua-cap.csv"),
])
def test_all_or_nothing_across_files(store_source: Path | str, kind: str, clean: str,
                                     broken: str) -> None:
    data.open_store(store_source)
    before = store_state(store_source)
    with pytest.raises(IntakeError):
        take_in(kind, [INTAKES / FOLDERS[kind] / clean, INTAKES / FOLDERS[kind] / broken],
                store_source)
    assert store_state(store_source) == before


def test_certificates_are_taken_in_and_reach_the_investment_figures(
        store_source: Path | str, tmp_path: Path) -> None:
    period = Period.parse("2025-07")
    (result,) = take_in("certificates", [INTAKES / "certificates" / "gcn-2025-07.csv"],
                        store_source)
    assert (result.added, result.replaced, result.unchanged) == (5, 0, 0)
    projects = data.load(store_source).projects
    july = projects[projects["certificate_date"].str.startswith("2025-07")]
    assert list(july["kind"]) == ["new", "new", "increase", "decrease", "revoked"]
    assert july["ownership"].tolist() == ["FDI", "DDI", "FDI", "DDI", "FDI"]
    revoked = july.iloc[4]
    assert (revoked["project_id"], revoked["capital_musd"], revoked["land_ha"]) == (
        "DA0240", 8.39, 5.62)                      # the whole remaining capital and land
    assert july.iloc[2]["zone_id"] == "my-trung"   # taken from the project
    flows = investment.flows(data.load(store_source), period)
    new = flows[(flows["kind"] == "new")].set_index("ownership")
    assert new.loc["FDI", "capital"] == 25.5 and new.loc["DDI", "capital"] == 120.0
    again = take_in("certificates", [INTAKES / "certificates" / "gcn-2025-07.csv"],
                    store_source)
    assert (again[0].added, again[0].unchanged) == (0, 5)
    fixed = tmp_path / "dinh-chinh.csv"
    lines = (INTAKES / "certificates" / "gcn-2025-07.csv").read_text(
        encoding="utf-8").splitlines()
    fixed.write_text(lines[0] + "\n" + lines[1].replace(",25.5,", ",26.5,") + "\n",
                     encoding="utf-8")
    (corrected,) = take_in("certificates", [fixed], store_source)
    assert corrected.replaced == 1
    last = read_audit(data.open_store(store_source))[-1]
    assert last["table_name"] == "projects" and last["values"] == [
        {"record": "2143658790", "old": {"capital_musd": 25.5}, "new": {"capital_musd": 26.5}}]


def test_enterprise_changes_are_taken_in(store_source: Path | str) -> None:
    from izreport.blocks.submissions import expected_enterprises

    (result,) = take_in("enterprises", [INTAKES / "enterprises" / "dn-2025-07.csv"],
                        store_source)
    assert (result.added, result.replaced) == (1, 2)
    ds = data.load(store_source)
    ent = ds.enterprises.set_index("enterprise_id")
    assert ent.loc["DN0213", "sector"].startswith("Sản xuất sản phẩm điện tử")
    assert (ent.loc["DN0213", "zone_id"], ent.loc["DN0213", "registered_capital_musd"]) == (
        "my-trung", 25.5)
    assert ent.loc["DN0003", "name"] == "Công ty Cổ phần May Sao Mai"
    july = set(expected_enterprises(ds, "2025-07")["enterprise_id"])
    assert "DN0213" in july and "DN0150" not in july      # new one expected, stopped one not
    (entry,) = [a for a in read_audit(data.open_store(store_source))
                if a["table_name"] == "enterprises"]
    assert {v["record"]: v["old"] for v in entry["values"]} == {
        "DN0003": {"name": "Công ty TNHH May Sao Mai"}, "DN0150": {"end_month": None}}


def test_a_move_keeps_the_months_before_it_in_the_old_zone(store_source: Path | str) -> None:
    from izreport.blocks import metrics
    from izreport.blocks.submissions import expected_enterprises
    from izreport.incoming.ingest import ingest
    from izreport.storage.store import enterprise_moves

    subs = DATA / "submissions" / "2025-07"
    ingest([subs / "bao-cao-2025-07.xlsx", subs / "bo-sung-2025-07.csv"], store_source)
    before = data.load(store_source)
    (result,) = take_in("enterprises", [INTAKES / "enterprises" / "chuyen-khu-2025-07.csv"],
                        store_source)
    assert (result.added, result.replaced) == (0, 1)
    after = data.load(store_source)
    assert after.enterprises.set_index("enterprise_id").loc["DN0048", "zone_id"] == "my-trung"
    h1 = Period.parse("2025-H1")
    pd.testing.assert_frame_equal(metrics.breakdown(after, h1, "zone_id"),
                                  metrics.breakdown(before, h1, "zone_id"))
    for month in ("2024-12", "2025-06"):
        assert after.zone_at(pd.Series(["DN0048"]), month).tolist() == ["hoa-xa"]
    july = Period.parse("2025-07")
    row = before.monthly_reports.set_index(["month", "enterprise_id"]).loc[
        ("2025-07", "DN0048")]
    for zone, sign in (("my-trung", 1), ("hoa-xa", -1)):
        moved = metrics.totals(after, july, zone)["production_value"]
        stayed = metrics.totals(before, july, zone)["production_value"]
        assert moved - stayed == pytest.approx(sign * row["production_value"])
    assert metrics.totals(after, july) == metrics.totals(before, july)   # province unchanged
    zones = {m: expected_enterprises(after, m).set_index("enterprise_id").loc["DN0048",
                                                                              "zone_id"]
             for m in ("2025-06", "2025-07")}
    assert zones == {"2025-06": "hoa-xa", "2025-07": "my-trung"}
    entry = read_audit(data.open_store(store_source))[-1]
    assert entry["table_name"] == "enterprises" and entry["values"] == [
        {"record": "DN0048", "old": {"zone_id": "hoa-xa"}, "new": {"zone_id": "my-trung"}},
        {"record": "enterprise_moves DN0048 2025-07 hoa-xa my-trung", "old": {},
         "new": {"enterprise_id": "DN0048", "month": "2025-07", "from_zone": "hoa-xa",
                 "to_zone": "my-trung"}}]
    again = take_in("enterprises", [INTAKES / "enterprises" / "chuyen-khu-2025-07.csv"],
                    store_source)
    assert (again[0].replaced, again[0].unchanged) == (0, 1)     # taken in once
    with data.open_store(store_source).reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(enterprise_moves)
                            ).scalar() == 1


def test_project_progress_is_taken_in(store_source: Path | str, tmp_path: Path) -> None:
    path = INTAKES / "progress" / "tien-do-2025-Q3.csv"
    (result,) = take_in("progress", [path], store_source)
    assert (result.added, result.replaced) == (5, 0)
    rows = data.load(store_source).project_progress.set_index(["project_id", "quarter"])
    fdi, ddi = rows.loc[("DA0234", "2025-Q3")], rows.loc[("DA0233", "2025-Q3")]
    assert (fdi["ownership"], fdi["status"], fdi["implemented_capital_musd"]) == (
        "FDI", "building", 8.10)
    assert pd.isna(fdi["implemented_capital_bn_vnd"])                # never converted
    assert (ddi["status"], ddi["implemented_capital_bn_vnd"]) == ("operating", 52.7)
    assert pd.isna(ddi["implemented_capital_musd"])
    again = take_in("progress", [path], store_source)
    assert (again[0].added, again[0].unchanged) == (0, 5)
    fixed = tmp_path / "dinh-chinh.csv"        # a correction replaces the value, audited
    lines = path.read_text(encoding="utf-8").splitlines()
    fixed.write_text(lines[0] + "\n" + lines[1].replace(",8.10,", ",8.40,") + "\n",
                     encoding="utf-8")
    (corrected,) = take_in("progress", [fixed], store_source)
    assert corrected.replaced == 1
    last = read_audit(data.open_store(store_source))[-1]
    assert last["table_name"] == "project_progress" and last["values"] == [
        {"record": "DA0234 2025-Q3", "old": {"implemented_capital_musd": 8.1},
         "new": {"implemented_capital_musd": 8.4}}]


def test_zone_land_and_plans_are_taken_in(store_source: Path | str) -> None:
    take_in("zone-land", [INTAKES / "zone-land" / "dat-2025-07.csv"], store_source)
    take_in("plans", [INTAKES / "plans" / "ke-hoach-2026.csv"], store_source)
    ds = data.load(store_source)
    land = ds.zone_land.set_index(["zone_id", "month"])["leased_ha"]
    assert land[("my-trung", "2025-07")] == 35.8
    plans = ds.plans.set_index(["year", "scope", "indicator"])
    assert plans.loc[(2026, "province", "export_value"), "unit"] == "musd"
    assert plans.loc[(2026, "province", "production_value"), "target"] == 36500
    audit = read_audit(data.open_store(store_source))
    assert [(a["table_name"], a["added"]) for a in audit[-2:]] == [("zone_land", 5),
                                                                    ("plans", 5)]


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_shipped_templates_are_reproducible(kind: str, tmp_path: Path) -> None:
    name, period = TEMPLATES[kind]
    out = write_template(kind, tmp_path / name, period, DATA)
    assert out.read_bytes() == (INTAKES / FOLDERS[kind] / name).read_bytes()
    book = load_workbook(out)
    assert book.sheetnames == ["Số liệu", "Hướng dẫn"]


def test_a_filled_zone_land_template_is_taken_in(store_source: Path | str,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "dat.xlsx"
    write_template("zone-land", path, "2025-07", store_source)
    book = load_workbook(path)
    ws = book["Số liệu"]
    leased = {"Hòa Xá": 198.5, "Bảo Minh": 108.2, "Mỹ Trung": 40.0,
              "Dệt may Rạng Đông": 176.0, "Mỹ Thuận": 30.0}
    for row in ws.iter_rows(min_row=3):
        row[2].value = leased[row[0].value]
    book.save(path)
    (result,) = take_in("zone-land", [path], store_source)
    assert result.added == 5


def test_cli_intake_prints_counts_and_rejects_in_vietnamese(store_source: Path | str) -> None:
    ok = runner.invoke(app, ["intake", "plans", str(INTAKES / "plans" / "ke-hoach-2026.csv"),
                             "--data", str(store_source)])
    assert ok.exit_code == 0, ok.output
    assert "ke-hoach-2026.csv: 5 thêm, 0 thay, 0 không đổi" in ok.output
    bad = runner.invoke(app, ["intake", "plans", str(INTAKES / "plans" / "loi-am.csv"),
                              "--data", str(store_source)])
    assert bad.exit_code == 2
    assert "1 lỗi, không ghi gì vào dữ liệu" in bad.output
    unknown = runner.invoke(app, ["intake", "projects", "x.csv", "--data", str(store_source)])
    assert unknown.exit_code == 2 and "certificates, zone-land, plans" in unknown.output
