"""Renders never hang: a dying kernel or a looping cell fails within seconds, notebook kept."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

import izreport.pipeline.params
from izreport.commands.cli import app
from izreport.core.config import CELL_TIMEOUT_ENV, REPORT_TIMEOUT_ENV, render_limits
from izreport.core.errors import DataError, RenderError
from izreport.pipeline.render import render
from tests.conftest import DATA

#: From the start of execution (the kernel is up) to the failure; nbclient polls every second.
DEAD_KERNEL_SECONDS = 10
#: Whole render including kernel start-up and imports on a busy two-core machine: only
#: "it did not hang".
NO_HANG_SECONDS = 120


def _report(folder: Path, name: str, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["izreport"] = {"report": name, "title": name, "parameters": {}}
    nb.cells = [nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.fixture
def notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notebook folder with a report whose kernel kills itself and one that loops."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _report(folder, "dies", "import os\nos._exit(1)")
    _report(folder, "loops", "while True:\n    pass")
    monkeypatch.setattr(izreport.pipeline.params, "NOTEBOOKS_DIR", folder)
    for env in (CELL_TIMEOUT_ENV, REPORT_TIMEOUT_ENV):
        # set (empty: no limit given) rather than deleted, so that the value `render
        # --timeout` puts into the environment is undone after the test, not left to
        # cut the renders of later tests short
        monkeypatch.setenv(env, "")
    return folder


def test_a_kernel_that_dies_fails_the_render_within_seconds(notebooks: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(RenderError, match="kernel đã dừng đột ngột") as err:
        render("dies", {}, out, formats=["html"], data_dir=DATA)
    assert time.monotonic() - start < NO_HANG_SECONDS
    kept = out / "failed" / "dies.ipynb"
    assert str(kept) in str(err.value)
    nb = nbformat.read(kept, as_version=4)
    assert nb.metadata.papermill.duration < DEAD_KERNEL_SECONDS
    ran = {c.source: c.execution_count for c in nb.cells}
    # kept as far as it ran; the dying cell is numbered only if the kernel said it had
    # started it before it died (a race the kernel may lose)
    assert ran["x = 1"] == 1 and ran["import os\nos._exit(1)"] in (2, None)
    # no temporary folder left (.state holds the stem locks)
    assert sorted(p.name for p in out.iterdir() if p.name != ".state") == ["failed"]


def test_a_looping_cell_fails_at_the_cell_timeout(notebooks: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CELL_TIMEOUT_ENV, "2")
    start = time.monotonic()
    with pytest.raises(RenderError, match="một ô chạy quá 2 giây"):
        render("loops", {}, tmp_path / "out", formats=["html"], data_dir=DATA)
    assert time.monotonic() - start < NO_HANG_SECONDS
    nb = nbformat.read(tmp_path / "out" / "failed" / "loops.ipynb", as_version=4)
    assert 2 <= nb.metadata.papermill.duration < 2 + DEAD_KERNEL_SECONDS


def test_the_cli_stops_a_looping_report_at_its_timeout_in_one_line(
        notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # --timeout goes to the environment for the render workers: undone after the test
    # (a bare delenv of an unset variable records nothing to undo)
    monkeypatch.setenv(CELL_TIMEOUT_ENV, "600")
    monkeypatch.setenv(REPORT_TIMEOUT_ENV, "1800")
    result = CliRunner().invoke(app, ["render", "loops", "--to", "html", "--data", str(DATA),
                                      "--out", str(tmp_path), "--timeout", "3"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "vượt quá thời gian cho cả báo cáo (3 giây)" in lines[0]


def test_timeouts_come_from_the_configuration_with_sensible_defaults(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for env in (CELL_TIMEOUT_ENV, REPORT_TIMEOUT_ENV):
        monkeypatch.delenv(env, raising=False)
    config = tmp_path / "izreport.toml"
    config.write_text("[render]\ncell_timeout = 30\n", encoding="utf-8")
    limits = render_limits(config)
    assert (limits.cell_timeout, limits.report_timeout) == (30, 1800)
    monkeypatch.setenv(REPORT_TIMEOUT_ENV, "90")
    assert render_limits(config).report_timeout == 90
    config.write_text("[render]\ncell_timeout = -5\n", encoding="utf-8")
    with pytest.raises(DataError, match="'cell_timeout' phải là số giây nguyên dương"):
        render_limits(config)
    config.write_text("[render]\ncell_timeot = 5\n", encoding="utf-8")
    with pytest.raises(DataError, match="có khóa không rõ"):
        render_limits(config)
