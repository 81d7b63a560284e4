"""National statistical forms (Biểu 2101–2116.H.QLKKT) filled from the board's own data.

A form's layout lives in a TOML file under ``izreport/forms/`` (sheet, title block, rows,
column groups, units and which figure fills each cell), so that the board edits a file, not
code, when the ministry changes its template. Every cell is computed per zone from the
same data as the reports; each column's total is then checked against the figure the
reports print for the same period, computed the reports' way (province totals, ownership
breakdown, certificate register), and a mismatch stops the command with both numbers.
FDI capital stays in triệu USD and domestic capital in tỷ đồng: a unit declared in a form
that is not the data's own unit is refused, never converted.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from izreport.blocks import investment, metrics
from izreport.core.catalogue import INDICATORS
from izreport.core.config import load_board
from izreport.core.errors import DataError, ParameterError, ReconciliationError
from izreport.core.files import atomic_write
from izreport.core.formatting import UNITS, number
from izreport.core.i18n import _
from izreport.core.periods import Period
from izreport.incoming.ingest import _stable_zip
from izreport.storage.data import Dataset, load, report_months

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMS_DIR = Path(__file__).resolve().parent

Source = Literal["reports", "certificates", "register", "progress"]
Span = Literal["period", "year", "end"]

#: Figures of the monthly reports a form can show, with the unit of each.
REPORT_MEASURES: dict[str, str] = {
    **{k: i.unit for k, i in INDICATORS.items() if i.how in ("sum", "last", "count")},
    "vietnamese_workers": "persons",
}
SPAN_LABELS = {"period": "trong kỳ", "year": "lũy kế từ đầu năm", "end": "đến cuối kỳ"}


class Column(BaseModel):
    """One column of a form: its headers and the figure that fills its cells."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group: str = ""
    label: str
    unit: str
    source: Source
    measure: str
    ownership: Literal["FDI", "DDI"] | None = None
    span: Span = "period"
    kinds: tuple[Literal["new", "increase", "decrease", "revoked"], ...] = ("new",)
    decimals: int | None = None
    #: The report figure the column's total must equal (default: its own measure).
    check: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if self.source == "reports":
            if self.measure not in REPORT_MEASURES:
                raise ValueError(_("the measure '{measure}' is not in the monthly report (there "
                                   "are: {items})").format(
                                       measure=self.measure, items=', '.join(REPORT_MEASURES)))
            if self.span == "end":
                raise ValueError(_("monthly report figures take 'period' or 'year'"))
        else:
            if self.measure not in ("projects", "capital"):
                raise ValueError(_("'{source}' has only 'projects' or 'capital'").format(
                    source=self.source))
            if self.measure == "capital" and self.ownership is None:
                raise ValueError(_("capital must give ownership FDI or DDI (USD and đồng are "
                                   "never added)"))
            if (self.source in ("register", "progress")) != (self.span == "end"):
                raise ValueError(_("register and progress take span 'end'; certificates take "
                                   "'period' or 'year'"))
        if self.unit != self.data_unit:
            raise ValueError(_("wrong unit '{unit}': these figures are in '{data_unit}' (not "
                               "converted)").format(unit=self.unit, data_unit=self.data_unit))
        if self.check is not None and self.source == "reports" and \
                self.check not in REPORT_MEASURES:
            raise ValueError(_("check '{check}' is not a measure of the report").format(
                check=self.check))
        return self

    @property
    def data_unit(self) -> str:
        """The unit the data hold this figure in, as a header shows it."""
        if self.source == "reports":
            return UNITS[REPORT_MEASURES[self.measure]]
        if self.measure == "projects":
            return UNITS["projects"]
        return UNITS[investment.CAPITAL_UNIT[self.ownership or "FDI"]]

    @property
    def head_count(self) -> bool:
        """A head count (workers) is taken at the period's last month, whatever the span."""
        return self.source == "reports" and (
            self.measure == "vietnamese_workers" or INDICATORS[self.measure].how == "last")

    @property
    def header(self) -> str:
        """'Doanh thu - lũy kế từ đầu năm (tỷ đồng)'."""
        return f"{self.label} - {self.span_label} ({self.unit})"

    @property
    def span_label(self) -> str:
        return "tại cuối kỳ" if self.head_count else SPAN_LABELS[self.span]

    @property
    def number_format(self) -> str:
        if self.decimals is not None:
            places = self.decimals
        elif self.source == "reports":
            places = INDICATORS[self.measure].decimals if self.measure in INDICATORS else 0
        else:
            places = 0 if self.measure == "projects" else 2 if self.ownership == "FDI" else 1
        return "#,##0" + ("." + "0" * places if places else "")


