"""The indicator catalogue: one source for what each figure is called, its unit and decimals.

Every place that names a figure reads it from here: the metrics (how it aggregates), the
report tables (header, unit, decimals), the value objects that sentences use (prose
label), the submission workbook and its checks (workbook header, stored decimals) and the
sample generator. A notebook overrides what it shows (``iz.table(..., decimals=...)``); the
catalogue only holds the defaults.

Besides the reported indicators the catalogue knows the other measures that report
tables show (land, investment capital, shares), so that a plain DataFrame with these
columns displays with the right header, unit and decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from izreport.core.i18n import N_

Aggregation = Literal["sum", "last", "weighted", "count", "none"]
Kind = Literal["number", "ratio"]

__all__ = ["BN_VND_PER_MUSD", "FLOWS", "HEADLINE", "INDICATORS", "MAX_PRODUCTION_PER_WORKER",
           "MEASURES", "RATIOS", "REPORTED", "ZONE_STATUS", "Indicator", "Ratio", "measure"]


@dataclass(frozen=True)
class Indicator:
    """One quantity: its names, unit, decimals and how it adds up.

    ``label`` heads a table row or column ("Giá trị sản xuất công nghiệp"), ``prose`` is the
    same in a sentence ("giá trị sản xuất công nghiệp"), ``note`` qualifies the label where
    the definition matters ("giá so sánh 2010"). ``decimals`` is what a table shows,
    ``stored`` what the data files keep (None: not stored per enterprise-month).
    ``workbook`` is the column header enterprises see in the submission template.
    A ``ratio`` is stored as a fraction and shown as a percentage. ``plausible`` is the
    range a submitted figure of one enterprise in one month must fall in (ingest refuses
    others, naming the rule); None where nothing is submitted. ``column`` is a shorter
    table-column header where the label would wrap onto more than three lines in a narrow
    printed column ("Giá trị sản xuất"; the table's note says which prices; "Thu nhập"
    with its unit per person and month).
    """

    key: str
    label: str
    prose: str
    unit: str
    how: Aggregation
    decimals: int
    stored: int | None = None
    workbook: str | None = None
    note: str = ""
    kind: Kind = "number"
    plausible: tuple[float, float] | None = None
    column: str = ""

    @property
    def column_label(self) -> str:
        """The label that heads a table column (without its unit)."""
        return self.column or self.label

    @property
    def header(self) -> str:
        """Table column header with its unit: 'Doanh thu (tỷ đồng)'; a ratio: 'Tỷ lệ (%)'."""
        from izreport.core.formatting import UNITS

        unit = "%" if self.kind == "ratio" else UNITS.get(self.unit, self.unit)
        return f"{self.column_label} ({unit})" if unit else self.column_label

    @property
    def row_label(self) -> str:
        """Table row label with its qualification: 'Giá trị sản xuất công nghiệp (giá so
        sánh 2010)'."""
        return f"{self.label} ({self.note})" if self.note else self.label


def _catalogue(*items: Indicator) -> MappingProxyType[str, Indicator]:
    return MappingProxyType({i.key: i for i in items})


INDICATORS: MappingProxyType[str, Indicator] = _catalogue(
    # plausible ranges per enterprise and month; the largest enterprise of the sample
    # reports about 250 tỷ đồng of production, 12 triệu USD of export and 1.750 workers
    Indicator("production_value", "Giá trị sản xuất công nghiệp",
              "giá trị sản xuất công nghiệp", "bn_vnd", "sum", 0, 3,
              "Giá trị SXCN (tỷ đồng, giá SS 2010)", note="giá so sánh 2010",
              plausible=(0, 100_000), column="Giá trị sản xuất"),
    Indicator("revenue", "Doanh thu", "doanh thu", "bn_vnd", "sum", 0, 3,
              "Doanh thu (tỷ đồng)", plausible=(0, 100_000)),
    Indicator("export_value", "Giá trị xuất khẩu", "giá trị xuất khẩu", "musd", "sum", 1, 3,
              "Xuất khẩu (triệu USD)", plausible=(0, 5_000)),
    Indicator("import_value", "Giá trị nhập khẩu", "giá trị nhập khẩu", "musd", "sum", 1, 3,
              "Nhập khẩu (triệu USD)", plausible=(0, 5_000)),
    Indicator("budget_paid", "Nộp ngân sách nhà nước", "nộp ngân sách Nhà nước", "bn_vnd",
              "sum", 0, 3, "Nộp ngân sách (tỷ đồng)", plausible=(0, 10_000),
              column="Nộp ngân sách"),
    Indicator("workers", "Lao động", "lao động", "persons", "last", 0, 0,
              "Lao động (người)", plausible=(1, 100_000)),
    Indicator("female_workers", "Lao động nữ", "lao động nữ", "persons", "last", 0, 0,
              "Lao động nữ (người)", plausible=(0, 100_000)),
    Indicator("foreign_workers", "Lao động nước ngoài", "lao động nước ngoài", "persons",
              "last", 0, 0, "Lao động nước ngoài (người)", plausible=(0, 10_000)),
    Indicator("avg_income", "Thu nhập bình quân", "thu nhập bình quân", "mvnd_per_person_month",
              "weighted", 1, 2, "Thu nhập bình quân (triệu đồng/người/tháng)",
              plausible=(1, 100), column="Thu nhập"),
    Indicator("enterprises", "Doanh nghiệp hoạt động", "doanh nghiệp hoạt động", "count",
              "count", 0),
)
"""The indicators enterprises report (and the count of reporting enterprises)."""

