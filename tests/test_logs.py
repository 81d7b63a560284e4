"""Logs fit for cron and the journal: a start line, timestamped events, a summary, errors once."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from izreport.commands.cli import app

ROOT = Path(__file__).resolve().parents[1]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d "
runner = CliRunner()


def test_progress_lines_carry_the_time_when_not_on_a_terminal() -> None:
    from izreport.commands.progress import EventLog

    piped, terminal = io.StringIO(), io.StringIO()
    EventLog(Console(file=piped), Console(file=piped)).line("xong half-year_2021-H1")
    EventLog(Console(file=terminal, force_terminal=True),
             Console(file=terminal, force_terminal=True)).line("xong half-year_2021-H1")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d xong half-year_2021-H1\n",
                        piped.getvalue())
    assert terminal.getvalue() == "xong half-year_2021-H1\n"


def test_run_due_says_what_it_will_do_and_sums_up(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--lang", "vi", "run-due", "--date", "01/01/2017",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    stamp = STAMP
    assert re.match(stamp + r"run-due 2017-01-01: 0 báo cáo đến hạn, 0 cần lập", lines[0])
    assert re.match(stamp + r"run-due kết thúc: đã lập 0, thất bại 0", lines[-1])
    assert sum("không có dữ liệu trước 2017-01" in line for line in lines) == 1


def test_a_failure_is_printed_once(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (data_copy / "plans.csv").write_text("year,scope,indicator,target,unit\nx,y,z,w,v\n",
                                         encoding="utf-8")
    result = runner.invoke(app, ["--lang", "en", "run-due", "--date", "2017-02-05", "--out",
                                 str(out), "--data", str(data_copy), "--to", "html",
                                 "--publish", str(tmp_path / "site")])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    failed = [line for line in lines if "error: failed  monthly_2017-01" in line]
    assert len(failed) == 1
    started = [n for n, line in enumerate(lines) if "started monthly_2017-01" in line]
    assert len(started) == 1 and re.match(STAMP, lines[started[0]])
    assert started[0] < lines.index(failed[0])
    detail = failed[0].split("monthly_2017-01: ", 1)[1][:60]
    assert sum(detail in line for line in lines) == 1  # the publish does not repeat it
    assert any("not published: monthly_2017-01: its render failed" in line for line in lines)
    assert re.match(STAMP + "run-due done: 0 rendered, 1 failed", lines[-1])


def test_cron_writes_to_the_journal_or_a_rotated_log() -> None:
    crontab = (ROOT / "deploy" / "crontab").read_text(encoding="utf-8")
    active = [line for line in crontab.splitlines() if line and not line.startswith("#")]
    assert len(active) == 1 and "systemd-cat -t izreport-run-due" in active[0]
    logged = re.search(r">> (\S+) 2>&1", crontab)
    assert logged, "the file form of the cron line"
    rotate = (ROOT / "deploy" / "logrotate").read_text(encoding="utf-8")
    assert f"{logged[1]} {{" in rotate and "rotate 12" in rotate


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate not installed")
def test_the_logrotate_snippet_parses(tmp_path: Path) -> None:
    config = (ROOT / "deploy" / "logrotate").read_text(encoding="utf-8")
    log = tmp_path / "run-due.log"
    log.write_text("x\n", encoding="utf-8")
    config = config.replace("/var/log/izreport/run-due.log", str(log))
    config = re.sub(r"\n\s*(create|su) [^\n]*", "", config)  # no such user here
    (tmp_path / "conf").write_text(config, encoding="utf-8")
    done = subprocess.run(["logrotate", "-d", "-s", str(tmp_path / "state"),
                           str(tmp_path / "conf")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
