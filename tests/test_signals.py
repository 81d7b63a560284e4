"""Honest run signals: drafts named in the run output, the run log, ``status`` and the site
index, not published unless configured; ``status`` readable at 80 columns and as JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.core.i18n import _
from izreport.pipeline import runlog
from izreport.site import publish
from tests.test_publish import fake_render

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
#: in every language the draft mark carries the words of the page's stamp
DRAFT = "DỰ THẢO"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, without a terminal (as cron and systemd run it)."""
    return subprocess.run([sys.executable, "-c", "from izreport.commands.cli import main; main()",
                           *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


def _config(tmp_path: Path, drafts: bool) -> Path:
    text = (ROOT / "izreport.toml").read_text(encoding="utf-8")
    assert "\ndrafts = false\n" in text  # the documented default
    path = tmp_path / "izreport.toml"
    path.write_text(text.replace("\ndrafts = false\n", f"\ndrafts = {str(drafts).lower()}\n"),
                    encoding="utf-8")
    return path


@pytest.mark.usefixtures("english")
def test_run_due_marks_a_draft_and_does_not_publish_it(data_copy: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    texts = tmp_path / "texts"  # no hand-written sections: the 2025-H1 report is a draft
    texts.mkdir()
    monkeypatch.setenv("IZREPORT_TEXTS", str(texts))
    out, site = tmp_path / "out", tmp_path / "site"
    result = runner.invoke(app, ["run-due", "--date", "2025-08-05", "--out", str(out),
                                 "--data", str(data_copy), "--publish", str(site)])
    assert result.exit_code == 0, result.output
    # one timestamped line per event without a terminal: the stamp is not part of the event
    lines = [re.sub(r"^\d{4}-\d\d-\d\dT\S+ ", "", line) for line in result.output.splitlines()]
    (half,) = [line for line in lines if line.startswith("ok ") and "half-year_2025-H1" in line]
    (month,) = [line for line in lines if line.startswith("ok ") and "monthly_2025-06" in line]
    assert DRAFT in half and DRAFT not in month
    assert any("half-year_2025-H1" in line and "[publish] drafts = true" in line
               for line in lines if not line.startswith("ok "))

    records = {r["stem"]: r for r in runlog.read(out)}
    assert records["half-year_2025-H1"]["draft"] is True
    assert records["monthly_2025-06"]["draft"] is False
    assert (site / "bao-cao-thang/2025/2025-06.html").is_file()
    assert not (site / "bao-cao-6-thang").exists()  # the draft is not on the site
    assert "Dự thảo" not in (site / "index.html").read_text(encoding="utf-8")

    status = runner.invoke(app, ["status", "--out", str(out), "--data", str(data_copy),
                                 "--date", "2025-08-05"])
    assert status.exit_code == 0, status.output
    (run_line,) = [line for line in status.output.splitlines()
                   if "half-year_2025-H1" in line]
    assert DRAFT in run_line
    assert any(line.strip().startswith("half-year 2025-H1") and DRAFT in line
               for line in status.output.splitlines())

    # configured to publish drafts: published, with the badge on the index
    monkeypatch.setenv("IZREPORT_CONFIG", str(_config(tmp_path, drafts=True)))
    again = runner.invoke(app, ["publish", "--from", str(out), "--to", str(site)])
    assert again.exit_code == 0, again.output
    assert any("bao-cao-6-thang/2025/2025-H1, " in line and DRAFT in line
               for line in again.output.splitlines())
    index = (site / "index.html").read_text(encoding="utf-8")
    item = next(li for li in index.split("<li>") if "2025-H1.html" in li)
    assert '<span class="draft"' in item and ">Dự thảo</span>" in item
    month_item = next(li for li in index.split("<li>") if "2025-06.html" in li)
    assert 'class="draft"' not in month_item


def test_drafts_stay_off_the_site_by_default_and_the_published_version_stays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZREPORT_CONFIG", str(_config(tmp_path, drafts=False)))
    out, site = tmp_path / "out", tmp_path / "site"
    fake_render(out, "half-year", {"period": "2021-H1"}, content="issued")
    assert publish.publish(out, site).added == ["bao-cao-6-thang/2021/2021-H1"]
    published = (site / "bao-cao-6-thang/2021/2021-H1.html").read_text(encoding="utf-8")
    stem = fake_render(out, "half-year", {"period": "2021-H1"}, content="draft")
    record = runlog.read(out)[-1]
    record["draft"] = True
    (out / ".state" / runlog.RUNS).write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [*runlog.read(out)[:-1], record])
        + "\n", encoding="utf-8")

    result = publish.publish(out, site)
    assert [s for s, _why in result.skipped] == [stem] and not result.updated
    assert (site / "bao-cao-6-thang/2021/2021-H1.html").read_text(
        encoding="utf-8") == published
    shown = publish.publish(out, site, drafts=True)
    assert shown.updated == ["bao-cao-6-thang/2021/2021-H1"] and shown.drafts == shown.updated
    assert 'class="draft"' in (site / "index.html").read_text(encoding="utf-8")


def test_publish_drafts_setting_is_checked(tmp_path: Path) -> None:
    from izreport.core.config import publish_drafts
    from izreport.core.errors import DataError

    path = tmp_path / "izreport.toml"
    path.write_text('[publish]\ndrafts = "yes"\n', encoding="utf-8")
    with pytest.raises(DataError, match="drafts"):
        publish_drafts(path)
    path.write_text("[board]\n", encoding="utf-8")
    assert publish_drafts(path) is False


def _failed_run(out: Path) -> str:
    error = ("half_year_report.ipynb failed in cell 7: KeyError: 'export_value' "
             "(executed notebook kept at outputs/failed/half-year_2021-H1.ipynb)")
    runlog.append(out, runlog.record(
        report="half-year", params={"period": "2021-H1"}, stem="half-year_2021-H1",
        result="failed", trigger="run-due", out=out, error=error, data_until="2025-06"))
    return error


@pytest.mark.parametrize("terminal", [False, True])
def test_status_shows_the_error_of_a_failed_run_at_80_columns(data_copy: Path, tmp_path: Path,
                                                              terminal: bool) -> None:
    out = tmp_path / "out"
    error = _failed_run(out)
    for columns in ("80", "60"):
        env = {"COLUMNS": columns, "TERM": "xterm"}
        if terminal:  # Rich then writes as to a terminal of that width, with colours
            env["FORCE_COLOR"] = "1"
        done = _cli("status", "--out", str(out), "--data", str(data_copy), "--date",
                    "2021-07-05", env=env)
        assert done.returncode == 0, done.stderr
        assert ("\x1b[" in done.stdout) == terminal  # plain text without a terminal
        text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
        assert error in text  # whole, on one line: nothing cut or squeezed
        run_line = next(line for line in text.splitlines() if "half-year_2021-H1" in line)
        assert _("FAILED") in run_line


def test_render_says_a_draft_is_a_draft(data_copy: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZREPORT_TEXTS", str(tmp_path / "texts"))  # no sections written
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "half-year", "--period", "2025-H1", "--to", "html",
                                 "--out", str(out), "--data", str(data_copy)])
    assert result.exit_code == 0, result.output
    assert _("draft:") in result.output and "half-year_2025-H1" in result.output
    (record,) = runlog.read(out)
    assert record["result"] == "ok" and record["draft"] is True


def test_status_json(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    error = _failed_run(out)
    done = _cli("status", "--out", str(out), "--data", str(data_copy), "--date", "2021-07-05",
                "--json", env={"COLUMNS": "40"})
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    (run,) = doc["runs"]
    assert run["result"] == "failed" and run["error"] == error and run["draft"] is False
    assert {(d["report"], d["params"]["period"]) for d in doc["due"]} >= {
        ("half-year", "2021-H1"), ("monthly", "2021-06")}
    assert doc["date"] == "2021-07-05" and doc["next"]
