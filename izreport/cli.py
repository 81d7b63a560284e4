"""Command line: ``izreport render``, ``run-due``, ``publish``, ``status``, ``params``, ...

A thin layer over :func:`izreport.render.render` and friends: it parses words, shows
progress and turns the package's exceptions into one readable line and an exit code
(2 for bad parameters or data, 1 for a failed render).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape

from izreport.errors import IzReportError, ParameterError, RenderError
from izreport.files import output_folder
from izreport.params import BARE_FLAG

_err = Console(stderr=True)
_out = Console()

#: Exit codes of failures that are not the user's input: the system refused a read or a
#: write (EX_IOERR), and a failure nobody foresaw (EX_SOFTWARE; the traceback is logged).
IO_EXIT = 74
UNEXPECTED_EXIT = 70
#: Where unexpected failures leave their traceback (default: the user's state folder).
ERROR_LOG_ENV = "IZREPORT_ERROR_LOG"


def error_log() -> Path:
    """The file that keeps the tracebacks of unexpected failures."""
    if os.environ.get(ERROR_LOG_ENV):
        return Path(os.environ[ERROR_LOG_ENV])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "izreport" / "errors.log"


def _log_traceback(exc: BaseException) -> Path | None:
    """Append the traceback to the error log; None if even that cannot be written."""
    import datetime as dt
    import sys
    import traceback

    path = error_log()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().astimezone().isoformat(timespec='seconds')} "
                     f"izreport {' '.join(sys.argv[1:])}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


def _store_refused(exc: BaseException) -> bool:
    """The database refused to work (SQLAlchemy's OperationalError), not a bug of ours."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return False
    import sqlalchemy.exc

    return isinstance(exc, sqlalchemy.exc.OperationalError)


class _Commands(typer.core.TyperGroup):
    """Every command's failure ends as one line and an exit code, never a traceback.

    The package's own errors are expected (2 bad input, 1 a failed render); the system
    refusing a file (permissions, full disk, a file where a folder should be) is one line
    naming the path (74); anything else is a bug: its traceback goes to :func:`error_log`
    and the terminal gets one line saying where (70).
    """

    def invoke(self, ctx: Any) -> Any:
        from typer.exceptions import Abort, TyperException

        from izreport.i18n import _

        try:
            return super().invoke(ctx)
        except (typer.Exit, Abort, TyperException):
            raise   # exits and usage errors (typer's own click): handled as usual
        except IzReportError as exc:
            _fail(exc)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            _err.print("[bold red]error:[/] " + escape(where + (exc.strerror or str(exc))),
                       highlight=False, soft_wrap=True)
            raise typer.Exit(IO_EXIT) from None
        except Exception as exc:
            if _store_refused(exc):   # read-only database, full disk, server gone
                reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                _err.print("[bold red]error:[/] " + escape(
                    _("the data store refused: {reason}").format(reason=reason)),
                    highlight=False, soft_wrap=True)
                raise typer.Exit(IO_EXIT) from None
            log = _log_traceback(exc)
            text = (_("unexpected failure ({kind}: {reason}); the details are in {log}")
                    if log else _("unexpected failure ({kind}: {reason})")).format(
                kind=type(exc).__name__, reason=str(exc).splitlines()[0] if str(exc) else "",
                log=log)
            _err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)
            raise typer.Exit(UNEXPECTED_EXIT) from None


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_Commands,
                  pretty_exceptions_enable=False,
                  help="Reports of the Industrial Zones Management Board.")


def _report_params(words: list[str]) -> dict[str, Any]:
    """Collect report parameters given as --name value, --name=value or -p name value.

    A bare ``--name`` gets BARE_FLAG; the report's declaration decides whether that means
    True (a boolean such as --final) or a missing value.
    """
    params: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-p", "--parameters"):
            if i + 2 >= len(words):
                raise ParameterError(f"'{word}' needs a name and a value")
            params[words[i + 1].replace("-", "_")] = words[i + 2]
            i += 3
            continue
        if not word.startswith("--") or len(word) == 2:
            raise ParameterError(f"unexpected argument {word!r}; give parameters as --name value")
        name, eq, value = word[2:].partition("=")
        if not eq:
            # a bare flag (--final) has no value; the report's declaration decides
            has_value = i + 1 < len(words) and not words[i + 1].startswith("--")
            value = words[i + 1] if has_value else BARE_FLAG
            i += 1 if has_value else 0
        params[name.replace("-", "_")] = value
        i += 1
    return params


