"""Tests for izreport.core.formatting."""

import datetime
import math
from decimal import Decimal

import pytest

from izreport.core.formatting import (
    MISSING,
    UNITS,
    change_phrase,
    date_vi,
    number,
    percent,
    plan_phrase,
    quantity,
    roman,
)


@pytest.mark.parametrize(
    ("value", "decimals", "strip", "expected"),
    [
        (12000, 0, False, "12.000"),
        (28033.5, 1, False, "28.033,5"),
        (6.3, 1, False, "6,3"),
        (45.0, 2, True, "45"),
        (45.10, 2, True, "45,1"),
        (45.0, 2, False, "45,00"),
        (-1234, 0, False, "-1.234"),
        (-28033.46, 1, False, "-28.033,5"),
        (1234567.891, 2, False, "1.234.567,89"),
        (0, 0, False, "0"),
        (999.5, 0, False, "1.000"),
        (Decimal("12.345"), 2, False, "12,35"),
    ],
)
def test_number(value: float, decimals: int, strip: bool, expected: str) -> None:
    assert number(value, decimals, strip=strip) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.5, 0, "3"),
        (3.5, 0, "4"),
        (-2.5, 0, "-3"),
        (0.125, 2, "0,13"),
        (2.675, 2, "2,68"),
        (1.05, 1, "1,1"),
        (-0.4, 0, "0"),
        (-0.04, 1, "0,0"),
    ],
)
def test_number_rounds_half_away_from_zero(value: float, decimals: int, expected: str) -> None:
    assert number(value, decimals) == expected


@pytest.mark.parametrize("value", [None, math.nan, float("nan"), math.inf, -math.inf])
def test_number_missing(value: float | None) -> None:
    assert number(value) == "—" == MISSING


def test_number_accepts_numpy_like() -> None:
    np = pytest.importorskip("numpy")
    assert number(np.float64(28033.5), 1) == "28.033,5"
    assert number(np.int64(12000)) == "12.000"
    assert number(np.nan) == MISSING


@pytest.mark.parametrize(
    ("ratio", "decimals", "strip", "expected"),
    [
        (0.462606, 2, True, "46,26%"),
        (0.45, 2, True, "45%"),
        (0.45, 2, False, "45,00%"),
        (1.027, 1, True, "102,7%"),
        (0.12345, 2, True, "12,35%"),
        (0.005, 0, True, "1%"),
        (-0.188, 1, True, "-18,8%"),
        (12.5, 0, True, "1.250%"),
    ],
)
def test_percent(ratio: float, decimals: int, strip: bool, expected: str) -> None:
    assert percent(ratio, decimals, strip=strip) == expected


@pytest.mark.parametrize("ratio", [None, math.nan, math.inf])
def test_percent_missing(ratio: float | None) -> None:
    assert percent(ratio) == MISSING


def test_units() -> None:
    assert UNITS == {
        "bn_vnd": "tỷ đồng",
        "musd": "triệu USD",
        "persons": "người",
        "mvnd_per_person_month": "triệu đồng/người/tháng",
        "count": "doanh nghiệp",
        "ha": "ha",
        "projects": "dự án",
    }


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (12000.4, "bn_vnd", None, "12.000 tỷ đồng"),
        (28033.5, "bn_vnd", None, "28.034 tỷ đồng"),
        (45.34, "bn_vnd", None, "45,3 tỷ đồng"),
        (45.0, "bn_vnd", None, "45,0 tỷ đồng"),
        (99.96, "bn_vnd", None, "100 tỷ đồng"),
        (28033.5, "bn_vnd", 1, "28.033,5 tỷ đồng"),
        (450.2, "musd", None, "450,2 triệu USD"),
        (450.0, "musd", None, "450 triệu USD"),
        (657.3, "musd", None, "657,3 triệu USD"),
        (1250, "musd", None, "1.250 triệu USD"),
        (45210, "persons", None, "45.210 người"),
        (6.3, "mvnd_per_person_month", None, "6,3 triệu đồng/người/tháng"),
        (312, "count", None, "312 doanh nghiệp"),
        (1234.5, "ha", None, "1.234,50 ha"),
        (27, "projects", None, "27 dự án"),
        (-12.34, "bn_vnd", None, "-12,3 tỷ đồng"),
    ],
)
def test_quantity_table(value: float, unit: str, decimals: int | None, expected: str) -> None:
    assert quantity(value, unit, decimals) == expected


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (12000, "bn_vnd", None, "12 nghìn tỷ đồng"),
        (28033.5, "bn_vnd", None, "28,03 nghìn tỷ đồng"),
        (1000, "bn_vnd", None, "1 nghìn tỷ đồng"),
        (999.6, "bn_vnd", None, "1 nghìn tỷ đồng"),
        (850.4, "bn_vnd", None, "850 tỷ đồng"),
        (28033.5, "bn_vnd", 1, "28 nghìn tỷ đồng"),
        (1000, "musd", None, "1 tỷ USD"),
        (1250, "musd", None, "1,25 tỷ USD"),
        (657.3, "musd", None, "657,3 triệu USD"),
        (-1250, "musd", None, "-1,25 tỷ USD"),
        (45210, "persons", None, "45.210 người"),
    ],
)
def test_quantity_prose(value: float, unit: str, decimals: int | None, expected: str) -> None:
    assert quantity(value, unit, decimals, prose=True) == expected


