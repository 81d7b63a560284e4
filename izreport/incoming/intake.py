"""Intakes for the board's other data: investment certificates, zone land leased, plans.

Each intake has a template workbook (:func:`write_template`), reads the filled workbook or a
CSV file, checks every row (every problem at once, each naming file, sheet, row, column,
value and rule, in Vietnamese: the board's staff read them) and writes only when every file
is valid, in one transaction of the store with one audit entry per file (SHA-256, rows
added, replaced, unchanged, and the values replaced). The monthly submissions have their
own intake, :mod:`izreport.incoming.ingest`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from izreport.core import numbers
from izreport.core.errors import DataError, ParameterError
from izreport.core.files import atomic_write, put_value
from izreport.core.i18n import _
from izreport.incoming.ingest import fold
from izreport.storage import data
from izreport.storage.store import TABLES, record_audit

SHEET = "Số liệu"
GUIDE_SHEET = "Hướng dẫn"


class IntakeError(DataError):
    """Files that cannot be taken in; ``problems`` holds one line per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} lỗi, không ghi gì vào dữ liệu:\n"
                         + "\n".join(self.problems))


@dataclass(frozen=True)
class Field:
    """One column of an intake: its name in the store, its header in the workbook."""

    name: str
    label: str
    kind: str = "text"              # text, number, date, month, quarter, year, choice
    required: bool = True
    choices: Mapping[str, str] = field(default_factory=dict)   # folded text -> stored value
    width: int = 16
    shown: tuple[str, ...] = ()            # the choices as the guide and messages name them


@dataclass
class Row:
    """One data row of a file: where it is, its values by field, and its problems."""

    where: str
    values: dict[str, Any]
    cells: dict[str, Any]
    headers: dict[str, str]
    problems: list[str]
    record: dict[str, Any] | None = None    # what to write, when not simply ``values``
    also: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # rows of other tables

    def fail(self, name: str, rule: str) -> None:
        shown = "(trống)" if self.cells.get(name) in (None, "") else repr(self.cells[name])
        self.problems.append(f"{self.where}, cột '{self.headers.get(name, name)}': giá trị "
                             f"{shown}: {rule}")


@dataclass(frozen=True)
class Result:
    """What one file changed."""

    path: Path
    sha256: str
    rows: int
    added: int
    replaced: int
    unchanged: int


@dataclass(frozen=True)
class Intake:
    """An intake: its fields, the table it writes, its checks and how rows become records."""

    name: str
    title: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    guide: tuple[str, ...]
    check: Callable[[list[Row], Any], None]
    prefill: Callable[[Any, str], list[dict[str, Any]]] | None = None


# --------------------------------------------------------------------------- reading

_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})|(\d{1,2})/(\d{4})")
_QUARTER_RE = re.compile(r"(\d{4})-Q([1-4])|Q([1-4])[/-](\d{4})")


def _read(path: Path, intake: Intake) -> tuple[list[Row], list[str]]:
    """Rows of a CSV file or of the intake's sheet, with header names mapped to fields."""
    keys = {fold(k): f.name for f in intake.fields for k in (f.name, f.label)}
    decimal_comma = False
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [f"{path.name}: không phải văn bản UTF-8; lưu lại dạng 'CSV UTF-8'"]
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(
            ",") else ","
        decimal_comma = delimiter == ";"
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        numbered = [(i, r) for i, r in enumerate(records, start=1)]
        where, unit = path.name, "dòng"
    elif path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            return [], [f"{path.name}: không mở được bảng tính Excel: {exc}"]
        ws = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        numbered = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1)]
        where, unit = f"{path.name}, trang '{ws.title}'", "dòng"
    else:
        return [], [f"{path.name}: loại tệp '{path.suffix}' không nhận (dùng .xlsx hoặc .csv)"]
    header_at = next((n for n, (_, r) in enumerate(numbered)
                      if any(isinstance(c, str) and fold(c) in keys for c in r)), None)
    if header_at is None:
        return [], [f"{where}: không thấy dòng tiêu đề (cột '{intake.fields[0].label}')"]
    header = numbered[header_at][1]
    positions = {pos: keys[fold(c)] for pos, c in enumerate(header)
                 if isinstance(c, str) and fold(c) in keys}
    headers = {name: str(header[pos]).strip() for pos, name in positions.items()}
    missing = [f for f in intake.fields if f.required and f.name not in headers]
    if missing:
        return [], [f"{where}: thiếu cột bắt buộc '{f.label}'" for f in missing]
    rows = []
    for line, record in numbered[header_at + 1:]:
        cells = {name: record[pos] if pos < len(record) else None
                 for pos, name in positions.items()}
        cells = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in cells.items()}
        if all(v is None for v in cells.values()):
            continue
        row = Row(f"{where}, {unit} {line}", {}, cells, headers, [])
        for f in intake.fields:
            row.values[f.name] = _typed(row, f, cells.get(f.name), decimal_comma)
        rows.append(row)
    if not rows:
        return [], [f"{where}: không có dòng số liệu nào"]
    return rows, []


