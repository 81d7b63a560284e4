"""Shared fixtures: the committed sample data and one rendered report reused by many tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from izreport import data
from izreport.render import RenderResult, render

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


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


#: The parameters of the issued 2021-H1 report (number 05, dated 5 July 2021).
FINAL = {"period": "2021-H1", "final": True, "number": 5, "issued": "2021-07-05"}


@pytest.fixture(scope="session")
def final_report(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The issued 2021-H1 report (archival PDF/A), rendered once for the session."""
    out = tmp_path_factory.mktemp("final")
    return render("half-year", FINAL, out, data_dir=DATA)
