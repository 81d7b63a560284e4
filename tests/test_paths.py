"""Names derived from data pass one slug rule: nothing is written outside its folder."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from izreport.blocks.texts import TEXTS_ENV, texts_path
from izreport.commands.cli import app
from izreport.core.errors import DataError
from izreport.core.files import SLUG_RE, checked_slug, slug
from izreport.storage.data import DATA_ENV, URL_ENV
from tests.conftest import sqlite_store

ESCAPE = "../../../x"


@given(st.text())
def test_every_slug_passes_the_rule(text: str) -> None:
    assert SLUG_RE.fullmatch(slug(text))


@pytest.mark.parametrize("name", [ESCAPE, "/etc/x", "..", "a/b", "~root", "Hoa-Xa", "a--b"])
def test_names_that_could_leave_a_folder_are_refused(name: str) -> None:
    with pytest.raises(DataError, match="không dùng được làm tên tệp"):
        texts_path("2021-H1", name, Path("reports"))


def _rename_zone(folder: Path) -> None:
    for table in ("zones.csv", "enterprises.csv", "zone_land.csv", "projects.csv"):
        path = folder / table
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            if row["zone_id"] == "hoa-xa":
                row["zone_id"] = ESCAPE
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def test_texts_refuses_a_zone_id_that_leads_out_of_reports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = sqlite_store(tmp_path / "deep" / "er" / "data", _rename_zone)
    reports = tmp_path / "deep" / "er" / "reports"
    monkeypatch.setenv(DATA_ENV, str(store))
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.setenv(TEXTS_ENV, str(reports))
    before = sorted(p for p in tmp_path.rglob("*") if p.suffix == ".md")
    result = CliRunner().invoke(app, ["texts", "--period", "2021-H1", "--zone", "Hòa Xá"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'../../../x' không dùng được làm tên tệp" in " ".join(result.output.split())
    assert sorted(p for p in tmp_path.rglob("*") if p.suffix == ".md") == before
    assert checked_slug("hoa-xa", "zone") == "hoa-xa"
