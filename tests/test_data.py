from __future__ import annotations

from pathlib import Path

import pytest

from izreport.core.errors import DataError, ScopeError
from izreport.core.periods import Period
from izreport.storage import data

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")


def test_zone_lookup_ignores_accents_case_and_form(dataset: data.Dataset) -> None:
    for key in ("Hòa Xá", "hoa xa", "HOA-XA", "hoa-xa"):
        assert dataset.zone(key).zone_id == "hoa-xa"
    assert dataset.zone("Hòa Xá").title_vi == "Khu công nghiệp Hòa Xá"


def test_unknown_zone_lists_the_known_ones(dataset: data.Dataset) -> None:
    with pytest.raises(ScopeError) as err:
        dataset.zone("Hòa Bình")
    assert "Hòa Bình" in str(err.value)
    assert "Bảo Minh" in str(err.value) and "Mỹ Trung" in str(err.value)


def test_period_outside_the_data_names_the_coverage(dataset: data.Dataset) -> None:
    first, last = dataset.months
    with pytest.raises(ScopeError) as err:
        dataset.check_period(Period.parse("2030-H1"))
    assert first in str(err.value) and last in str(err.value)
    dataset.check_period(Period.parse("2021-H1"))  # covered: no error


def test_operating_zones_follow_the_data(dataset: data.Dataset) -> None:
    names_2021 = [z.name for z in dataset.operating_zones(Period.parse("2021-H1"))]
    assert names_2021 == ["Hòa Xá", "Bảo Minh", "Mỹ Trung"]
    names_2024 = [z.name for z in dataset.operating_zones(Period.parse("2024"))]
    assert "Dệt may Rạng Đông" in names_2024


def test_select_scopes_rows(dataset: data.Dataset) -> None:
    months = Period.parse("2021-Q1").months
    province = dataset.select(months)
    zone = dataset.select(months, "hoa-xa")
    assert set(province["month"]) == set(months)
    assert set(zone["zone_id"]) == {"hoa-xa"}
    assert 0 < len(zone) < len(province)


def test_missing_column_names_file_and_column(data_copy: Path) -> None:
    path = data_copy / "plans.csv"
    text = path.read_text(encoding="utf-8").replace("target", "targt", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        data.load(data_copy)
    assert "plans.csv" in str(err.value) and "target" in str(err.value)


def test_report_of_unknown_enterprise_names_row(data_copy: Path) -> None:
    path = data_copy / "monthly_reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines[1].split(",")
    first[1] = "DN9999"
    lines[1] = ",".join(first)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as err:
        _ = data.load(data_copy).reports
    message = str(err.value)
    assert "monthly_reports.csv" in message and "row 2" in message and "DN9999" in message


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data folder not found"):
        data.load(tmp_path / "nowhere")


@pytest.mark.parametrize(("value", "rule"), [("12,5", "a number"), ("abc", "a number")])
def test_unreadable_number_names_row_column_and_value(data_copy: Path, value: str,
                                                      rule: str) -> None:
    path = data_copy / "monthly_reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[5].split(",")
    cells[2] = f'"{value}"'  # production_value of the 5th report row (line 6), quoted
    lines[5] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as err:
        data.load(data_copy)
    message = str(err.value)
    assert "monthly_reports.csv: row 6, column production_value" in message
    assert repr(value) in message and rule in message


def test_fractional_head_count_is_named(data_copy: Path) -> None:
    path = data_copy / "monthly_reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[3].split(",")
    cells[7] = "120.5"  # workers
    lines[3] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"row 4, column workers: '120\.5' is not a whole number"):
        data.load(data_copy)


def test_line_with_too_many_fields_names_the_line(data_copy: Path) -> None:
    path = data_copy / "monthly_reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].rstrip("\n") + ",9\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"monthly_reports\.csv: .*line 6"):
        data.load(data_copy)


def test_attributes_join_each_row_to_its_enterprise_as_a_left_merge(
        dataset: data.Dataset) -> None:
    """The positional join gives what ``merge(how="left")`` gives, an unknown enterprise
    included (no attributes), in the rows' order; duplicate enterprises are refused."""
    import dataclasses

    import pandas as pd

    rows = dataset.monthly_reports.iloc[[5, 2, 2, 40]].copy()
    rows.iloc[3, rows.columns.get_loc("enterprise_id")] = "NOT-AN-ENTERPRISE"
    attrs = dataset.enterprises[["enterprise_id", "name", "zone_id", "vsic", "sector",
                                 "ownership", "investor_country"]]
    joined = dataset.with_attributes(rows)
    pd.testing.assert_frame_equal(joined, rows.merge(attrs, on="enterprise_id", how="left"))
    assert joined["zone_id"].isna().tolist() == [False, False, False, True]
    twice = dataclasses.replace(dataset, enterprises=pd.concat(
        [dataset.enterprises, dataset.enterprises.iloc[[0]]], ignore_index=True))
    with pytest.raises(pd.errors.MergeError):
        twice.with_attributes(dataset.monthly_reports)