def _typed(row: Row, f: Field, value: Any, decimal_comma: bool) -> Any:
    """The value in the field's type; None (with a problem) when it is not one."""
    if value is None:
        if f.required:
            row.fail(f.name, "bắt buộc phải có")
        return None
    if f.kind == "number":
        try:
            number = numbers.parse(value, "comma" if decimal_comma else "dot")
        except numbers.NumberError as exc:
            row.fail(f.name, str(exc))
            return None
        if number < 0:
            row.fail(f.name, "không được âm")
            return None
        return number
    if f.kind in ("date", "month"):
        if isinstance(value, dt.datetime | dt.date):
            return f"{value:%Y-%m-%d}" if f.kind == "date" else f"{value:%Y-%m}"
        pattern = _DATE_RE if f.kind == "date" else _MONTH_RE
        match = pattern.fullmatch(str(value))
        shape = "YYYY-MM-DD hoặc DD/MM/YYYY" if f.kind == "date" else "YYYY-MM hoặc MM/YYYY"
        if match is None:
            row.fail(f.name, f"không đúng dạng {shape}")
            return None
        g = match.groups()
        try:
            if f.kind == "date":
                y, m, d = (g[0], g[1], g[2]) if g[0] else (g[5], g[4], g[3])
                return dt.date(int(y), int(m), int(d)).isoformat()
            y, m = (g[0], g[1]) if g[0] else (g[3], g[2])
            return dt.date(int(y), int(m), 1).strftime("%Y-%m")
        except ValueError:
            row.fail(f.name, "ngày tháng không có thật")
            return None
    if f.kind == "quarter":
        text = str(value).strip().upper().replace("QUÝ", "Q").replace(" ", "")
        match = _QUARTER_RE.fullmatch(text)
        if match is None:
            row.fail(f.name, _("not a quarter written YYYY-Qn or Qn/YYYY (2025-Q3)"))
            return None
        g = match.groups()
        return f"{g[0]}-Q{g[1]}" if g[0] else f"{g[3]}-Q{g[2]}"
    if f.kind == "year":
        text = str(int(value)) if isinstance(value, int | float) else str(value)
        if not re.fullmatch(r"20\d\d", text):
            row.fail(f.name, "năm phải viết 4 chữ số (2026)")
            return None
        return int(text)
    if f.kind == "choice":
        chosen = f.choices.get(fold(str(value)))
        if chosen is None:
            row.fail(f.name, f"không thuộc các giá trị cho phép ({', '.join(f.shown)})")
        return chosen
    return str(value).strip()


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What the checks need from the store, read in one snapshot."""

    zones: dict[str, dict[str, Any]]
    enterprises: dict[str, dict[str, Any]]
    rows: list[dict[str, Any]]            # the intake's table as it is
    last_report: dict[str, str] = field(default_factory=dict)   # enterprise -> last month
    moves: dict[str, str] = field(default_factory=dict)   # enterprise -> month of last move
    projects: list[dict[str, Any]] = field(default_factory=list)  # certificate events


def _context(store: Any, intake: Intake) -> Context:
    from izreport.storage.store import enterprises, zones

    table = TABLES[intake.table]
    with store.reading() as conn:
        zone_rows = {r.zone_id: dict(r._mapping) for r in conn.execute(sa.select(zones))}
        ent_rows = {r.enterprise_id: dict(r._mapping) for r in conn.execute(
            sa.select(enterprises.c.enterprise_id, enterprises.c.zone_id,
                      enterprises.c.ownership))}
        rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
        last: dict[str, str] = {}
        moves: dict[str, str] = {}
        if intake.table == "enterprises":
            from izreport.storage.store import enterprise_moves as em
            from izreport.storage.store import monthly_reports as mr

            last = dict(conn.execute(sa.select(mr.c.enterprise_id, sa.func.max(mr.c.month))
                                     .group_by(mr.c.enterprise_id)).all())
            moves = dict(conn.execute(sa.select(em.c.enterprise_id, sa.func.max(em.c.month))
                                      .group_by(em.c.enterprise_id)).all())
        events: list[dict[str, Any]] = []
        if intake.table == "project_progress":
            from izreport.storage.store import projects

            events = [dict(r._mapping) for r in conn.execute(
                sa.select(projects).order_by(projects.c.seq))]
    return Context(zone_rows, ent_rows, rows, last, moves, events)


def _read_context(source: Path | str | None, intake: Intake) -> Context:
    """The context from a store, or from a folder of exchange CSV files (never written)."""
    folder, _ = data.resolve(source)
    if not data._exchange_folder(folder):
        return _context(data.open_store(source), intake)
    ds = data.read_csv_folder(folder)  # type: ignore[arg-type]

    def records(frame: Any) -> list[dict[str, Any]]:
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        for i, row in enumerate(rows):
            row.update({k: None for k, v in row.items() if v == ""}, seq=i)
        return rows

    zones = {r["zone_id"]: r for r in records(ds.zones)}
    ents = {r["enterprise_id"]: r for r in records(ds.enterprises)}
    return Context(zones, ents, records(getattr(ds, intake.table)),
                   projects=records(ds.projects))


def zone_of(ctx: Context, text: str | None) -> str | None:
    """A zone's id from its id or name (accents and case ignored)."""
    if text is None:
        return None
    wanted = data.fold(text)
    return next((z for z, r in ctx.zones.items()
                 if wanted in (data.fold(z), data.fold(r["name"]))), None)


# --------------------------------------------------------------------------- taking in


def take_in(kind: str, paths: list[Path], source: Path | str | None = None) -> list[Result]:
    """Check every file, then write all of them in one transaction (or nothing)."""
    intake = get_intake(kind)
    store = data.open_store(source)
    ctx = _context(store, intake)
    problems: list[str] = []
    files: list[tuple[Path, str, list[Row]]] = []
    for path in map(Path, paths):
        if not path.is_file():
            problems.append(f"{path}: không tìm thấy tệp")
            continue
        rows, file_problems = _read(path, intake)
        problems += file_problems
        files.append((path, hashlib.sha256(path.read_bytes()).hexdigest(), rows))
    every = [r for _, _, rows in files for r in rows]
    seen: dict[tuple[Any, ...], str] = {}
    for row in every:
        key = tuple(row.values.get(k) for k in intake.key)
        if None not in key and key in seen:
            row.fail(intake.key[0], f"trùng với {seen[key]}")
        elif None not in key:
            seen[key] = row.where
    if not any(r.problems for r in every):
        intake.check(every, ctx)
    problems += [p for r in every for p in r.problems]
    if problems:
        raise IntakeError(problems)
    return _write(store, intake, files)


