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

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Aggregation = Literal["sum", "last", "weighted", "count", "none"]
Kind = Literal["number", "ratio"]

__all__ = ["FLOWS", "HEADLINE", "INDICATORS", "MEASURES", "REPORTED", "ZONE_STATUS", "Indicator",
           "measure"]


@dataclass(frozen=True)
class Indicator:
    """One quantity: its names, unit, decimals and how it adds up.

    ``label`` heads a table row or column ("Giá trị sản xuất công nghiệp"), ``prose`` is the
    same in a sentence ("giá trị sản xuất công nghiệp"), ``note`` qualifies the label where
    the definition matters ("giá so sánh 2010"). ``decimals`` is what a table shows,
    ``stored`` what the data files keep (None: not stored per enterprise-month).
    ``workbook`` is the column header enterprises see in the submission template.
    A ``ratio`` is stored as a fraction and shown as a percentage. ``column`` is a shorter
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
    column: str = ""

    @property
    def column_label(self) -> str:
        """The label that heads a table column (without its unit)."""
        return self.column or self.label

    @property
    def header(self) -> str:
        """Table column header with its unit: 'Doanh thu (tỷ đồng)'; a ratio: 'Tỷ lệ (%)'."""
        from izreport.formatting import UNITS

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
    Indicator("production_value", "Giá trị sản xuất công nghiệp",
              "giá trị sản xuất công nghiệp", "bn_vnd", "sum", 0, 3,
              "Giá trị SXCN (tỷ đồng, giá SS 2010)", note="giá so sánh 2010",
              column="Giá trị sản xuất"),
    Indicator("revenue", "Doanh thu", "doanh thu", "bn_vnd", "sum", 0, 3,
              "Doanh thu (tỷ đồng)"),
    Indicator("export_value", "Giá trị xuất khẩu", "giá trị xuất khẩu", "musd", "sum", 1, 3,
              "Xuất khẩu (triệu USD)"),
    Indicator("import_value", "Giá trị nhập khẩu", "giá trị nhập khẩu", "musd", "sum", 1, 3,
              "Nhập khẩu (triệu USD)"),
    Indicator("budget_paid", "Nộp ngân sách nhà nước", "nộp ngân sách Nhà nước", "bn_vnd",
              "sum", 0, 3, "Nộp ngân sách (tỷ đồng)", column="Nộp ngân sách"),
    Indicator("workers", "Lao động", "lao động", "persons", "last", 0, 0,
              "Lao động (người)"),
    Indicator("female_workers", "Lao động nữ", "lao động nữ", "persons", "last", 0, 0,
              "Lao động nữ (người)"),
    Indicator("foreign_workers", "Lao động nước ngoài", "lao động nước ngoài", "persons",
              "last", 0, 0, "Lao động nước ngoài (người)"),
    Indicator("avg_income", "Thu nhập bình quân", "thu nhập bình quân", "mvnd_per_person_month",
              "weighted", 1, 2, "Thu nhập bình quân (triệu đồng/người/tháng)",
              column="Thu nhập"),
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
