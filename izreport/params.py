"""Report declarations and their typed parameters, checked before any kernel starts.

papermill injects whatever it is given; a typo (``--perod``) or a zone that does not
exist would only fail, or worse silently fall back to a default, inside the notebook.
Here every report declares its parameters once, as a pydantic model, and values are
checked against the model and against the data (zone names, months covered) first.
"""

from __future__ import annotations

import csv
import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from izreport.data import _fold, default_data_dir
from izreport.errors import ParameterError, ScopeError
from izreport.periods import Period
from izreport.texts import read_texts

#: The value of an option given with no value on the command line (``--final``).
BARE_FLAG = object()
NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


class HalfYearParams(BaseModel):
    """Parameters of the half-year report (also renders the whole year)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: str = Field("2021-H1", description="Kỳ báo cáo: 2021-H1, 2021-H2 hoặc 2021")
    zone: str | None = Field(None, description="Khu công nghiệp (tên hoặc mã); bỏ trống: toàn tỉnh")
    final: bool = Field(False, description="Bản chính thức: từ chối nếu còn mục chưa viết")
    number: int | None = Field(None, ge=1, le=9999, description="Số văn bản khi ban hành")
    issued: datetime.date | None = Field(
        None, description="Ngày ban hành (YYYY-MM-DD); mặc định ngày 05 tháng sau kỳ báo cáo")

    @field_validator("period")
    @classmethod
    def _half_or_year(cls, value: str) -> str:
        period = Period.parse(value)
        if period.kind not in ("half", "year"):
            raise ValueError(f"'{value}' is a {period.kind}; this report takes a half (2021-H1, "
                             "2021-H2) or a year (2021)")
        return str(period)

    @field_validator("zone", mode="before")
    @classmethod
    def _zone_is_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"expected a zone name such as 'Hòa Xá', got {value!r}")
        return value or None

    def check_texts(self, zone_id: str | None) -> None:
        """A final report needs every hand-written section (reports/<period>.md)."""
        if not self.final:
            return
        texts = read_texts(self.period, zone_id)
        if zone_id is not None and not texts.path.is_file():
            return
        if texts.missing:
            raise ParameterError(
                f"parameter 'final': {texts.path.name} still lacks: {'; '.join(texts.missing)} "
                "(render without --final for a draft marked DỰ THẢO)")


class MonthlyParams(BaseModel):
    """Parameters of the monthly report (no hand-written sections, so no ``final``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: str = Field("2021-06", description="Tháng báo cáo: 2021-06")
    zone: str | None = Field(None, description="Khu công nghiệp (tên hoặc mã); bỏ trống: toàn tỉnh")
    number: int | None = Field(None, ge=1, le=9999, description="Số văn bản khi ban hành")
    issued: datetime.date | None = Field(
        None, description="Ngày ban hành (YYYY-MM-DD); mặc định ngày 05 tháng sau")

    @field_validator("period")
    @classmethod
    def _month(cls, value: str) -> str:
        period = Period.parse(value)
        if period.kind != "month":
            raise ValueError(f"'{value}' is a {period.kind}; this report takes a month "
                             "(2021-06)")
        return str(period)

    @field_validator("zone", mode="before")
    @classmethod
    def _zone_is_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"expected a zone name such as 'Hòa Xá', got {value!r}")
        return value or None


@dataclass(frozen=True)
class ReportSpec:
    """A report: its notebook and its parameter model."""

    name: str
    notebook: str
    params: type[BaseModel]
    title: str

    @property
    def path(self) -> Path:
        return NOTEBOOKS_DIR / self.notebook

    def stem(self, values: dict[str, Any]) -> str:
        """Stable output file name: report, period and zone, e.g. half-year_2021-H1_hoa-xa."""
        parts = [self.name, *(str(values[k]) for k in ("period", "zone") if values.get(k))]
        return "_".join(re.sub(r"[^0-9A-Za-z.-]+", "-", _slug(p)) for p in parts)


def _slug(text: str) -> str:
    return _fold(text) if not re.fullmatch(r"[0-9A-Za-z.-]+", text) else text


REPORTS: dict[str, ReportSpec] = {
    "half-year": ReportSpec("half-year", "half_year_report.ipynb", HalfYearParams,
                            "Báo cáo 6 tháng / năm"),
    "monthly": ReportSpec("monthly", "monthly_report.ipynb", MonthlyParams, "Báo cáo tháng"),
}


def get_report(name: str) -> ReportSpec:
    """The declared report of that name; the error lists the known ones."""
    try:
        return REPORTS[name]
    except KeyError:
        raise ParameterError(
            f"unknown report {name!r}; reports: {', '.join(sorted(REPORTS))}") from None


def validate(report: ReportSpec, raw: dict[str, Any], data_dir: Path | None = None
             ) -> dict[str, Any]:
    """Typed, checked parameter values, or a ParameterError naming each bad parameter."""
    raw = dict(raw)
    for name, value in list(raw.items()):
        if value is BARE_FLAG:
            field = report.params.model_fields.get(name)
            if field is not None and field.annotation is bool:
                raw[name] = True
            elif field is not None:
                raise ParameterError(f"parameter '{name}' has no value")
    try:
        model = report.params(**raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"]) or "?"
            if err["type"] == "extra_forbidden":
                known = ", ".join(report.params.model_fields)
                problems.append(f"unknown parameter '{name}' (parameters: {known})")
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                problems.append(f"parameter '{name}': {msg}")
        raise ParameterError("; ".join(problems)) from None
    values = model.model_dump(mode="json")
    zone_id = _check_against_data(values, data_dir or default_data_dir())
    checker = getattr(model, "check_texts", None)
    if checker is not None:
        checker(zone_id)
    return values


def _check_against_data(values: dict[str, Any], folder: Path) -> str | None:
    """Zone exists and the period is covered, read cheaply (no pandas in the parent).

    Returns the zone's id (None for the province).
    """
    zone_id = None
    try:
        if values.get("zone"):
            with open(folder / "zones.csv", encoding="utf-8", newline="") as fh:
                zones = list(csv.DictReader(fh))
            wanted = _fold(values["zone"])
            match = [z for z in zones if wanted in (_fold(z["zone_id"]), _fold(z["name"]))]
            if not match:
                known = ", ".join(z["name"] for z in zones)
                raise ParameterError(f"parameter 'zone': unknown zone {values['zone']!r}; "
                                     f"zones: {known}")
            values["zone"] = match[0]["name"]
            zone_id = match[0]["zone_id"]
        if values.get("period"):
            first, last = _months_covered(folder / "monthly_reports.csv")
            period = Period.parse(values["period"])
            if period.first_month < first or period.last_month > last:
                raise ParameterError(f"parameter 'period': {period} is outside the data, "
                                     f"which covers {first}..{last}")
    except OSError as exc:
        raise ScopeError(f"cannot read the data folder {folder}: {exc}") from exc
    return zone_id


def _months_covered(path: Path) -> tuple[str, str]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        column = next(reader).index("month")
        months = {row[column] for row in reader if row}
    return min(months), max(months)
