from __future__ import annotations

from pathlib import Path

import pytest

from izreport.blocks.texts import PLACEHOLDER, SECTIONS, read_texts, skeleton

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_committed_2021_h1_texts_are_complete() -> None:
    texts = read_texts("2021-H1")
    assert texts.complete
    assert "4.500 m³/ngày đêm" in (texts.get("environment") or "")


def test_missing_file_means_every_required_section_is_missing(tmp_path: Path) -> None:
    texts = read_texts("2021-H2", folder=tmp_path)
    assert texts.missing == tuple(s.title for s in SECTIONS if s.required)


def test_headings_match_loosely_and_placeholders_count_as_missing(tmp_path: Path) -> None:
    _write(tmp_path, "2021-H2.md", "# Tiêu đề\n\n## MÔI TRƯỜNG\n\nĐã kiểm tra 5 doanh nghiệp.\n\n"
           f"## Cải cách hành chính\n\n{PLACEHOLDER}\n\n## Tồn tại\n\n…\n\n"
           "## Nhiệm vụ kỳ tới\n\n1. Một việc.\n\n## Kiến nghị\n\n\n")
    texts = read_texts("2021-H2", folder=tmp_path)
    assert set(texts.sections) == {"environment", "tasks"}
    assert texts.missing == ("Công tác quản lý nhà nước, cải cách hành chính",
                             "Tồn tại, hạn chế và nguyên nhân", "Kiến nghị, đề xuất")


def test_unknown_headings_become_extra_sections_in_file_order(tmp_path: Path) -> None:
    _write(tmp_path, "2021.md",
           "# Năm 2021\n\n## Bối cảnh chung\n\nMở đầu.\n\n"
           "## Môi trường\n\nNội dung.\n\n## Thời tiết\n\nMưa nhiều.\n\n"
           "## Phòng cháy chữa cháy\n\nĐã diễn tập.\n# Không phải tiêu đề tệp\n\n"
           f"## Tồn tại, hạn chế\n\n{PLACEHOLDER}\n\n## Ghi chú\n\n- Một.\n- Hai.\n\n"
           "## Kiến nghị\n\nĐề nghị A.\n")
    texts = read_texts("2021", folder=tmp_path)
    assert texts.get("environment") == "Nội dung.\n"
    assert texts.get("proposals") == "Đề nghị A.\n"
    assert texts.extras_after(None) == [("Bối cảnh chung", "Mở đầu.\n")]
    assert texts.extras_after("environment") == [
        ("Thời tiết", "Mưa nhiều.\n"),
        ("Phòng cháy chữa cháy", "Đã diễn tập.\n# Không phải tiêu đề tệp\n")]
    # placed after the known heading above it, even when that section is not written yet
    assert texts.get("shortcomings") is None
    assert texts.extras_after("shortcomings") == [("Ghi chú", "- Một.\n- Hai.\n")]
    assert texts.extras_after("proposals") == []
    assert texts.extras_after("situation") == []


def test_extra_sections_are_never_required_and_placeholders_are_skipped(tmp_path: Path) -> None:
    full = "".join(f"## {s.title}\n\nĐã viết.\n\n" for s in SECTIONS)
    _write(tmp_path, "2022.md", full + f"## Mục thêm chưa viết\n\n{PLACEHOLDER}\n\n"
           "## Mục thêm trống\n\n\n## Mục thêm chấm\n\n…\n")
    texts = read_texts("2022", folder=tmp_path)
    assert texts.complete and texts.missing == ()
    assert texts.extras == ()
    assert texts.extras_after("proposals") == []


def test_extras_after_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "2021.md", "## Môi trường\n\nNội dung.\n")
    with pytest.raises(KeyError, match="enviroment"):
        read_texts("2021", folder=tmp_path).extras_after("enviroment")


def test_zone_texts_live_in_their_own_file(tmp_path: Path) -> None:
    _write(tmp_path, "2021-H1_hoa-xa.md", "## Môi trường\n\nRiêng Hòa Xá.\n")
    assert read_texts("2021-H1", "hoa-xa", folder=tmp_path).get("environment") == "Riêng Hòa Xá.\n"
    assert read_texts("2021-H1", folder=tmp_path).get("environment") is None


def test_skeleton_lists_every_section_as_not_written(tmp_path: Path) -> None:
    _write(tmp_path, "2022-H1.md", skeleton("Báo cáo 6 tháng đầu năm 2022", "Tình hình chung."))
    texts = read_texts("2022-H1", folder=tmp_path)
    assert texts.get("situation") == "Tình hình chung.\n"
    assert len(texts.missing) == 5


def test_cli_starts_a_texts_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from izreport.commands.cli import app

    monkeypatch.setenv("IZREPORT_TEXTS", str(tmp_path))
    runner = CliRunner()
    first = runner.invoke(app, ["texts", "--period", "2021-H2"])
    assert first.exit_code == 0, first.output
    texts = read_texts("2021-H2")
    assert texts.get("situation") is None  # left to the paragraph the notebook drafts
    assert "6 tháng cuối năm 2021" in texts.path.read_text(encoding="utf-8")
    assert len(texts.missing) == 5
    again = runner.invoke(app, ["texts", "--period", "2021-H2"])
    assert again.exit_code == 2 and "already exists" in again.output


@pytest.mark.parametrize(("period", "report"), [("2021-06", "monthly"),
                                                 ("2021-Q2", "quarterly")])
def test_cli_texts_refuses_a_report_without_hand_written_sections(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, period: str, report: str) -> None:
    from typer.testing import CliRunner

    from izreport.commands.cli import app
    from izreport.core.i18n import _
    from izreport.pipeline.sections import reports_with_texts

    assert set(reports_with_texts()) == {"half-year"}
    monkeypatch.setenv("IZREPORT_TEXTS", str(tmp_path))
    result = CliRunner().invoke(app, ["texts", "--period", period])
    assert result.exit_code == 2, result.output
    expected = _("--period {period}: the {reports} report of this period has no hand-written "
                 "sections, it is made from the data alone; izreport texts is for: "
                 "{offered}").format(period=period, reports=report,
                                     offered="half-year (2021-H1, 2021)")
    assert expected in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []  # nothing written