def _write(store: Any, intake: Intake, files: list[tuple[Path, str, list[Row]]]
           ) -> list[Result]:
    table = TABLES[intake.table]
    results = []
    with store.writing() as conn:
        current = {tuple(r._mapping[k] for k in intake.key): dict(r._mapping)
                   for r in conn.execute(sa.select(table))}
        seq = conn.execute(sa.select(sa.func.max(table.c.seq))).scalar() or 0
        for path, digest, rows in files:
            added = replaced = unchanged = 0
            changes = []
            for row in rows:
                record = row.record if row.record is not None else {
                    k: v for k, v in row.values.items() if k in table.c}
                key = tuple(record[k] for k in intake.key)
                old = current.get(key)
                if old is None:
                    seq += 1
                    conn.execute(table.insert().values(**record, seq=seq))
                    current[key] = {**record, "seq": seq}
                    added += 1
                    continue
                changed = {k: v for k, v in record.items() if old.get(k) != v}
                if not changed:
                    unchanged += 1
                    continue
                conn.execute(table.update().where(table.c.seq == old["seq"]).values(**changed))
                changes.append((" ".join(str(k) for k in key),
                                {k: old.get(k) for k in changed}, changed))
                current[key] = {**old, **changed}
                replaced += 1
                for name, extra in row.also:
                    other = TABLES[name]
                    last = conn.execute(sa.select(sa.func.max(other.c.seq))).scalar() or 0
                    conn.execute(other.insert().values(**extra, seq=last + 1))
                    changes.append((f"{name} " + " ".join(str(v) for v in extra.values()),
                                    {}, extra))
            record_audit(conn, action="ingest", table_name=intake.table, file_name=path.name,
                         sha256=digest, month=None, rows=len(rows), added=added,
                         replaced=replaced, unchanged=unchanged, blank=0,
                         fmt=path.suffix.lstrip(".").lower(), replaced_values=changes)
            results.append(Result(path, digest, len(rows), added, replaced, unchanged))
    return results


# --------------------------------------------------------------------------- certificates

_KINDS = {"cap moi": "new", "new": "new", "tang von": "increase", "increase": "increase",
          "giam von": "decrease", "decrease": "decrease", "thu hoi": "revoked",
          "revoked": "revoked"}
_OWNERSHIP = {"fdi": "FDI", "ddi": "DDI", "trong nuoc": "DDI", "nuoc ngoai": "FDI"}


def _check_certificates(rows: list[Row], ctx: Context) -> None:
    """Rules of certificate events, in date order, against the projects already stored."""
    projects: dict[str, dict[str, Any]] = {}
    incoming = {row.values["certificate_no"] for row in rows}
    for r in sorted(ctx.rows, key=lambda r: (r["certificate_date"], r["seq"])):
        if r.get("certificate_no") not in incoming:     # a resubmission is checked anew
            _apply_event(projects, r)
    stored = {r["certificate_no"]: r for r in ctx.rows if r.get("certificate_no")}
    for row in sorted(rows, key=lambda r: str(r.values["certificate_date"])):
        v = row.values
        replacing = stored.get(v["certificate_no"])
        if replacing is not None and (replacing["project_id"], replacing["kind"]) != (
                v["project_id"], v["kind"]):
            row.fail("certificate_no", f"số giấy chứng nhận đã dùng cho dự án "
                     f"{replacing['project_id']} ({replacing['kind']}); sửa số liệu của một "
                     "giấy chứng nhận thì giữ nguyên mã dự án và loại")
            continue
        project = projects.get(v["project_id"])
        if v["kind"] == "new":
            if project is not None:
                row.fail("project_id", f"dự án {v['project_id']} đã có (cấp mới ngày "
                         f"{project['date']}); tăng, giảm vốn hay thu hồi thì ghi đúng loại")
                continue
            zone = zone_of(ctx, v.get("zone_id"))
            for name in ("zone_id", "ownership", "investor_country", "land_ha"):
                if v.get(name) is None:
                    row.fail(name, "bắt buộc khi cấp mới")
            if v.get("zone_id") is not None and zone is None:
                row.fail("zone_id", "không có khu công nghiệp này trong dữ liệu")
            if row.problems:
                continue
            v["zone_id"] = zone
        else:
            if project is None:
                row.fail("project_id", f"chưa có dự án {v['project_id']} (chưa được cấp mới)")
                continue
            if project["revoked"]:
                row.fail("project_id", f"dự án {v['project_id']} đã bị thu hồi")
                continue
            if v["certificate_date"] < project["date"]:
                row.fail("certificate_date", f"trước ngày cấp mới dự án ({project['date']})")
                continue
            for name in ("zone_id", "ownership", "investor_country"):
                given = v.get(name)
                value = zone_of(ctx, given) if name == "zone_id" and given else given
                if given is not None and value != project[name]:
                    row.fail(name, f"khác với dự án đã đăng ký ({project[name]})")
                v[name] = project[name]
            if row.problems:
                continue
        _check_capital(row, v, project)
        enterprise = v.get("enterprise_id")
        if enterprise is not None and enterprise not in ctx.enterprises:
            row.fail("enterprise_id", "không có doanh nghiệp này trong dữ liệu")
        if not row.problems:
            _apply_event(projects, v)


