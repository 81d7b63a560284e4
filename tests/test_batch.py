"""The batch runner: renders in parallel processes, a failing one does not stop the others."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.core.errors import ParameterError
from izreport.pipeline import runlog
from izreport.pipeline.batch import Job, JobResult, _environment, default_workers, run_batch
from izreport.pipeline.request import resolve

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
runner = CliRunner()


def test_one_failing_job_does_not_stop_the_others(data_copy: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from izreport.pipeline.chartserver import ChartServer

    drawn: list[str] = []
    draw = ChartServer.draw

    def counting(self: ChartServer, spec: dict[str, object]) -> str:
        drawn.append(draw(self, spec))
        return drawn[-1]

    monkeypatch.setattr(ChartServer, "draw", counting)   # the drawer runs in this process
    out = tmp_path / "out"
    (data_copy / "plans.csv").write_text("year,scope,indicator,target,unit\nx,y,z,w,v\n",
                                         encoding="utf-8")
    jobs = [
        Job(resolve("half-year", {"period": "2021-H1"}, DATA)),
        Job(resolve("half-year", {"period": "2021"}, data_copy)),  # fails in a cell
    ]
    with pytest.raises(ParameterError, match="parameter 'period'"):  # never becomes a job
        resolve("half-year", {"period": "2021-13"})
    seen: list[JobResult] = []
    summary = run_batch(jobs, out, formats=["html"], workers=2, on_result=seen.append,
                        show=False)
    assert summary.workers == 2
    assert [r.job for r in summary.results] == jobs  # in the order given
    assert len(seen) == 2
    good, bad = summary.results
    assert good.ok and good.stem == "half-year_2021-H1" and good.duration > 0
    assert good.files["html"] == (out / "half-year_2021-H1.html").resolve()
    assert good.files["html"].is_file() and good.error is None
    # the workers' charts were drawn by the batch's one drawer, and are in the page
    assert drawn and all(svg.startswith("<svg") for svg in drawn)
    page = good.files["html"].read_text(encoding="utf-8")
    assert page.count("<svg") >= len(drawn)
    assert not bad.ok and "failed in cell" in str(bad.error)
    assert (out / "failed" / "half-year_2021.ipynb").is_file()  # kept for diagnosis
    assert not (out / "half-year_2021.html").exists()
    assert summary.failed == (bad,) and summary.ok == (good,)
    assert not [p for p in out.iterdir()   # no temp folders left (.state: the stem locks)
                if p.name.startswith(".") and p.name != ".state"]


def test_workers_are_bounded_by_cores() -> None:
    assert default_workers(1) == 1
    assert 1 <= default_workers(100) <= (os.cpu_count() or 1)


def test_render_command_logs_each_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--to", "html",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"html  {out / 'half-year_2021-H1.html'}" in result.output.replace("\n", "")
    (record,) = runlog.read(out)
    assert record["trigger"] == "render" and record["result"] == "ok"
    assert record["params"]["period"] == "2021-H1" and record["fingerprint"]
    assert record["files"]["html"]["path"] == "half-year_2021-H1.html"
    assert record["files"]["html"]["sha256"] == runlog.sha256_file(
        out / "half-year_2021-H1.html")


def test_render_command_reports_a_failure(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (data_copy / "plans.csv").write_text("year,scope,indicator,target,unit\nx,y,z,w,v\n",
                                         encoding="utf-8")
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--to", "html",
                                 "--out", str(out), "--data", str(data_copy)])
    assert result.exit_code == 1
    assert "error:" in result.output and "failed in cell" in result.output
    (record,) = runlog.read(out)
    assert record["result"] == "failed" and "failed in cell" in record["error"]


def test_workers_get_absolute_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IZREPORT_TEXTS", "reports")
    env = _environment()
    assert env["IZREPORT_TEXTS"] == str(tmp_path / "reports")