def _fail(exc: IzReportError) -> None:
    _err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if isinstance(exc, RenderError) else 2)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def render(
    ctx: typer.Context,
    report: Annotated[str, typer.Argument(help="Report name, e.g. half-year.")],
    to: Annotated[str, typer.Option("--to", help="Formats, comma-separated.")] = "html,pdf",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    data: Annotated[Path | None, typer.Option("--data", help="Data folder.")] = None,
    all_zones: Annotated[bool, typer.Option(
        "--all-zones", help="Also render one report per zone operating in the period.")] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Renders at once with --all-zones (default: one per core).")
    ] = None,
    cell_timeout: Annotated[int | None, typer.Option(
        "--cell-timeout", min=1, help="Giây tối đa cho một ô (mặc định: [render] trong "
        "izreport.toml, 600).")] = None,
    timeout: Annotated[int | None, typer.Option(
        "--timeout", min=1, help="Giây tối đa cho cả một báo cáo (mặc định: [render] "
        "trong izreport.toml, 1800).")] = None,
) -> None:
    """Render a report. Report parameters follow as options: --period 2021-H1 --zone "Hòa Xá"."""
    from izreport import runlog
    from izreport.batch import Job, JobResult, run_batch
    from izreport.config import CELL_TIMEOUT_ENV, REPORT_TIMEOUT_ENV, render_limits
    from izreport.due import data_months, inputs
    from izreport.params import get_report, validate
    from izreport.render import _check_formats, zone_runs

    # through the environment, which every render worker inherits
    for env, seconds in ((CELL_TIMEOUT_ENV, cell_timeout), (REPORT_TIMEOUT_ENV, timeout)):
        if seconds is not None:
            os.environ[env] = str(seconds)
    try:
        render_limits()
        params = _report_params(list(ctx.args))
        runs = zone_runs(report, params, data) if all_zones else [params]
        formats = _check_formats(to.split(","))
        spec = get_report(report)
        checked = [validate(spec, run, data) for run in runs]
        until = data_months(data)[-1]
        output_folder(out)
    except IzReportError as exc:
        _fail(exc)
        return
    prints = {spec.stem(v): inputs(report, v, data).digest for v in checked}

    def done(result: JobResult) -> None:
        runlog.log_job(out, result, "render", prints.get(str(result.stem)), until)
        if result.ok:
            for fmt, path in result.files.items():
                _out.print(f"{fmt:5} {out / path.name}", highlight=False, markup=False)
        else:
            label = "error:" if len(checked) == 1 else f"failed: {escape(result.job.label)}:"
            _err.print(f"[bold red]{label}[/] {escape(str(result.error))}", highlight=False,
                       soft_wrap=True)

    summary = run_batch([Job(report, v) for v in checked], out, formats, data, workers=jobs,
                        on_result=done, console=_err)
    if summary.failed and len(checked) > 1:
        _err.print(f"[bold red]{len(summary.failed)} of {len(checked)} reports failed:[/] "
                   + escape("; ".join(r.job.label for r in summary.failed)), highlight=False)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the sample into.")
                   ] = Path("data"),
    seed: Annotated[int, typer.Option(help="Random seed (the committed sample uses 2021).")
                    ] = 2021,
) -> None:
    """Write the synthetic sample data set (reproducible: same seed, same files)."""
    from izreport.sample import generate

    for path in generate(out, seed=seed):
        _out.print(str(path), highlight=False, markup=False)


@app.command()
def params(report: Annotated[str, typer.Argument(help="Report name.")]) -> None:
    """List a report's parameters with their types, defaults and help."""
    from rich.table import Table

    from izreport.params import get_report

    try:
        spec = get_report(report)
    except IzReportError as exc:
        _fail(exc)
        return
    table = Table("parameter", "type", "default", "help", title=f"{spec.name}: {spec.title}")
    for p in spec.specs:
        table.add_row(p.name, p.type_label, json.dumps(p.default, ensure_ascii=False), p.help)
    _out.print(table)


