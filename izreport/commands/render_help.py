"""``izreport render --help`` and ``izreport render REPORT --help``, from the declarations.

The reports and their parameters are declared by the notebooks (izreport.pipeline.params), so the
help is made from those declarations when it is asked for: the list of reports, and for
one report each parameter with its type, default and an example. Boolean parameters and
``--all-zones`` are flags: given alone they mean yes; ``--all-zones true``/``false`` is
read as the same flag rather than as a stray word.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer import _click

from izreport.commands.cli_base import Command
from izreport.core.i18n import _

if TYPE_CHECKING:
    from izreport.pipeline.params import ParamSpec, ReportSpec

#: The render command's own flags (typer booleans) that may be given a yes/no word.
FLAGS = ("--all-zones",)


def _default(spec: ParamSpec) -> str:
    if spec.type == "bool":
        return _("yes") if spec.default else _("no")
    if spec.default is None:
        return {"zone": _("the whole province"), "date": _("set by the report")}.get(
            spec.type, _("none"))
    return json.dumps(spec.default, ensure_ascii=False).strip('"')


def parameter_rows(spec: ReportSpec) -> list[tuple[str, str]]:
    """One help row per declared parameter: the option and what it takes."""
    rows = []
    for p in spec.specs:
        option = p.flag if p.type == "bool" else f"{p.flag} {p.name.upper()}"
        parts = [p.text] if p.text else []
        parts.append(_("type: {type}").format(type=p.type_label))
        parts.append(_("default: {default}").format(default=_default(p)))
        if p.type == "bool":
            parts.append(_("example: {example}").format(example=p.flag))
        elif p.examples:
            parts.append(_("example: {example}").format(
                example=", ".join(f"{p.flag} {e}" for e in p.examples)))
        rows.append((option, "; ".join(parts) + "."))
    return rows


class RenderCommand(Command):
    """``render``: the reports in its help, one report's parameters after its name."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        words = _fold_flags(args)
        # the report named, for the help; read only if help is asked for (the declarations
        # are not read before the command starts its helper processes)
        ctx.meta["izreport.render.named"] = next((w for w in words if not w.startswith("-")),
                                                 None)
        return super().parse_args(ctx, words)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        from izreport.pipeline.params import reports

        name = ctx.meta.get("izreport.render.named")
        if name not in reports():
            super().format_help(ctx, formatter)
            self._format_reports(formatter)
            return
        spec = reports()[name]
        formatter.write_usage(f"{ctx.command_path} {name}",
                              _("[--PARAMETER VALUE]... [OPTIONS]"), prefix=_("Usage: "))
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(_("{title} (notebook {notebook}).").format(
                title=spec.heading, notebook=spec.notebook))
        with formatter.section(_("Parameters of the report")):
            formatter.write_dl(parameter_rows(spec))
        self.format_options(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            first = next((p for p in spec.specs if p.type == "period"), None)
            example = f" {first.flag} {first.examples[0]}" if first and first.examples else ""
            formatter.write_text(_("Example: izreport render {report}{example}").format(
                report=name, example=example))

    def _format_reports(self, formatter: _click.HelpFormatter) -> None:
        from izreport.pipeline.params import reports

        rows = [(name, _("{title}; parameters: {flags}").format(
            title=spec.heading, flags=", ".join(p.flag for p in spec.specs)))
            for name, spec in sorted(reports().items())]
        with formatter.section(_("Reports")):
            formatter.write_dl(rows)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(_("The parameters of one report, with types, defaults and "
                                   "examples: izreport render REPORT --help"))


def _fold_flags(words: list[str]) -> list[str]:
    """``--all-zones true`` / ``--all-zones=no``: the flag itself, or nothing."""
    from izreport.pipeline.params import FALSE_WORDS, TRUE_WORDS

    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, value = word.partition("=")
        if name in FLAGS:
            if not eq and i + 1 < len(words) and words[i + 1].lower() in (*TRUE_WORDS,
                                                                          *FALSE_WORDS):
                value, eq = words[i + 1], "="
                i += 1
            if not eq or value.lower() in TRUE_WORDS:
                out.append(name)
            elif value.lower() not in FALSE_WORDS:
                out.append(word)  # the library says it takes no value
            i += 1
            continue
        out.append(word)
        i += 1
    return out


