from __future__ import annotations

import re
from pathlib import Path

import pytest

from izreport.core.errors import ParameterError
from izreport.pipeline.params import get_report, validate

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")

ROOT = Path(__file__).resolve().parents[1]
HALF = get_report("half-year")


def test_defaults_and_canonical_values() -> None:
    assert validate(HALF, {}) == {"period": "2021-H1", "zone": None, "final": False,
                                  "number": None, "issued": None}
    got = validate(HALF, {"period": "2021-h2", "zone": "hoa xa", "number": "5",
                          "issued": "2022-01-05"})
    assert got == {"period": "2021-H2", "zone": "Hòa Xá", "final": False, "number": 5,
                   "issued": "2022-01-05"}
    assert validate(HALF, {"period": "2021"})["period"] == "2021"


@pytest.mark.parametrize(("raw", "words"), [
    ({"bogus": "1"}, ["unknown parameter 'bogus'", "period", "zone"]),
    ({"period": "2021-13"}, ["'period'", "2021-13"]),
    ({"period": "2021-06"}, ["'period'", "month", "2021-H1"]),
    ({"period": "2031-H1"}, ["'period'", "outside the data"]),
    ({"zone": "7"}, ["'zone'", "unknown zone '7'", "Hòa Xá"]),
    ({"zone": 7}, ["'zone'", "expected a name", "got 7"]),
])
def test_bad_parameters_are_named(raw: dict[str, object], words: list[str]) -> None:
    with pytest.raises(ParameterError) as err:
        validate(HALF, raw)
    for word in words:
        assert word in str(err.value)


def test_unknown_report_lists_reports() -> None:
    with pytest.raises(ParameterError, match="half-year"):
        get_report("weekly")


def test_output_stem_is_stable_ascii() -> None:
    assert HALF.stem({"period": "2021-H1", "zone": None}) == "half-year_2021-H1"
    # a zone is named by its id, as in its texts file and its site path
    assert HALF.stem({"period": "2021", "zone": "Hòa Xá"}, "hoa-xa") == "half-year_2021_hoa-xa"
    with pytest.raises(ValueError, match="zone id"):
        HALF.stem({"period": "2021", "zone": "Hòa Xá"})
    assert HALF.path.is_file()


def test_unknown_zone_offers_only_zones_that_report() -> None:
    with pytest.raises(ParameterError) as caught:
        validate(HALF, {"zone": "Hồng Tiếnn"})
    message = str(caught.value)
    assert "Mỹ Thuận" in message and "Hòa Xá" in message
    assert "Hồng Tiến" not in message.split(";", 1)[1]  # planned: nothing to report on
    assert "Yên Bằng" not in message  # a cluster (CCN), reporting under its own rules


@pytest.mark.parametrize(("declaration", "message"), [
    ({"schedule": ["weekly"]}, "unknown period shape 'weekly'"),
    ({"schedule": ["year"]}, "the schedule names 'year' but the report's period parameter"),
    ({"schedule": ["month"], "site": {"month": {"folder": "Báo cáo", "title": "x"}}},
     "site['month'] needs a folder"),
])
@pytest.mark.usefixtures("english")
def test_a_schedule_the_report_cannot_keep_is_refused(
        tmp_path: Path, declaration: dict, message: str) -> None:
    import json

    from izreport.pipeline.params import read_report

    meta = {"report": "x", "parameters": {"period": {"type": "period", "kinds": ["month"]}},
            **declaration}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"metadata": {"izreport": meta}, "cells": []}), encoding="utf-8")
    with pytest.raises(ParameterError, match=re.escape(message)):
        read_report(path)
