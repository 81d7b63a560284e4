"""Spreadsheet injection: every cell written from data is a value, never a formula."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from izreport.files import put_value
from izreport.ingest import write_template
from izreport.intake import write_template as write_intake_template
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
