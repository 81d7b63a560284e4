"""Loading the board's tables and selecting a scope (province or one zone) and period.

The tables are tidy CSV files documented in ``data/README.md``. Loading checks that every
table has its columns so that a broken file fails here, naming the file and the column,
instead of as a ``KeyError`` deep inside a notebook.
"""

from __future__ import annotations

import csv
import os
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from izreport.errors import DataError, ScopeError
from izreport.periods import Period

if TYPE_CHECKING:  # pandas is imported where tables are read: checks before a render skip it
    import pandas as pd

#: Environment variable that points the package (and the notebooks' kernels) at a data folder.
DATA_ENV = "IZREPORT_DATA"

_TEXT = "string"
_TABLES: dict[str, dict[str, str]] = {
    "zones": {
        "zone_id": _TEXT, "name": _TEXT, "kind": _TEXT, "district": _TEXT,
        "total_area_ha": "float64", "industrial_land_ha": "float64", "status": _TEXT,
        "established": _TEXT, "operating_from": _TEXT,
    },
    "zone_land": {"zone_id": _TEXT, "month": _TEXT, "leased_ha": "float64"},
    "enterprises": {
        "enterprise_id": _TEXT, "name": _TEXT, "tax_code": _TEXT, "zone_id": _TEXT,
        "vsic": _TEXT, "sector": _TEXT, "ownership": _TEXT, "investor_country": _TEXT,
        "registered_capital_musd": "float64", "registered_capital_bn_vnd": "float64",
        "start_month": _TEXT, "end_month": _TEXT,
    },
    "monthly_reports": {
        "month": _TEXT, "enterprise_id": _TEXT, "production_value": "float64",
        "revenue": "float64", "export_value": "float64", "import_value": "float64",
        "budget_paid": "float64", "workers": "int64", "female_workers": "int64",
        "foreign_workers": "int64", "avg_income": "float64",
    },
    "plans": {
        "year": "int64", "scope": _TEXT, "indicator": _TEXT, "target": "float64", "unit": _TEXT,
    },
    "projects": {
        "project_id": _TEXT, "certificate_date": _TEXT, "zone_id": _TEXT,
        "enterprise_id": _TEXT, "ownership": _TEXT, "kind": _TEXT, "investor_country": _TEXT,
        "capital_musd": "float64", "capital_bn_vnd": "float64", "land_ha": "float64",
    },
}


def default_data_dir() -> Path:
    """The folder named by ``IZREPORT_DATA``, else the project's ``data/``."""
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data"


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    import pandas as pd

    path = folder / f"{name}.csv"
    if not path.is_file():
        raise DataError(f"{path}: file missing (expected table '{name}')")
    columns = _TABLES[name]
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as UTF-8 CSV: {exc}") from exc
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    _check_field_counts(path, len(header))
    try:
        return pd.read_csv(path, usecols=list(columns), dtype=columns, keep_default_na=False,
                           na_values={c: [""] for c, t in columns.items() if t != _TEXT})
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(_first_bad_cell(path, columns) or f"{path}: {exc}") from exc


def _check_field_counts(path: Path, expected: int) -> None:
    """Every line has as many fields as the header (pandas would drop extra ones silently)."""
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.reader(fh), start=1):
            if row and len(row) != expected:
                raise DataError(f"{path}: line {line} has {len(row)} fields, the header has "
                                f"{expected} (a stray or missing separator?)")


def _first_bad_cell(path: Path, columns: dict[str, str]) -> str | None:
    """Name the row, column and value that pandas could not read as its type."""
    import pandas as pd

    try:
        raw = pd.read_csv(path, usecols=list(columns), dtype="string", keep_default_na=False)
    except (ValueError, pd.errors.ParserError):
        return None  # not a typing problem (e.g. a line with too many fields): pandas says
    for column, kind in columns.items():
        if kind == _TEXT:
            continue
        text = raw[column].str.strip()
        number = pd.to_numeric(text, errors="coerce")
        bad = (text != "") & (number.isna() | ((number % 1 != 0) if kind == "int64" else False))
        if kind == "int64":
            bad |= text == ""
        if bad.any():
            row = int(bad.idxmax())
            rule = "a whole number" if kind == "int64" else "a number ('.' for decimals)"
            return (f"{path}: row {row + 2}, column {column}: {raw.at[row, column]!r} is not "
                    f"{rule}")
    return None


