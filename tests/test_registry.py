"""Reports are declared by their notebooks: adding one needs no Python."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from izreport.core.errors import ParameterError
from izreport.pipeline.params import NOTEBOOKS_DIR, get_report, read_report, reports, validate

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")


def test_every_shipped_report_is_found() -> None:
    assert {"half-year", "monthly", "quarterly"} <= set(reports())


def _copy(tmp_path: Path, name: str, change: dict) -> Path:  # type: ignore[type-arg]
    nb = json.loads((NOTEBOOKS_DIR / "quarterly_report.ipynb").read_text(encoding="utf-8"))
    nb["metadata"]["izreport"] = change  # a declaration of its own, as the README shows
    target = tmp_path / name
    target.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return target


def test_a_copied_notebook_with_a_declaration_is_a_new_report(tmp_path: Path) -> None:
    params = {"period": {"type": "period", "kinds": ["9m"], "default": "2021-9M"},
              "zone": {"type": "zone", "default": None},
              "sector": {"type": "sector", "default": None, "help": "Ngành (VSIC)"},
              "style": {"type": "str", "choices": ["ngắn", "đầy đủ"], "default": "ngắn"}}
    _copy(tmp_path, "nine_months.ipynb", {"report": "nine-months", "parameters": params})
    spec = reports(tmp_path)["nine-months"]
    assert validate(spec, {"sector": "sản xuất trang phục"})["sector"] == "14"
    with pytest.raises(ParameterError, match="'style'"):
        validate(spec, {"style": "dài"})
    with pytest.raises(ParameterError, match=r"2021-9M \(nine months\)"):
        validate(spec, {"period": "2021-H1"})
    with pytest.raises(ParameterError, match="unknown sector"):
        validate(spec, {"sector": "đóng tàu"})
    assert spec.stem({"period": "2021-9M", "zone": None, "sector": "14"}) == (
        "nine-months_2021-9M_14")


def test_declaration_errors_name_the_notebook(tmp_path: Path) -> None:
    bad = _copy(tmp_path, "bad.ipynb", {"report": "bad", "parameters": {
        "period": {"type": "week", "default": "2021-W1"}}})
    with pytest.raises(ParameterError, match=r"bad\.ipynb: parameter 'period' has type 'week'"):
        read_report(bad)


def test_two_notebooks_cannot_declare_the_same_report(tmp_path: Path) -> None:
    shutil.copy(NOTEBOOKS_DIR / "quarterly_report.ipynb", tmp_path / "a.ipynb")
    shutil.copy(NOTEBOOKS_DIR / "quarterly_report.ipynb", tmp_path / "b.ipynb")
    with pytest.raises(ParameterError, match=r"declared by both a\.ipynb and b\.ipynb"):
        reports(tmp_path)


def test_notebooks_without_a_declaration_are_not_reports(tmp_path: Path) -> None:
    (tmp_path / "scratch.ipynb").write_text('{"cells": [], "metadata": {}}', encoding="utf-8")
    assert reports(tmp_path) == {}


def test_quarterly_report_is_not_a_draft(tmp_path: Path) -> None:
    from izreport.pipeline.render import render
    from tests.conftest import DATA

    spec = get_report("quarterly")
    assert [s.name for s in spec.specs] == ["period", "zone"]
    result = render("quarterly", {"period": "2021-Q2"}, tmp_path, formats=["html"],
                    data_dir=DATA)
    html = result.files["html"].read_text(encoding="utf-8")
    assert "Tình hình hoạt động của các khu công nghiệp tỉnh Nam Định quý II năm 2021" in html
    assert "DỰ THẢO" not in html