def _check_capital(row: Row, v: dict[str, Any], project: dict[str, Any] | None) -> None:
    """FDI capital only in triệu USD, domestic only in tỷ đồng: never both, never converted."""
    own, wrong = ("capital_musd", "capital_bn_vnd") if v["ownership"] == "FDI" else (
        "capital_bn_vnd", "capital_musd")
    unit = "triệu USD" if own == "capital_musd" else "tỷ đồng"
    if v.get(wrong) is not None:
        row.fail(wrong, f"dự án {v['ownership']}: vốn ghi bằng {unit} ở cột "
                 f"'{row.headers.get(own, own)}', không quy đổi")
        return
    if v.get(own) is None:
        if v["kind"] == "revoked" and project is not None:
            v[own] = project["capital"]          # revoked: the whole remaining capital
        else:
            row.fail(own, f"bắt buộc: vốn của dự án {v['ownership']} ({unit})")
            return
    if v["kind"] == "decrease" and project is not None and v[own] > project["capital"] + 1e-9:
        row.fail(own, f"giảm nhiều hơn vốn hiện có của dự án ({project['capital']:g} {unit})")
    if v["kind"] == "revoked" and v.get("land_ha") is None and project is not None:
        v["land_ha"] = project["land"]


def _apply_event(projects: dict[str, dict[str, Any]], v: Mapping[str, Any]) -> None:
    capital = v.get("capital_musd") if v["ownership"] == "FDI" else v.get("capital_bn_vnd")
    capital = float(capital or 0.0)
    if v["kind"] == "new":
        projects[v["project_id"]] = {
            "date": v["certificate_date"], "zone_id": v["zone_id"], "capital": capital,
            "ownership": v["ownership"], "investor_country": v["investor_country"],
            "land": v.get("land_ha"), "revoked": False}
        return
    project = projects.get(v["project_id"])
    if project is None:
        return
    if v["kind"] == "increase":
        project["capital"] += capital
    elif v["kind"] == "decrease":
        project["capital"] -= capital
    else:
        project["revoked"] = True


CERTIFICATES = Intake(
    name="certificates", title="GIẤY CHỨNG NHẬN ĐĂNG KÝ ĐẦU TƯ", table="projects",
    fields=(
        Field("certificate_no", "Số GCNĐKĐT", width=18),
        Field("certificate_date", "Ngày cấp", "date", width=12),
        Field("kind", "Loại", "choice", choices=_KINDS, width=12,
              shown=("cấp mới", "tăng vốn", "giảm vốn", "thu hồi")),
        Field("project_id", "Mã dự án", width=10),
        Field("zone_id", "Khu công nghiệp", required=False, width=18),
        Field("enterprise_id", "Mã DN", required=False, width=9),
        Field("ownership", "Loại hình (FDI/DDI)", "choice", required=False,
              choices=_OWNERSHIP, width=10, shown=("FDI", "DDI")),
        Field("investor_country", "Quốc gia nhà đầu tư", required=False, width=16),
        Field("capital_musd", "Vốn FDI (triệu USD)", "number", required=False, width=12),
        Field("capital_bn_vnd", "Vốn trong nước (tỷ đồng)", "number", required=False,
              width=12),
        Field("land_ha", "Diện tích đất (ha)", "number", required=False, width=10),
    ),
    key=("certificate_no",),
    guide=(
        "HƯỚNG DẪN NHẬP GIẤY CHỨNG NHẬN ĐĂNG KÝ ĐẦU TƯ",
        "",
        "1. Mỗi giấy chứng nhận (cấp mới, điều chỉnh tăng vốn, giảm vốn, thu hồi) một dòng.",
        "2. Loại: cấp mới, tăng vốn, giảm vốn hoặc thu hồi.",
        "3. Cấp mới: ghi mã dự án mới, khu công nghiệp, loại hình, quốc gia nhà đầu tư, vốn "
        "và diện tích đất. Các loại khác: ghi mã dự án đã cấp; khu, loại hình và quốc gia lấy "
        "theo dự án.",
        "4. Dự án FDI ghi vốn ở cột triệu USD; dự án trong nước ở cột tỷ đồng. Không quy đổi, "
        "không ghi cả hai cột.",
        "5. Thu hồi: để trống vốn thì lấy toàn bộ vốn còn lại của dự án.",
        "6. Ngày viết YYYY-MM-DD hoặc DD/MM/YYYY. Nhập lại cùng số giấy chứng nhận với số "
        "liệu khác là đính chính: số liệu cũ được thay và ghi vào nhật ký.",
    ),
    check=_check_certificates,
)


# --------------------------------------------------------------------------- zone land


def _check_zone_land(rows: list[Row], ctx: Context) -> None:
    """Leased land: a known zone with industrial land, within it, never decreasing."""
    leased = {(r["zone_id"], r["month"]): r["leased_ha"] for r in ctx.rows}
    for row in sorted(rows, key=lambda r: str(r.values["month"])):
        v = row.values
        zone = zone_of(ctx, v["zone_id"])
        if zone is None:
            row.fail("zone_id", "không có khu công nghiệp này trong dữ liệu")
            continue
        v["zone_id"] = zone
        land = ctx.zones[zone]["industrial_land_ha"]
        if land is None:
            row.fail("zone_id", "khu chưa có diện tích đất công nghiệp để cho thuê")
            continue
        if v["leased_ha"] > land + 1e-9:
            row.fail("leased_ha", f"vượt diện tích đất công nghiệp của khu ({land:g} ha)")
            continue
        before = [m for (z, m) in leased if z == zone and m < v["month"]]
        if before and v["leased_ha"] < leased[(zone, max(before))] - 1e-9:
            row.fail("leased_ha", f"nhỏ hơn tháng {max(before)} "
                     f"({leased[(zone, max(before))]:g} ha): diện tích đã cho thuê là số lũy "
                     "kế, không giảm")
            continue
        leased[(zone, v["month"])] = v["leased_ha"]