@app.command()
def template(
    period: Annotated[str, typer.Option("--period", help="Month, YYYY-MM.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Workbook to write (default bao-cao-PERIOD.xlsx).")] = None,
    data: Annotated[str | None, typer.Option(
        "--data", help="Data folder or database URL.")] = None,
) -> None:
    """Write the blank monthly workbook sent to enterprises, one row per enterprise expected."""
    from izreport.ingest import write_template

    try:
        target = out or Path(f"bao-cao-{period}.xlsx")
        output_folder(target if target.is_dir() else target.parent)
        path = write_template(period, data, target)
    except IzReportError as exc:
        _fail(exc)
        return
    _out.print(str(path), highlight=False, markup=False)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Submissions: .xlsx or .csv files.")],
    data: Annotated[str | None, typer.Option(
        "--data", help="Data folder or database URL.")] = None,
    month: Annotated[str | None, typer.Option(
        "--month", help="Expected month (YYYY-MM) of every file.")] = None,
) -> None:
    """Validate submissions and add them to the store's monthly reports: all files or nothing."""
    from izreport.ingest import ingest as do_ingest

    try:
        result = do_ingest(files, data, month=month)
    except IzReportError as exc:
        _fail(exc)
        return
    for f in result.files:
        blank = f", {f.blank} blank rows (not reported)" if f.blank else ""
        _out.print(f"{f.path.name}: {f.month}, {f.added} added, {f.replaced} replaced, "
                   f"{f.unchanged} unchanged{blank}", highlight=False)
    _out.print(result.summary(), highlight=False)



@app.command()
def export(
    tables: Annotated[list[str] | None, typer.Argument(
        help="Tables (zones, zone_land, enterprises, monthly_reports, plans, projects); "
             "none: all.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Folder for CSV files, or a .xlsx workbook (one sheet per table).")
    ] = Path("xuat"),
    data: Annotated[str | None, typer.Option(
        "--data", help="Data folder or database URL.")] = None,
) -> None:
    """Write the store's tables as CSV files (the exchange format) or an Excel workbook."""
    from izreport.data import export as do_export

    try:
        output_folder(out.parent if out.suffix.lower() == ".xlsx" else out)
        written = do_export(out, tables or (), data)
    except IzReportError as exc:
        _fail(exc)
        return
    for path in written:
        _out.print(str(path), highlight=False, markup=False)


@app.command()
def intake(
    kind: Annotated[str, typer.Argument(help="certificates, zone-land, plans or enterprises.")],
    files: Annotated[list[Path], typer.Argument(help="Filled workbooks (.xlsx) or .csv files.")],
    data: Annotated[str | None, typer.Option(
        "--data", help="Data folder or database URL.")] = None,
) -> None:
    """Take in investment certificates, zone land, plans or enterprise changes: all or nothing."""
    from izreport.intake import take_in

    try:
        results = take_in(kind, files, data)
    except IzReportError as exc:
        _fail(exc)
        return
    for r in results:
        _out.print(f"{r.path.name}: {r.added} thêm, {r.replaced} thay, {r.unchanged} không đổi",
                   highlight=False)


@app.command("intake-template")
def intake_template(
    kind: Annotated[str, typer.Argument(help="certificates, zone-land, plans or enterprises.")],
    out: Annotated[Path, typer.Option("--out", help="Workbook to write.")],
    period: Annotated[str | None, typer.Option(
        "--period", help="Month YYYY-MM (zone-land: the month; plans: its year).")] = None,
    data: Annotated[str | None, typer.Option(
        "--data", help="Data folder or database URL.")] = None,
) -> None:
    """Write an intake's blank workbook (prefilled with zones or indicators where it has them)."""
    from izreport.intake import write_template as write_intake_template

    try:
        path = write_intake_template(kind, out, period, data)
    except IzReportError as exc:
        _fail(exc)
        return
    _out.print(str(path), highlight=False, markup=False)