def fold(text: str) -> str:
    """Accent- and case-insensitive key, so 'hoa xa', 'Hòa Xá' and 'hoa-xa' all match."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in bare.lower() if ch.isalnum())


@dataclass(frozen=True)
class Zone:
    """One industrial zone (KCN) or cluster (CCN)."""

    zone_id: str
    name: str
    kind: str
    district: str
    total_area_ha: float
    industrial_land_ha: float
    status: str
    operating_from: str | None

    @property
    def title_vi(self) -> str:
        """'Khu công nghiệp Hòa Xá' / 'Cụm công nghiệp Yên Bằng'."""
        prefix = "Khu công nghiệp" if self.kind == "KCN" else "Cụm công nghiệp"
        return f"{prefix} {self.name}"


@dataclass(frozen=True)
class Dataset:
    """All tables of one data folder. Frames are shared: treat them as read-only."""

    folder: Path
    zones: pd.DataFrame
    zone_land: pd.DataFrame
    enterprises: pd.DataFrame
    monthly_reports: pd.DataFrame
    plans: pd.DataFrame
    projects: pd.DataFrame

    @cached_property
    def months(self) -> tuple[str, str]:
        """First and last month with any report."""
        months = self.monthly_reports["month"]
        return str(months.min()), str(months.max())

    @cached_property
    def reports(self) -> pd.DataFrame:
        """Monthly reports joined with the enterprise attributes used for grouping."""
        attrs = self.enterprises[
            ["enterprise_id", "name", "zone_id", "vsic", "sector", "ownership", "investor_country"]
        ]
        merged = self.monthly_reports.merge(attrs, on="enterprise_id", how="left",
                                            validate="many_to_one")
        orphans = merged[merged["zone_id"].isna()]
        if len(orphans):
            row = orphans.index[0] + 2  # header is line 1
            raise DataError(
                f"{self.folder / 'monthly_reports.csv'}: row {row}, column enterprise_id: "
                f"'{orphans.iloc[0]['enterprise_id']}' is not in enterprises.csv"
            )
        return merged

    def zone(self, key: str) -> Zone:
        """Find a zone by id or name (accents and case ignored); list the known ones otherwise."""
        wanted = fold(str(key))
        for row in self.zones.itertuples(index=False):
            if wanted in (fold(row.zone_id), fold(row.name)):
                return _zone_from_row(row)
        known = ", ".join(f"{n} ({i})" for i, n in
                          zip(self.zones["zone_id"], self.zones["name"], strict=True))
        raise ScopeError(f"unknown zone {key!r}; zones in the data: {known}")

    def operating_zones(self, period: Period) -> list[Zone]:
        """Zones with at least one enterprise report in the period, in table order."""
        present = set(self.reports.loc[self.reports["month"].isin(period.months), "zone_id"])
        return [_zone_from_row(r) for r in self.zones.itertuples(index=False)
                if r.zone_id in present]

    def check_period(self, period: Period) -> None:
        """Raise ScopeError unless every month of the period has data."""
        first, last = self.months
        if period.first_month < first or period.last_month > last:
            raise ScopeError(
                f"period {period} ({period.first_month}..{period.last_month}) is outside the "
                f"data, which covers {first}..{last}"
            )

    def select(self, months: tuple[str, ...] | list[str], zone_id: str | None = None
               ) -> pd.DataFrame:
        """Report rows of the given months, for the province (zone_id None) or one zone."""
        rows = self.reports[self.reports["month"].isin(months)]
        return rows if zone_id is None else rows[rows["zone_id"] == zone_id]


def _zone_from_row(row: object) -> Zone:
    operating = row.operating_from  # type: ignore[attr-defined]
    return Zone(
        zone_id=str(row.zone_id), name=str(row.name), kind=str(row.kind),
        district=str(row.district), total_area_ha=float(row.total_area_ha),
        industrial_land_ha=float(row.industrial_land_ha), status=str(row.status),
        operating_from=str(operating) if operating else None,
    )


def data_months(data_dir: Path | None = None) -> list[str]:
    """Every month with at least one row in ``monthly_reports.csv``, sorted.

    A plain CSV scan: parameter checks and scheduling use it before any pandas import.
    """
    path = (data_dir or default_data_dir()) / "monthly_reports.csv"
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            column = next(reader).index("month")
            months = sorted({row[column] for row in reader if row})
    except (OSError, StopIteration, ValueError) as exc:
        raise DataError(f"{path}: cannot read the months of the data: {exc}") from exc
    if not months:
        raise DataError(f"{path}: no monthly reports")
    return months


def load(folder: Path | str | None = None) -> Dataset:
    """Read every table of a data folder (default: ``default_data_dir()``)."""
    root = Path(folder) if folder is not None else default_data_dir()
    if not root.is_dir():
        raise DataError(f"{root}: data folder not found (set {DATA_ENV} or run 'izreport sample')")
    return Dataset(folder=root, **{name: _read_table(root, name) for name in _TABLES})
