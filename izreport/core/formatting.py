"""Vietnamese number, unit and date wording as published provincial reports write them.

Separators are those of Babel's ``vi`` locale ("." thousands, "," decimals). Rounding is done
beforehand with ``Decimal`` half-away-from-zero on the value's shortest decimal text, so
``2.5 -> 3`` and ``0.12345 -> 12,35%`` as a reader expects (Babel alone rounds half-to-even,
and binary floats would round 0.12345 down).
"""

from __future__ import annotations

import datetime
import math
import numbers
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

__all__ = [
    "MISSING",
    "UNITS",
    "change_phrase",
    "date_vi",
    "number",
    "percent",
    "plan_phrase",
    "quantity",
    "roman",
    "rounded",
]

MISSING = "—"
"""Shown for a missing figure (None, NaN, infinity)."""

_LOCALE = "vi"


@dataclass(frozen=True)
class _Scale:
    """A larger unit that prose switches to once a value reaches ``factor``."""

    name: str
    factor: int
    decimals: int = 2


@dataclass(frozen=True)
class _UnitStyle:
    """How a unit is shown: name, decimals, and the larger unit used in prose."""

    name: str
    decimals: int
    strip: bool = False
    small_decimals: int | None = None  # decimals for values below _SMALL, e.g. 45,3 tỷ đồng
    prose: _Scale | None = None


_SMALL = 100

_UNIT_STYLES: MappingProxyType[str, _UnitStyle] = MappingProxyType(
    {
        "bn_vnd": _UnitStyle("tỷ đồng", 0, small_decimals=1, prose=_Scale("nghìn tỷ đồng", 1000)),
        "musd": _UnitStyle("triệu USD", 1, strip=True, prose=_Scale("tỷ USD", 1000)),
        "persons": _UnitStyle("người", 0),
        "mvnd_per_person_month": _UnitStyle("triệu đồng/người/tháng", 1),
        "count": _UnitStyle("doanh nghiệp", 0),
        "ha": _UnitStyle("ha", 2),
        "projects": _UnitStyle("dự án", 0),
    }
)

UNITS: dict[str, str] = {code: style.name for code, style in _UNIT_STYLES.items()}
"""Unit code -> Vietnamese unit name."""


def _to_decimal(value: float | int | Decimal | None) -> Decimal | None:
    """Exact decimal of the value as written (shortest repr), or None when missing."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, numbers.Integral):
        result = Decimal(int(value))
    else:
        number_ = float(value)
        if math.isfinite(number_):
            # sums of floats carry binary noise (22.85 summed as 22.849999999999998): the
            # value as written to nine decimals is what a reader would round
            number_ = round(number_, 9)
        result = Decimal(repr(number_))
    return result if result.is_finite() else None


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def rounded(value: float | int | None, decimals: int) -> Decimal | None:
    """The value as it will be displayed (half away from zero), None when missing.

    Words that depend on a displayed number ("tăng" or "không thay đổi") decide on this, so
    the word and the number never disagree.
    """
    exact = _to_decimal(value)
    return None if exact is None else _round(exact, decimals)


def _format(value: Decimal, decimals: int, strip: bool) -> str:
    """Round half away from zero, then place the ``vi`` locale's separators."""
    rounded = _round(value, decimals)
    if rounded == 0:
        rounded = abs(rounded)  # never print "-0"
    shown = decimals
    if strip:
        shown = max(0, -int(rounded.normalize().as_tuple().exponent))
    # exact: the value is already rounded to at least ``shown`` places
    return format(rounded, f",.{shown}f").translate(_SEPARATORS)


#: Python's ",", "." and "-" as Babel's ``vi`` locale writes them, read from the locale once:
#: the text ``babel.numbers.format_decimal`` gives (tests/test_formatting.py checks it),
#: without parsing a pattern for every cell of every table.
_SEPARATORS = str.maketrans({",": get_group_symbol(_LOCALE), ".": get_decimal_symbol(_LOCALE),
                             "-": get_minus_sign_symbol(_LOCALE)})