@app.command()
def forms(
    period: Annotated[str, typer.Option("--period", help="Quý (2024-Q2) hoặc năm (2024).")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Tệp Excel ghi ra (mặc định outputs/bieu-thong-ke_KỲ.xlsx).")] = None,
    data: Annotated[str | None, typer.Option(
        "--data", help="Thư mục dữ liệu hoặc URL cơ sở dữ liệu.")] = None,
    forms_dir: Annotated[Path | None, typer.Option(
        "--forms", help="Thư mục biểu mẫu *.toml (mặc định: izreport/forms).")] = None,
) -> None:
    """Lập các biểu thống kê khu công nghiệp (Biểu 2101, 2104, 2106...) gửi Bộ: một tệp
    Excel, mỗi biểu một trang; dừng và nêu cả hai số khi tổng biểu lệch với báo cáo."""
    from izreport.statforms import build

    target = out or Path("outputs") / f"bieu-thong-ke_{period}.xlsx"
    try:
        path = build(period, target, data, forms_dir)
    except IzReportError as exc:
        _fail(exc)
        return
    _out.print(str(path), highlight=False, markup=False)


@app.command()
def texts(
    period: Annotated[str, typer.Option("--period", help="Report period, e.g. 2021-H2.")],
    zone: Annotated[str | None, typer.Option("--zone", help="Zone, for a zone report.")] = None,
) -> None:
    """Start the period's hand-written sections file (reports/<period>.md) for analysts.

    The file gets every section heading with a placeholder; an existing file is never
    overwritten. Section I may stay empty: the notebook then drafts it from the data.
    """
    from izreport import report as rp
    from izreport.texts import skeleton

    try:
        ctx = rp.open_report(period, zone)
        path = ctx.texts.path
        if path.exists():
            raise ParameterError(f"{path} already exists; edit it instead")
        title = f"Báo cáo {ctx.subject[0].lower()}{ctx.subject[1:]}: các mục viết tay"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(skeleton(title), encoding="utf-8")
    except IzReportError as exc:
        _fail(exc)
        return
    _out.print(str(path), highlight=False, markup=False)


@app.command()
def sign(
    pdf: Annotated[Path, typer.Argument(help="Tệp PDF bản chính thức (render với --final).")],
    as_: Annotated[str, typer.Option(
        "--as", help="Ai ký: signer (người có thẩm quyền), agency (cơ quan, sau người ký), "
                     "signer,agency (lần lượt cả hai), appendix (cơ quan ký phụ lục).")
    ] = "signer,agency",
    out: Annotated[Path | None, typer.Option(
        "--out", help="Ghi ra tệp này (mặc định: X.ky-so.pdf bên cạnh X.pdf; tệp đã ký "
                      "thì ký tiếp vào chính nó).")] = None,
) -> None:
    """Ký số báo cáo (PAdES) theo Phụ lục I Nghị định 30/2020.

    Khóa ký, ảnh chữ ký và con dấu: bảng signing trong izreport.toml.

    Mã PIN, mật khẩu: biến môi trường IZREPORT_SIGNER_PIN, IZREPORT_AGENCY_PIN,
    hoặc nhập khi được hỏi.

    Không ký dự thảo.
    """
    from izreport.sign import load_signing
    from izreport.sign import sign as do_sign

    try:
        roles = [r.strip() for r in as_.split(",") if r.strip()]
        config = load_signing()
        source = pdf
        for role in roles:  # each signature is one complete, atomic write
            done = do_sign(source, role, out=out, config=config)
            source = out = done.path
            _out.print(f"đã ký  {done.field} ({role}) trang {done.page + 1}, "
                       f"{done.time.isoformat()}: {done.path}", highlight=False, markup=False)
    except IzReportError as exc:
        _fail(exc)


@app.command()
def verify(
    pdf: Annotated[Path, typer.Argument(help="Tệp PDF đã ký.")],
    trust: Annotated[list[Path] | None, typer.Option(
        "--trust", help="Chứng thư gốc (CA) tin cậy, PEM hoặc DER; thêm vào trust_roots "
                        "của izreport.toml.")] = None,
) -> None:
    """Kiểm tra chữ ký số: người ký, thời gian, toàn vẹn, có bị sửa sau khi ký không.

    Mã thoát 0 khi mọi chữ ký hợp lệ, tin cậy và tài liệu không bị sửa; 1 nếu không.
    """
    from izreport.sign import SignError, load_signing
    from izreport.sign import verify as do_verify

    try:
        roots: tuple[Path, ...] = tuple(trust or ())
        with contextlib.suppress(SignError):  # no [signing] table: the roots given here
            roots += load_signing().trust_roots
        reports = do_verify(pdf, roots)
    except IzReportError as exc:
        _fail(exc)
        return
    if not reports:
        _err.print(f"[bold red]không có chữ ký số:[/] {escape(str(pdf))}", highlight=False)
        raise typer.Exit(1)
    for r in reports:
        when = r.time.isoformat() if r.time else "không rõ"
        checks = [
            "toàn vẹn" if r.intact else "KHÔNG toàn vẹn (tệp bị thay đổi sau khi ký)",
            "chữ ký hợp lệ" if r.valid else "chữ ký KHÔNG hợp lệ",
            "chứng thư tin cậy" if r.trusted else "chứng thư CHƯA xác định là tin cậy",
            "không bị sửa sau khi ký" if not r.changed_after else "BỊ SỬA sau khi ký",
        ]
        mark = "[green]HỢP LỆ[/]" if r.ok else "[bold red]CÓ VẤN ĐỀ[/]"
        _out.print(f"{mark} {escape(r.field)}: {escape(r.signer)}, ký lúc {when}; "
                   + "; ".join(checks), highlight=False, soft_wrap=True)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


def _date(text: str | None) -> Any:
    import datetime as dt

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"--date: expected YYYY-MM-DD, got {text!r}") from None


