"""Command line: ``izreport render``, ``run-due``, ``publish``, ``status``, ``params``, ...

A thin layer over :func:`izreport.pipeline.render.render` and friends: it parses words, shows
progress and turns the package's exceptions into one readable line and an exit code
(2 for bad parameters or data, 1 for a failed render).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape

from izreport import __version__
from izreport.commands.cli_base import Command, Group, fail, print_error
from izreport.commands.render_help import RenderCommand
from izreport.core.errors import IzReportError, ParameterError
from izreport.core.files import output_folder
from izreport.core.i18n import LANGUAGES, N_, _

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


class _Commands(Group):
    """Every command's failure ends as one line and an exit code, never a traceback.

    The package's own errors are expected (2 bad input, 1 a failed render); the system
    refusing a file (permissions, full disk, a file where a folder should be) is one line
    naming the path (74); anything else is a bug: its traceback goes to :func:`error_log`
    and the terminal gets one line saying where (70).
    """

    def invoke(self, ctx: Any) -> Any:
        from typer.exceptions import Abort, TyperException

        from izreport.core.i18n import _

        try:
            return super().invoke(ctx)
        except (typer.Exit, Abort, TyperException):
            raise   # exits and usage errors (typer's own click): handled as usual
        except IzReportError as exc:
            _fail(exc)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            print_error(where + (exc.strerror or str(exc)))
            raise typer.Exit(IO_EXIT) from None
        except Exception as exc:
            if _store_refused(exc):   # read-only database, full disk, server gone
                reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                print_error(_("the data store refused: {reason}").format(reason=reason))
                raise typer.Exit(IO_EXIT) from None
            log = _log_traceback(exc)
            text = (_("unexpected failure ({kind}: {reason}); the details are in {log}")
                    if log else _("unexpected failure ({kind}: {reason})")).format(
                kind=type(exc).__name__, reason=str(exc).splitlines()[0] if str(exc) else "",
                log=log)
            print_error(text)
            raise typer.Exit(UNEXPECTED_EXIT) from None


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=_Commands,
                  rich_markup_mode=None, pretty_exceptions_enable=False,
                  help=N_("Reports of the Industrial Zones Management Board."))


def _version(value: bool) -> None:
    if value:
        _out.print(f"izreport {__version__}", highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    lang: Annotated[str | None, typer.Option(
        "--lang", metavar="|".join(LANGUAGES),
        help=N_("Language of messages and help: vi (default) or en; also IZREPORT_LANG "
                "or LANG=en….")
    )] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help=N_("Show the version and exit."))
    ] = False,
) -> None:
    """--lang is applied before the arguments are read (commands.cli_base); nothing here."""


def _at_least_one(option: str, value: int | None) -> None:
    """-j 0, --timeout 0: the same style as every other error."""
    if value is not None and value < 1:
        raise ParameterError(_("{option} must be at least 1, got {value}").format(
            option=option, value=value))


def _report_params(words: list[str]) -> dict[str, Any]:
    """Collect report parameters given as --name value, --name=value or -p name value.

    A bare ``--name`` gets BARE_FLAG; the report's declaration decides whether that means
    True (a boolean such as --final) or a missing value.
    """
    from izreport.pipeline.params import BARE_FLAG

    params: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-p", "--parameters"):
            if i + 2 >= len(words):
                raise ParameterError(_("{word!r} needs a name and a value").format(word=word))
            params[words[i + 1].replace("-", "_")] = words[i + 2]
            i += 3
            continue
        if not word.startswith("--") or len(word) == 2:
            raise ParameterError(_("unexpected argument {word!r}; give parameters as --name "
                                   "value").format(word=word))
        name, eq, value = word[2:].partition("=")
        if not eq:
            # a bare flag (--final) has no value; the report's declaration decides
            has_value = i + 1 < len(words) and not words[i + 1].startswith("-")
            value = words[i + 1] if has_value else BARE_FLAG
            i += 1 if has_value else 0
        params[name.replace("-", "_")] = value
        i += 1
    return params


_fail = fail


def _outputs(out: Path | None) -> Path:
    """``--out`` if given, else the configuration's outputs folder."""
    if out is not None:
        return out
    from izreport.core.config import outputs_dir

    return outputs_dir()


