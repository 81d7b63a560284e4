"""Synthetic sample data set for the Nam Định industrial zones.

The enterprises' real monthly reports are not public, so the package ships a synthetic data set
that is statistically plausible (skewed firm sizes, trend, Tết and year-end seasonality, the 2020
COVID dip) and calibrated so that every figure the Management Board has published for the zones
(2017-Q1, 2018, 2021-H1, the 2024 project count) comes out of it at its published precision.
Generation is deterministic: the same seed gives byte-identical CSV files.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from izreport.core.catalogue import FLOWS, INDICATORS, MEASURES

FIRST_YEAR = 2017
N_MONTHS = 8 * 12 + 6  # 2017-01 .. 2025-06
LAST_DATE = date(2025, 6, 30)

# Month in which Tết Nguyên đán falls (lunar new year), keyed by year.
TET = {
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
}

# COVID-19 effect on output (month index -> factor): deepest in April 2020, recovered by Q3.
COVID = {37: 0.94, 38: 0.88, 39: 0.68, 40: 0.80, 41: 0.91, 42: 0.97, 52: 0.97, 55: 0.93, 56: 0.91}


@dataclass(frozen=True)
class ZoneFacts:
    """A zone's published facts and the anchors of its leased land, from which the sample's
    zone rows and land curve are made (the data model's zone is storage.data.Zone)."""

    zone_id: str
    name: str
    kind: str
    district: str
    total_area_ha: float | None
    industrial_land_ha: float | None
    status: str
    established: str
    operating_from: str
    # (month index, leased ha) anchors of the cumulative leased-land curve
    land: tuple[tuple[int, float], ...] = ()


# Facts from the reference material (areas, statuses, dates); industrial land is ~65-72 % of the
# area except Mỹ Trung, whose 103.10 ha of factory land is published.
ZONES = (
    ZoneFacts("hoa-xa", "Hòa Xá", "KCN", "Thành phố Nam Định", 285.37, 198.50, "operating", "2003",
              "2017-01", ((0, 191.20), (36, 198.50))),
    ZoneFacts("bao-minh", "Bảo Minh", "KCN", "Huyện Vụ Bản", 154.50, 108.20, "operating", "2007",
              "2017-01", ((0, 100.40), (36, 108.20))),
    ZoneFacts("my-trung", "Mỹ Trung", "KCN", "Huyện Mỹ Lộc", 150.68, 103.10, "operating", "",
              "2017-01", ((0, 22.40), (36, 25.80), (72, 30.10), (90, 31.50), (101, 33.20))),
    ZoneFacts("rang-dong", "Dệt may Rạng Đông", "KCN", "Huyện Nghĩa Hưng", 519.60, 360.80,
              "filling", "", "2022-01", ((60, 18.00), (78, 50.50), (88, 144.30), (101, 176.00))),
    ZoneFacts("my-thuan", "Mỹ Thuận", "KCN", "Huyện Mỹ Lộc", 158.48, 108.40, "filling", "",
              "2023-07", ((78, 8.50), (84, 21.70), (96, 23.90), (101, 27.10))),
    ZoneFacts("hong-tien", "Hồng Tiến", "KCN", "Huyện Ý Yên", 114.00, 79.00, "planned", "", ""),
    ZoneFacts("trung-thanh", "Trung Thành", "KCN", "Huyện Vụ Bản", 200.00, 136.00, "planned",
              "2024-10-23", ""),
    ZoneFacts("yen-bang", "Yên Bằng", "CCN", "Huyện Ý Yên", None, None, "operating", "", ""),
    ZoneFacts("thanh-coi", "Thanh Côi", "CCN", "", None, None, "operating", "", ""),
    ZoneFacts("hai-van", "Hải Vân", "CCN", "Huyện Hải Hậu", None, None, "operating", "", ""),
    ZoneFacts("thinh-lam", "Thịnh Lâm", "CCN", "Huyện Giao Thủy", None, None, "operating", "", ""),
    ZoneFacts("my-tan", "Mỹ Tân", "CCN", "Huyện Mỹ Lộc", None, None, "operating", "", ""),
)

# VSIC 2018 divisions: name, weight among firms, labour intensity (workers), female share range,
# output per worker (bn VND / month, 2010 prices), chance of being foreign-invested.
SECTORS = {
    "10": ("Sản xuất, chế biến thực phẩm", 0.04, 90, (0.45, 0.60), 0.110, 0.30),
    "13": ("Dệt", 0.18, 220, (0.62, 0.78), 0.065, 0.50),
    "14": ("Sản xuất trang phục", 0.32, 380, (0.78, 0.88), 0.036, 0.50),
    "15": ("Sản xuất da và các sản phẩm có liên quan", 0.06, 450, (0.75, 0.86), 0.040, 0.70),
    "16": ("Chế biến gỗ và sản xuất sản phẩm từ gỗ, tre, nứa (trừ giường, tủ, bàn, ghế); "
           "sản xuất sản phẩm từ rơm, rạ và vật liệu tết bện", 0.03, 80, (0.30, 0.45), 0.060, 0.30),
    "17": ("Sản xuất giấy và sản phẩm từ giấy", 0.03, 70, (0.30, 0.45), 0.090, 0.35),
    "22": ("Sản xuất sản phẩm từ cao su và plastic", 0.06, 90, (0.35, 0.50), 0.085, 0.45),
    "25": ("Sản xuất sản phẩm từ kim loại đúc sẵn (trừ máy móc, thiết bị)", 0.08, 80,
           (0.15, 0.30), 0.080, 0.35),
    "26": ("Sản xuất sản phẩm điện tử, máy vi tính và sản phẩm quang học", 0.05, 260,
           (0.60, 0.75), 0.075, 0.85),
    "27": ("Sản xuất thiết bị điện", 0.05, 150, (0.45, 0.60), 0.080, 0.75),
    "28": ("Sản xuất máy móc, thiết bị chưa được phân vào đâu", 0.04, 70, (0.15, 0.30), 0.090,
           0.45),
    "31": ("Sản xuất giường, tủ, bàn, ghế", 0.03, 110, (0.30, 0.45), 0.050, 0.40),
    "32": ("Công nghiệp chế biến, chế tạo khác", 0.03, 160, (0.55, 0.70), 0.050, 0.55),
}
TEXTILE_ZONE_SECTORS = {"13": 0.40, "14": 0.45, "17": 0.05, "22": 0.05, "32": 0.05}

COUNTRIES = {
    "Hàn Quốc": 0.30,
    "Trung Quốc": 0.20,
    "Đài Loan (Trung Quốc)": 0.15,
    "Nhật Bản": 0.15,
    "Hồng Kông (Trung Quốc)": 0.08,
    "Singapore": 0.07,
    "Hoa Kỳ": 0.05,
}

# Published figures (reference) and the values chosen to reproduce them at their precision.
PLANS = {  # year -> production, revenue (bn VND), export, import (mUSD), budget (bn VND)
    2017: (16500, 19000, 590, 360, 270),
    2018: (18790, 22500, 650, 410, 300),
    2019: (21000, 25500, 760, 460, 340),
    2020: (23500, 28500, 850, 520, 370),
    2021: (25940, 31000, 1000, 600, 420),
    2022: (28000, 36000, 1050, 660, 460),
    2023: (32000, 42000, 1250, 780, 520),
    2024: (37000, 48500, 1450, 900, 600),
    2025: (42000, 55000, 1650, 1020, 680),
}
PRODUCTION_2018 = 19300.0  # "19 nghìn tỷ" = 102.7 % of plan 18790
PRODUCTION_2017 = 16768.0  # 19300 / 16768 = 115.1 %
EXPORT_2017 = 599.83  # 700 / 599.83 = 116.7 %
Q1_17, APR_DEC_17, Y2018, H1_21 = range(0, 3), range(3, 12), range(12, 24), range(48, 54)
PRODUCTION_TARGETS = ((Q1_17, 5790.0), (APR_DEC_17, PRODUCTION_2017 - 5790.0),
                      (Y2018, PRODUCTION_2018), (H1_21, 12000.0))
EXPORT_TARGETS = ((Q1_17, 137.0), (APR_DEC_17, EXPORT_2017 - 137.0), (Y2018, 700.0),
                  (H1_21, 450.0))
BUDGET_TARGETS = ((Y2018, 310.0), (H1_21, 200.0))
INCOME_TARGETS = ((Q1_17, 4.80), (Y2018, 5.52), (H1_21, 6.30))
WORKER_TARGETS = {2: 34800, 53: 45500}  # month index -> province headcount at month end
WORKERS_2018_12 = {"hoa-xa": 21300, "bao-minh": 14200, "my-trung": 5100}
VALID_PROJECTS_2017_03 = 172
NEW_PROJECTS_2024_JAN_MAY = {"FDI": 7, "DDI": 4}

# Enterprise flows: (zone, number of firms, first and last possible start-month index).
BASE_FIRMS = {"hoa-xa": 84, "bao-minh": 46, "my-trung": 19}  # reporting since 2017-01
ENTRANTS = (
    ("hoa-xa", 7, 3, 53), ("bao-minh", 5, 3, 53), ("my-trung", 3, 3, 53),  # before 2021-07
    ("hoa-xa", 3, 54, 101), ("bao-minh", 5, 54, 101), ("my-trung", 4, 54, 101),
    ("rang-dong", 28, 60, 101), ("my-thuan", 8, 78, 101),
)
EXITS_BEFORE_2021, EXITS_AFTER_2021 = 14, 8

VN_NAMES = ("Minh Phát", "Thành Đạt", "Hưng Thịnh", "An Phú", "Phúc Lộc", "Thiên Ân",
            "Hoàng Long", "Việt Tiến", "Đại Thành", "Bảo Ngọc", "Tân Hòa", "Kim Sơn",
            "Trường Giang", "Quang Minh", "Hải Đăng", "Nam Phong", "Đức Tín", "Thái Bình Dương",
            "Vạn Xuân", "Hồng Phúc",
            "Sao Mai", "Phú Gia", "Lạc Hồng", "Bình An", "Nhật Quang", "Thịnh Vượng", "Gia Khang")
VN_TRADES = {"10": ("Thực phẩm",), "13": ("Dệt", "Sợi", "Dệt nhuộm"),
             "14": ("May", "May mặc", "Thời trang"), "15": ("Da giầy", "Túi xách"),
             "16": ("Gỗ",), "17": ("Bao bì",), "22": ("Nhựa",), "25": ("Cơ khí", "Kết cấu thép"),
             "26": ("Điện tử",), "27": ("Thiết bị điện",), "28": ("Chế tạo máy",),
             "31": ("Nội thất",), "32": ("Sản xuất hàng tiêu dùng",)}
EN_HEADS = ("Sun", "Blue", "Silver", "Pine", "River", "Cloud", "Jade", "Maple", "Coral", "Amber",
            "North", "Bright", "Lotus", "Crane", "Orchid", "Star")
EN_TAILS = ("wave", "crest", "field", "stone", "leaf", "ridge", "bay", "peak", "line", "brook",
            "gate", "vale")
EN_TRADES = {"10": "Foods", "13": "Textile", "14": "Apparel", "15": "Footwear", "16": "Wood",
             "17": "Packaging", "22": "Plastics", "25": "Precision", "26": "Electronics",
             "27": "Electric", "28": "Machinery", "31": "Furniture", "32": "Industries"}
AMPERSAND_NAME = "Công ty TNHH Cơ khí Hoàng & Cộng sự"


def generate(out_dir: Path, seed: int = 2021) -> list[Path]:
    """Write the synthetic sample CSV files into ``out_dir`` and return their paths.

    Files are written to a temporary sibling directory first and moved into place only when all
    of them are complete, so a failure never leaves a half-written data set.
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    firms = _enterprises(rng)
    reports = _monthly_reports(rng, firms)
    projects = _projects(rng, firms)
    firms = _registered_capital(firms, projects)
    enterprises = _enterprises_table(firms)
    tables = {
        "zones.csv": _zones_table(),
        "zone_land.csv": _zone_land(rng),
        "enterprises.csv": enterprises,
        "monthly_reports.csv": reports,
        "plans.csv": _plans(),
        "projects.csv": projects,
        # no enterprise moved zone in the sample; the file shows the exchange format
        "enterprise_moves.csv": pd.DataFrame(columns=["enterprise_id", "month", "from_zone",
                                                      "to_zone"]),
        # its own random stream: the tables above do not change with it
        "project_progress.csv": _progress(np.random.default_rng([seed, 15]), projects,
                                          enterprises),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sample-", dir=out_dir.parent))
    try:
        for name, rows in tables.items():
            _write_csv(tmp / name, rows)
        written = []
        for name in tables:
            os.replace(tmp / name, out_dir / name)
            written.append(out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


# --- helpers: time ----------------------------------------------------------------------------


def _month(index: int) -> str:
    """YYYY-MM of a month index counted from 2017-01."""
    return f"{FIRST_YEAR + index // 12}-{index % 12 + 1:02d}"


def _month_index(ym: str) -> int:
    return (int(ym[:4]) - FIRST_YEAR) * 12 + int(ym[5:7]) - 1


def _random_date(rng: np.random.Generator, month_index: int) -> date:
    """A working-ish day of the given month (days 2-27 exist in every month)."""
    return date(FIRST_YEAR + month_index // 12, month_index % 12 + 1, int(rng.integers(2, 28)))


def _date_index(d: date) -> int:
    return (d.year - FIRST_YEAR) * 12 + d.month - 1


def _seasonality() -> np.ndarray:
    """Output factor per month: year-end peak, a deep dip in the Tết month, COVID in 2020."""
    calendar = (0.98, 0.98, 1.00, 1.00, 1.01, 1.00, 1.00, 1.02, 1.02, 1.04, 1.08, 1.14)
    factor = np.array([calendar[m % 12] for m in range(N_MONTHS)])
    for tet in TET.values():
        m = _date_index(tet)
        factor[m] *= 0.72
        if tet.day <= 5 and m > 0:  # holiday starts in the last days of the previous month
            factor[m - 1] *= 0.92
        elif tet.day >= 25 and m + 1 < N_MONTHS:  # workers return in the following month
            factor[m + 1] *= 0.93
    for m, f in COVID.items():
        factor[m] *= f
    return factor


# --- enterprises ------------------------------------------------------------------------------


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _enterprises(rng: np.random.Generator) -> pd.DataFrame:
    """Enterprise register with entry/exit months chosen to give 149 firms in 2017-Q1 and 150 in
    2021-H1, then growth as the Rạng Đông and Mỹ Thuận zones fill."""
    rows = [{"zone_id": z, "start": 0} for z, n in BASE_FIRMS.items() for _ in range(n)]
    for zone, n, first, last in ENTRANTS:
        rows += [{"zone_id": zone, "start": int(s)} for s in rng.integers(first, last + 1, n)]
    firms = pd.DataFrame(rows)
    firms["end"] = -1
    base = np.flatnonzero(firms["start"].to_numpy() == 0)
    exits = rng.choice(base, EXITS_BEFORE_2021 + EXITS_AFTER_2021, replace=False)
    firms.loc[exits[:EXITS_BEFORE_2021], "end"] = rng.integers(3, 48, EXITS_BEFORE_2021)
    firms.loc[exits[EXITS_BEFORE_2021:], "end"] = rng.integers(54, 100, EXITS_AFTER_2021)

    sector_weights = {k: v[1] for k, v in SECTORS.items()}
    firms["vsic"] = [
        _choice(rng, TEXTILE_ZONE_SECTORS if z == "rang-dong" else sector_weights)
        for z in firms["zone_id"]
    ]
    fdi_p = firms["vsic"].map(lambda v: SECTORS[v][5]).to_numpy()
    firms["ownership"] = np.where(rng.random(len(firms)) < fdi_p, "FDI", "DDI")
    firms["investor_country"] = [
        _choice(rng, COUNTRIES) if o == "FDI" else "Việt Nam" for o in firms["ownership"]
    ]
    firms = firms.sort_values(["start", "zone_id"], kind="stable").reset_index(drop=True)
    firms["enterprise_id"] = [f"DN{i + 1:04d}" for i in range(len(firms))]
    firms["name"] = _names(rng, firms)
    codes = rng.choice(10**8, len(firms), replace=False)
    firms["tax_code"] = [f"06{c:08d}" for c in codes]
    return firms


def _names(rng: np.random.Generator, firms: pd.DataFrame) -> list[str]:
    """Fictional names: Vietnamese legal form + trade + brand; exactly one with an ampersand."""
    names: list[str] = []
    used: set[str] = set()  # distinctive part, so no two firms differ only by legal form
    for vsic, ownership in zip(firms["vsic"], firms["ownership"], strict=True):
        for _ in range(1000):
            if ownership == "FDI":
                core = f"{rng.choice(EN_HEADS)}{rng.choice(EN_TAILS)} {EN_TRADES[vsic]}"
                name = f"Công ty TNHH {core} Việt Nam"
            else:
                core = f"{rng.choice(VN_TRADES[vsic])} {rng.choice(VN_NAMES)}"
                form = "Công ty Cổ phần" if rng.random() < 0.35 else "Công ty TNHH"
                name = f"{form} {core}"
            if core not in used:
                break
        else:
            raise RuntimeError(f"ran out of fictional names for VSIC {vsic}")
        used.add(core)
        names.append(name)
    mechanics = (firms["vsic"] == "25") & (firms["ownership"] == "DDI")
    if not mechanics.any():
        raise RuntimeError("no domestic mechanical firm to carry the ampersand name")
    names[int(np.flatnonzero(mechanics.to_numpy())[0])] = AMPERSAND_NAME
    return names


# --- monthly reports --------------------------------------------------------------------------


def _monthly_reports(rng: np.random.Generator, firms: pd.DataFrame) -> pd.DataFrame:
    """One row per operating enterprise and month, calibrated to the published figures."""
    n = len(firms)
    sec = firms["vsic"].map(SECTORS)
    fdi = (firms["ownership"] == "FDI").to_numpy()
    workers0 = np.array([s[2] for s in sec]) * rng.lognormal(0, 0.75, n) * np.where(fdi, 1.6, 1)
    productivity = np.array([s[4] for s in sec]) * rng.lognormal(0, 0.3, n) * np.where(fdi, 1.5, 1)
    growth = rng.normal(0.06, 0.04, n)  # yearly real growth of each firm
    staff_growth = rng.normal(0.025, 0.02, n)
    lo, hi = np.array([s[3][0] for s in sec]), np.array([s[3][1] for s in sec])
    female_share = lo + (hi - lo) * rng.random(n)
    foreign_rate = np.where(fdi, rng.uniform(0.003, 0.015, n), 0.0)
    income0 = rng.lognormal(np.log(4.6), 0.08, n) * np.where(fdi, 1.05, 1.0)
    rev_ratio = rng.uniform(1.12, 1.24, n)
    export_share = np.where(fdi, rng.uniform(0.72, 0.92, n), rng.uniform(0.05, 0.40, n))
    import_ratio = np.where(fdi, rng.uniform(0.50, 0.80, n), rng.uniform(0.15, 0.50, n))
    budget_rate = rng.lognormal(np.log(0.015), 0.4, n) * np.where(fdi, 0.8, 1.2)

    start, end = firms["start"].to_numpy(), firms["end"].to_numpy()
    end = np.where(end < 0, N_MONTHS - 1, end)
    spans = list(zip(start, end, strict=True))
    idx = np.concatenate([np.full(e - s + 1, i) for i, (s, e) in enumerate(spans)])
    month = np.concatenate([np.arange(s, e + 1) for s, e in spans])
    years = month / 12.0
    age = month - start[idx]
    entrant = start[idx] > 0
    ramp = np.where(entrant, np.minimum(1.0, 0.3 + 0.7 * age / 9.0), 1.0)
    hiring = np.where(entrant, np.minimum(1.0, 0.4 + 0.6 * age / 6.0), 1.0)
    wind_down = np.where((firms["end"].to_numpy()[idx] >= 0) & (end[idx] - month < 6), 0.75, 1.0)
    season = _seasonality()[month]
    k = len(month)

    staff_season = np.ones(N_MONTHS)
    for tet in TET.values():
        staff_season[_date_index(tet)] = 0.985
    staff_season[[38, 39, 40]] = (0.97, 0.93, 0.96)  # 2020-03..05: COVID-19 lay-offs
    staff = (workers0[idx] * (1 + staff_growth[idx]) ** years * hiring * wind_down
             * staff_season[month] * rng.lognormal(0, 0.01, k))
    staff = _calibrate_workers(staff, month, firms["zone_id"].to_numpy()[idx])

    output = (staff * productivity[idx] * (1 + growth[idx]) ** years * ramp ** 0.5 * season
              * rng.lognormal(0, 0.07, k))
    production = _calibrate_sum(output, month, PRODUCTION_TARGETS, 3)
    price = 1.013**years  # current prices drift away from 2010 constant prices
    revenue = production * rev_ratio[idx] * price * rng.lognormal(0, 0.03, k)
    fx = 22.7 + 0.33 * years  # bn VND per mUSD
    export_raw = revenue * export_share[idx] / fx * rng.lognormal(0, 0.06, k)
    export = _calibrate_sum(export_raw, month, EXPORT_TARGETS, 3, cap=0.95 * revenue / fx)
    imports = export * import_ratio[idx] * rng.lognormal(0, 0.08, k)
    budget = _calibrate_sum(production * budget_rate[idx] * rng.lognormal(0, 0.15, k), month,
                            BUDGET_TARGETS, 3)

    bonus = np.ones(N_MONTHS)
    bonus[11::12] = 1.12
    for tet in TET.values():
        bonus[_date_index(tet)] *= 1.05
    income = income0[idx] * 1.065**years * bonus[month] * rng.lognormal(0, 0.03, k)
    income = _calibrate_income(income, staff, month)

    frame = pd.DataFrame({
        "month": [_month(m) for m in month],
        "enterprise_id": firms["enterprise_id"].to_numpy()[idx],
        "production_value": production,
        "revenue": np.round(revenue, 3),
        "export_value": export,
        "import_value": np.round(imports, 3),
        "budget_paid": budget,
        "workers": staff,
        "female_workers": np.round(staff * female_share[idx]).astype(int),
        "foreign_workers": np.round(staff * foreign_rate[idx]).astype(int),
        "avg_income": np.round(income, 2),
    })
    return frame.sort_values(["month", "enterprise_id"]).reset_index(drop=True)


def _smooth_factor(groups: Sequence[range], factors: Sequence[float]) -> np.ndarray:
    """Per-month factor: constant over 2017 groups, linear between later group centres and
    constant outside them, so calibration bends the series gently instead of creating jumps.

    The one unavoidable step is 2017-03 -> 2017-04: the published 2017-Q1 output (5790) is far
    above the monthly average implied by the published 2018 growth (115.1 % of 2017).
    """
    knots: list[float] = []
    values: list[float] = []
    for g, f in zip(groups, factors, strict=True):
        edges = (g.start, g.stop - 1) if g.stop <= 12 else ((g.start + g.stop - 1) / 2,)
        knots += edges
        values += [f] * len(edges)
    return np.interp(np.arange(N_MONTHS), knots, values)


def _fit_factors(
    groups: Sequence[range], targets: Sequence[float], measure: Callable[[np.ndarray], list[float]]
) -> np.ndarray:
    """Fixed-point fit of the smooth factor curve so that each group's measure hits its target."""
    factors = np.ones(len(groups))
    for _ in range(500):
        values = measure(_smooth_factor(groups, factors))
        factors *= np.array(targets) / np.array(values)
    return _smooth_factor(groups, factors)


def _calibrate_sum(
    values: np.ndarray,
    month: np.ndarray,
    targets: Sequence[tuple[range, float]],
    decimals: int,
    cap: np.ndarray | None = None,
) -> np.ndarray:
    """Scale a flow indicator so group sums equal the targets, round, and put the rounding residue
    on the largest row of each group. ``cap`` bounds each row (exports cannot exceed revenue)."""
    groups, goals = [g for g, _ in targets], [t for _, t in targets]
    masks = [(month >= g.start) & (month < g.stop) for g in groups]
    limit = np.full(len(values), np.inf) if cap is None else cap

    def scaled(f: np.ndarray) -> np.ndarray:
        return np.minimum(values * f[month], limit)

    curve = _fit_factors(groups, goals, lambda f: [scaled(f)[m].sum() for m in masks])
    out = np.round(scaled(curve), decimals)
    for mask, goal in zip(masks, goals, strict=True):
        rows = np.flatnonzero(mask)
        top = rows[np.argmax(out[rows])]
        out[top] = round(out[top] + goal - out[rows].sum(), decimals)
    return out


def _calibrate_workers(staff: np.ndarray, month: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Scale headcounts to the published totals at 2017-03, 2018-12 (per zone) and 2021-06."""
    anchors = [2, 23, 53]
    totals = {m: staff[month == m].sum() for m in WORKER_TARGETS}
    out = staff.copy()
    for z in np.unique(zone):
        in_zone = zone == z
        f_2018 = WORKERS_2018_12.get(z, 0) / max(staff[in_zone & (month == 23)].sum(), 1.0)
        f = [WORKER_TARGETS[2] / totals[2], f_2018, WORKER_TARGETS[53] / totals[53]]
        if z not in WORKERS_2018_12:
            f[1] = (f[0] + f[2]) / 2
        curve = np.interp(np.arange(N_MONTHS), anchors, f)
        out[in_zone] = staff[in_zone] * curve[month[in_zone]]
    out = np.round(out).astype(int)
    fixes = [(month == m, t) for m, t in WORKER_TARGETS.items()]
    fixes += [((month == 23) & (zone == z), t) for z, t in WORKERS_2018_12.items()]
    for mask, goal in fixes:
        rows = np.flatnonzero(mask)
        top = rows[np.argmax(out[rows])]
        out[top] += goal - out[rows].sum()
    return out


def _calibrate_income(income: np.ndarray, staff: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Scale incomes so the worker-weighted mean of each target period matches."""
    groups, goals = [g for g, _ in INCOME_TARGETS], [t for _, t in INCOME_TARGETS]
    masks = [(month >= g.start) & (month < g.stop) for g in groups]

    def measure(f: np.ndarray) -> list[float]:
        weighted = income * f[month] * staff
        return [weighted[m].sum() / staff[m].sum() for m in masks]

    return income * _fit_factors(groups, goals, measure)[month]


# --- projects ---------------------------------------------------------------------------------


def _capital(rng: np.random.Generator, ownership: str, scale: float = 1.0) -> float:
    """Registered capital: mUSD for FDI, bn VND for domestic (never converted)."""
    if ownership == "FDI":
        return round(float(rng.lognormal(np.log(9.0), 0.9)) * scale, 2)
    return round(float(rng.lognormal(np.log(70.0), 0.8)) * scale, 1)


def _project(pid: int, when: date, zone: str, firm: str, ownership: str, kind: str, country: str,
             capital: float, land: float | None) -> dict:
    return {
        "project_id": f"DA{pid:04d}", "certificate_date": when.isoformat(), "zone_id": zone,
        "enterprise_id": firm, "ownership": ownership, "kind": kind, "investor_country": country,
        "capital_musd": capital if ownership == "FDI" else None,
        "capital_bn_vnd": capital if ownership == "DDI" else None, "land_ha": land,
    }


def _projects(rng: np.random.Generator, firms: pd.DataFrame) -> pd.DataFrame:
    """Investment certificates: one `new` project per enterprise, extra projects not (yet)
    operating, capital increases/decreases and revocations; tuned to the published counts."""
    first_year = {"hoa-xa": 2004, "bao-minh": 2008, "my-trung": 2010}
    window = (date(2024, 1, 1), date(2024, 5, 31))
    events: list[dict] = []

    def land(zone: str) -> float:
        return round(float(rng.lognormal(np.log(5.0 if zone == "rang-dong" else 1.6), 0.5)), 2)

    def add(when: date, zone: str, firm: str, own: str, kind: str, country: str, cap: float,
            ha: float | None) -> None:
        events.append(dict(when=when, zone=zone, firm=firm, own=own, kind=kind, country=country,
                           cap=cap, ha=ha))

    for f in firms.itertuples():
        if f.start == 0:
            when = _early_date(rng, first_year[f.zone_id])
        else:
            when = _random_date(rng, f.start - int(rng.integers(4, 19)))
        if window[0] <= when <= window[1]:
            when = date(2023, 12, int(rng.integers(2, 28)))
        add(when, f.zone_id, f.enterprise_id, f.ownership, "new", f.investor_country,
            _capital(rng, f.ownership), land(f.zone_id))
    # Fill the Jan-May 2024 window with projects of firms that start reporting later.
    for own, count in NEW_PROJECTS_2024_JAN_MAY.items():
        late = [e for e in events if e["kind"] == "new" and e["own"] == own and e["firm"]
                and _start_of(firms, e["firm"]) >= 92][:2]
        for e in late:
            e["when"] = _random_date(rng, int(rng.integers(84, 89)))
        for _ in range(count - len(late)):
            zone = str(rng.choice(["rang-dong", "my-thuan"]))
            country = _choice(rng, COUNTRIES) if own == "FDI" else "Việt Nam"
            add(_random_date(rng, int(rng.integers(84, 89))), zone, "", own, "new", country,
                _capital(rng, own), land(zone))
    # Projects certified in 2024-06 .. 2025-06 that are not reporting yet.
    for _ in range(6):
        own = "FDI" if rng.random() < 0.6 else "DDI"
        zone = str(rng.choice(["rang-dong", "my-thuan", "my-trung"]))
        country = _choice(rng, COUNTRIES) if own == "FDI" else "Việt Nam"
        add(_random_date(rng, int(rng.integers(89, N_MONTHS))), zone, "", own, "new", country,
            _capital(rng, own), land(zone))
    _add_early_projects(rng, firms, events, add)
    _add_changes(rng, firms, events, add)

    events.sort(key=lambda e: (e["when"], e["kind"] != "new", e["firm"], e["zone"]))
    ids: dict[int, int] = {}
    rows = []
    for e in events:
        if e["kind"] == "new":
            ids[id(e)] = len(ids) + 1
            pid = ids[id(e)]
        else:
            pid = ids[id(e["of"])]
        rows.append(_project(pid, e["when"], e["zone"], e["firm"], e["own"], e["kind"],
                             e["country"], e["cap"], e["ha"]))
    return pd.DataFrame(rows)


def _early_date(rng: np.random.Generator, first_year: int) -> date:
    """A certificate date between ``first_year`` and the end of 2016."""
    return date(int(rng.integers(first_year, 2017)), int(rng.integers(1, 13)),
                int(rng.integers(2, 28)))


def _start_of(firms: pd.DataFrame, firm: str) -> int:
    return int(firms.loc[firms["enterprise_id"] == firm, "start"].iloc[0]) if firm else -1


def _add_early_projects(rng: np.random.Generator, firms: pd.DataFrame, events: list[dict],
                        add: Callable[..., None]) -> None:
    """Projects certified before 2017 without own reporting rows (second projects of reporting
    firms, or stalled ones), sized so that 172 projects were valid at 2017-03-31; four of the
    stalled ones are revoked before that date."""
    cutoff = date(2017, 3, 31)
    linked = sum(e["kind"] == "new" and e["when"] <= cutoff for e in events)
    revoked_early = 4
    extra = VALID_PROJECTS_2017_03 - linked + revoked_early
    base = firms[firms["start"] == 0]
    for i in range(extra):
        zone = str(rng.choice(["hoa-xa", "bao-minh", "my-trung"], p=[0.5, 0.3, 0.2]))
        when = _early_date(rng, 2010)
        if i % 2 == 0 and i >= 2 * revoked_early:  # a second project of a reporting firm
            local = base[base["zone_id"] == zone]
            f = local.iloc[int(rng.integers(0, len(local)))]
            add(when, zone, f["enterprise_id"], f["ownership"], "new", f["investor_country"],
                _capital(rng, f["ownership"], 0.5), round(float(rng.uniform(0.5, 2.0)), 2))
            continue
        own = "FDI" if rng.random() < 0.5 else "DDI"
        country = _choice(rng, COUNTRIES) if own == "FDI" else "Việt Nam"
        add(when, zone, "", own, "new", country, _capital(rng, own),
            round(float(rng.uniform(0.8, 3.0)), 2))
        if i < revoked_early:
            new = events[-1]
            gone = date(2016, int(rng.integers(1, 13)), int(rng.integers(2, 28)))
            gone = max(gone, date(new["when"].year + 1, 1, 15))
            gone = min(gone, date(2017, 3, 20))
            add(gone, zone, "", own, "revoked", country, new["cap"], new["ha"])
            events[-1]["of"] = new


def _add_changes(rng: np.random.Generator, firms: pd.DataFrame, events: list[dict],
                 add: Callable[..., None]) -> None:
    """Capital increases and decreases of operating firms, revocations after exits."""
    originals = [e for e in events if e["kind"] == "new" and e["firm"]]
    by_firm = {}
    for e in originals:
        by_firm.setdefault(e["firm"], e)
    for f in firms.itertuples():
        new = by_firm[f.enterprise_id]
        last = f.end if f.end >= 0 else N_MONTHS - 1
        first = max(f.start + 6, 0)
        if f.end >= 0:
            gone = f.end + int(rng.integers(1, 7))
            if gone < N_MONTHS:
                add(_random_date(rng, gone), f.zone_id, f.enterprise_id, f.ownership, "revoked",
                    f.investor_country, new["cap"], new["ha"])
                events[-1]["of"] = new
            continue
        if first < last and rng.random() < (0.35 if f.ownership == "FDI" else 0.15):
            add(_random_date(rng, int(rng.integers(first, last + 1))), f.zone_id, f.enterprise_id,
                f.ownership, "increase", f.investor_country,
                _capital(rng, f.ownership, 0.4), None)
            events[-1]["of"] = new
        elif first < last and rng.random() < 0.03:
            add(_random_date(rng, int(rng.integers(first, last + 1))), f.zone_id, f.enterprise_id,
                f.ownership, "decrease", f.investor_country,
                round(new["cap"] * 0.2, 2 if f.ownership == "FDI" else 1), None)
            events[-1]["of"] = new


def _registered_capital(firms: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """An enterprise's registered capital = its new projects plus increases minus decreases."""
    linked = projects[projects["enterprise_id"] != ""].copy()
    sign = linked["kind"].map({"new": 1, "increase": 1, "decrease": -1, "revoked": 0})
    linked["musd"] = linked["capital_musd"].fillna(0) * sign
    linked["bn"] = linked["capital_bn_vnd"].fillna(0) * sign
    totals = linked.groupby("enterprise_id")[["musd", "bn"]].sum()
    firms = firms.join(totals, on="enterprise_id")
    fdi = firms["ownership"] == "FDI"
    firms["registered_capital_musd"] = firms["musd"].round(2).where(fdi)
    firms["registered_capital_bn_vnd"] = firms["bn"].round(1).where(~fdi)
    return firms


# --- small tables -----------------------------------------------------------------------------


def _zones_table() -> pd.DataFrame:
    return pd.DataFrame([
        {"zone_id": z.zone_id, "name": z.name, "kind": z.kind, "district": z.district,
         "total_area_ha": z.total_area_ha, "industrial_land_ha": z.industrial_land_ha,
         "status": z.status, "established": z.established, "operating_from": z.operating_from}
        for z in ZONES
    ])


def _zone_land(rng: np.random.Generator) -> pd.DataFrame:
    """Cumulative leased land: a stepwise curve (leases are signed in lumps) through anchors."""
    rows = []
    for z in ZONES:
        if not z.land:
            continue
        months, ha = zip(*z.land, strict=True)
        first = _month_index(z.operating_from)
        curve = np.interp(np.arange(N_MONTHS), months, ha)
        level = curve[first]
        for m in range(first, N_MONTHS):
            if m in months or rng.random() < 0.4:
                level = curve[m]
            rows.append({"zone_id": z.zone_id, "month": _month(m), "leased_ha": level})
    return pd.DataFrame(rows)


#: Implemented capital of a project in operation, as a share of its registered capital.
IMPLEMENTED_SHARE = (0.40, 0.70)


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def _progress(rng: np.random.Generator, projects: pd.DataFrame,
              enterprises: pd.DataFrame) -> pd.DataFrame:
    """Each valid project's quarterly report: status and cumulative implemented capital.

    A project is under construction until its enterprise starts reporting, in operation
    while it reports and stopped after its last report; a project with no reporting
    enterprise builds for three years, then runs or stalls (keeping about 30 % of its share
    built). Implemented capital climbs
    during construction toward the project's share (40-70 % of its registered capital,
    drawn once) and stays at that share in operation; it never decreases. Quarters run from
    the certificate's (2017-Q1 at the earliest) to 2025-Q2, while the project is valid.
    """
    quarters = [f"{y}-Q{q}" for y in range(FIRST_YEAR, 2026) for q in range(1, 5)
                if f"{y}-Q{q}" <= "2025-Q2"]
    ends = {q: f"{q[:4]}-{int(q[6]) * 3:02d}" for q in quarters}
    span = enterprises.set_index("enterprise_id")[["start_month", "end_month"]]
    amount = projects["capital_musd"].where(projects["ownership"] == "FDI",
                                            projects["capital_bn_vnd"]).fillna(0.0)
    sign = projects["kind"].map({"new": 1.0, "increase": 1.0, "decrease": -1.0,
                                 "revoked": 0.0})
    events = projects.assign(amount=amount * sign, month=projects["certificate_date"].str[:7])
    rows = []
    for new in projects[projects["kind"] == "new"].itertuples(index=False):
        mine = events[events["project_id"] == new.project_id]
        revoked = mine.loc[mine["kind"] == "revoked", "month"].min()
        share = float(rng.uniform(*IMPLEMENTED_SHARE))
        runs = bool(rng.random() < 0.6)
        start, end = (span.loc[new.enterprise_id] if new.enterprise_id else ("", ""))
        first = _quarter(new.certificate_date[:7])
        done = 0.0
        for q in quarters:
            last = ends[q]
            if q < first or (isinstance(revoked, str) and revoked <= last):
                continue
            registered = float(mine.loc[mine["month"] <= last, "amount"].sum())
            built = (int(last[:4]) - int(new.certificate_date[:4])) * 12 + int(last[5:]) - \
                int(new.certificate_date[5:7])
            if start:
                status = ("building" if last < start else
                          "stopped" if end and _quarter(end) < q else "operating")
            else:
                status = "building" if built < 36 else "operating" if runs else "stopped"
            if status == "building":
                target = share * min(0.8, 0.1 + 0.7 * built / 36)
            else:   # a stalled project keeps what it built before it stopped
                target = share if status == "operating" else share * 0.3
            done = max(done, round(target * registered, 2 if new.ownership == "FDI" else 1))
            rows.append({"project_id": new.project_id, "quarter": q,
                         "ownership": new.ownership, "status": status,
                         "implemented_capital_musd": done if new.ownership == "FDI" else None,
                         "implemented_capital_bn_vnd": done if new.ownership == "DDI"
                         else None})
    return pd.DataFrame(rows).sort_values(["quarter", "project_id"], kind="stable")


def _enterprises_table(firms: pd.DataFrame) -> pd.DataFrame:
    out = firms.copy()
    out["sector"] = out["vsic"].map(lambda v: SECTORS[v][0])
    out["start_month"] = out["start"].map(_month)
    out["end_month"] = out["end"].map(lambda e: _month(e) if e >= 0 else "")
    cols = ["enterprise_id", "name", "tax_code", "zone_id", "vsic", "sector", "ownership",
            "investor_country", "registered_capital_musd", "registered_capital_bn_vnd",
            "start_month", "end_month"]
    return out[cols]


def _plans() -> pd.DataFrame:
    return pd.DataFrame([
        {"year": year, "scope": "province", "indicator": ind, "target": target,
         "unit": INDICATORS[ind].unit}
        for year, targets in PLANS.items()
        for ind, target in zip(FLOWS, targets, strict=True)
    ])


# --- output -----------------------------------------------------------------------------------

#: Decimals of each stored column: the catalogue's, and the columns only data files have.
DECIMALS = {k: i.stored for k, i in (*INDICATORS.items(), *MEASURES.items())
            if i.stored and i.unit != "persons"} | {
    "land_ha": 2, "registered_capital_musd": 2, "registered_capital_bn_vnd": 1, "target": 0,
    "implemented_capital_musd": 2, "implemented_capital_bn_vnd": 1}


def _cell(value: object, decimals: int | None) -> str:
    """Fixed formatting so output bytes do not depend on float repr; missing -> empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if decimals is not None:
        return f"{float(value):.{decimals}f}"
    return str(value)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(frame.columns)
        decimals = [DECIMALS.get(c) for c in frame.columns]
        for row in frame.itertuples(index=False):
            writer.writerow([_cell(v, d) for v, d in zip(row, decimals, strict=True)])
