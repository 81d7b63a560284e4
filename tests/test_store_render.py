"""Renders read the store: SQLite and PostgreSQL give the page the exchange files give."""

from __future__ import annotations

from pathlib import Path

import pytest

from izreport.incoming.ingest import ingest
from izreport.pipeline.render import RenderResult, render
from izreport.storage import data
from tests.conftest import DATA

SUBS = DATA / "submissions" / "2025-07"
_july: dict[str, bytes] = {}


def _render(report: str, period: str, out: Path, source: Path | str,
            monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Render as an operator would: a folder by --data, a server by IZREPORT_DATABASE_URL."""
    if isinstance(source, str):
        monkeypatch.setenv(data.URL_ENV, source)
        monkeypatch.delenv(data.DATA_ENV, raising=False)
        result = render(report, {"period": period}, out, formats=("html",))
    else:
        result = render(report, {"period": period}, out, formats=("html",), data_dir=source)
    return result.files["html"].read_bytes()


@pytest.fixture(scope="module")
def from_csv(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The 2021-H1 page (HTML alone) read straight from the committed exchange files."""
    return render("half-year", {"period": "2021-H1"}, tmp_path_factory.mktemp("csv"),
                  formats=("html",), data_dir=DATA)


def test_half_year_from_the_store_is_the_page_from_the_csv_files(
        store_source: Path | str, from_csv: RenderResult, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    data.open_store(store_source)         # the folder's CSV files fill its SQLite store
    page = _render("half-year", "2021-H1", tmp_path / "out", store_source, monkeypatch)
    assert page == from_csv.files["html"].read_bytes()


def test_monthly_after_an_ingest_is_the_same_on_both_stores(
        store_source: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest([SUBS / "bao-cao-2025-07.xlsx", SUBS / "bo-sung-2025-07.csv"], store_source)
    page = _render("monthly", "2025-07", tmp_path / "out", store_source, monkeypatch)
    text = page.decode("utf-8")
    assert "tháng 7" in text.lower() and "ước" in text
    kind = "sqlite" if isinstance(store_source, Path) else "postgresql"
    _july[kind] = page
    if len(_july) == 2:
        assert _july["sqlite"] == _july["postgresql"]
