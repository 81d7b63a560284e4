"""Tests for izreport.core.periods."""

import pytest

from izreport.core.periods import Period, PeriodError, month_range


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("2021-06", Period(2021, 6, 6), "month"),
        ("2021-Q2", Period(2021, 4, 6), "quarter"),
        ("2021-q4", Period(2021, 10, 12), "quarter"),
        ("2021-H1", Period(2021, 1, 6), "half"),
        ("2021-h2", Period(2021, 7, 12), "half"),
        ("2021-9M", Period(2021, 1, 9), "9m"),
        ("2021-9m", Period(2021, 1, 9), "9m"),
        ("2021", Period(2021, 1, 12), "year"),
        ("2021-01..2021-05", Period(2021, 1, 5), "range"),
        ("  2021-Q2\n", Period(2021, 4, 6), "quarter"),
        ("2021-02 .. 2021-05", Period(2021, 2, 5), "range"),
    ],
)
def test_parse(text: str, expected: Period, kind: str) -> None:
    period = Period.parse(text)
    assert period == expected
    assert period.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "2021-06",
        "2021-Q1",
        "2021-Q2",
        "2021-Q3",
        "2021-Q4",
        "2021-H1",
        "2021-H2",
        "2021-9M",
        "2021",
        "2021-01..2021-05",
        "2021-02..2021-05",
        "2021-08..2021-12",
    ],
)
def test_str_round_trips(text: str) -> None:
    assert str(Period.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2021-q2", "2021-Q2"),
        ("2021-01..2021-03", "2021-Q1"),
        ("2021-01..2021-06", "2021-H1"),
        ("2021-01..2021-09", "2021-9M"),
        ("2021-01..2021-12", "2021"),
        ("2021-07..2021-07", "2021-07"),
    ],
)
def test_str_is_canonical(text: str, canonical: str) -> None:
    assert str(Period.parse(text)) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "2021-13",
        "2021-00",
        "2021-Q5",
        "2021-Q0",
        "2021-H3",
        "21-06",
        "",
        "   ",
        "2021-05..2021-03",
        "2020-11..2021-02",
        "2021-6",
        "2021-M6",
        "2021-06-01",
        "Q2-2021",
        "2021-9",
        "2021-Q",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_error_names_input_and_forms() -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse("2021-13")
    message = str(info.value)
    assert "'2021-13'" in message
    for example in ("2021-06", "2021-Q2", "2021-H1", "2021-9M", "2021-01..2021-05"):
        assert example in message


def test_period_error_is_value_error() -> None:
    assert issubclass(PeriodError, ValueError)


@pytest.mark.parametrize(
    "args", [(2021, 0, 1), (2021, 1, 13), (2021, 6, 5), (21, 1, 1), (2021, 1.0, 2)]
)
def test_constructor_validates(args: tuple) -> None:
    with pytest.raises(PeriodError):
        Period(*args)


def test_non_string_rejected() -> None:
    with pytest.raises(PeriodError):
        Period.parse(202106)  # type: ignore[arg-type]


def test_months_and_bounds() -> None:
    period = Period.parse("2021-H1")
    assert period.months == ("2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06")
    assert period.first_month == "2021-01"
    assert period.last_month == "2021-06"
    assert Period.parse("2021-06").months == ("2021-06",)


@pytest.mark.parametrize(
    ("month", "inside"),
    [
        ("2021-04", True),
        ("2021-06", True),
        ("2021-03", False),
        ("2021-07", False),
        ("2020-05", False),
    ],
)
def test_contains(month: str, inside: bool) -> None:
    assert Period.parse("2021-Q2").contains(month) is inside


def test_contains_rejects_bad_month() -> None:
    with pytest.raises(PeriodError):
        Period.parse("2021").contains("2021-13")


@pytest.mark.parametrize(
    ("text", "ytd"),
    [
        ("2021-06", "2021-H1"),
        ("2021-Q3", "2021-9M"),
        ("2021-H2", "2021"),
        ("2021-01", "2021-01"),
        ("2021-02..2021-05", "2021-01..2021-05"),
        ("2021", "2021"),
    ],
)
def test_ytd(text: str, ytd: str) -> None:
    assert str(Period.parse(text).ytd()) == ytd


