"""Command line: ``izreport render``, ``izreport sample``, ``izreport params``.

A thin layer over :func:`izreport.render.render` and friends: it parses words, shows
progress and turns the package's exceptions into one readable line and an exit code
(2 for bad parameters or data, 1 for a failed render).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from izreport.errors import IzReportError, ParameterError, RenderError
from izreport.params import BARE_FLAG

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Reports of the Industrial Zones Management Board.")
_err = Console(stderr=True)
_out = Console()


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
) -> None:
    """Render a report. Report parameters follow as options: --period 2021-H1 --zone "Hòa Xá"."""
    from izreport.render import render as do_render
    from izreport.render import zone_runs

    try:
        params = _report_params(list(ctx.args))
        runs = zone_runs(report, params, data) if all_zones else [params]
    except IzReportError as exc:
        _fail(exc)
        return
    failures = []
    for run in runs:
        name = f"{report} {' '.join(str(v) for v in run.values() if v)}"
        try:
            with _err.status(f"Rendering {name}…", spinner="dots") as status:
                result = do_render(report, run, out, formats=to.split(","), data_dir=data,
                                   progress=lambda msg, n=name: status.update(f"{n}: {msg}…"))
        except IzReportError as exc:
            if len(runs) == 1:
                _fail(exc)
            failures.append(name)
            _err.print(f"[bold red]failed:[/] {escape(name)}: {escape(str(exc))}",
                       highlight=False, soft_wrap=True)
            continue
        for fmt, path in result.files.items():
            _out.print(f"{fmt:5} {path}", highlight=False, markup=False)
    if failures:
        _err.print(f"[bold red]{len(failures)} of {len(runs)} reports failed:[/] "
                   + escape("; ".join(failures)), highlight=False)
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
    for name, f in spec.params.model_fields.items():
        kind = getattr(f.annotation, "__name__", None) or str(f.annotation)
        table.add_row(name, kind, repr(f.default), f.description or "")
    _out.print(table)


@app.command()
def template(
    period: Annotated[str, typer.Option("--period", help="Month, YYYY-MM.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Workbook to write (default bao-cao-PERIOD.xlsx).")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Data folder.")] = None,
) -> None:
    """Write the blank monthly workbook sent to enterprises, one row per enterprise expected."""
    from izreport.data import default_data_dir
    from izreport.ingest import write_template

    try:
        path = write_template(period, data or default_data_dir(),
                              out or Path(f"bao-cao-{period}.xlsx"))
    except IzReportError as exc:
        _fail(exc)
        return
    _out.print(str(path), highlight=False, markup=False)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Submissions: .xlsx or .csv files.")],
    data: Annotated[Path | None, typer.Option("--data", help="Data folder.")] = None,
    month: Annotated[str | None, typer.Option(
        "--month", help="Expected month (YYYY-MM) of every file.")] = None,
) -> None:
    """Validate submissions and add them to monthly_reports.csv: all files or nothing."""
    from izreport.data import default_data_dir
    from izreport.ingest import ingest as do_ingest

    try:
        result = do_ingest(files, data or default_data_dir(), month=month)
    except IzReportError as exc:
        _fail(exc)
        return
    for f in result.files:
        blank = f", {f.blank} blank rows (not reported)" if f.blank else ""
        _out.print(f"{f.path.name}: {f.month}, {f.added} added, {f.replaced} replaced, "
                   f"{f.unchanged} unchanged{blank}", highlight=False)
    _out.print(result.summary(), highlight=False)



@app.command()
def texts(
    period: Annotated[str, typer.Option("--period", help="Report period, e.g. 2021-H2.")],
    zone: Annotated[str | None, typer.Option("--zone", help="Zone, for a zone report.")] = None,
) -> None:
    """Start the period's hand-written sections file (reports/<period>.md) for analysts.

    The file gets every section heading, the situation paragraph drafted from the data and
    placeholders; an existing file is never overwritten.
    """
    from izreport import narrative
    from izreport import report as rp
    from izreport.texts import skeleton

    try:
        ctx = rp.open_report(period, zone)
        path = ctx.texts.path
        if path.exists():
            raise ParameterError(f"{path} already exists; edit it instead")
        title = f"Báo cáo {rp.subject(ctx)[0].lower()}{rp.subject(ctx)[1:]}: các mục viết tay"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(skeleton(title, " ".join(narrative.situation(ctx))), encoding="utf-8")
    except IzReportError as exc:
        _fail(exc)
        return
    _out.print(str(path), highlight=False, markup=False)

def main() -> None:  # pragma: no cover - console entry point
    app()