def _shown(path: Path) -> str:
    """A path as the user typed it: relative to the working folder when inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_OUT_HELP = N_("Output folder (default: [store] outputs in izreport.toml).")


@app.command(cls=RenderCommand, help=N_(
    "Render a report. Its parameters follow as options: --period 2021-H1 --zone \"Hòa Xá\". "
    "izreport render REPORT --help lists them."),
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def render(
    ctx: typer.Context,
    report: Annotated[str, typer.Argument(help=N_("Report name, e.g. half-year."),
                                          metavar="REPORT")],
    to: Annotated[str, typer.Option("--to", help=N_("Formats, comma-separated: html, pdf, "
                                                    "docx."))] = "html,pdf",
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP)] = None,
    data: Annotated[Path | None, typer.Option("--data", help=N_("Data folder."))] = None,
    all_zones: Annotated[bool, typer.Option(
        "--all-zones", help=N_("Also render one report per zone operating in the period."))
    ] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", help=N_("Renders at once with --all-zones (default: one per core)."))
    ] = None,
    cell_timeout: Annotated[int | None, typer.Option(
        "--cell-timeout", help=N_("Most seconds for one cell (default: [render] in "
                                  "izreport.toml, 600)."))] = None,
    timeout: Annotated[int | None, typer.Option(
        "--timeout", help=N_("Most seconds for a whole report (default: [render] in "
                             "izreport.toml, 1800)."))] = None,
) -> None:
    from izreport.pipeline.workers import default_workers
    from izreport.pipeline.workers import start as start_workers

    batch = all_zones and (jobs or default_workers(os.cpu_count() or 1)) > 1
    if batch:
        start_workers()   # the workers' fork server imports meanwhile
    from izreport.core.config import CELL_TIMEOUT_ENV, REPORT_TIMEOUT_ENV, render_limits
    from izreport.pipeline.batch import discard_prestarted, prestart
    from izreport.pipeline.params import get_report

    out = _outputs(out)
    # through the environment, which every render worker inherits
    for env, seconds in ((CELL_TIMEOUT_ENV, cell_timeout), (REPORT_TIMEOUT_ENV, timeout)):
        if seconds is not None:
            os.environ[env] = str(seconds)
    for option, value in (("--jobs", jobs), ("--cell-timeout", cell_timeout),
                          ("--timeout", timeout)):
        _at_least_one(option, value)
    render_limits()
    spec = get_report(report)
    if batch:
        prestart(spec.path, data)   # the kernels' launcher imports meanwhile
    try:
        _render_requests(ctx, spec, to, out, data, all_zones, jobs)
    finally:
        discard_prestarted()


def _render_requests(ctx: typer.Context, spec: Any, to: str, out: Path, data: Path | None,
                     all_zones: bool, jobs: int | None) -> None:
    from izreport.pipeline.batch import Job, JobResult, run_batch
    from izreport.pipeline.params import unknown_parameter
    from izreport.pipeline.render import _check_formats
    from izreport.pipeline.request import resolve, resolve_zones
    from izreport.pipeline.write import RunLog
    from izreport.schedule.due import data_months, inputs

    params = _report_params(list(ctx.args))
    own = tuple(name for p in ctx.command.params for name in getattr(p, "opts", ())
                if name.startswith("--"))
    for name in params:
        if spec.spec(name) is None:
            raise ParameterError(unknown_parameter(spec, name, own))
    formats = _check_formats(to.split(","))
    # each request checked once, here; batch, render and the run log take it as it is
    requests = resolve_zones(spec, params, data) if all_zones else [resolve(spec, params, data)]
    until = data_months(data)[-1]
    output_folder(out)

    def done(result: JobResult) -> None:
        if result.ok:
            for fmt, path in result.files.items():
                _out.print(f"{fmt:5} {_shown(out / path.name)}", highlight=False,
                           markup=False)
            if result.draft:
                _err.print("[bold yellow]" + escape(_("draft:")) + "[/] " + escape(
                    _("{name}: hand-written sections are missing; the report is marked DỰ "
                      "THẢO and is not published unless [publish] drafts = true").format(
                        name=result.stem)), highlight=False, soft_wrap=True)
        else:
            if len(requests) == 1:
                print_error(str(result.error))
            else:
                print_error(_("{report} failed: {error}").format(report=result.job.label,
                                                                 error=result.error))

    summary = run_batch([Job(r, log=RunLog("render", inputs(r).digest, until))
                         for r in requests], out, formats, workers=jobs,
                        on_result=done, console=_err)
    if summary.failed and len(requests) > 1:
        print_error(_("{failed} of {total} reports failed: {reports}").format(
            failed=len(summary.failed), total=len(requests),
            reports="; ".join(r.job.label for r in summary.failed)))
    if summary.failed:
        raise typer.Exit(1)


@app.command(cls=Command, help=N_(
    "Write the synthetic sample data set (reproducible: same seed, same files)."))
def sample(
    out: Annotated[Path, typer.Option("--out", help=N_("Folder to write the sample into."))
                   ] = Path("data"),
    seed: Annotated[int, typer.Option(help=N_("Random seed (the committed sample uses 2021)."))
                    ] = 2021,
) -> None:
    from izreport.samples.sample import generate

    for path in generate(out, seed=seed):
        _out.print(str(path), highlight=False, markup=False)


@app.command(cls=Command, help=N_("List a report's parameters with their types, defaults and "
                                   "help."))
def params(report: Annotated[str, typer.Argument(help=N_("Report name."), metavar="REPORT")]
           ) -> None:
    from rich.table import Table

    from izreport.pipeline.params import get_report

    spec = get_report(report)
    table = Table(_("parameter"), _("type"), _("default"), _("help"),
                  title=f"{spec.name}: {spec.heading}")
    for p in spec.specs:
        table.add_row(p.flag, p.type_label, json.dumps(p.default, ensure_ascii=False), p.text)
    _out.print(table)


_DATA_HELP = N_("Data folder or database URL.")


@app.command(cls=Command, help=N_(
    "Write the blank monthly workbook sent to enterprises, one row per enterprise expected."))
def template(
    period: Annotated[str, typer.Option("--period", help=N_("Month, YYYY-MM."))],
    out: Annotated[Path | None, typer.Option(
        "--out", help=N_("Workbook to write (default bao-cao-PERIOD.xlsx)."))] = None,
    data: Annotated[str | None, typer.Option("--data", help=_DATA_HELP)] = None,
) -> None:
    from izreport.incoming.ingest import write_template

    target = out or Path(f"bao-cao-{period}.xlsx")
    output_folder(target if target.is_dir() else target.parent)
    path = write_template(period, data, target)
    _out.print(str(path), highlight=False, markup=False)


@app.command(cls=Command, help=N_(
    "Validate submissions and add them to the store's monthly reports: all files or nothing."))
def ingest(
    files: Annotated[list[Path], typer.Argument(help=N_("Submissions: .xlsx or .csv files."),
                                                metavar="FILES")],
    data: Annotated[str | None, typer.Option("--data", help=_DATA_HELP)] = None,
    month: Annotated[str | None, typer.Option(
        "--month", help=N_("Expected month (YYYY-MM) of every file."))] = None,
    feedback: Annotated[bool, typer.Option(
        "--feedback/--no-feedback",
        help=N_("For a rejected file, write tra-lai/NAME.xlsx (faulty cells marked) and "
                "tra-lai/NAME.txt (summary in Vietnamese) beside it."))] = True,
) -> None:
    from izreport.incoming.ingest import SubmissionError
    from izreport.incoming.ingest import ingest as do_ingest

    try:
        result = do_ingest(files, data, month=month)
    except SubmissionError as exc:
        written = []
        if feedback:
            from izreport.incoming.feedback import write_feedback

            try:
                written = write_feedback(exc)
            except OSError as err:  # a read-only folder: the problems are still listed
                _err.print(escape(_("cannot write the feedback files: {error}").format(
                    error=err)), highlight=False, soft_wrap=True)
        for path in written:
            _err.print(escape(_("feedback for the enterprise: {path}").format(path=path)),
                       highlight=False, soft_wrap=True)
        _fail(exc)
        return
    except IzReportError as exc:
        _fail(exc)
        return
    for f in result.files:
        blank = _(", {blank} blank rows (not reported)").format(blank=f.blank) if f.blank else ""
        _out.print(_("{file}: {month}, {added} added, {replaced} replaced, {unchanged} "
                     "unchanged{blank}").format(file=f.path.name, month=f.month, added=f.added,
                                                replaced=f.replaced, unchanged=f.unchanged,
                                                blank=blank), highlight=False)
    _out.print(result.summary(), highlight=False)



@app.command(cls=Command, help=N_(
    "Write the store's tables as CSV files (the exchange format) or an Excel workbook."))
def export(
    tables: Annotated[list[str] | None, typer.Argument(
        help=N_("Tables (zones, zone_land, enterprises, monthly_reports, plans, projects, "
                "enterprise_moves, project_progress); none: all."), metavar="TABLES")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help=N_("Folder for CSV files, or a .xlsx workbook (one sheet per table)."))
    ] = Path("xuat"),
    data: Annotated[str | None, typer.Option("--data", help=_DATA_HELP)] = None,
) -> None:
    from izreport.storage.data import export as do_export

    output_folder(out.parent if out.suffix.lower() == ".xlsx" else out)
    written = do_export(out, tables or (), data)
    for path in written:
        _out.print(str(path), highlight=False, markup=False)


_KIND_HELP = N_("certificates, zone-land, plans, enterprises or progress.")


@app.command(cls=Command, help=N_(
    "Take in investment certificates, zone land, plans, enterprise changes or project "
    "progress: all or nothing."))
def intake(
    kind: Annotated[str, typer.Argument(help=_KIND_HELP, metavar="KIND")],
    files: Annotated[list[Path], typer.Argument(
        help=N_("Filled workbooks (.xlsx) or .csv files."), metavar="FILES")],
    data: Annotated[str | None, typer.Option("--data", help=_DATA_HELP)] = None,
) -> None:
    from izreport.incoming.intake import take_in

    results = take_in(kind, files, data)
    for r in results:
        _out.print(_("{file}: {added} added, {replaced} replaced, {unchanged} unchanged").format(
            file=r.path.name, added=r.added, replaced=r.replaced, unchanged=r.unchanged),
            highlight=False)


@app.command("intake-template", cls=Command, help=N_(
    "Write an intake's blank workbook (prefilled with zones or indicators where it has them)."))
def intake_template(
    kind: Annotated[str, typer.Argument(help=_KIND_HELP, metavar="KIND")],
    out: Annotated[Path, typer.Option("--out", help=N_("Workbook to write."))],
    period: Annotated[str | None, typer.Option(
        "--period", help=N_("Month YYYY-MM (zone-land: the month; plans: its year; progress: "
                            "its quarter)."))] = None,
    data: Annotated[str | None, typer.Option("--data", help=_DATA_HELP)] = None,
) -> None:
    from izreport.incoming.intake import write_template as write_intake_template

    path = write_intake_template(kind, out, period, data)
    _out.print(str(path), highlight=False, markup=False)


@app.command(cls=Command, help=N_(
    "Make the industrial zone statistical forms (Biểu 2101, 2104, 2106…) sent to the "
    "Ministry: one Excel file, one sheet per form; stops and gives both numbers when a "
    "form's total differs from the report."))
def forms(
    period: Annotated[str, typer.Option("--period", help=N_("Quarter (2024-Q2) or year "
                                                            "(2024)."))],
    out: Annotated[Path | None, typer.Option(
        "--out", help=N_("Excel file to write (default: bieu-thong-ke_PERIOD.xlsx in the "
                         "[store] outputs folder of izreport.toml)."))
    ] = None,
    data: Annotated[str | None, typer.Option("--data", help=_DATA_HELP)] = None,
    forms_dir: Annotated[Path | None, typer.Option(
        "--forms", help=N_("Folder of *.toml form files (default: izreport/forms)."))] = None,
) -> None:
    from izreport.forms.statforms import build

    target = out or _outputs(None) / f"bieu-thong-ke_{period}.xlsx"
    path = build(period, target, data, forms_dir)
    _out.print(_shown(path), highlight=False, markup=False)


@app.command(cls=Command, help=N_(
    "Start the period's hand-written sections file (reports/<period>.md) for analysts. The "
    "file gets every section heading with a placeholder; an existing file is never "
    "overwritten. Section I may stay empty: the notebook then drafts it from the data. Only "
    "for the reports that have hand-written sections (half-year: 2021-H1, 2021-H2, 2021); a "
    "month or a quarter is refused."))
def texts(
    period: Annotated[str, typer.Option("--period", help=N_("Report period, e.g. 2021-H2."))],
    zone: Annotated[str | None, typer.Option("--zone", help=N_("Zone, for a zone report."))
                    ] = None,
) -> None:
    from izreport.blocks import report as rp
    from izreport.blocks.texts import skeleton
    from izreport.pipeline.sections import check_reads_texts

    check_reads_texts(period)  # a month: the monthly report reads no texts
    ctx = rp.open_report(period, zone)
    path = ctx.texts.path
    if path.exists():
        raise ParameterError(_("{path} already exists; edit it instead").format(path=path))
    title = f"Báo cáo {ctx.subject[0].lower()}{ctx.subject[1:]}: các mục viết tay"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(skeleton(title), encoding="utf-8")
    _out.print(str(path), highlight=False, markup=False)


@app.command(cls=Command, help=N_(
    "Sign the report digitally (PAdES) as in Annex I of Decree 30/2020.\n\n"
    "Signing key, signature and seal images: the signing table of izreport.toml.\n\n"
    "PIN, password: the environment variables IZREPORT_SIGNER_PIN, IZREPORT_AGENCY_PIN, or "
    "typed when asked.\n\nDrafts are not signed."))
def sign(
    pdf: Annotated[Path, typer.Argument(
        help=N_("The final report's PDF (rendered with --final)."), metavar="PDF")],
    as_: Annotated[str, typer.Option(
        "--as", help=N_("Who signs: signer (the person with authority), agency (the agency, "
                        "after the signer), signer,agency (both in turn), appendix (the "
                        "agency signs the appendix)."))
    ] = "signer,agency",
    out: Annotated[Path | None, typer.Option(
        "--out", help=N_("Write to this file (default: X.ky-so.pdf next to X.pdf; a signed "
                         "file is signed again in place)."))] = None,
) -> None:
    from izreport.signing.sign import load_signing
    from izreport.signing.sign import sign as do_sign

    roles = [r.strip() for r in as_.split(",") if r.strip()]
    config = load_signing()
    source = pdf
    for role in roles:  # each signature is one complete, atomic write
        done = do_sign(source, role, out=out, config=config)
        source = out = done.path
        _out.print(_("signed {field} ({role}) page {page}, {time}: {path}").format(
            field=done.field, role=role, page=done.page + 1, time=done.time.isoformat(),
            path=done.path), highlight=False, markup=False)


@app.command(cls=Command, help=N_(
    "Check digital signatures: signer, time, integrity, whether changed after signing.\n\n"
    "Exit code 0 when every signature is valid and trusted and the document unchanged; 1 "
    "if not."))
def verify(
    pdf: Annotated[Path, typer.Argument(help=N_("The signed PDF file."), metavar="PDF")],
    trust: Annotated[list[Path] | None, typer.Option(
        "--trust", help=N_("Trusted root certificate (CA), PEM or DER; added to trust_roots "
                           "of izreport.toml."))] = None,
) -> None:
    from izreport.signing.sign import SignError, load_signing
    from izreport.signing.sign import verify as do_verify

    roots: tuple[Path, ...] = tuple(trust or ())
    with contextlib.suppress(SignError):  # no [signing] table: the roots given here
        roots += load_signing().trust_roots
    reports = do_verify(pdf, roots)
    if not reports:
        print_error(_("no digital signature: {file}").format(file=pdf))
        raise typer.Exit(1)
    for r in reports:
        when = r.time.isoformat() if r.time else _("unknown time")
        checks = [
            _("intact") if r.intact else _("NOT intact (the file changed after signing)"),
            _("signature valid") if r.valid else _("signature NOT valid"),
            _("certificate trusted") if r.trusted else _("certificate NOT known to be trusted"),
            _("not changed after signing") if not r.changed_after
            else _("CHANGED after signing"),
        ]
        valid, problem = _("VALID"), _("PROBLEM")
        mark = f"[green]{valid}[/]" if r.ok else f"[bold red]{problem}[/]"
        _out.print(f"{mark} " + escape(_("{field}: {signer}, signed at {time}").format(
            field=r.field, signer=r.signer, time=when)) + "; " + escape("; ".join(checks)),
            highlight=False, soft_wrap=True)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


def _date(text: str | None) -> Any:
    import datetime as dt

    from izreport.pipeline.params import parse_date

    if text is None:
        return dt.date.today()
    try:
        return parse_date(text)
    except ValueError as exc:
        raise ParameterError(f"--date: {exc}") from None


@app.command("run-due", cls=Command, help=N_(
    "Render the reports due on a date whose inputs changed; skip the others.\n\n"
    "Exit codes: 0 done (or nothing to do), 1 a render or the publish failed, 2 bad "
    "arguments or data, 75 another run-due holds the output folder's lock (nothing done)."))
def run_due(
    date: Annotated[str | None, typer.Option(
        "--date", help=N_("Decide as on this day, YYYY-MM-DD or DD/MM/YYYY (default: "
                          "today)."))] = None,
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP)] = None,
    data: Annotated[Path | None, typer.Option("--data", help=N_("Data folder."))] = None,
    to: Annotated[str, typer.Option("--to", help=N_("Formats, comma-separated: html, pdf, "
                                                    "docx."))] = "html,pdf",
    all_zones: Annotated[bool, typer.Option(
        "--all-zones", help=N_("Also the zone reports of each due report."))] = False,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", "-j", help=N_("Renders at once (default: one per core)."))] = None,
    publish_to: Annotated[Path | None, typer.Option(
        "--publish", help=N_("Then publish the outputs to this folder (as izreport publish)."))
    ] = None,
    wait: Annotated[bool, typer.Option(
        "--wait", help=N_("Wait for a run-due already running instead of exiting (75)."))
    ] = False,
) -> None:
    from izreport.commands.progress import EventLog
    from izreport.pipeline.render import _check_formats
    from izreport.schedule.due import LOCKED_EXIT, DueItem, DueRun, LockBusy
    from izreport.schedule.due import run_due as do_run_due

    log = EventLog(_out, _err)

    def plan(run: DueRun) -> None:
        todo = [i.stem or f"{i.report} {i.params.get('period')}" for i in run.items
                if i.action == "render"]
        log.line(_("run-due {date}: {due} due, {todo} to render ({names}), {current} up to "
                   "date").format(date=run.date.isoformat(), due=len(run.items),
                                  todo=len(todo), names=", ".join(todo) or "-",
                                  current=sum(i.action == "skip" for i in run.items)))

    def started(item: DueItem) -> None:
        if not _err.is_terminal:  # a terminal has the live display instead
            log.line(_("started {name}").format(name=item.stem))

    def report(item: DueItem) -> None:
        name = item.stem or f"{item.report} {item.params.get('period')}"
        if item.status == "skipped":
            log.line(_("skipped {name}: {reason}").format(name=name, reason=item.reason))
        elif item.status == "ok":
            took = f"{log.seconds(item.result.duration)} s" if item.result is not None else ""
            draft = (", " + _("DRAFT (DỰ THẢO)")
                     if item.result is not None and getattr(item.result, "draft", False)
                     else "")
            log.line(_("ok      {name}: {reason} ({took})").format(name=name, reason=item.reason,
                                                                 took=took) + draft)
        else:
            log.error(_("failed  {name}: {error}").format(name=name, error=item.error))

    out = _outputs(out)
    try:
        _at_least_one("--jobs", jobs)
        formats = _check_formats(to.split(","))
        day = _date(date)
        output_folder(out)
        run = do_run_due(day, out, data, formats, all_zones=all_zones, workers=jobs,
                         wait=wait, on_item=report, on_plan=plan, on_start=started,
                         console=_err)
    except LockBusy as exc:
        log.error(str(exc), style="yellow")
        raise typer.Exit(LOCKED_EXIT) from None
    for note in run.notes:
        log.line(_("note: {note}").format(note=note), err=True)
    if not run.items:
        log.line(_("nothing due"))
    failed = len(run.failed)
    done = sum(i.status == "ok" for i in run.items)
    skipped = sum(i.status == "skipped" for i in run.items)
    if publish_to is not None:  # a failure above is not printed again by the publish
        failed += _publish(out, publish_to, log, {str(i.stem) for i in run.failed})
    log.line(_("run-due done: {done} rendered, {failed} failed, {skipped} up to date, "
               "{seconds} s").format(done=done, failed=len(run.failed), skipped=skipped,
                                     seconds=log.elapsed()))
    if failed:
        raise typer.Exit(1)


def _publish(source: Path, to: Path, log: Any = None, told: set[str] | None = None) -> int:
    """Publish and print what changed; 1 if the publish itself failed, else 0.

    ``told``: reports whose failure this run already printed (run-due), named only.
    """
    from izreport.commands.progress import EventLog
    from izreport.site.publish import publish as do_publish

    log = log or EventLog(_out, _err)
    try:
        result = do_publish(source, to)
    except OSError as exc:
        log.error(_("publish failed: {error}").format(error=exc))
        return 1
    def draft(key: str) -> str:
        return ", " + _("DRAFT (DỰ THẢO)") if key in result.drafts else ""

    for key in result.added:
        log.line(_("added     {key}").format(key=key) + draft(key))
    for key in result.updated:
        log.line(_("updated   {key} (earlier version kept)").format(key=key) + draft(key))
    for stem, why in result.skipped:
        if stem in (told or ()):
            why = _("its render failed (the error is above)")
        log.line(_("not published: {report}: {reason}").format(report=stem, reason=why),
                 err=True)
    state = _("updated") if result.swapped else _("unchanged")
    log.line(_("site {state}: {index} ({added} added, {updated} updated, {unchanged} "
               "unchanged)").format(state=state, index=result.site / "index.html",
                                    added=len(result.added), updated=len(result.updated),
                                    unchanged=len(result.unchanged)))
    return 0


@app.command(cls=Command, help=N_(
    "Publish complete renders (HTML and PDF) to the intranet folder, atomically.\n\n"
    "Stable paths per report and period, an index.html in Vietnamese, earlier versions kept "
    "under _cu/. Exit codes: 0 published (or nothing changed), 1 the publish failed, 2 the "
    "output folder cannot be used."))
def publish(
    to: Annotated[Path, typer.Option("--to", help=N_("The intranet folder (the site)."))],
    source: Annotated[Path | None, typer.Option(
        "--from", help=N_("Output folder to publish from (default: [store] outputs)."))
    ] = None,
) -> None:
    failed = _publish(_outputs(source), to)
    if failed:
        raise typer.Exit(1)


@app.command(cls=Command, help=N_(
    "Recent runs (from OUT/.state/runs.jsonl) and what is due now and next."))
def status(
    out: Annotated[Path | None, typer.Option("--out", help=_OUT_HELP)] = None,
    data: Annotated[Path | None, typer.Option("--data", help=N_("Data folder."))] = None,
    date: Annotated[str | None, typer.Option(
        "--date", help=N_("As on this day, YYYY-MM-DD or DD/MM/YYYY (default: today)."))] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help=N_("Runs to show."))] = 15,
    as_json: Annotated[bool, typer.Option("--json", help=N_("One JSON document instead of text."))
                       ] = False,
) -> None:
    from izreport.commands.status import report_json, report_lines
    from izreport.pipeline import runlog
    from izreport.schedule.due import decide, due_forms, next_due

    out = _outputs(out)
    _at_least_one("--limit", limit)
    day = _date(date)
    if out.exists() and not out.is_dir():
        output_folder(out)
    now = decide(day, out, data, formats=None)
    now.items += due_forms(day, out, data)
    upcoming = next_due(day, data)
    runs = runlog.read(out)[-limit:]
    if as_json:
        # plain echo: a console would wrap long strings at its width and break the JSON
        typer.echo(json.dumps(report_json(out, day, runs, now, upcoming), ensure_ascii=False,
                              indent=1, default=str))
        return
    for line in report_lines(out, day, runs, now, upcoming, colour=_out.is_terminal):
        # soft wrap: a long error stays one line in a log; a terminal wraps it itself
        _out.print(line, highlight=False, markup=_out.is_terminal, soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point
    """The commands, then a quick exit.

    A render leaves hundreds of thousands of objects behind (nbconvert, Jinja, WeasyPrint);
    the interpreter's last garbage collection over them took 0,4 to 0,65 s of every
    command. Frozen, they are out of its reach; atexit handlers still run and files close.
    """
    try:
        app()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover - python -m izreport.commands.cli
    main()