class Form(BaseModel):
    """A whole form: identity, title block, rows and columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    form: str
    sheet: str
    title: str
    recipient: str = ""
    periods: tuple[Literal["quarter", "year"], ...] = ("quarter", "year")
    #: Rows: one per industrial zone (zone ids, in this order), or every zone with data.
    zones: tuple[str, ...] | None = None
    columns: tuple[Column, ...]

    @model_validator(mode="after")
    def _sheet_name(self) -> Form:
        if len(self.sheet) > 31 or any(c in self.sheet for c in "[]:*?/\\"):
            raise ValueError(_("the sheet name '{sheet}' is longer than 31 characters or has a "
                               "forbidden character").format(sheet=self.sheet))
        return self


def load_forms(folder: Path | None = None) -> list[tuple[Path, Form]]:
    """Every ``*.toml`` form of the folder, in file-name order; a bad file is one line."""
    folder = folder or FORMS_DIR
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise DataError(_("{folder}: no form files (*.toml)").format(folder=folder))
    forms = []
    for path in paths:
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
            forms.append((path, Form.model_validate(doc)))
        except tomllib.TOMLDecodeError as exc:
            raise DataError(_("{path}: TOML syntax error: {exc}").format(
                path=path, exc=exc)) from None
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = list(err["loc"])
            place = (_("column {number}").format(number=loc[1] + 1)
                     if loc[:1] == ["columns"] and len(loc) > 1 and isinstance(loc[1], int)
                     else "")
            rest = ".".join(str(p) for p in loc[2 if place else 0:])
            place = ", ".join(x for x in (place, _("item {key}").format(key=rest) if rest else "")
                              if x)
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise DataError(_("{path}: {value}: {msg}").format(
                path=path, value=place or _("the whole form"), msg=msg)) from None
    return forms


# --- figures ----------------------------------------------------------------------------------

def _span(period: Period, span: Span) -> Period:
    return period.ytd() if span == "year" else period


def _bounds(period: Period) -> tuple[str, str]:
    return f"{period.first_month}-01", f"{period.last_month}-31"


def zone_values(ds: Dataset, period: Period, col: Column, zones: list[str]) -> pd.Series:
    """The column's figure for each zone (0 where a zone has none)."""
    span = _span(period, col.span)
    if col.source == "reports":
        rows = ds.select(span.months)
        if col.ownership:
            rows = rows[rows["ownership"] == col.ownership]
        frame = metrics.aggregate(rows, span, by="zone_id")
        frame["vietnamese_workers"] = frame["workers"] - frame["foreign_workers"]
        values = frame[col.measure]
    elif col.source == "certificates":
        ev = investment.events(ds, *_bounds(span))
        ev = ev[ev["kind"].isin(col.kinds)]
        if col.ownership:
            ev = ev[ev["ownership"] == col.ownership]
        values = (ev.groupby("zone_id")["project_id"].count() if col.measure == "projects"
                  else ev.groupby("zone_id")["capital"].sum())
    elif col.source == "progress":
        rows = investment.progress(ds, _bounds(period)[1])
        if col.ownership:
            rows = rows[rows["ownership"] == col.ownership]
        values = (rows[rows["status"] == "operating"].groupby("zone_id")["project_id"].count()
                  if col.measure == "projects" else rows.groupby("zone_id")["implemented"].sum())
    else:
        last_day = _bounds(period)[1]
        values = pd.Series({z: _register(investment.stock(ds, last_day, z), col)
                            for z in zones})
    return values.reindex(zones, fill_value=0).astype(float)


def _register(st: investment.Stock, col: Column) -> float:
    table = st.projects if col.measure == "projects" else st.capital
    owners = [col.ownership] if col.ownership else list(investment.OWNERSHIPS)
    return float(sum(table[o] for o in owners))


def report_figure(ds: Dataset, period: Period, col: Column) -> float:
    """What the reports print for the column's figure, computed the reports' way."""
    span = _span(period, col.span)
    measure = col.check or col.measure
    if col.source == "reports":
        if col.ownership is None:
            got = metrics.totals(ds, span) or {}
        else:
            parts = metrics.breakdown(ds, span, "ownership").set_index("ownership")
            got = parts.loc[col.ownership].to_dict() if col.ownership in parts.index else {}
        if not got:
            return 0.0
        if measure == "vietnamese_workers":
            return float(got["workers"] - got["foreign_workers"])
        return float(got[measure])
    if col.source == "certificates":
        flows = investment.flows(ds, span)
        flows = flows[flows["kind"].isin(col.kinds)]
        if col.ownership:
            flows = flows[flows["ownership"] == col.ownership]
        return float(flows[measure].sum())
    if col.source == "progress":
        return _register(investment.implemented(ds, _bounds(period)[1]), col.model_copy(
            update={"measure": measure}))
    return _register(investment.stock(ds, _bounds(period)[1]), col.model_copy(
        update={"measure": measure}))