@pytest.mark.parametrize("value", [None, math.nan])
def test_quantity_missing(value: float | None) -> None:
    assert quantity(value, "bn_vnd") == MISSING
    assert quantity(value, "musd", prose=True) == MISSING


def test_quantity_unknown_unit() -> None:
    with pytest.raises(ValueError, match="bn_vnd"):
        quantity(1, "vnd")


@pytest.mark.parametrize(
    ("ratio", "decimals", "expected"),
    [
        (1.151, 1, "tăng 15,1%"),
        (0.812, 1, "giảm 18,8%"),
        (1.0, 1, "không thay đổi"),
        (1.0004, 1, "không thay đổi"),
        (0.9996, 1, "không thay đổi"),
        (1.15, 1, "tăng 15%"),
        (2.5, 1, "tăng 150%"),
        (1.12345, 2, "tăng 12,35%"),
        (None, 1, ""),
        (math.nan, 1, ""),
    ],
)
def test_change_phrase(ratio: float | None, decimals: int, expected: str) -> None:
    assert change_phrase(ratio, decimals) == expected


@pytest.mark.parametrize(
    ("ratio", "decimals", "expected"),
    [
        (0.462606, 2, "bằng 46,26% kế hoạch năm"),
        (0.45, 2, "bằng 45% kế hoạch năm"),
        (1.077, 2, "vượt kế hoạch năm 7,7%"),
        (1.0, 2, "bằng 100% kế hoạch năm"),
        (1.00004, 2, "bằng 100% kế hoạch năm"),
        (1.00005, 2, "vượt kế hoạch năm 0,01%"),
        (None, 2, ""),
        (math.inf, 2, ""),
    ],
)
def test_plan_phrase(ratio: float | None, decimals: int, expected: str) -> None:
    assert plan_phrase(ratio, decimals) == expected


@pytest.mark.parametrize(
    ("d", "place", "expected"),
    [
        (datetime.date(2021, 7, 5), None, "ngày 05 tháng 7 năm 2021"),
        (datetime.date(2021, 2, 3), None, "ngày 03 tháng 02 năm 2021"),
        (datetime.date(2021, 1, 15), None, "ngày 15 tháng 01 năm 2021"),
        (datetime.date(2021, 12, 25), None, "ngày 25 tháng 12 năm 2021"),
        (datetime.date(2021, 7, 5), "Nam Định", "Nam Định, ngày 05 tháng 7 năm 2021"),
        (datetime.datetime(2025, 7, 1, 9, 30), "Ninh Bình", "Ninh Bình, ngày 01 tháng 7 năm 2025"),
    ],
)
def test_date_vi(d: datetime.date, place: str | None, expected: str) -> None:
    assert date_vi(d, place) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "I"),
        (2, "II"),
        (3, "III"),
        (4, "IV"),
        (5, "V"),
        (9, "IX"),
        (14, "XIV"),
        (40, "XL"),
        (1994, "MCMXCIV"),
        (3999, "MMMCMXCIX"),
    ],
)
def test_roman(n: int, expected: str) -> None:
    assert roman(n) == expected


@pytest.mark.parametrize("n", [0, -1, 4000, True])
def test_roman_rejects(n: int) -> None:
    with pytest.raises(ValueError):
        roman(n)


def test_sums_with_binary_noise_round_as_written() -> None:
    # 22,85 summed from parts is 22.849999999999998 in binary: a reader rounds 22,85 up
    noisy = sum([14.4, 2.14, 6.31])
    assert noisy != 22.85 and number(noisy, 1) == "22,9"
    assert number(2.5) == "3" and number(-2.5) == "-3" and number(0.125, 2) == "0,13"


def test_separators_are_those_babel_writes_for_vi() -> None:
    """Numbers are written without Babel's pattern machinery: the same text it gives."""
    import random

    from babel.numbers import format_decimal

    from izreport.core.formatting import _format

    rng = random.Random(7)
    values = [0, 1, -1, 999, 1000, -1000, 1234567.891, 0.005, -0.004, 10**12 + 0.5]
    values += [rng.uniform(-1e7, 1e7) for _ in range(300)]
    values += [rng.uniform(-2, 2) for _ in range(100)]
    for value in values:
        exact = Decimal(repr(float(value)))
        for decimals in (0, 1, 2, 3):
            for strip in (False, True):
                rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP")
                rounded = abs(rounded) if rounded == 0 else rounded
                shown = (max(0, -int(rounded.normalize().as_tuple().exponent)) if strip
                         else decimals)
                pattern = "#,##0" + ("." + "0" * shown if shown else "")
                want = format_decimal(rounded, format=pattern, locale="vi")
                assert _format(exact, decimals, strip) == want, (value, decimals, strip)
    from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

    assert (get_group_symbol("vi"), get_decimal_symbol("vi"), get_minus_sign_symbol("vi")) == (
        ".", ",", "-")
