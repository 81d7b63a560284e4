"""The README's analyst's guide works as written: each example is executed here."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from izreport.blocks.texts import TEXTS_ENV, texts_dir
from izreport.pipeline import params
from izreport.pipeline.render import RenderResult, render
from tests.conftest import DATA, ROOT
from tests.visible import html_lines, pdf_lines

_EXAMPLE_RE = re.compile(r"<!-- example: (\w+) -->\n```(\w+)\n(.*?)\n```", re.S)


def examples() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {name: body for name, _lang, body in _EXAMPLE_RE.findall(text)}


def test_the_guide_has_every_example() -> None:
    assert set(examples()) == {"chart", "table", "sentence", "decimals", "section", "report"}


@pytest.fixture(scope="module")
def guide_render(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    """The half-year notebook with the guide's cells added, and its section in the texts."""
    found = examples()
    folder = tmp_path_factory.mktemp("notebooks")
    nb = json.loads((params.NOTEBOOKS_DIR / "half_year_report.ipynb").read_text("utf-8"))
    nb["metadata"]["izreport"]["report"] = "half-year-guide"
    at = next(i for i, c in enumerate(nb["cells"]) if "rep.signature()" in "".join(c["source"]))
    for offset, name in enumerate(("chart", "table", "sentence", "decimals")):
        nb["cells"].insert(at + offset, {"cell_type": "code", "execution_count": None,
                                         "id": f"guide-{name}", "metadata": {}, "outputs": [],
                                         "source": found[name]})
    (folder / "guide.ipynb").write_text(json.dumps(nb, ensure_ascii=False), "utf-8")
    texts = tmp_path_factory.mktemp("texts")
    shutil.copy(texts_dir() / "2021-H1.md", texts / "2021-H1.md")
    with (texts / "2021-H1.md").open("a", encoding="utf-8") as fh:
        fh.write("\n" + found["section"] + "\n")
    patch = pytest.MonkeyPatch()
    patch.setattr(params, "NOTEBOOKS_DIR", folder)
    patch.setenv(TEXTS_ENV, str(texts))
    try:
        return render("half-year-guide", {"period": "2021-H1"}, tmp_path_factory.mktemp("out"),
                      data_dir=DATA)
    finally:
        patch.undo()


def test_guide_examples_reach_the_report(guide_render: RenderResult) -> None:
    lines = html_lines(guide_render.files["html"].read_text(encoding="utf-8"))
    text = "\n".join(lines)
    # a chart and a table, numbered after the report's own
    assert "Hình 5. Giá trị xuất khẩu theo ngành, 6 tháng đầu năm 2021" in lines
    assert "Bảng 11. Lao động nữ theo khu công nghiệp 6 tháng đầu năm 2021" in lines
    assert "Khu công nghiệp | Lao động (người) | Lao động nữ (người)" in lines
    # a sentence with values that wrote themselves
    assert ("Xuất khẩu tiếp tục là điểm sáng: đạt 450 triệu USD, tăng 32,5% so với cùng kỳ."
            in lines)
    # two decimals in the occupancy column, one in leased land
    assert "Mỹ Trung | 150,68 | 103,10 | 27,7 | 26,88% | Đang hoạt động" in lines
    # the added section is numbered after section X and keeps its text
    assert "XI. CÔNG TÁC PHÒNG CHÁY, CHỮA CHÁY" in lines
    assert "Ban Quản lý phối hợp kiểm tra công tác phòng cháy, chữa cháy" in text
    pdf = " ".join(pdf_lines(guide_render.files["pdf"]))
    assert "Xuất khẩu tiếp tục là điểm sáng" in pdf and "XI. CÔNG TÁC PHÒNG CHÁY" in pdf


def test_guide_adds_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    declaration = json.loads(examples()["report"])
    nb = json.loads((params.NOTEBOOKS_DIR / "quarterly_report.ipynb").read_text("utf-8"))
    nb["metadata"]["izreport"] = declaration
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    cell["source"] = 'period = "2021-9M"  # 9 tháng\nzone = None  # toàn tỉnh\n'
    (tmp_path / "nine_months_report.ipynb").write_text(json.dumps(nb, ensure_ascii=False),
                                                      "utf-8")
    monkeypatch.setattr(params, "NOTEBOOKS_DIR", tmp_path)
    result = render("nine-months", {"period": "2021-9M"}, tmp_path / "out", formats=["html"],
                    data_dir=DATA)
    html = result.files["html"].read_text(encoding="utf-8")
    assert result.files["html"].name == "nine-months_2021-9M.html"
    assert "9 tháng năm 2021" in html