def form_zones(ds: Dataset, period: Period, form: Form) -> list[str]:
    """The form's rows: its own zone list, or every industrial zone with a certificate by
    the period's end or a report in the period (zones.csv order)."""
    kcn = ds.zones[ds.zones["kind"] == "KCN"]
    if form.zones is not None:
        unknown = [z for z in form.zones if z not in set(kcn["zone_id"])]
        if unknown:
            raise DataError(_("form {form}: zones not in the data: {items}").format(
                form=form.form, items=', '.join(unknown)))
        return list(form.zones)
    last_day = _bounds(period)[1]
    certified = set(ds.projects.loc[ds.projects["certificate_date"] <= last_day, "zone_id"])
    reporting = set(ds.select(period.months)["zone_id"])
    return [z for z in kcn["zone_id"] if z in certified | reporting]


@dataclass(frozen=True)
class FilledForm:
    """A form's figures: one row per zone, plus the checked column totals."""

    path: Path
    form: Form
    zones: list[str]
    names: list[str]
    values: pd.DataFrame  # index: zones, one column per form column (by position)

    @property
    def totals(self) -> list[float]:
        return [float(self.values[i].sum()) for i in self.values.columns]


def fill(ds: Dataset, period: Period, path: Path, form: Form) -> FilledForm:
    """Compute every cell of a form for one period."""
    zones = form_zones(ds, period, form)
    values = pd.DataFrame({i: zone_values(ds, period, col, zones)
                           for i, col in enumerate(form.columns)}, index=zones)
    names = ds.zones.set_index("zone_id").loc[zones, "name"].tolist()
    return FilledForm(path, form, zones, names, values)


def reconcile(ds: Dataset, period: Period, filled: FilledForm, tolerance: float = 1e-6
              ) -> list[str]:
    """Each column's total against the reports' figure; the problems, in words."""
    problems = []
    for (i, col), got in zip(enumerate(filled.form.columns), filled.totals, strict=True):
        want = report_figure(ds, period, col)
        if abs(got - want) > tolerance * max(1.0, abs(want)):
            where = f"{col.group}: {col.label}" if col.group else col.label
            places = 3 if col.unit not in ("dự án", "người", "doanh nghiệp") else 0
            problems.append(
                f"biểu {filled.form.form} ({filled.path.name}), cột {i + 1} '{where}' "
                f"({col.span_label}, {col.unit}): tổng các khu {number(got, places)}, "
                f"báo cáo {period.label_vi} {number(want, places)}")
    return problems


# --- the workbook ---------------------------------------------------------------------------

FIRST_TABLE_ROW = 8