def _prefill_zone_land(ctx: Context, period: str) -> list[dict[str, Any]]:
    return [{"zone_id": r["name"], "month": period} for r in
            sorted(ctx.zones.values(), key=lambda r: r["seq"])
            if r["kind"] == "KCN" and r["operating_from"] and r["operating_from"] <= period]


ZONE_LAND = Intake(
    name="zone-land", title="DIỆN TÍCH ĐẤT CÔNG NGHIỆP ĐÃ CHO THUÊ", table="zone_land",
    fields=(
        Field("zone_id", "Khu công nghiệp", width=20),
        Field("month", "Tháng", "month", width=10),
        Field("leased_ha", "Đã cho thuê lũy kế (ha)", "number", width=14),
    ),
    key=("zone_id", "month"),
    guide=(
        "HƯỚNG DẪN NHẬP DIỆN TÍCH ĐẤT ĐÃ CHO THUÊ",
        "",
        "1. Mỗi khu công nghiệp một dòng cho mỗi tháng (YYYY-MM).",
        "2. Diện tích đã cho thuê là số lũy kế đến cuối tháng, tính bằng ha: không vượt diện "
        "tích đất công nghiệp của khu và không nhỏ hơn tháng trước.",
    ),
    check=_check_zone_land,
    prefill=_prefill_zone_land,
)


# --------------------------------------------------------------------------- plans

_INDICATORS = {
    "production_value": ("Giá trị SXCN", "bn_vnd"), "revenue": ("Doanh thu", "bn_vnd"),
    "export_value": ("Xuất khẩu", "musd"), "import_value": ("Nhập khẩu", "musd"),
    "budget_paid": ("Nộp ngân sách", "bn_vnd"),
}
_UNITS = {"bn_vnd": "tỷ đồng", "musd": "triệu USD"}


def _check_plans(rows: list[Row], ctx: Context) -> None:
    """A plan's scope is the province or a zone; its unit is the indicator's."""
    for row in rows:
        v = row.values
        scope = str(v["scope"])
        if data.fold(scope) in ("province", "toantinh"):
            v["scope"] = "province"
        elif (zone := zone_of(ctx, scope)) is not None:
            v["scope"] = zone
        else:
            row.fail("scope", "phạm vi là 'toàn tỉnh' hoặc tên một khu công nghiệp")
        unit = _INDICATORS[v["indicator"]][1]
        given = v.get("unit")
        if given is not None and data.fold(given) not in (data.fold(unit),
                                                          data.fold(_UNITS[unit])):
            row.fail("unit", f"chỉ tiêu {_INDICATORS[v['indicator']][0]} tính bằng "
                     f"{_UNITS[unit]}")
        v["unit"] = unit


def _prefill_plans(ctx: Context, period: str) -> list[dict[str, Any]]:
    return [{"year": int(period[:4]), "scope": "toàn tỉnh", "indicator": label,
             "unit": _UNITS[unit]} for label, unit in _INDICATORS.values()]


PLANS = Intake(
    name="plans", title="KẾ HOẠCH NĂM", table="plans",
    fields=(
        Field("year", "Năm", "year", width=8),
        Field("scope", "Phạm vi", width=16),
        Field("indicator", "Chỉ tiêu", "choice", width=16, choices={
            **{fold(label): k for k, (label, _) in _INDICATORS.items()},
            **{fold(k): k for k in _INDICATORS}},
              shown=tuple(label for label, _ in _INDICATORS.values())),
        Field("target", "Kế hoạch", "number", width=12),
        Field("unit", "Đơn vị", required=False, width=12),
    ),
    key=("year", "scope", "indicator"),
    guide=(
        "HƯỚNG DẪN NHẬP KẾ HOẠCH NĂM",
        "",
        "1. Mỗi chỉ tiêu một dòng: năm, phạm vi (toàn tỉnh hoặc tên khu công nghiệp), chỉ "
        "tiêu, kế hoạch.",
        "2. Giá trị SXCN, doanh thu, nộp ngân sách tính bằng tỷ đồng; xuất khẩu, nhập khẩu "
        "bằng triệu USD.",
        "3. Nhập lại kế hoạch đã có là điều chỉnh kế hoạch: số cũ được thay và ghi vào nhật ký.",
    ),
    check=_check_plans,
    prefill=_prefill_plans,
)

# --------------------------------------------------------------------------- enterprises

_EVENTS = {"thanh lap": "new", "moi": "new", "new": "new", "doi ten": "renamed",
           "renamed": "renamed", "ngung hoat dong": "stopped", "stopped": "stopped",
           "chuyen khu": "moved", "moved": "moved"}


