"""What is due on a date, and rendering only what changed: ``izreport run-due``.

On a date D only data of months before D's month count ("the data as of D"). Then:

- every report whose notebook declares a ``schedule`` (period shapes: month, quarter, H1,
  H2, 9m, year; see :mod:`izreport.pipeline.params`) is due for the latest period of those shapes
  whose last month has data: the monthly report (``["month"]``) for the latest month, the
  half-year report (``["H1", "year"]``) for ``YYYY-H1`` once June has data and for the year
  once December has, the quarterly report for the latest quarter. Only these latest
  periods are considered, never the history; a report added by notebook is scheduled with
  no change to the package;
- the **statistical forms** (``izreport forms``) are due for the latest completed quarter,
  and for its year too once December has data; they are made after the reports.

A due report is rendered only when its **inputs fingerprint** differs from the one of its
last successful render (or an output file is missing). The fingerprint is a SHA-256 over
the data files (``data/*.csv``), the hand-written texts of the period
(``reports/<period>.md``, ``reports/<period>_*.md``), ``izreport.toml``, the notebook,
the package version and the package's files, and the parameters; a missing output file of a
wanted format also makes it due. The fingerprint is kept in
``<out>/.state/fingerprints.json`` (written atomically, after each successful render).

Run from cron or a systemd timer every day: a second instance started while one runs
finds ``<out>/.state/lock`` held and stops at once with :data:`LOCKED_EXIT` (75,
``EX_TEMPFAIL``), unless told to wait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from izreport.core.errors import IzReportError
from izreport.core.i18n import _
from izreport.pipeline import runlog
from izreport.pipeline.write import RunLog, log_line, read_state, remember
from izreport.pipeline.write import write_state as write_state  # for callers of due
from izreport.storage.data import data_months

if TYPE_CHECKING:  # resolved requests are made in decide(); the import stays lazy
    from izreport.pipeline.request import RunRequest
    from izreport.storage.datafacts import DataFacts

#: Exit code of ``izreport run-due`` when another instance holds the lock (EX_TEMPFAIL).
LOCKED_EXIT = 75
FORMS = "forms"
LOCK = "lock"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


class LockBusy(Exception):
    """Another run holds the state lock of this output folder."""


# --------------------------------------------------------------------------- lock


@contextlib.contextmanager
def state_lock(out: Path | str, wait: bool = False) -> Iterator[Path]:
    """Hold ``<out>/.state/lock`` (``flock``) for the block; LockBusy if taken and not waiting.

    The lock is released by the kernel when the process ends, however it ends: a crashed
    run never leaves a stale lock behind.
    """
    path = runlog.state_dir(out, create=True) / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            raise LockBusy(_("another izreport run-due is running on {out} ({value}); nothing "
                             "done").format(out=out, value=holder or 'lock ' + str(path))) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {runlog.now_iso()}\n".encode(), 0)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- what is due


@dataclass(frozen=True)
class Planned:
    """A report due on the date: report, parameters, and why it is due."""

    report: str
    params: dict[str, Any]
    why: str


def _month(date: dt.date) -> str:
    return f"{date.year:04d}-{date.month:02d}"


def scheduled() -> list[Any]:
    """The declared reports that run-due renders (``schedule`` in their notebook)."""
    from izreport.pipeline.params import reports

    return [spec for spec in reports().values() if spec.schedule]


def plan(date: dt.date, data_dir: Path | None = None, all_zones: bool = False,
         facts: DataFacts | None = None) -> tuple[list[Planned], list[str]]:
    """The reports due on ``date`` (before checking what changed) and notes for the user.

    ``facts``: the data as already read for this run.
    """
    from izreport.core.periods import latest_ending
    from izreport.storage.datafacts import DataFacts

    facts = facts if facts is not None else DataFacts(data_dir)
    before = [m for m in facts.months() if m < _month(date)]
    notes: list[str] = []
    planned: list[Planned] = []
    if not before:
        notes.append(_("no data before {month}: nothing is due").format(month=_month(date)))
        return planned, notes
    for spec in scheduled():
        period = latest_ending(spec.schedule, before)
        if period is None:
            notes.append(_("{report}: no period of its schedule ({shapes}) has data yet").format(
                report=spec.name, shapes=", ".join(spec.schedule)))
            continue
        why = _("latest period with data to {month}").format(month=period.last_month)
        planned.append(Planned(spec.name, {"period": str(period)}, why))
        if all_zones and spec.spec("zone") is not None:  # checked when resolved (decide)
            planned += [Planned(spec.name, {"period": str(period), "zone": zone_id},
                                why + " (zone)")
                        for zone_id in facts.reporting_zones(period)]
    return planned, notes


# --------------------------------------------------------------------------- fingerprint


@dataclass(frozen=True)
class Inputs:
    """The digest of everything a render reads, and its parts (to say what changed)."""

    digest: str
    parts: dict[str, str]

    def changes(self, old_parts: Mapping[str, str] | None) -> list[str]:
        if not old_parts:
            return []
        keys = sorted(set(self.parts) | set(old_parts))
        return [k for k in keys if self.parts.get(k) != old_parts.get(k)]


def _names(item: DueItem) -> dict[str, Any]:
    """The zone id and site path of a due report, for its run-log record."""
    request = item.request
    return {"zone_id": request.zone_id, "site": request.site} if request is not None else {}


def _hash_file(path: Path) -> str:
    try:
        return runlog.sha256_file(path)
    except FileNotFoundError:
        return "missing"


@functools.cache
def package_hash() -> str:
    """SHA-256 over the package's files (code, templates, assets, fonts), by relative path."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0")
            digest.update(runlog.sha256_file(path).encode() + b"\n")
    return digest.hexdigest()