REPORTED: tuple[str, ...] = tuple(k for k, i in INDICATORS.items() if i.workbook)
"""The figures of one monthly submission row, in the workbook's order."""

FLOWS: tuple[str, ...] = tuple(k for k, i in INDICATORS.items() if i.how == "sum")
"""Indicators that add up over enterprises and months (and have annual plans)."""

HEADLINE: tuple[str, ...] = (*FLOWS, "workers", "avg_income", "enterprises")
"""The indicators of a report's summary table, in the published order."""

#: Only to compare triệu USD with tỷ đồng in the plausibility rules (a reported figure is
#: never converted): 1 triệu USD is about 25 tỷ đồng, rounded up.
BN_VND_PER_MUSD = 25.0

#: Production value per worker and month (tỷ đồng) an enterprise may report; sample max ≈ 0,42.
MAX_PRODUCTION_PER_WORKER = 2.0


@dataclass(frozen=True)
class Ratio:
    """A plausibility rule between the figures of one enterprise-month.

    Refused when ``factor`` × (sum of ``numerator``) exceeds ``most`` × (the larger of
    ``denominator``) + ``allowance``; the figures compared are in ``unit``. ``column`` is the
    figure the message blames, ``rule`` says the rule in words (translated when shown).
    """

    key: str
    column: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    most: float
    rule: str
    factor: float = 1.0
    allowance: float = 0.0
    unit: str = "bn_vnd"

    def value(self, row: Mapping[str, Any]) -> Any:
        """The compared amount (a row's mapping or a frame: then one per row)."""
        total = row[self.numerator[0]]
        for name in self.numerator[1:]:
            total = total + row[name]
        return total * self.factor

    def limit(self, row: Mapping[str, Any]) -> Any:
        """The largest plausible amount for the row (or rows)."""
        base = row[self.denominator[0]]
        for name in self.denominator[1:]:
            other = row[name]
            base = base.where(base >= other, other) if hasattr(base, "where") else max(base,
                                                                                      other)
        return base * self.most + self.allowance


RATIOS: tuple[Ratio, ...] = (
    # the sample's largest ratios: export ≈ 1,05 and export + import ≈ 2,0 times revenue;
    # budget ≈ 7% of revenue; revenue ≈ 0,53 tỷ đồng per worker
    Ratio("export_vs_turnover", "export_value", ("export_value",),
          ("revenue", "production_value"), 3,
          N_("export (at 25 tỷ đồng per triệu USD) must not exceed 3 times the larger of "
             "revenue and production value"), factor=BN_VND_PER_MUSD),
    Ratio("trade_vs_turnover", "import_value", ("export_value", "import_value"),
          ("revenue", "production_value"), 5,
          N_("export plus import (at 25 tỷ đồng per triệu USD) must not exceed 5 times the "
             "larger of revenue and production value, plus 250 tỷ đồng (machinery of a "
             "starting enterprise)"), factor=BN_VND_PER_MUSD, allowance=250),
    Ratio("budget_vs_revenue", "budget_paid", ("budget_paid",), ("revenue",), 0.5,
          N_("state budget paid must not exceed half of revenue plus 1 tỷ đồng"),
          allowance=1),
    Ratio("revenue_per_worker", "revenue", ("revenue",), ("workers",), 3,
          N_("revenue must not exceed 3 tỷ đồng per worker in a month")),
)
"""Plausibility rules between the figures of one submitted enterprise-month."""


MEASURES: MappingProxyType[str, Indicator] = _catalogue(
    Indicator("total_area_ha", "Diện tích", "diện tích", "ha", "none", 2, 2),
    Indicator("industrial_land_ha", "Đất công nghiệp", "đất công nghiệp", "ha", "none", 2, 2),
    Indicator("leased_ha", "Đã cho thuê", "đất đã cho thuê", "ha", "none", 2, 2),
    Indicator("occupancy", "Tỷ lệ lấp đầy", "tỷ lệ lấp đầy", "ratio", "none", 1,
              kind="ratio"),
    Indicator("projects", "Số dự án", "số dự án", "", "count", 0),
    Indicator("capital_musd", "Vốn đăng ký", "vốn đăng ký", "musd", "sum", 2, 2),
    Indicator("capital_bn_vnd", "Vốn đăng ký", "vốn đăng ký", "bn_vnd", "sum", 1, 1),
    Indicator("share", "Tỷ trọng", "tỷ trọng", "ratio", "none", 1, kind="ratio"),
    Indicator("of_plan", "So kế hoạch năm", "so với kế hoạch năm", "ratio", "none", 2,
              kind="ratio"),
    Indicator("vs_same_period", "So cùng kỳ", "so với cùng kỳ", "ratio", "none", 1,
              kind="ratio"),
    Indicator("vs_previous", "So tháng trước", "so với tháng trước", "ratio", "none", 1,
              kind="ratio"),
)
"""Other measures report tables show, by the column names the data functions give them."""


ZONE_STATUS: MappingProxyType[str, str] = MappingProxyType({
    "operating": "Đang hoạt động", "filling": "Đang lấp đầy",
    "building": "Đang xây dựng hạ tầng", "planned": "Quy hoạch"})
"""A zone's status (zones.csv) in words."""


def measure(key: str) -> Indicator | None:
    """The catalogue entry of a column name, indicator or other measure; None if unknown."""
    return INDICATORS.get(key) or MEASURES.get(key)
