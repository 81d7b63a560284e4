"""Every failure of a command is one line and a non-zero exit code, never a traceback."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import IO_EXIT, UNEXPECTED_EXIT, app
from tests.conftest import DATA

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("english")


def _one_line(args: list[str], code: int) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "ghi-chu.txt"
    path.write_text("not a folder", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [
    ["render", "half-year", "--period", "2021-H1"],
    ["run-due", "--date", "2021-07-10"],
    ["status", "--date", "2021-07-10"],
])
def test_out_naming_a_file(a_file: Path, command: list[str]) -> None:
    line = _one_line([*command, "--out", str(a_file)], 2)
    assert line == f"error: --out {a_file}: not a folder (a file of that name exists)"
    assert a_file.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("command", [
    ["render", "half-year", "--period", "2021-H1", "--out"],
    ["export", "--out"],
])
def test_out_inside_a_file(a_file: Path, command: list[str]) -> None:
    line = _one_line([*command, str(a_file / "sub")], 2)
    assert line == f"error: --out {a_file / 'sub'}: cannot write in this folder: Not a directory"


def test_template_into_a_file(a_file: Path) -> None:
    line = _one_line(["template", "--period", "2025-07", "--out", str(a_file / "t.xlsx")], 2)
    assert line == f"error: --out {a_file}: not a folder (a file of that name exists)"


def test_out_a_folder_that_cannot_be_written(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only folder (simulated: the tests may run as root, whom modes do not stop)."""
    locked = tmp_path / "chi-doc"
    locked.mkdir()
    real = tempfile.mkstemp

    def refuse(*args: object, **kw: object) -> tuple[int, str]:
        if Path(str(kw.get("dir"))) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(locked))
        return real(*args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    line = _one_line(["render", "half-year", "--period", "2021-H1", "--out", str(locked)], 2)
    assert line == f"error: --out {locked}: cannot write in this folder: Permission denied"
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize(("args", "text"), [
    (["render", "half-year", "--period", "nan"], "parameter 'period'"),
    (["render", "monthly", "--period", "2021-13"], "parameter 'period'"),
    (["render", "half-year", "--period", "2021-H1", "--zone", "Không Có"],
     "unknown zone 'Không Có'"),
    (["texts", "--period", "nan"], "'nan'"),
    (["template", "--period", "nan"], "period 'nan' is not a month written YYYY-MM"),
    (["run-due", "--date", "2021-02-30"], "--date: expected a date as YYYY-MM-DD"),
    (["params", "khong-co"], "khong-co"),
])
def test_bad_parameters(tmp_path: Path, args: list[str], text: str) -> None:
    assert text in _one_line([*args, "--out", str(tmp_path / "out")]
                             if args[0] in ("render", "run-due") else args, 2)
    assert not (tmp_path / "out").exists()


def test_ingest_with_a_bad_month(tmp_path: Path) -> None:
    book = DATA / "submissions" / "2025-07" / "bao-cao-2025-07.xlsx"
    line = _one_line(["ingest", str(book), "--month", "nan", "--data", str(tmp_path / "d")], 2)
    assert line == "error: --month 'nan': not a month written YYYY-MM"


def test_a_file_where_a_folder_is_needed_is_one_line(a_file: Path) -> None:
    line = _one_line(["sample", "--out", str(a_file / "data")], IO_EXIT)
    assert line == f"error: {a_file / 'data'}: Not a directory"


def test_an_unexpected_failure_logs_its_traceback_and_shows_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import izreport.pipeline.params

    def broken(name: str) -> None:
        raise RuntimeError("boom\nsecond line")

    log = tmp_path / "loi" / "errors.log"
    monkeypatch.setenv("IZREPORT_ERROR_LOG", str(log))
    monkeypatch.setattr(izreport.pipeline.params, "get_report", broken)
    line = _one_line(["params", "half-year"], UNEXPECTED_EXIT)
    assert line == f"error: unexpected failure (RuntimeError: boom); the details are in {log}"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert "params half-year" in text.splitlines()[0] or text.startswith("--- ")


def _full_disk() -> Exception:
    return OSError(errno.ENOSPC, "No space left on device", "d")


def _read_only_database() -> Exception:
    import sqlite3

    import sqlalchemy.exc

    return sqlalchemy.exc.OperationalError("INSERT INTO monthly_reports", {},
                                           sqlite3.OperationalError(
                                               "attempt to write a readonly database"))


@pytest.mark.parametrize(("failure", "message"), [
    (_full_disk, "error: d: No space left on device"),
    (_read_only_database, "error: the data store refused: attempt to write a readonly database"),
])
def test_a_store_that_cannot_be_written_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: object, message: str) -> None:
    """A full disk or a read-only database (simulated: modes do not stop root): one line."""
    import izreport.incoming.ingest

    def refuse(*args: object, **kw: object) -> None:
        raise failure()  # type: ignore[operator]

    monkeypatch.setattr(izreport.incoming.ingest, "_write", refuse)
    store = tmp_path / "d"
    store.mkdir()
    for table in DATA.glob("*.csv"):
        (store / table.name).write_bytes(table.read_bytes())
    book = DATA / "submissions" / "2025-07" / "bao-cao-2025-07.xlsx"
    assert _one_line(["ingest", str(book), "--data", str(store)], IO_EXIT) == message


def test_a_usage_error_is_not_an_unexpected_failure(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "errors.log"
    monkeypatch.setenv("IZREPORT_ERROR_LOG", str(log))
    result = runner.invoke(app, ["status", "--bogus"])
    assert result.exit_code == 2 and "unknown option --bogus" in result.output
    assert not log.exists()
