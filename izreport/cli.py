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

from izreport.errors import IzReportError, ParameterError, RenderError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Reports of the Industrial Zones Management Board.")
_err = Console(stderr=True)
_out = Console()


def _report_params(words: list[str]) -> dict[str, Any]:
    """Collect report parameters given as --name value, --name=value or -p name value."""
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
            if i + 1 >= len(words) or words[i + 1].startswith("--"):
                raise ParameterError(f"parameter '{name}' has no value")
            value = words[i + 1]
            i += 1
        params[name.replace("-", "_")] = value
        i += 1
    return params


def _fail(exc: IzReportError) -> None:
    _err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if isinstance(exc, RenderError) else 2)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def render(
    ctx: typer.Context,
    report: Annotated[str, typer.Argument(help="Report name, e.g. half-year.")],
    to: Annotated[str, typer.Option("--to", help="Formats, comma-separated.")] = "html,pdf",
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    data: Annotated[Path | None, typer.Option("--data", help="Data folder.")] = None,
) -> None:
    """Render a report. Report parameters follow as options: --period 2021-H1 --zone "Hòa Xá"."""
    from izreport.render import render as do_render

    try:
        params = _report_params(list(ctx.args))
        with _err.status(f"Rendering {report}…", spinner="dots") as status:
            result = do_render(report, params, out, formats=to.split(","), data_dir=data,
                               progress=lambda msg: status.update(f"{report}: {msg}…"))
    except IzReportError as exc:
        _fail(exc)
        return
    for fmt, path in result.files.items():
        _out.print(f"{fmt:5} {path}", highlight=False)


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
        _out.print(str(path), highlight=False)


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


def main() -> None:  # pragma: no cover - console entry point
    app()