def write_sheet(ws: Worksheet, filled: FilledForm, period: Period, cut_off: str,
                board_name: str) -> None:
    """One form on one sheet: title block, two header rows, codes, total, zones."""
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    form = filled.form
    width = 2 + len(form.columns)
    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, horizontal="center", vertical="center")
    y, m = cut_off.split("-")
    block = [
        (f"Biểu số: {form.form}", f"Đơn vị báo cáo: {board_name}"),
        (f"Kỳ báo cáo: {period.label_vi}",
         f"Đơn vị nhận báo cáo: {form.recipient}" if form.recipient else ""),
        (f"Số liệu cập nhật đến hết tháng {int(m)}/{y}", ""),
    ]
    for r, (left, right) in enumerate(block, start=1):
        ws.cell(r, 1, left)
        if right:
            ws.cell(r, width, right).alignment = Alignment(horizontal="right")
    ws.cell(5, 1, form.title).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=width)
    ws.cell(5, 1).alignment = Alignment(horizontal="center")
    ws.cell(6, 1, f"({period.label_vi[0].upper()}{period.label_vi[1:]})").alignment = \
        Alignment(horizontal="center")
    ws.merge_cells(start_row=6, start_column=1, end_row=6, end_column=width)

    top, sub, codes = FIRST_TABLE_ROW, FIRST_TABLE_ROW + 1, FIRST_TABLE_ROW + 2
    for c, text in ((1, "STT"), (2, "Khu công nghiệp")):
        ws.cell(top, c, text)
        ws.merge_cells(start_row=top, start_column=c, end_row=sub, end_column=c)
        ws.cell(codes, c, "A" if c == 1 else "B")
    c = 3
    for group, cols in _groups(form.columns):
        if group:
            ws.cell(top, c, group)
            if len(cols) > 1:
                ws.merge_cells(start_row=top, start_column=c, end_row=top,
                               end_column=c + len(cols) - 1)
        for col in cols:
            label = col.header
            if group:
                ws.cell(sub, c, label)
            else:
                ws.cell(top, c, label)
                ws.merge_cells(start_row=top, start_column=c, end_row=sub, end_column=c)
            ws.cell(codes, c, f"({c - 2})")
            c += 1
    data_rows = [("", "Tổng số", filled.totals)]
    data_rows += [(n, name, [float(v) for v in filled.values.loc[z]])
                  for n, (z, name) in enumerate(zip(filled.zones, filled.names, strict=True), 1)]
    for r, (stt, name, values) in enumerate(data_rows, start=codes + 1):
        ws.cell(r, 1, stt if stt != "" else None)
        ws.cell(r, 2, name).font = bold if stt == "" else Font()
        for k, (col, v) in enumerate(zip(form.columns, values, strict=True)):
            cell = ws.cell(r, 3 + k, _clean(v))
            cell.number_format = col.number_format
            if stt == "":
                cell.font = bold
    for row in ws.iter_rows(min_row=top, max_row=codes + len(data_rows), max_col=width):
        for cell in row:
            cell.border = box
            if cell.row <= codes:
                cell.alignment = wrap
                cell.font = bold
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 24
    for k in range(3, width + 1):
        ws.column_dimensions[get_column_letter(k)].width = 16
    ws.row_dimensions[sub].height = 60
    ws.freeze_panes = ws.cell(codes + 1, 3)


def _clean(v: float) -> float | int:
    """An integral count as an int; never NaN in a cell."""
    if math.isnan(v):
        return 0
    v = round(float(v), 6)  # float sums carry noise (7519.659000000001)
    return int(v) if v.is_integer() else v


def _groups(columns: tuple[Column, ...]) -> list[tuple[str, list[Column]]]:
    """Consecutive columns of one group, for the merged group header."""
    out: list[tuple[str, list[Column]]] = []
    for col in columns:
        if out and out[-1][0] == col.group and col.group:
            out[-1][1].append(col)
        else:
            out.append((col.group, [col]))
    return out


def build(period: str, out: Path, data: Path | str | None = None,
          forms_dir: Path | None = None) -> Path:
    """Fill every form for the period, reconcile, and write one workbook (atomically).

    Nothing is written when a form does not reconcile: the error lists every column whose
    total differs from the reports' figure, with both numbers.
    """
    from openpyxl import Workbook

    p = Period.parse(period)
    if p.kind not in ("quarter", "year"):
        raise ParameterError(_("--period: statistical forms are made for a quarter (2024-Q2) or "
                               "a year (2024), not for '{period}'").format(period=period))
    forms = [(path, f) for path, f in load_forms(forms_dir) if p.kind in f.periods]
    if not forms:
        raise ParameterError(_("no form is made for {label_vi}").format(label_vi=p.label_vi))
    ds = load(data, months=report_months(p))
    ds.check_period(p)
    filled = [fill(ds, p, path, form) for path, form in forms]
    problems = [msg for f in filled for msg in reconcile(ds, p, f)]
    if problems:
        more = f"; và {len(problems) - 6} cột khác" if len(problems) > 6 else ""
        raise ReconciliationError("biểu thống kê không khớp với báo cáo, không ghi tệp: "
                                  + "; ".join(problems[:6]) + more)
    wb = Workbook()
    wb.remove(wb.active)
    board = load_board()
    for f in filled:
        write_sheet(wb.create_sheet(f.form.sheet), f, p, ds.months[1], board.name)
    # the same data give the same bytes: the workbook is dated by the data's cut-off
    # month, not by the time it was made (openpyxl stamps the save time otherwise)
    stamp = dt.datetime(int(ds.months[1][:4]), int(ds.months[1][5:7]), 1)
    wb.properties.creator = board.name
    wb.properties.title = f"Biểu thống kê khu công nghiệp {p.label_vi}"
    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write(out, _stable_zip(buffer.getvalue(), stamp))
    return out
