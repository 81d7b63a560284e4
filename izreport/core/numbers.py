"""The one parser for numbers that enterprises submit (ingest and intakes).

Python's ``float()`` also reads ``nan``, ``inf``, ``2_28`` and ``1e5``; a submitted figure is
none of those. Accepted are exactly the documented forms: digits with an optional sign, a
decimal separator and thousands groups of three in one convention, ``1234.5`` / ``1,234.5``
(decimal point) or ``1234,5`` / ``1.234,5`` (decimal comma), and numeric spreadsheet cells,
all finite and below :data:`MAX_MAGNITUDE`. Every refusal names its rule, in Vietnamese.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

Convention = Literal["dot", "comma"]

#: No figure of an enterprise reaches this in any unit of the catalogue (tỷ đồng, triệu USD,
#: people); a larger value is a typing slip or a hostile file, and would overflow sums.
MAX_MAGNITUDE = 1e9

#: Shapes of a figure written as text; "dot?"/"comma?" are '1.234' / '1,234', which either
#: convention reads (a decimal or a thousands group), so the file's other values decide.
PATTERNS: dict[str, re.Pattern[str]] = {
    "int": re.compile(r"[+-]?\d+"),
    "dot?": re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}"),
    "comma?": re.compile(r"[+-]?[1-9]\d{0,2},\d{3}"),
    "dot": re.compile(r"[+-]?\d+\.\d+|[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?"),
    "comma": re.compile(r"[+-]?\d+,\d+|[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?"),
}
#: All shapes in one pattern, tried in the order above: one match per value, not five.
_SHAPES = re.compile("|".join(
    f"(?P<s{i}>{pattern.pattern.replace('(', '(?:')})"
    for i, pattern in enumerate(PATTERNS.values())))
_SHAPE_NAMES = {f"s{i}": name for i, name in enumerate(PATTERNS)}
_EXPONENT = re.compile(r"[+-]?[\d.,]*\d[\d.,]*[eE][+-]?\d+")
_SPECIAL = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_LIMIT = "1.000.000.000"


class NumberError(ValueError):
    """A submitted value that is not an accepted number; the message is the rule broken."""


def clean(text: str) -> str:
    """Drop spaces (also no-break) and read the Unicode minus as '-'."""
    return text.replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")


def kind(text: str) -> str | None:
    """Which documented shape the cleaned text has (the first of :data:`PATTERNS` that it
    matches), or None."""
    match = _SHAPES.fullmatch(text)
    return None if match is None else _SHAPE_NAMES[match.lastgroup]  # type: ignore[index]


def to_float(text: str, convention: Convention) -> float:
    """Read text of a documented shape in the convention (no checks: see :func:`parse`)."""
    if convention == "comma":
        return float(text.replace(".", "").replace(",", "."))
    return float(text.replace(",", ""))


def why_not(text: str) -> str:
    """The rule a text that has no documented shape breaks, for the message."""
    if _SPECIAL.fullmatch(text):
        return "NaN và vô cực (inf) không phải số liệu"
    if "_" in text:
        return "không dùng dấu '_' trong số"
    if _EXPONENT.fullmatch(text):
        return "không dùng dạng số mũ (như 1e5); viết đủ chữ số"
    return "không phải số (chỉ gồm chữ số, dấu thập phân và dấu nhóm nghìn: 1234.5 hoặc 1.234,5)"


def check(number: float) -> float:
    """The number if finite and in range, else NumberError naming the rule."""
    if math.isnan(number) or math.isinf(number):
        raise NumberError("NaN và vô cực (inf) không phải số liệu")
    if abs(number) >= MAX_MAGNITUDE:
        raise NumberError(f"vượt giới hạn: giá trị tuyệt đối phải nhỏ hơn {_LIMIT}")
    return number


def parse(value: Any, convention: Convention) -> float:
    """A submitted value (a spreadsheet number or text) as a float, or NumberError.

    Text must have a documented shape in ``convention``; a value with the other
    convention's decimal separator ('4,50' in a decimal-point file) is refused, not read
    as 450.
    """
    if isinstance(value, bool):
        raise NumberError("không phải số (giá trị đúng/sai)")
    if isinstance(value, int | float):
        return check(float(value))
    text = clean(str(value))
    shape = kind(text)
    other = "comma" if convention == "dot" else "dot"
    if shape is None:
        raise NumberError(why_not(text))
    if shape == other:
        sample = "1234.5" if convention == "dot" else "1.234,5"
        raise NumberError(f"sai dấu thập phân: tệp này viết số dạng {sample}")
    return check(to_float(text, convention))