def number(value: float | int | None, decimals: int = 0, *, strip: bool = False) -> str:
    """``12000 -> "12.000"``, ``28033.5, 1 -> "28.033,5"``; strip drops trailing zeros."""
    exact = _to_decimal(value)
    return MISSING if exact is None else _format(exact, decimals, strip)


def percent(ratio: float | None, decimals: int = 2, *, strip: bool = True) -> str:
    """A ratio as percent: ``0.462606 -> "46,26%"``, ``0.45 -> "45%"`` (no space before %)."""
    exact = _to_decimal(ratio)
    return MISSING if exact is None else _format(exact * 100, decimals, strip) + "%"


def _style(unit: str) -> _UnitStyle:
    try:
        return _UNIT_STYLES[unit]
    except KeyError:
        raise ValueError(f"Unknown unit {unit!r}; known units: {', '.join(UNITS)}") from None


def quantity(
    value: float | int | None, unit: str, decimals: int | None = None, *, prose: bool = False
) -> str:
    """A value with its Vietnamese unit, e.g. ``"12.000 tỷ đồng"``.

    Table style keeps the base unit so columns compare; ``prose=True`` switches large values to
    the unit published text uses (``"28,03 nghìn tỷ đồng"``, ``"1,25 tỷ USD"``). An explicit
    ``decimals`` applies to whichever unit is shown. A missing value gives ``MISSING`` alone.
    """
    style = _style(unit)
    exact = _to_decimal(value)
    if exact is None:
        return MISSING
    places = style.decimals
    if style.small_decimals is not None and abs(_round(exact, style.small_decimals)) < _SMALL:
        places = style.small_decimals
    scale = style.prose
    if prose and scale is not None and abs(_round(exact, places)) >= scale.factor:
        shown = _format(
            exact / scale.factor, scale.decimals if decimals is None else decimals, strip=True
        )
        return f"{shown} {scale.name}"
    shown = _format(exact, places if decimals is None else decimals, style.strip)
    return f"{shown} {style.name}"


def change_phrase(ratio: float | None, decimals: int = 1) -> str:
    """Growth against a base, ratio = current / base: ``1.151 -> "tăng 15,1%"``; None -> ""."""
    exact = _to_decimal(ratio)
    if exact is None:
        return ""
    change = _round(exact * 100 - 100, decimals)
    if change == 0:
        return "không thay đổi"
    verb = "tăng" if change > 0 else "giảm"
    return f"{verb} {_format(abs(change), decimals, strip=True)}%"


def plan_phrase(ratio: float | None, decimals: int = 2) -> str:
    """Progress against the annual plan, ratio = actual / plan.

    ``0.462606 -> "bằng 46,26% kế hoạch năm"``, ``1.077 -> "vượt kế hoạch năm 7,7%"``; only a
    result above 100% after rounding counts as exceeding the plan. None -> "".
    """
    exact = _to_decimal(ratio)
    if exact is None:
        return ""
    share = _round(exact * 100, decimals)
    if share > 100:
        return f"vượt kế hoạch năm {_format(share - 100, decimals, strip=True)}%"
    return f"bằng {_format(share, decimals, strip=True)}% kế hoạch năm"


def date_vi(d: datetime.date, place: str | None = None) -> str:
    """Administrative date line (NĐ 30/2020): day always two digits, months 1 and 2 zero-padded."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    text = f"ngày {d.day:02d} tháng {month} năm {d.year}"
    return f"{place}, {text}" if place else text


_ROMAN = tuple(
    zip(
        (1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1),
        ("M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"),
        strict=True,
    )
)


def roman(n: int) -> str:
    """Roman numeral for section and quarter numbering (1-3999)."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 3999:
        raise ValueError(f"roman() needs an integer from 1 to 3999, got {n!r}")
    parts = []
    for value, symbol in _ROMAN:
        count, n = divmod(n, value)
        parts.append(symbol * count)
    return "".join(parts)
