"""The command line: parameters checked before execution, messages that name them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import _report_params, app
from izreport.pipeline.params import BARE_FLAG

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")

runner = CliRunner()


@pytest.mark.parametrize(("args", "words"), [
    (["--period", "2021-H1", "--bogus", "1"], ["unknown parameter 'bogus'"]),
    (["--period", "2021-H1", "--zone", "7"], ["parameter 'zone'", "unknown zone '7'"]),
    (["--period", "2021-13"], ["parameter 'period'", "2021-13"]),
    (["--period"], ["parameter 'period' has no value"]),
    (["--to", "odt"], ["unknown output format", "odt"]),
])
def test_bad_arguments_fail_before_execution(tmp_path: Path, args: list[str],
                                             words: list[str]) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "half-year", "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    for word in words:
        assert word in text
    assert not out.exists()  # nothing written, no kernel started


def test_unknown_report(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "weekly", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown report 'weekly'" in result.output


def test_params_lists_the_declared_parameters() -> None:
    result = runner.invoke(app, ["params", "half-year"])
    assert result.exit_code == 0
    assert "period" in result.output and "zone" in result.output and "2021-H1" in result.output


def test_render_prints_the_files_it_wrote(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--to", "html",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "half-year_2021-H1.html") in result.output.replace("\n", "")
    assert (tmp_path / "half-year_2021-H1.html").is_file()


@pytest.mark.parametrize(("words", "expected"), [
    (["--period", "2021-H1"], {"period": "2021-H1"}),
    (["--period=2021", "--zone", "Hòa Xá"], {"period": "2021", "zone": "Hòa Xá"}),
    (["-p", "period", "2021-H2"], {"period": "2021-H2"}),
    (["--final", "-p", "period", "2021"], {"final": BARE_FLAG, "period": "2021"}),
    (["--final", "true", "--number", "5"], {"final": "true", "number": "5"}),
])
def test_parameter_words(words: list[str], expected: dict[str, str]) -> None:
    assert _report_params(words) == expected


def test_outputs_go_to_the_configured_folder(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --out, render, forms and status use [store] outputs of the configuration."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "izreport.toml").read_text(encoding="utf-8")
    assert 'outputs = "outputs"' in text
    config = tmp_path / "conf" / "izreport.toml"
    config.parent.mkdir()
    config.write_text(text.replace('outputs = "outputs"', 'outputs = "../ket-qua"').replace(
        'texts = "reports"', f'texts = "{root / "reports"}"'), encoding="utf-8")
    monkeypatch.setenv("IZREPORT_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)
    data = str(root / "data")
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--to", "html",
                                 "--data", data])
    assert result.exit_code == 0, result.output
    wanted = tmp_path / "ket-qua"
    assert (wanted / "half-year_2021-H1.html").is_file()
    assert "ket-qua/half-year_2021-H1.html" in result.output
    assert not (tmp_path / "outputs").exists() and not (root / "outputs" / "ket-qua").exists()
    result = runner.invoke(app, ["forms", "--period", "2024-Q2", "--data", data])
    assert result.exit_code == 0, result.output
    assert (wanted / "bieu-thong-ke_2024-Q2.xlsx").is_file()
    result = runner.invoke(app, ["status", "--data", data, "--date", "2021-07-20"])
    assert result.exit_code == 0, result.output
    assert "half-year_2021-H1" in result.output.replace("\n", "")
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--to", "html",
                                 "--data", data, "--out", str(tmp_path / "khac")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "khac" / "half-year_2021-H1.html").is_file()    # --out still wins
