"""Shared fixtures: the committed sample data and one rendered report reused by many tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from izreport.pipeline.render import RenderResult, render
from izreport.storage import data
from izreport.storage.store import open_store
from tests import pgserver
from tests.pgserver import Server

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English (the msgids) for tests that check their wording; Vietnamese,
    the default, is checked against the catalogue in test_i18n."""
    monkeypatch.setenv("IZREPORT_LANG", "en")


@pytest.fixture(scope="session")
def dataset() -> data.Dataset:
    return data.load(DATA)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The 2021-H1 province report, HTML and PDF, rendered once for the session."""
    out = tmp_path_factory.mktemp("render")
    return render("half-year", {"period": "2021-H1"}, out, data_dir=DATA)


@pytest.fixture(scope="session")
def html_text(rendered: RenderResult) -> str:
    return rendered.files["html"].read_text(encoding="utf-8")


def pdftotext(path: Path, *args: str) -> str:
    """Text of a PDF as poppler extracts it (what a reader copying from it gets)."""
    return subprocess.run(["pdftotext", *args, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def pdf_text(rendered: RenderResult) -> str:
    return pdftotext(rendered.files["pdf"])


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample data for tests that alter it."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("*.md"))
    return target


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """One PostgreSQL server for the whole run (started once, stopped at the end)."""
    with pgserver.running() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_seeded(postgres: Server) -> str:
    """Name of a database filled from the committed sample: the template of each test's."""
    url = postgres.database()
    open_store(None, url, seed=DATA, read_seed=data.read_seed).engine.dispose()
    return url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_source(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """A writable store filled from the sample: a data folder (SQLite) or a PostgreSQL URL."""
    if request.param == "sqlite":
        target = tmp_path / "data"
        target.mkdir()
        for table in DATA.glob("*.csv"):
            shutil.copy2(table, target / table.name)
        return target
    server = request.getfixturevalue("postgres")
    return server.database(template=request.getfixturevalue("postgres_seeded"))


def sqlite_store(folder: Path, edit: Callable[[Path], None] | None = None) -> Path:
    """A SQLite store in ``folder`` filled from the sample's tables (``edit`` changes them
    first); the store exists on return, so a snapshot taken now is the "before"."""
    folder.mkdir(parents=True)
    for table in DATA.glob("*.csv"):
        shutil.copy2(table, folder / table.name)
    if edit is not None:
        edit(folder)
    data.open_store(folder).engine.dispose()
    return folder


def store_state(source: str | Path) -> dict[str, object]:
    """Every row of every table of a store (or the files of a folder without one)."""
    from izreport.storage.store import DB_NAME, TABLES, audit, audit_values

    if isinstance(source, Path) and not (source / DB_NAME).exists():
        return {p.name: p.read_bytes() for p in sorted(source.iterdir()) if p.is_file()}
    store = data.open_store(source)
    state: dict[str, object] = {}
    with store.reading() as conn:
        for table in (*TABLES.values(), audit, audit_values):
            key = [c for c in table.primary_key.columns]
            state[table.name] = [tuple(r) for r in conn.execute(
                sa.select(table).order_by(*key))]
    store.engine.dispose()
    return state

#: The parameters of the issued 2021-H1 report (number 05, dated 5 July 2021).
FINAL = {"period": "2021-H1", "final": True, "number": 5, "issued": "2021-07-05"}


@pytest.fixture(scope="session")
def final_report(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The issued 2021-H1 report (archival PDF/A), rendered once for the session."""
    out = tmp_path_factory.mktemp("final")
    return render("half-year", FINAL, out, data_dir=DATA)
