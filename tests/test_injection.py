"""Spreadsheet injection: every cell written from data is a value, never a formula."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from izreport.core.files import put_value
from izreport.incoming.ingest import write_template
from izreport.incoming.intake import write_template as write_intake_template
from tests.conftest import sqlite_store

HOSTILE = {"DN0001": "=cmd|' /C calc'!A0", "DN0002": "+HYPERLINK(\"http://x.invalid\")",
           "DN0003": "-2+3", "DN0004": "@SUM(1+1)"}
HOSTILE_ZONE = '=HYPERLINK("http://x.invalid","Hòa Xá")'


def _rewrite(path: Path, key: str, column: str, values: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row[key] in values:
            row[column] = values[row[key]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    """The sample with enterprise and zone names that a spreadsheet would run as formulas."""
    def edit(folder: Path) -> None:
        _rewrite(folder / "enterprises.csv", "enterprise_id", "name", HOSTILE)
        _rewrite(folder / "zones.csv", "zone_id", "name", {"hoa-xa": HOSTILE_ZONE})

    return sqlite_store(tmp_path / "data", edit)


def _cells(path: Path) -> list:
    book = load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def test_submission_template_writes_hostile_names_as_text(hostile_store: Path,
                                                          tmp_path: Path) -> None:
    out = write_template("2025-07", hostile_store, tmp_path / "t.xlsx")
    cells = _cells(out)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value: c for c in cells}
    for name in [*HOSTILE.values(), HOSTILE_ZONE]:
        assert texts[name].data_type == "s"
        assert texts[name].quotePrefix  # stays text when edited in a spreadsheet program


def test_intake_template_writes_hostile_zone_names_as_text(hostile_store: Path,
                                                           tmp_path: Path) -> None:
    out = write_intake_template("zone-land", tmp_path / "dat.xlsx", "2025-07", hostile_store)
    cells = _cells(out)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == HOSTILE_ZONE and c.data_type == "s" for c in cells)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "Hòa Xá", 12.5, None])
def test_put_value_keeps_every_value_as_written(value: object, tmp_path: Path) -> None:
    book = Workbook()
    put_value(book.active, 1, 1, value)
    book.save(tmp_path / "v.xlsx")
    cell = load_workbook(tmp_path / "v.xlsx").active["A1"]
    assert cell.value == value
    assert cell.data_type == ("s" if isinstance(value, str) else "n")


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"), ("+HYPERLINK(1)", "'+HYPERLINK(1)"), ("-2+3", "'-2+3"),
    ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-1.5", "-1.5"),
    ("+84", "+84"), ("Hòa Xá", "Hòa Xá"), ("a=b", "a=b")])
def test_csv_text_neutralises_formula_starts_only(text: str, written: str) -> None:
    from izreport.core.files import csv_text

    assert csv_text(text) == written


def test_csv_export_neutralises_hostile_text_and_keeps_numbers(hostile_store: Path,
                                                               tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from izreport.commands.cli import app

    out = tmp_path / "xuat"
    result = CliRunner().invoke(app, ["export", "enterprises", "zones", "--out", str(out),
                                      "--data", str(hostile_store)])
    assert result.exit_code == 0, result.output
    with (out / "enterprises.csv").open(encoding="utf-8", newline="") as fh:
        exported = {r["enterprise_id"]: r for r in csv.DictReader(fh)}
    with (hostile_store / "enterprises.csv").open(encoding="utf-8", newline="") as fh:
        source = {r["enterprise_id"]: r for r in csv.DictReader(fh)}
    for ent, name in HOSTILE.items():
        assert exported[ent]["name"] == "'" + name
    for ent, row in source.items():          # every other cell as it was, numbers included
        assert {k: v for k, v in exported[ent].items() if k != "name" or ent not in HOSTILE} \
            == {k: v for k, v in row.items() if k != "name" or ent not in HOSTILE}
    assert exported["DN0001"]["registered_capital_musd"] == \
        source["DN0001"]["registered_capital_musd"]
    zones = (out / "zones.csv").read_text(encoding="utf-8")
    assert f"'{HOSTILE_ZONE}" in zones.replace('""', '"')


def test_workbook_export_writes_text_as_text_and_numbers_as_numbers(hostile_store: Path,
                                                                    tmp_path: Path) -> None:
    from izreport.storage import data

    book = tmp_path / "bang.xlsx"
    data.export(book, ["enterprises", "zones"], hostile_store)
    cells = _cells(book)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value: c for c in cells if c.data_type == "s"}
    for name in [*HOSTILE.values(), HOSTILE_ZONE]:
        assert texts[name].quotePrefix
    ws = load_workbook(book)["enterprises"]
    header = [c.value for c in ws[1]]
    capital = [r[header.index("registered_capital_musd")] for r in ws.iter_rows(min_row=2)]
    assert capital[0].data_type == "n" and isinstance(capital[0].value, float)


@pytest.mark.parametrize("name", ["Hòa Xá <!-- x", "</script><script>alert(1)</script>",
                                  "a<!--b-->c</", "<\\!--"])
def test_chart_json_in_a_script_element_is_safe_and_reads_back(name: str) -> None:
    """A zone name from the data in a chart spec: the page's JSON neither ends its script
    element nor stops being JSON."""
    import json

    from izreport.blocks.charts import _spec_json

    spec = {"title": name, "data": {"values": [{"zone": name, "v": 1}]}}
    text = _spec_json(spec)
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == spec
