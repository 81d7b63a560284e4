"""Value objects that write themselves in Vietnamese, for the sentences of a report notebook.

A notebook writes its sentences as f-strings::

    iz.text(f"Giá trị sản xuất công nghiệp {k.production_value.verb} {k.production_value}, "
            f"{k.production_value.vs_plan} kế hoạch năm ({k.production_value.plan:t}), "
            f"{k.production_value.change} so với cùng kỳ.")

Each value picks its own words (bằng / vượt, tăng / giảm / không thay đổi, đạt / ước đạt)
and numbers (12 nghìn tỷ đồng, 46,26%). A comparison that cannot be made (no plan, no data
for the same period, a zero base) formats as a marked dash; :func:`compose` then drops the
clause that holds it, so a sentence never prints "tăng —%". The analyst writes the words;
these objects never add a judgement.

Format specifications (after the colon in an f-string):

- ``t``: the table unit, not the larger prose unit ("12.000 tỷ đồng", not "12 nghìn tỷ đồng");
- ``n``: the number alone, without its unit ("45.500");
- ``.N``: N decimals ("{k.export_value:.2}", "{k.production_value.vs_same_period:.2}").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from izreport.core.catalogue import Indicator
from izreport.core.formatting import MISSING, number, percent, quantity, rounded

__all__ = ["MISSING_MARK", "Amount", "Change", "Kpi", "PlanShare", "Ratio", "compose"]

MISSING_MARK = "\u2063"
"""Invisible separator around the dash of a value that is missing (see :func:`compose`)."""

_MISSING_TEXT = f"{MISSING_MARK}{MISSING}{MISSING_MARK}"


def _present(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _spec(spec: str) -> tuple[set[str], int | None]:
    """'t.1' -> ({'t'}, 1); unknown letters are an error, as in format()."""
    match = re.fullmatch(r"([tn]*)(?:\.(\d+))?", spec)
    if match is None:
        raise ValueError(f"Unknown format specification {spec!r}: use t, n and .N")
    return set(match.group(1)), int(match.group(2)) if match.group(2) else None


class _Value:
    """Base: ``str()`` is the default format; a missing value is a marked dash."""

    value: float | None

    @property
    def missing(self) -> bool:
        return _present(self.value) is None

    def _text(self, flags: set[str], decimals: int | None) -> str:
        raise NotImplementedError

    def __format__(self, spec: str) -> str:
        if self.missing:
            return _MISSING_TEXT
        flags, decimals = _spec(spec)
        return self._text(flags, decimals)

    def __str__(self) -> str:
        """The value as text, a plain "—" when missing (f-strings mark it for compose)."""
        return MISSING if self.missing else format(self, "")

    def __float__(self) -> float:
        return math.nan if self.missing else float(self.value)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        """True when the value exists and is not zero (``if k.budget_paid: ...``)."""
        return not self.missing and float(self) != 0


@dataclass(frozen=True, eq=False)
class Amount(_Value):
    """A quantity in a unit of the catalogue: ``12 nghìn tỷ đồng``, ``45.500 người``."""

    value: float | None
    unit: str
    decimals: int | None = None

    def _text(self, flags: set[str], decimals: int | None) -> str:
        places = self.decimals if decimals is None else decimals
        if "n" in flags:
            return number(self.value, 0 if places is None else places)
        return quantity(self.value, self.unit, places, prose="t" not in flags)

    @property
    def n(self) -> str:
        """The number alone: '45.500'."""
        return format(self, "n")

    def __truediv__(self, other: Amount) -> Ratio:
        """Share of one amount in another: ``k.female_workers / k.workers`` -> 58,2%."""
        return Ratio(_ratio(self.value, other.value))


def _ratio(value: float | None, base: float | None) -> float | None:
    value, base = _present(value), _present(base)
    if value is None or base is None or base == 0:
        return None
    return value / base


@dataclass(frozen=True, eq=False)
class Ratio(_Value):
    """A ratio shown as a percentage: 1.269 -> '126,9%'."""

    value: float | None
    decimals: int = 1

    def _text(self, flags: set[str], decimals: int | None) -> str:
        return percent(self.value, self.decimals if decimals is None else decimals,
                       strip=False)


@dataclass(frozen=True, eq=False)
class Change(_Value):
    """Growth against a base, from the ratio current / base: 'tăng 26,9%', 'giảm 7,1%',
    'không thay đổi'."""

    value: float | None
    decimals: int = 1

    def _text(self, flags: set[str], decimals: int | None) -> str:
        places = self.decimals if decimals is None else decimals
        change = rounded(float(self) * 100 - 100, places)
        if not change:
            return "không thay đổi"
        verb = "tăng" if change > 0 else "giảm"
        return f"{verb} {percent(abs(float(self) - 1), places, strip=False)}"

    def _shown(self) -> Decimal:
        return rounded(float(self) * 100 - 100, self.decimals) or Decimal(0)

    @property
    def up(self) -> bool:
        """Whether the value grew as shown (False when it fell, did not change or is
        unknown): for the analyst's own words, ``"tăng trưởng" if k.x.change.up else ...``."""
        return not self.missing and self._shown() > 0

    @property
    def down(self) -> bool:
        return not self.missing and self._shown() < 0