def _check_enterprises(rows: list[Row], ctx: Context) -> None:
    """New enterprises (every attribute), renames, and stops (the last month reported)."""
    sectors = {r["vsic"]: r["sector"] for r in ctx.rows}
    taxes = {r["tax_code"]: r["enterprise_id"] for r in ctx.rows}
    known = {r["enterprise_id"]: r for r in ctx.rows}
    for row in rows:
        v = row.values
        ent = known.get(v["enterprise_id"])
        if v["event"] == "new":
            if ent is not None:
                row.fail("enterprise_id", f"doanh nghiệp {v['enterprise_id']} đã có "
                         f"({ent['name']})")
                continue
            for name in ("name", "tax_code", "zone_id", "vsic", "ownership",
                         "investor_country"):
                if v.get(name) is None:
                    row.fail(name, "bắt buộc khi thành lập")
            if row.problems:
                continue
            zone = zone_of(ctx, v["zone_id"])
            if zone is None or ctx.zones[zone]["kind"] != "KCN":
                row.fail("zone_id", "không phải khu công nghiệp trong dữ liệu")
            if not re.fullmatch(r"\d{10}(-\d{3})?", str(v["tax_code"])):
                row.fail("tax_code", "mã số thuế gồm 10 chữ số (chi nhánh: thêm -3 chữ số)")
            elif v["tax_code"] in taxes:
                row.fail("tax_code", f"mã số thuế đã thuộc doanh nghiệp "
                         f"{taxes[v['tax_code']]}")
            vsic = str(v["vsic"]).zfill(2)
            if vsic not in sectors:
                row.fail("vsic", "mã ngành VSIC (2 chữ số) không có trong dữ liệu")
            own, wrong = ("registered_capital_musd", "registered_capital_bn_vnd") \
                if v["ownership"] == "FDI" else ("registered_capital_bn_vnd",
                                                 "registered_capital_musd")
            if v.get(wrong) is not None:
                row.fail(wrong, f"doanh nghiệp {v['ownership']}: vốn ghi ở cột "
                         f"'{row.headers.get(own, own)}', không quy đổi")
            if row.problems:
                continue
            row.record = {
                "enterprise_id": v["enterprise_id"], "name": v["name"],
                "tax_code": v["tax_code"], "zone_id": zone, "vsic": vsic,
                "sector": sectors[vsic], "ownership": v["ownership"],
                "investor_country": v["investor_country"], own: v.get(own), wrong: None,
                "start_month": v["month"], "end_month": None}
            known[v["enterprise_id"]] = row.record
            taxes[v["tax_code"]] = v["enterprise_id"]
            continue
        if ent is None:
            row.fail("enterprise_id", "không có doanh nghiệp này trong dữ liệu")
            continue
        if v["event"] == "renamed":
            if v.get("name") is None:
                row.fail("name", "bắt buộc khi đổi tên: tên mới")
                continue
            row.record = {"enterprise_id": v["enterprise_id"], "name": v["name"]}
        elif v["event"] == "moved":
            _check_move(row, ent, ctx)
        else:
            if ent.get("end_month"):
                row.fail("enterprise_id", f"đã ngừng hoạt động từ sau tháng {ent['end_month']}")
                continue
            if v["month"] < ent["start_month"]:
                row.fail("month", f"trước tháng bắt đầu báo cáo ({ent['start_month']})")
                continue
            later = ctx.last_report.get(v["enterprise_id"])
            if later is not None and later > v["month"]:
                row.fail("month", f"doanh nghiệp đã báo cáo tháng {later}, sau tháng ngừng "
                         "hoạt động")
                continue
            row.record = {"enterprise_id": v["enterprise_id"], "end_month": v["month"]}


def _check_move(row: Row, ent: Mapping[str, Any], ctx: Context) -> None:
    """A move to another zone from a month on: the months before stay in the old zone."""
    v = row.values
    if v.get("zone_id") is None:
        row.fail("zone_id", _("required for a move: the new zone"))
        return
    zone = zone_of(ctx, v["zone_id"])
    if zone is None or ctx.zones[zone]["kind"] != "KCN":
        row.fail("zone_id", "không phải khu công nghiệp trong dữ liệu")
        return
    moved = ctx.moves.get(v["enterprise_id"])
    if zone == ent["zone_id"] and moved == v["month"]:
        row.record = {"enterprise_id": v["enterprise_id"], "zone_id": zone}   # taken in before
        return
    if zone == ent["zone_id"]:
        row.fail("zone_id", _("the enterprise is already in this zone"))
        return
    if ent.get("end_month") and ent["end_month"] < v["month"]:
        row.fail("enterprise_id", f"đã ngừng hoạt động từ sau tháng {ent['end_month']}")
        return
    if v["month"] <= ent["start_month"]:
        row.fail("month", _("a move takes effect after the first month reported ({month}); "
                            "a wrong zone from the start is corrected with the zone of a new "
                            "enterprise").format(month=ent["start_month"]))
        return
    if moved is not None and v["month"] <= moved:
        row.fail("month", _("the enterprise already moved in {month}; moves are taken in "
                            "in month order").format(month=moved))
        return
    row.record = {"enterprise_id": v["enterprise_id"], "zone_id": zone}
    row.also.append(("enterprise_moves", {
        "enterprise_id": v["enterprise_id"], "month": v["month"], "from_zone": ent["zone_id"],
        "to_zone": zone}))