@app.command("run-due")
def run_due(
    date: Annotated[str | None, typer.Option(
        "--date", help="Decide as on this day, YYYY-MM-DD (default: today).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    data: Annotated[Path | None, typer.Option("--data", help="Data folder.")] = None,
    to: Annotated[str, typer.Option("--to", help="Formats, comma-separated.")] = "html,pdf",
    all_zones: Annotated[bool, typer.Option(
        "--all-zones", help="Also the zone reports of each due report.")] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", min=1, help="Renders at once (default: one per core).")] = None,
    publish_to: Annotated[Path | None, typer.Option(
        "--publish", help="Then publish the outputs to this folder (as izreport publish).")
    ] = None,
    wait: Annotated[bool, typer.Option(
        "--wait", help="Wait for a run-due already running instead of exiting (75).")] = False,
) -> None:
    """Render the reports due on a date whose inputs changed; skip the others.

    Exit codes: 0 done (or nothing to do), 1 a render or the publish failed, 2 bad
    arguments or data, 75 another run-due holds the output folder's lock (nothing done).
    """
    from izreport.due import LOCKED_EXIT, DueItem, LockBusy
    from izreport.due import run_due as do_run_due
    from izreport.render import _check_formats

    def report(item: DueItem) -> None:
        name = item.stem or f"{item.report} {item.params.get('period')}"
        if item.status == "skipped":
            _out.print(f"skipped {name}: {item.reason}", highlight=False, markup=False)
        elif item.status == "ok":
            took = f"{item.result.duration:.1f} s" if item.result is not None else ""
            _out.print(f"ok      {name}: {item.reason} ({took})", highlight=False, markup=False)
        else:
            _err.print(f"[bold red]failed[/]  {escape(name)}: {escape(str(item.error))}",
                       highlight=False, soft_wrap=True)

    try:
        formats = _check_formats(to.split(","))
        day = _date(date)
        output_folder(out)
        run = do_run_due(day, out, data, formats, all_zones=all_zones, workers=jobs,
                         wait=wait, on_item=report, console=_err)
    except LockBusy as exc:
        _err.print(f"[yellow]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(LOCKED_EXIT) from None
    except IzReportError as exc:
        _fail(exc)
        return
    for note in run.notes:
        _err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if not run.items:
        _out.print("nothing due", highlight=False)
    failed = len(run.failed)
    if publish_to is not None:
        failed += _publish(out, publish_to)
    if failed:
        raise typer.Exit(1)


def _publish(source: Path, to: Path) -> int:
    """Publish and print what changed; 1 if the publish itself failed, else 0."""
    from izreport.publish import publish as do_publish

    try:
        result = do_publish(source, to)
    except OSError as exc:
        _err.print(f"[bold red]publish failed:[/] {escape(str(exc))}", highlight=False,
                   soft_wrap=True)
        return 1
    for key in result.added:
        _out.print(f"added     {key}", highlight=False, markup=False)
    for key in result.updated:
        _out.print(f"updated   {key} (earlier version kept)", highlight=False, markup=False)
    for stem, why in result.skipped:
        _err.print(f"[yellow]not published:[/] {escape(stem)}: {escape(why)}", highlight=False,
                   soft_wrap=True)
    state = "updated" if result.swapped else "unchanged"
    _out.print(f"site {state}: {result.site / 'index.html'} ({len(result.added)} added, "
               f"{len(result.updated)} updated, {len(result.unchanged)} unchanged)",
               highlight=False, markup=False)
    return 0


@app.command()
def publish(
    to: Annotated[Path, typer.Option("--to", help="The intranet folder (the site).")],
    source: Annotated[Path, typer.Option("--from", help="Output folder to publish from.")
                      ] = Path("outputs"),
) -> None:
    """Publish complete renders (HTML and PDF) to the intranet folder, atomically.

    Stable paths per report and period, an index.html in Vietnamese, earlier versions kept
    under _cu/. Exit codes: 0 published (or nothing changed), 1 the publish failed,
    2 the output folder cannot be used.
    """
    try:
        failed = _publish(source, to)
    except IzReportError as exc:
        _fail(exc)
        return
    if failed:
        raise typer.Exit(1)


@app.command()
def status(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    data: Annotated[Path | None, typer.Option("--data", help="Data folder.")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", help="As on this day, YYYY-MM-DD (default: today).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Runs to show.")] = 15,
) -> None:
    """Recent runs (from OUT/.state/runs.jsonl) and what is due now and next."""
    from rich.table import Table

    from izreport import runlog
    from izreport.due import decide, due_forms, next_due

    try:
        day = _date(date)
        if out.exists() and not out.is_dir():
            output_folder(out)
        now = decide(day, out, data, formats=None)
        now.items += due_forms(day, out, data)
        upcoming = next_due(day, data)
    except IzReportError as exc:
        _fail(exc)
        return
    runs = Table("time", "by", "report", "result", "took", "data to", "note",
                 title=f"Recent runs ({runlog.state_dir(out) / runlog.RUNS})")
    for column in runs.columns[:6]:
        column.no_wrap = True
    colours = {"ok": "green", "failed": "bold red", "skipped": "dim"}
    for entry in runlog.read(out)[-limit:]:
        result = str(entry.get("result"))
        note = entry.get("error") or entry.get("reason") or ""
        runs.add_row(escape(str(entry.get("time", ""))[:16].replace("T", " ")),
                     escape(str(entry.get("trigger", ""))), escape(str(entry.get("stem"))),
                     f"[{colours.get(result, 'white')}]{escape(result)}[/]",
                     f"{float(entry.get('duration') or 0):.1f} s",
                     escape(str(entry.get("data_until") or "")), escape(str(note)[:120]))
    _out.print(runs)
    due = Table("report", "period", "from", "state", title=f"Due as of {day.isoformat()}")
    for item in now.items:
        period = str(item.params.get("period")) + (f" {item.params['zone']}"
                                                   if item.params.get("zone") else "")
        state = "up to date" if item.action == "skip" else f"due now: {item.reason}"
        if item.error:
            state = f"cannot render: {item.error}"
        due.add_row(escape(item.report), escape(period), day.isoformat(), escape(state))
    for nxt in upcoming:
        due.add_row(escape(nxt.report), escape(nxt.period), nxt.due_from.isoformat(),
                    escape(f"next: {nxt.condition}"))
    _out.print(due)
    for note in now.notes:
        _err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point
    app()