def inputs(request: RunRequest) -> Inputs:
    """The inputs fingerprint of one render (a resolved request).

    The formats are not part of it: a render is redone when a wanted format's file is
    missing.
    """
    from izreport import __version__
    from izreport.blocks.texts import texts_dir
    from izreport.core.config import config_path
    from izreport.storage.data import fingerprint

    values = request.values
    parts: dict[str, str] = dict(fingerprint(request.data))
    period = str(values.get("period") or "")
    if period:
        folder = texts_dir()
        for path in sorted({*folder.glob(f"{period}.md"), *folder.glob(f"{period}_*.md")}):
            parts[f"texts/{path.name}"] = _hash_file(path)
    parts["config"] = _hash_file(config_path())
    parts["notebook"] = _hash_file(request.spec.path)
    parts["version"] = __version__
    parts["package"] = package_hash()
    parts["report"] = request.report
    parts["params"] = json.dumps(values, sort_keys=True, ensure_ascii=False)
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return Inputs(hashlib.sha256(blob).hexdigest(), parts)


# --------------------------------------------------------------------------- run


@dataclass
class DueItem:
    """One due report and what happened to it: rendered, skipped (up to date) or failed."""

    report: str
    params: dict[str, Any]
    why: str
    stem: str | None = None
    fingerprint: str | None = None
    action: str = "render"  # render | skip | invalid
    request: RunRequest | None = None  # None: forms, or parameters that were refused
    reason: str = ""
    result: Any = None  # the JobResult of a render
    error: str | None = None
    parts: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def status(self) -> str:
        if self.action == "skip":
            return "skipped"
        if self.action == "invalid" or (self.result is not None and not self.result.ok):
            return "failed"
        return "ok" if self.result is not None else "pending"


