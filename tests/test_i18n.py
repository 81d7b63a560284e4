"""The commands speak Vietnamese by default and English on request, from one catalogue."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from izreport import __version__
from izreport.commands.cli import app
from izreport.core import i18n
from izreport.pipeline.params import reports

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "izreport" / "locale" / "vi" / "LC_MESSAGES" / "izreport.po"
MO = PO.with_suffix(".mo")
runner = CliRunner()

#: Words of an English sentence that no Vietnamese message contains.
ENGLISH = (" the ", "error", "invalid", "must", "cannot", "unknown", "missing", " is ",
           " not ", " of ", " and ", " or ", " for ", "usage", "options:", "show this",
           "default:", "required", "did you mean", "expected", "got ", "see:")


def _catalogue() -> dict[str, str]:
    """msgid -> translation; a plural entry under its singular, translated when every form is."""
    with PO.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0]:
                m.string if isinstance(m.string, str) else
                (m.string[0] if all(m.string) else "")
                for m in read_po(fh) if m.id}


def _code_messages() -> set[str]:
    """What ``make messages`` extracts: every _() and N_() of the package."""
    found = extract_from_dir(str(ROOT), method_map=[("izreport/**.py", "python")],
                             keywords={"_": None, "N_": None, "ngettext": (1, 2),
                                       "Message": None, "file_problem": None})
    return {msg if isinstance(msg, str) else msg[0] for _f, _l, msg, _c, _x in found}


def test_every_message_of_the_code_is_translated() -> None:
    catalogue = _catalogue()
    messages = _code_messages()
    assert len(messages) > 250
    missing = sorted(m for m in messages if not catalogue.get(m))
    assert not missing, f"not in izreport.po (run make messages and translate): {missing}"


def test_translations_keep_the_placeholders() -> None:
    for msgid, msgstr in _catalogue().items():
        fields = set(re.findall(r"\{[^{}]*\}", msgid))
        assert set(re.findall(r"\{[^{}]*\}", msgstr)) == fields, msgid


def test_the_committed_mo_is_the_compiled_po() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    assert not catalog.fuzzy  # pybabel compile skips a fuzzy catalogue
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == MO.read_bytes()


def _english_words(text: str) -> list[str]:
    folded = " " + " ".join(text.split()).lower() + " "
    return [w for w in ENGLISH if w in folded]


def _commands() -> list[list[str]]:
    import typer

    group = typer.main.get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    return [[], *([n] for n in names), ["render", "half-year"], ["render", "monthly"]]


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w) or "izreport")
def test_help_in_both_languages(words: list[str]) -> None:
    vi = runner.invoke(app, ["--lang", "vi", *words, "--help"])
    en = runner.invoke(app, ["--lang", "en", *words, "--help"])
    assert vi.exit_code == en.exit_code == 0, vi.output + en.output
    assert vi.output.startswith("Cách dùng: izreport")
    assert not _english_words(vi.output), (_english_words(vi.output), vi.output)
    assert en.output.startswith("Usage: izreport")
    assert "Show this message and exit." in en.output
    assert vi.output != en.output


def test_environment_chooses_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZREPORT_LANG", "")
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert "Usage: izreport render" in runner.invoke(app, ["render", "--help"]).output
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert "Cách dùng: izreport render" in runner.invoke(app, ["render", "--help"]).output
    monkeypatch.setenv("IZREPORT_LANG", "en")
    assert "Usage: izreport render" in runner.invoke(app, ["render", "--help"]).output


def test_lang_of_one_command_does_not_stay() -> None:
    import os

    before, env = i18n.language(), os.environ.get("IZREPORT_LANG")
    other = "en" if before == "vi" else "vi"
    assert runner.invoke(app, ["--lang", other, "--version"]).exit_code == 0
    assert i18n.language() == before and os.environ.get("IZREPORT_LANG") == env


#: Typical mistakes: the words, the exit code and what the English message names.
ERRORS = [
    (["render", "half-year", "--outt", "x"], 2, "did you mean --out?"),
    (["render", "half-year", "--perod", "2021-H1"], 2, "did you mean --period?"),
    (["render", "half-year", "--period", "2021-13"], 2, "2021-H1 (half-year), 2021 (year)"),
    (["render", "half-year", "--period", "2021-06"], 2, "this report takes"),
    (["render", "half-year", "-j", "0"], 2, "--jobs must be at least 1, got 0"),
    (["render", "half-year", "--issued", "5/13/2021"], 2, "DD/MM/YYYY (05/07/2021)"),
    (["render", "half-year", "--final", "maybe"], 2, "a flag"),
    (["render", "half-year", "--number", "0"], 2, "must be from 1 to 9999"),
    (["render", "half-year", "--zone", "7"], 2, "unknown zone '7'"),
    (["render", "half-year", "--to", "odt"], 2, "unknown output format"),
    (["render", "weekly"], 2, "unknown report 'weekly'"),
    (["render", "half-yaer"], 2, "did you mean 'half-year'?"),
    (["render"], 2, "argument REPORT is missing"),
    (["rendr"], 2, "did you mean render?"),
    (["publish"], 2, "option --to is required"),
    (["status", "--limit", "x"], 2, "--limit takes a whole number, got 'x'"),
    (["run-due", "-j", "0"], 2, "--jobs must be at least 1"),
    (["run-due", "--date", "32/01/2021"], 2, "--date: expected a date"),
    (["ingest", "--bogus"], 2, "unknown option --bogus"),
    (["texts", "--period", "2021-H7"], 2, "the half-year must be H1 or H2"),
    (["--lang", "fr", "status"], 2, "unknown language 'fr'"),
]


@pytest.mark.parametrize(("words", "code", "english"), ERRORS,
                         ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_errors_in_both_languages(tmp_path: Path, words: list[str], code: int,
                                  english: str) -> None:
    if words[0] == "render":
        words = [*words, "--out", str(tmp_path / "out")]
    lang_given = words[0] == "--lang"  # then the environment chooses the language
    vi = runner.invoke(app, words if lang_given else ["--lang", "vi", *words],
                       env={"IZREPORT_LANG": "vi"})
    en = runner.invoke(app, words if lang_given else ["--lang", "en", *words],
                       env={"IZREPORT_LANG": "en"})
    assert vi.exit_code == code and en.exit_code == code, vi.output + en.output
    # one style: a single line that starts with the word for error
    assert vi.output.count("\n") == 1 and vi.output.startswith("lỗi: "), vi.output
    assert en.output.count("\n") == 1 and en.output.startswith("error: "), en.output
    assert english in " ".join(en.output.split())
    if not lang_given:
        assert not _english_words(vi.output), (_english_words(vi.output), vi.output)
    assert not (tmp_path / "out").exists()


def test_render_help_lists_the_reports() -> None:
    text = " ".join(runner.invoke(app, ["--lang", "vi", "render", "--help"]).output.split())
    for name, spec in reports().items():
        assert name in text and spec.title in text
        for p in spec.specs:
            assert p.flag in text


def test_report_help_is_made_from_the_declaration() -> None:
    spec = reports()["half-year"]
    text = " ".join(runner.invoke(app, ["--lang", "vi", "render", "half-year", "--help"]
                                  ).output.split())
    for p in spec.specs:
        assert p.flag in text and " ".join(p.help.split()) in text
        for example in p.examples:
            assert f"{p.flag} {example}" in text
    assert f"mặc định: {spec.spec('period').default}" in text
    assert "kiểu: kỳ (6 tháng, năm)" in text
    assert "--final Bản chính thức" in text  # a flag: no value after it
    assert "--out" in text and "--jobs" in text  # the command's own options too
    monthly = " ".join(runner.invoke(app, ["--lang", "en", "render", "monthly", "--help"]
                                     ).output.split())
    assert "type: period (month)" in monthly and "--final" not in monthly
    english = " ".join(runner.invoke(app, ["--lang", "en", "render", "half-year", "--help"]
                                     ).output.split())
    assert spec.title_en in english
    for p in spec.specs:
        assert " ".join(p.help_en.split()) in english and p.help not in english


def test_every_report_declares_its_english_wording() -> None:
    for spec in reports().values():
        assert spec.title_en and spec.title_en != spec.title
        assert all(p.help_en and p.help_en != p.help for p in spec.specs), spec.name


def test_flags_take_no_value_or_a_yes_no_word() -> None:
    from izreport.commands.render_help import _fold_flags
    from izreport.core.errors import ParameterError
    from izreport.pipeline.params import BARE_FLAG, get_report, validate

    spec = get_report("half-year")
    assert validate(spec, {"period": "2021-H1", "final": "true", "issued": "05/07/2021",
                           "number": "5"})["issued"] == "2021-07-05"
    assert validate(spec, {"period": "2021-H1", "final": "không"})["final"] is False
    assert validate(spec, {"period": "2021-H1", "final": BARE_FLAG})["final"] is True
    with pytest.raises(ParameterError, match="'final'"):  # 2021-H2 has no texts: refused
        validate(spec, {"period": "2021-H2", "final": BARE_FLAG})
    assert _fold_flags(["--all-zones", "true", "--period", "2021"]) == ["--all-zones",
                                                                       "--period", "2021"]
    assert _fold_flags(["--all-zones=no", "--period", "2021"]) == ["--period", "2021"]
    assert _fold_flags(["--all-zones", "--period", "2021"]) == ["--all-zones", "--period",
                                                                "2021"]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"izreport {__version__}"
