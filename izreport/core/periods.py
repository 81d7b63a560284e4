"""Reporting periods: contiguous month ranges within one calendar year.

Boards report by month, quarter, half-year, nine months and year, and compare each figure with
the same period last year, the previous period and the year to date. A single ``Period`` type with
a canonical text code keeps those comparisons, file names and notebook parameters consistent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from izreport.core.errors import IzReportError
from izreport.core.formatting import roman
from izreport.core.i18n import N_, _

__all__ = ["SHAPES", "Period", "PeriodError", "PeriodKind", "first_ending_after", "latest_ending",
           "month_range", "period_error", "shift_month"]

PeriodKind = Literal["month", "quarter", "half", "9m", "year", "range"]

_ACCEPTED = N_(
    "2021-06 (month), 2021-Q2 (quarter), 2021-H1 or 2021-H2 (half-year), "
    "2021-9M (nine months), 2021 (year), 2021-01..2021-05 (months within one year)"
)

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{4})"), "year"),
    (_MONTH_RE, "month"),
    (re.compile(r"(\d{4})-Q(\d)", re.IGNORECASE), "quarter"),
    (re.compile(r"(\d{4})-H(\d)", re.IGNORECASE), "half"),
    (re.compile(r"(\d{4})-9M", re.IGNORECASE), "9m"),
    (re.compile(r"(\d{4})-(\d{2})\s*\.\.\s*(\d{4})-(\d{2})"), "range"),
)


class PeriodError(IzReportError, ValueError):
    """A reporting period that cannot be parsed or does not fit in one calendar year."""

    reason: str | None = None


def period_error(given: object, reason: str | None = None, accepted: str | None = None
           ) -> PeriodError:
    """Build an error that names the input, the reason and the accepted forms.

    ``accepted`` narrows the forms to those a report takes (``2021-H1, 2021``).
    """
    detail = f" ({reason})" if reason else ""
    error = PeriodError(_("invalid period {given!r}{detail}; accepted forms: {accepted}").format(
        given=given, detail=detail, accepted=accepted or _(_ACCEPTED)))
    error.reason = reason
    return error


def _parse_month(text: str) -> tuple[int, int]:
    """Split a strict ``YYYY-MM`` code into (year, month)."""
    match = _MONTH_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise period_error(text, _("a month is written YYYY-MM"))
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise period_error(text, _("the month must be from 01 to 12"))
    return year, month


def _invalid_reason(year: int, first: int, last: int) -> str | None:
    """Why these fields cannot form a period, or None if they can."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (year, first, last)):
        return _("the year and months must be whole numbers")
    if not 1000 <= year <= 9999:
        return _("the year must have 4 digits")
    if not (1 <= first <= 12 and 1 <= last <= 12):
        return _("months must be from 1 to 12")
    if first > last:
        return _("the first month must not come after the last")
    return None