ENTERPRISES = Intake(
    name="enterprises",
    title="DOANH NGHIỆP: THÀNH LẬP, ĐỔI TÊN, CHUYỂN KHU, NGỪNG HOẠT ĐỘNG",
    table="enterprises",
    fields=(
        Field("enterprise_id", "Mã DN", width=9),
        Field("event", "Loại", "choice", choices=_EVENTS, width=16,
              shown=("thành lập", "đổi tên", "chuyển khu", "ngừng hoạt động")),
        Field("month", "Tháng", "month", width=10),
        Field("name", "Tên doanh nghiệp", required=False, width=40),
        Field("tax_code", "Mã số thuế", required=False, width=13),
        Field("zone_id", "Khu công nghiệp", required=False, width=18),
        Field("vsic", "Mã ngành VSIC", required=False, width=8),
        Field("ownership", "Loại hình (FDI/DDI)", "choice", required=False,
              choices=_OWNERSHIP, width=10, shown=("FDI", "DDI")),
        Field("investor_country", "Quốc gia nhà đầu tư", required=False, width=16),
        Field("registered_capital_musd", "Vốn đăng ký FDI (triệu USD)", "number",
              required=False, width=12),
        Field("registered_capital_bn_vnd", "Vốn đăng ký trong nước (tỷ đồng)", "number",
              required=False, width=12),
    ),
    key=("enterprise_id",),
    guide=(
        "HƯỚNG DẪN NHẬP THAY ĐỔI DOANH NGHIỆP",
        "",
        "1. Thành lập: mã DN mới, tháng bắt đầu báo cáo, tên, mã số thuế, khu công nghiệp, "
        "mã ngành VSIC, loại hình, quốc gia nhà đầu tư và vốn đăng ký (FDI: triệu USD; "
        "trong nước: tỷ đồng; không quy đổi).",
        "2. Đổi tên: mã DN, tháng, tên mới.",
        "3. Chuyển khu: mã DN, tháng đầu tiên ở khu mới, khu công nghiệp mới. Các tháng "
        "trước vẫn tính cho khu cũ.",
        "4. Ngừng hoạt động: mã DN và tháng cuối cùng doanh nghiệp báo cáo.",
    ),
    check=_check_enterprises,
)

# --------------------------------------------------------------------------- progress

_STATUS = {"dang xay dung": "building", "building": "building",
           "dang hoat dong": "operating", "operating": "operating",
           "ngung hoat dong": "stopped", "stopped": "stopped"}
#: Implemented capital may exceed the capital registered (new plus increases) by overruns,
#: not by this factor: more is a typing error (a unit, a digit) and is refused.
IMPLEMENTED_MARGIN = 1.5
_IMPLEMENTED = {"FDI": ("implemented_capital_musd", "triệu USD"),
                "DDI": ("implemented_capital_bn_vnd", "tỷ đồng")}


def _quarter_end(quarter: str) -> str:
    """'2025-Q3' -> '2025-09-31' (compared with ISO dates, like the reports' period ends)."""
    return f"{quarter[:4]}-{int(quarter[6]) * 3:02d}-31"