@pytest.mark.parametrize(
    ("text", "last_year"),
    [
        ("2021-06", "2020-06"),
        ("2021-Q2", "2020-Q2"),
        ("2021-H1", "2020-H1"),
        ("2021-9M", "2020-9M"),
        ("2021", "2020"),
        ("2024-02..2024-05", "2023-02..2023-05"),
    ],
)
def test_same_period_last_year(text: str, last_year: str) -> None:
    assert str(Period.parse(text).same_period_last_year()) == last_year


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2021-06", "2021-05"),
        ("2021-01", "2020-12"),
        ("2021-12", "2021-11"),
        ("2021-Q1", "2020-Q4"),
        ("2021-Q3", "2021-Q2"),
        ("2021-H1", "2020-H2"),
        ("2021-H2", "2021-H1"),
        ("2021", "2020"),
        ("2021-9M", "2020-9M"),
        ("2021-05..2021-06", "2021-03..2021-04"),
        ("2021-03..2021-04", "2021-01..2021-02"),
        ("2021-06..2021-09", "2021-02..2021-05"),
    ],
)
def test_previous(text: str, previous: str) -> None:
    result = Period.parse(text).previous()
    assert str(result) == previous
    assert result.kind == Period.parse(text).kind


@pytest.mark.parametrize("text", ["2021-01..2021-05", "2021-02..2021-05", "2021-03..2021-08"])
def test_previous_range_crossing_year_fails(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text).previous()


@pytest.mark.parametrize(
    ("text", "label", "short"),
    [
        ("2021-06", "tháng 6 năm 2021", "tháng 6"),
        ("2021-Q2", "quý II năm 2021", "quý II"),
        ("2021-Q4", "quý IV năm 2021", "quý IV"),
        ("2021-H1", "6 tháng đầu năm 2021", "6 tháng đầu năm"),
        ("2021-H2", "6 tháng cuối năm 2021", "6 tháng cuối năm"),
        ("2021-9M", "9 tháng năm 2021", "9 tháng"),
        ("2021", "năm 2021", "năm"),
        ("2024-01..2024-05", "5 tháng đầu năm 2024", "5 tháng đầu năm"),
        ("2024-02..2024-05", "từ tháng 2 đến tháng 5 năm 2024", "từ tháng 2 đến tháng 5"),
    ],
)
def test_labels(text: str, label: str, short: str) -> None:
    period = Period.parse(text)
    assert period.label_vi == label
    assert period.short_label_vi == short


def test_ordering_and_hashing() -> None:
    periods = [Period.parse(t) for t in ("2021-Q2", "2020", "2021-01", "2021-H1")]
    assert [str(p) for p in sorted(periods)] == ["2020", "2021-01", "2021-H1", "2021-Q2"]
    assert len({Period.parse("2021-Q1"), Period.parse("2021-01..2021-03")}) == 1


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2021-01", "2021-03", ["2021-01", "2021-02", "2021-03"]),
        ("2020-11", "2021-02", ["2020-11", "2020-12", "2021-01", "2021-02"]),
        ("2021-05", "2021-05", ["2021-05"]),
    ],
)
def test_month_range(first: str, last: str, expected: list[str]) -> None:
    assert month_range(first, last) == expected


@pytest.mark.parametrize(
    ("first", "last"), [("2021-05", "2021-03"), ("2021-13", "2022-01"), ("2021", "2021-03")]
)
def test_month_range_rejects(first: str, last: str) -> None:
    with pytest.raises(PeriodError):
        month_range(first, last)


def test_shapes_of_periods_and_the_periods_that_end_in_a_month() -> None:
    from izreport.core.periods import first_ending_after, latest_ending, shift_month

    assert [Period.parse(p).shape for p in ("2021-06", "2021-Q2", "2021-H1", "2021-H2",
                                             "2021-9M", "2021")] == [
        "month", "quarter", "H1", "H2", "9m", "year"]
    assert Period.ending("quarter", "2021-08") is None
    assert str(Period.ending("quarter", "2021-09")) == "2021-Q3"
    year = [f"2021-{m:02d}" for m in range(1, 13)]
    assert str(latest_ending(["H1", "year"], year[:11])) == "2021-H1"
    assert str(latest_ending(["H1", "H2", "year"], year)) == "2021"  # the longer one wins
    assert str(latest_ending(["quarter", "9m"], year[:10])) == "2021-9M"
    assert latest_ending(["year"], year[:11]) is None
    assert str(first_ending_after(["H1", "year"], "2021-06")) == "2021"
    assert str(first_ending_after(["H1", "year"], "2021-12")) == "2022-H1"
    assert str(first_ending_after(["month"], "2021-12")) == "2022-01"
    assert [shift_month("2021-01", n) for n in (-1, 0, 11, 12, 25)] == [
        "2020-12", "2021-01", "2021-12", "2022-01", "2023-02"]
