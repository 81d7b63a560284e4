"""Text colours of the intranet page meet WCAG AA contrast (4.5:1) on their backgrounds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parents[1] / "izreport" / "assets"
CSS = (ASSETS / "common.css").read_text(encoding="utf-8") + (
    ASSETS / "screen.css").read_text(encoding="utf-8")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _colour(selector: str, prop: str = "color") -> str:
    rule = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert rule, selector
    value = re.search(rf"(?<![-\w]){prop}\s*:\s*(#[0-9a-fA-F]{{6}})", rule.group(1))
    assert value, (selector, prop)
    return value.group(1)


@pytest.mark.parametrize(("selector", "background"), [
    ("body", "#ffffff"), (".iz-toc a", "#ffffff"), (".iz-missing", "#ffffff"),
    (".iz-draft-banner", "#ffffff"), (".iz-draft-mark", "#ffffff"),
])
def test_text_on_white(selector: str, background: str) -> None:
    assert contrast(_colour(selector), background) >= 4.5


def test_table_header_text_on_its_background() -> None:
    assert contrast(_colour("body"), _colour(".iz-table thead th", "background")) >= 4.5