def _project_register(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per project: its 'new' event, its revocation date, and its dated capital events."""
    out: dict[str, dict[str, Any]] = {}
    for e in sorted(events, key=lambda e: (e["certificate_date"], e["seq"])):
        if e["kind"] == "new":
            out[e["project_id"]] = {"new": e, "revoked": None, "added": []}
        project = out.get(e["project_id"])
        if project is None:
            continue
        if e["kind"] == "revoked" and project["revoked"] is None:
            project["revoked"] = e["certificate_date"]
        if e["kind"] in ("new", "increase"):
            amount = e["capital_musd"] if e["ownership"] == "FDI" else e["capital_bn_vnd"]
            project["added"].append((e["certificate_date"], float(amount or 0.0)))
    return out


def _check_progress(rows: list[Row], ctx: Context) -> None:
    """A certified, valid project; implemented capital in its own currency, cumulative
    (never below an earlier quarter, never above a later one) and plausible against the
    capital registered."""
    register = _project_register(ctx.projects)
    incoming = {(r.values["project_id"], r.values["quarter"]) for r in rows}
    known: dict[str, dict[str, float]] = {}
    for r in ctx.rows:
        if (r["project_id"], r["quarter"]) not in incoming:   # a resubmission is checked anew
            value = r["implemented_capital_musd"] if r["ownership"] == "FDI" else \
                r["implemented_capital_bn_vnd"]
            known.setdefault(r["project_id"], {})[r["quarter"]] = float(value)
    for row in sorted(rows, key=lambda r: str(r.values["quarter"])):
        v = row.values
        project = register.get(v["project_id"])
        if project is None:
            row.fail("project_id", _("no project {project} (never certified)").format(
                project=v["project_id"]))
            continue
        new, end = project["new"], _quarter_end(v["quarter"])
        first = data.quarter_of(new["certificate_date"][:7])
        if v["quarter"] < first:
            row.fail("quarter", _("before the quarter the project was certified in "
                                  "({quarter})").format(quarter=first))
            continue
        if project["revoked"] is not None and project["revoked"] <= end:
            row.fail("project_id", _("the project's certificate was revoked on {date}").format(
                date=project["revoked"]))
            continue
        own = new["ownership"]
        column, unit = _IMPLEMENTED[own]
        other = _IMPLEMENTED["DDI" if own == "FDI" else "FDI"][0]
        if v.get(other) is not None:
            row.fail(other, _("{ownership} project: implemented capital is written in {unit} "
                              "in column '{column}', never converted").format(
                ownership=own, unit=unit, column=row.headers.get(column, column)))
            continue
        value = v.get(column)
        if value is None:
            row.fail(column, _("required: the cumulative implemented capital of the "
                               "{ownership} project ({unit})").format(ownership=own, unit=unit))
            continue
        history = known.setdefault(v["project_id"], {})
        earlier = [q for q in history if q < v["quarter"]]
        later = [q for q in history if q > v["quarter"]]
        if earlier and value < history[max(earlier)] - 1e-9:
            row.fail(column, _("below {quarter} ({value:g} {unit}): implemented capital is "
                               "cumulative and never decreases").format(
                quarter=max(earlier), value=history[max(earlier)], unit=unit))
            continue
        if later and value > history[min(later)] + 1e-9:
            row.fail(column, _("above {quarter} ({value:g} {unit}), which is reported "
                               "already: implemented capital is cumulative").format(
                quarter=min(later), value=history[min(later)], unit=unit))
            continue
        registered = sum(a for d, a in project["added"] if d <= end)
        if value > IMPLEMENTED_MARGIN * registered + 1e-9:
            row.fail(column, _("more than {share} of the capital registered (new and "
                               "increases: {registered:g} {unit}); check the unit and the "
                               "digits").format(share=f"{round(IMPLEMENTED_MARGIN * 100)} %",
                                                registered=registered, unit=unit))
            continue
        history[v["quarter"]] = value
        row.record = {"project_id": v["project_id"], "quarter": v["quarter"],
                      "ownership": own, "status": v["status"], column: value, other: None}


def _prefill_progress(ctx: Context, period: str) -> list[dict[str, Any]]:
    """Every project valid at the end of the period's quarter, with its last status."""
    quarter = data.quarter_of(period)
    end = _quarter_end(quarter)
    status = {r["project_id"]: r["status"] for r in sorted(ctx.rows, key=lambda r: r["quarter"])
              if r["quarter"] < quarter}
    shown = {"building": "đang xây dựng", "operating": "đang hoạt động",
             "stopped": "ngừng hoạt động"}
    return [{"project_id": pid, "quarter": quarter,
             "status": shown.get(status.get(pid, ""), "")}
            for pid, p in sorted(_project_register(ctx.projects).items())
            if p["new"]["certificate_date"] <= end
            and (p["revoked"] is None or p["revoked"] > end)]


PROGRESS = Intake(
    name="progress", title="TIẾN ĐỘ DỰ ÁN: TÌNH TRẠNG VÀ VỐN THỰC HIỆN LŨY KẾ (HẰNG QUÝ)",
    table="project_progress",
    fields=(
        Field("project_id", "Mã dự án", width=10),
        Field("quarter", "Quý", "quarter", width=10),
        Field("status", "Tình trạng", "choice", choices=_STATUS, width=18,
              shown=("đang xây dựng", "đang hoạt động", "ngừng hoạt động")),
        Field("implemented_capital_musd", "Vốn thực hiện lũy kế FDI (triệu USD)", "number",
              required=False, width=14),
        Field("implemented_capital_bn_vnd", "Vốn thực hiện lũy kế trong nước (tỷ đồng)",
              "number", required=False, width=14),
    ),
    key=("project_id", "quarter"),
    guide=(
        "HƯỚNG DẪN NHẬP TIẾN ĐỘ DỰ ÁN (HẰNG QUÝ)",
        "",
        "1. Mỗi dự án còn hiệu lực một dòng cho mỗi quý (2025-Q3 hoặc Q3/2025).",
        "2. Tình trạng: đang xây dựng, đang hoạt động hoặc ngừng hoạt động.",
        "3. Vốn thực hiện là số lũy kế từ khi cấp mới đến hết quý: không nhỏ hơn quý trước.",
        "4. Dự án FDI ghi ở cột triệu USD; dự án trong nước ở cột tỷ đồng. Không quy đổi, "
        "không ghi cả hai cột.",
        "5. Vốn thực hiện vượt quá 150 % vốn đăng ký (cấp mới và tăng thêm) bị từ chối: "
        "kiểm tra đơn vị và chữ số.",
        "6. Nhập lại cùng dự án và quý với số liệu khác là đính chính: số cũ được thay và "
        "ghi vào nhật ký.",
    ),
    check=_check_progress,
    prefill=_prefill_progress,
)

INTAKES = {i.name: i for i in (CERTIFICATES, ZONE_LAND, PLANS, ENTERPRISES, PROGRESS)}


def get_intake(kind: str) -> Intake:
    if kind not in INTAKES:
        raise ParameterError(f"unknown intake {kind!r}; intakes: {', '.join(INTAKES)}")
    return INTAKES[kind]


# --------------------------------------------------------------------------- template


def write_template(kind: str, out: Path, period: str | None = None,
                   source: Path | str | None = None) -> Path:
    """The intake's workbook: headers, prefilled rows where the intake has them, a guide.

    The same store, kind and period give the same bytes.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from izreport.incoming.ingest import _stable_zip

    intake = get_intake(kind)
    if intake.prefill is not None and not (period and re.fullmatch(r"\d{4}-\d{2}", period)):
        raise ParameterError(f"intake {kind!r} needs --period YYYY-MM (got {period!r})")
    book = Workbook()
    ws = book.active
    ws.title = SHEET
    ws["A1"] = intake.title
    ws["A1"].font = Font(bold=True, size=13)
    for col, f in enumerate(intake.fields, start=1):
        cell = ws.cell(2, col, f.label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = f.width
    if intake.prefill is not None:
        ctx = _read_context(source, intake)
        for i, values in enumerate(intake.prefill(ctx, str(period)), start=3):
            for col, f in enumerate(intake.fields, start=1):
                if f.name in values:
                    put_value(ws, i, col, values[f.name]).number_format = "@"
    ws.freeze_panes = "A3"
    guide = book.create_sheet(GUIDE_SHEET)
    for i, text in enumerate(intake.guide, start=1):
        guide.cell(i, 1, text).font = Font(bold=(i == 1))
    guide.column_dimensions["A"].width = 120
    stamp = dt.datetime(int(period[:4]), int(period[5:7]), 1) if period else \
        dt.datetime(2000, 1, 1)
    book.properties.creator = "izreport"
    book.properties.created = stamp
    buf = io.BytesIO()
    book.save(buf)
    out = Path(out)
    atomic_write(out, _stable_zip(buf.getvalue(), stamp))
    return out