def _code(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True, order=True)
class Period:
    """Months ``first``..``last`` (inclusive, 1-12) of ``year``; sorts by year, then months."""

    year: int
    first: int
    last: int

    def __post_init__(self) -> None:
        reason = _invalid_reason(self.year, self.first, self.last)
        if reason:
            raise period_error((self.year, self.first, self.last), reason)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period code such as ``2021-06``, ``2021-Q2``, ``2021-H1`` or ``2021``."""
        if not isinstance(text, str):
            raise period_error(text)
        for pattern, form in _FORMS:
            match = pattern.fullmatch(text.strip())
            if match is not None:
                return cls._from_match(text, form, [int(g) for g in match.groups()])
        raise period_error(text)

    @classmethod
    def _from_match(cls, text: str, form: str, parts: list[int]) -> Period:
        year = parts[0]
        if form == "year":
            return cls._checked(text, year, 1, 12)
        if form == "9m":
            return cls._checked(text, year, 1, 9)
        if form == "month":
            return cls._checked(text, year, parts[1], parts[1])
        if form == "quarter":
            if not 1 <= parts[1] <= 4:
                raise period_error(text, _("the quarter must be from 1 to 4"))
            return cls._checked(text, year, 3 * parts[1] - 2, 3 * parts[1])
        if form == "half":
            if parts[1] not in (1, 2):
                raise period_error(text, _("the half-year must be H1 or H2"))
            return cls._checked(text, year, 6 * parts[1] - 5, 6 * parts[1])
        _year, first, last_year, last = parts
        if last_year != year:
            raise period_error(text, _("a range of months must stay within one year"))
        return cls._checked(text, year, first, last)

    @classmethod
    def _checked(cls, text: str, year: int, first: int, last: int) -> Period:
        """Construct, reporting a problem against the user's original text."""
        reason = _invalid_reason(year, first, last)
        if reason:
            raise period_error(text, reason)
        return cls(year, first, last)

    @property
    def kind(self) -> PeriodKind:
        """The named period these months form; anything unnamed is a ``range``."""
        first, last = self.first, self.last
        if first == last:
            return "month"
        if (first, last) == (1, 12):
            return "year"
        if (first, last) == (1, 9):
            return "9m"
        if (first, last) in ((1, 6), (7, 12)):
            return "half"
        if first % 3 == 1 and last == first + 2:
            return "quarter"
        return "range"

    def __str__(self) -> str:
        kind = self.kind
        if kind == "month":
            return self.first_month
        if kind == "quarter":
            return f"{self.year}-Q{self.last // 3}"
        if kind == "half":
            return f"{self.year}-H{self.last // 6}"
        if kind == "9m":
            return f"{self.year}-9M"
        if kind == "year":
            return f"{self.year}"
        return f"{self.first_month}..{self.last_month}"

    @property
    def shape(self) -> str:
        """What a report's schedule names: month, quarter, H1, H2, 9m, year (or range)."""
        kind = self.kind
        return f"H{self.last // 6}" if kind == "half" else kind

    @classmethod
    def ending(cls, shape: str, month: str) -> Period | None:
        """The period of that shape whose last month is ``month``, if there is one."""
        year, m = _parse_month(month)
        first = {"month": m, "quarter": m - 2 if m % 3 == 0 else None,
                 "H1": 1 if m == 6 else None, "H2": 7 if m == 12 else None,
                 "9m": 1 if m == 9 else None, "year": 1 if m == 12 else None}.get(shape)
        return cls(year, first, m) if first is not None else None

    @property
    def months(self) -> tuple[str, ...]:
        """Every month as ``YYYY-MM``, in order."""
        return tuple(_code(self.year, m) for m in range(self.first, self.last + 1))

    @property
    def first_month(self) -> str:
        return _code(self.year, self.first)

    @property
    def last_month(self) -> str:
        return _code(self.year, self.last)

    def contains(self, month: str) -> bool:
        """Whether a ``YYYY-MM`` month falls in this period."""
        year, m = _parse_month(month)
        return year == self.year and self.first <= m <= self.last

    def ytd(self) -> Period:
        """January to the last month of this period (lũy kế từ đầu năm)."""
        return Period(self.year, 1, self.last)

    def same_period_last_year(self) -> Period:
        """The same months one year earlier (cùng kỳ năm trước)."""
        return Period(self.year - 1, self.first, self.last)

    def previous(self) -> Period:
        """The period of the same kind just before this one (kỳ trước)."""
        kind, year, first = self.kind, self.year, self.first
        if kind == "month":
            return Period(year - 1, 12, 12) if first == 1 else Period(year, first - 1, first - 1)
        if kind == "quarter":
            return Period(year - 1, 10, 12) if first == 1 else Period(year, first - 3, first - 1)
        if kind == "half":
            return Period(year - 1, 7, 12) if first == 1 else Period(year, 1, 6)
        if kind in ("year", "9m"):
            return self.same_period_last_year()
        length = self.last - self.first + 1
        if self.first - length < 1:
            raise PeriodError(_(
                "no previous period for {period!r}: the {length} months before it are not "
                "all within {year}").format(period=str(self), length=length, year=year))
        return Period(year, self.first - length, self.first - 1)

    @property
    def short_label_vi(self) -> str:
        """Vietnamese wording without the year, e.g. ``quý II`` or ``6 tháng đầu năm``."""
        kind = self.kind
        if kind == "month":
            return f"tháng {self.first}"
        if kind == "quarter":
            return f"quý {roman(self.last // 3)}"
        if kind == "half":
            return "6 tháng đầu năm" if self.first == 1 else "6 tháng cuối năm"
        if kind == "9m":
            return "9 tháng"
        if kind == "year":
            return "năm"
        if self.first == 1:
            return f"{self.last} tháng đầu năm"
        return f"từ tháng {self.first} đến tháng {self.last}"

    @property
    def label_vi(self) -> str:
        """Vietnamese wording for titles and sentences, e.g. ``quý II năm 2021``."""
        short = self.short_label_vi
        return f"{short} {self.year}" if short.endswith("năm") else f"{short} năm {self.year}"


#: The period shapes a report's schedule can name (``Period.shape``).
SHAPES = ("month", "quarter", "H1", "H2", "9m", "year")


def latest_ending(shapes: Iterable[str], months: Iterable[str]) -> Period | None:
    """The latest period of one of ``shapes`` whose last month is among ``months``.

    Ties (a year and its December quarter end together) go to the longer period: the
    half-year report is a year report once December is in.
    """
    found = [p for m in set(months) for shape in shapes
             if (p := Period.ending(shape, m)) is not None]
    return max(found, key=lambda p: (p.last_month, len(p.months)), default=None)


def first_ending_after(shapes: Iterable[str], month: str) -> Period | None:
    """The first period of one of ``shapes`` that ends after ``month`` (the next one due)."""
    candidates = month_range(shift_month(month, 1), shift_month(month, 12))
    found = [p for m in candidates for shape in shapes
             if (p := Period.ending(shape, m)) is not None]
    return min(found, key=lambda p: (p.last_month, -len(p.months)), default=None)


def shift_month(month: str, months: int) -> str:
    """The ``YYYY-MM`` month ``months`` after (or before, if negative) ``month``."""
    year, m = _parse_month(month)
    index = year * 12 + m - 1 + months
    return _code(index // 12, index % 12 + 1)


def month_range(first: str, last: str) -> list[str]:
    """Inclusive ``YYYY-MM`` months from ``first`` to ``last``; unlike ``Period`` may span years."""
    start, end = _parse_month(first), _parse_month(last)
    if start > end:
        raise period_error(f"{first}..{last}", _("the first month must not come after the last"))
    index = start[0] * 12 + start[1] - 1
    stop = end[0] * 12 + end[1] - 1
    return [_code(i // 12, i % 12 + 1) for i in range(index, stop + 1)]