@dataclass(frozen=True, eq=False)
class PlanShare(_Value):
    """Progress against a plan: 'bằng 46,26%' or, above 100% after rounding, 'vượt 8,10%'.

    Written before "kế hoạch năm": "bằng 46,26% kế hoạch năm", "vượt 8,10% kế hoạch năm".
    """

    value: float | None
    decimals: int = 2

    def _text(self, flags: set[str], decimals: int | None) -> str:
        places = self.decimals if decimals is None else decimals
        share = rounded(float(self) * 100, places)
        if share is not None and share > 100:
            return f"vượt {percent(float(self) - 1, places, strip=False)}"
        return f"bằng {percent(float(self), places, strip=False)}"


@dataclass(frozen=True, eq=False)
class Kpi(Amount):
    """An indicator's value in the report's period with what it is compared with.

    ``plan`` and ``same_period`` (and ``previous``, the month before, in a monthly report)
    are Amounts; ``of_plan``/``vs_same_period``/``vs_previous`` the ratios as percentages,
    ``vs_plan`` the words before "kế hoạch năm", ``change``/``change_previous`` the growth.
    ``verb`` is "đạt", or "ước đạt" when the value includes estimates.
    """

    indicator: Indicator | None = None
    plan_value: float | None = None
    same_value: float | None = None
    previous_value: float | None = None
    estimated: bool = False

    @property
    def label(self) -> str:
        """The indicator in a sentence: 'giá trị sản xuất công nghiệp'."""
        return self.indicator.prose if self.indicator else ""

    @property
    def verb(self) -> str:
        return "ước đạt" if self.estimated else "đạt"

    def _amount(self, value: float | None) -> Amount:
        return Amount(value, self.unit, self.decimals)

    @property
    def plan(self) -> Amount:
        return self._amount(self.plan_value)

    @property
    def same_period(self) -> Amount:
        return self._amount(self.same_value)

    @property
    def previous(self) -> Amount:
        return self._amount(self.previous_value)

    @property
    def of_plan(self) -> Ratio:
        return Ratio(_ratio(self.value, self.plan_value), 2)

    @property
    def vs_plan(self) -> PlanShare:
        return PlanShare(_ratio(self.value, self.plan_value))

    @property
    def vs_same_period(self) -> Ratio:
        return Ratio(_ratio(self.value, self.same_value))

    @property
    def change(self) -> Change:
        return Change(_ratio(self.value, self.same_value))

    @property
    def vs_previous(self) -> Ratio:
        return Ratio(_ratio(self.value, self.previous_value))

    @property
    def change_previous(self) -> Change:
        return Change(_ratio(self.value, self.previous_value))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ỹ0-9“\"(])")
_CLAUSE_SEP = re.compile(r"(,\s+|;\s+)")


def _compose_sentence(sentence: str) -> str:
    if MISSING_MARK not in sentence:
        return sentence
    end = ""
    body = sentence.rstrip()
    if body and body[-1] in ".!?":
        body, end = body[:-1], body[-1]
    pieces = _CLAUSE_SEP.split(body)
    kept = [pieces[0]]
    for sep, clause in zip(pieces[1::2], pieces[2::2], strict=True):
        if MISSING_MARK not in clause:
            kept += [sep, clause]
    return "".join(kept).replace(MISSING_MARK, "") + end


def compose(text: str) -> str:
    """Drop each clause that holds a missing value, sentence by sentence.

    Clauses are the parts between ", " and "; ". The first clause of a sentence (its
    subject and main value) is kept, its missing value shown as "—".
    """
    return " ".join(_compose_sentence(s) for s in _SENTENCE_END.split(text.strip()))