@dataclass
class DueRun:
    """Everything one ``run-due`` decided and did."""

    date: dt.date
    items: list[DueItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[DueItem]:
        return [i for i in self.items if i.status == "failed"]


def decide(date: dt.date, out: Path | str, data_dir: Path | None = None,
           formats: Sequence[str] | None = ("html", "pdf"), all_zones: bool = False) -> DueRun:
    """What is due on ``date`` and, for each, whether it must be rendered (and why).

    ``formats`` None: the formats of each report's last render (for ``izreport status``).
    """
    from izreport.pipeline.request import resolve
    from izreport.storage.datafacts import DataFacts

    run = DueRun(date)
    facts = DataFacts(data_dir)
    planned, run.notes = plan(date, data_dir, all_zones, facts)
    state = read_state(out)
    for p in planned:
        item = DueItem(p.report, dict(p.params), p.why)
        run.items.append(item)
        try:
            request = resolve(p.report, p.params, data_dir, facts)
        except IzReportError as exc:
            item.action, item.error, item.reason = "invalid", str(exc), _("invalid parameters")
            continue
        item.request, item.params, item.stem = request, request.values, request.stem
        current = inputs(request)
        item.fingerprint = current.digest
        before = state.get(item.stem) or {}
        wanted = formats if formats is not None else before.get("formats", ("html", "pdf"))
        missing = [f"{item.stem}.{fmt}" for fmt in wanted
                   if not (Path(out) / f"{item.stem}.{fmt}").is_file()]
        if not before:
            item.reason = _("never rendered")
        elif before.get("fingerprint") != current.digest:
            changed = current.changes(before.get("parts"))
            item.reason = _("inputs changed: {what}").format(what=", ".join(changed)
                                                             or "fingerprint")
        elif missing:
            item.reason = _("output missing: {files}").format(files=", ".join(missing))
        else:
            item.action, item.reason = "skip", _("up to date (rendered {time})").format(
                time=before.get("time"))
        item.parts = current.parts
    return run


def run_due(date: dt.date, out: Path | str, data_dir: Path | None = None,
            formats: Sequence[str] = ("html", "pdf"), all_zones: bool = False,
            workers: int | None = None, wait: bool = False,
            on_item: Callable[[DueItem], None] | None = None,
            console: Any = None, show: bool | None = None,
            on_plan: Callable[[DueRun], None] | None = None,
            on_start: Callable[[DueItem], None] | None = None) -> DueRun:
    """Render what is due and changed; log every due report; raise LockBusy if locked.

    ``on_plan`` sees the decisions before anything renders (the log's start line),
    ``on_start`` each render as it starts.
    """
    from izreport.pipeline.batch import Job, run_batch

    out = Path(out)
    with state_lock(out, wait=wait):
        run = decide(date, out, data_dir, formats, all_zones)
        if on_plan is not None:
            on_plan(run)
        until = data_months(data_dir)[-1]
        for item in run.items:
            if item.action == "render":
                continue
            log_line(out, report=item.report, params=item.params, stem=item.stem,
                     result="skipped" if item.action == "skip" else "failed",
                     log=RunLog("run-due", item.fingerprint, until, item.reason),
                     error=item.error, **_names(item))
            if on_item is not None:
                on_item(item)
        todo = [i for i in run.items if i.action == "render"]

        def finished(result: Any) -> None:   # the run log has it (pipeline.write)
            item = by_job[id(result.job)]
            item.result = result
            if not result.ok:
                item.error = result.error
            if on_item is not None:
                on_item(item)

        jobs = [Job(i.request, log=RunLog("run-due", i.fingerprint, until, i.reason, i.parts))
                for i in todo]
        by_job = {id(job): item for job, item in zip(jobs, todo, strict=True)}
        if jobs:
            run_batch(jobs, out, formats, workers=workers, on_result=finished,
                      console=console, show=show,
                      on_start=None if on_start is None else
                      lambda job: on_start(by_job[id(job)]))
        for item in due_forms(date, out, data_dir):
            run.items.append(item)
            _make_forms(item, out, data_dir, until)
            if on_item is not None:
                on_item(item)
    return run


# --------------------------------------------------------------------------- statistical forms


@dataclass(frozen=True)
class FormsResult:
    """A written forms workbook, shaped like a render's result for the run log."""

    files: dict[str, Path]
    duration: float
    ok: bool = True


def forms_periods(date: dt.date, months: Sequence[str]) -> list[str]:
    """The latest quarter complete before ``date``'s month, and its year after a Q4."""
    ends = [m for m in months if m < _month(date) and m[5:] in ("03", "06", "09", "12")]
    if not ends:
        return []
    last = ends[-1]
    quarter = f"{last[:4]}-Q{int(last[5:]) // 3}"
    return [quarter, last[:4]] if last.endswith("-12") else [quarter]


def forms_inputs(period: str, data_dir: Path | None = None) -> Inputs:
    """The fingerprint of a forms workbook: data, form files, configuration, package."""
    from izreport import __version__
    from izreport.core.config import config_path
    from izreport.forms.statforms import FORMS_DIR
    from izreport.storage.data import fingerprint

    parts: dict[str, str] = dict(fingerprint(data_dir))
    for path in sorted(FORMS_DIR.glob("*.toml")):
        parts[f"forms/{path.name}"] = _hash_file(path)
    parts["config"] = _hash_file(config_path())
    parts["version"] = __version__
    parts["package"] = package_hash()
    parts["report"] = FORMS
    parts["params"] = json.dumps({"period": period}, sort_keys=True)
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return Inputs(hashlib.sha256(blob).hexdigest(), parts)


def forms_stem(period: str) -> str:
    return f"bieu-thong-ke_{period}"


def due_forms(date: dt.date, out: Path | str, data_dir: Path | None = None) -> list[DueItem]:
    """The statistical forms due on ``date`` (the quarter's, and the year's after December),
    each to make (never made, inputs changed, workbook missing) or to skip."""
    state = read_state(out)
    items = []
    for period in forms_periods(date, data_months(data_dir)):
        stem = forms_stem(period)
        current = forms_inputs(period, data_dir)
        item = DueItem(FORMS, {"period": period}, _("latest quarter with data") if "-Q" in period
                       else _("latest year with December data"), stem=stem,
                       fingerprint=current.digest, parts=current.parts)
        before = state.get(stem) or {}
        if not before:
            item.reason = _("never made")
        elif before.get("fingerprint") != current.digest:
            item.reason = _("inputs changed: {what}").format(
                what=", ".join(current.changes(before.get("parts"))) or "fingerprint")
        elif not (Path(out) / f"{stem}.xlsx").is_file():
            item.reason = _("output missing: {files}").format(files=f"{stem}.xlsx")
        else:
            item.action, item.reason = "skip", _("up to date (made {time})").format(
                time=before.get("time"))
        items.append(item)
    return items


def _make_forms(item: DueItem, out: Path, data_dir: Path | None, until: str) -> None:
    """Write one due forms workbook (or skip it), log it and remember its fingerprint."""
    import time

    from izreport.forms.statforms import build

    result = "skipped"
    files: dict[str, Path] = {}
    started = time.monotonic()
    if item.action == "render":
        path = out / f"{item.stem}.xlsx"
        try:
            build(str(item.params["period"]), path, data_dir)
        except IzReportError as exc:
            item.action, item.error, result = "invalid", str(exc), "failed"
        else:
            files, result = {"xlsx": path}, "ok"
            item.result = FormsResult(files, time.monotonic() - started)
            remember(out, str(item.stem), {"fingerprint": item.fingerprint, "parts": item.parts,
                                           "report": FORMS, "params": item.params,
                                           "time": runlog.now_iso(), "formats": ["xlsx"]})
    log_line(out, report=FORMS, params=item.params, stem=item.stem, result=result,
             log=RunLog("run-due", item.fingerprint, until, item.reason),
             duration=time.monotonic() - started, files=files, error=item.error)


# --------------------------------------------------------------------------- next


@dataclass(frozen=True)
class NextDue:
    """A report that will be due: from which date, and on what condition."""

    report: str
    period: str
    due_from: dt.date
    condition: str


def _first_of_next_month(month: str) -> dt.date:
    from izreport.core.periods import shift_month

    after = shift_month(month, 1)
    return dt.date(int(after[:4]), int(after[5:7]), 1)


def next_due(date: dt.date, data_dir: Path | None = None) -> list[NextDue]:
    """The next period of each scheduled report, and from when it will be due."""
    from izreport.core.periods import first_ending_after, latest_ending, shift_month

    months = data_months(data_dir)
    last = months[-1] if months else None
    before = [m for m in months if m < _month(date)]
    rows: list[NextDue] = []

    def condition(month: str) -> str:
        if last is not None and month <= last:
            return _("data for {month} are in").format(month=month)
        return _("once data for {month} are ingested (data end {last})").format(
            month=month, last=last)

    for spec in scheduled():
        current = latest_ending(spec.schedule, before)
        after = current.last_month if current else shift_month(_month(date), -1)
        nxt = first_ending_after(spec.schedule, after)
        if nxt is not None:
            rows.append(NextDue(spec.name, str(nxt), _first_of_next_month(nxt.last_month),
                                condition(nxt.last_month)))
    return rows
