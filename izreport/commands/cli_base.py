"""The command line's frame: language, translated help, and one style for every error.

Typer builds its click commands from the declarations when the program starts, so help
strings are written as English msgids (``N_``) and translated here, on the built command
tree, after ``--lang`` has been read from the arguments: ``izreport --lang en render --help``
is English from its first line. The command line library's own usage errors (an unknown
option, a missing argument, a value of the wrong type) are caught and printed like the
package's errors: one line ``lỗi: …`` on stderr, exit code 2.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from typer import _click

from izreport.core import i18n
from izreport.core.errors import IzReportError, RenderError
from izreport.core.i18n import N_, _

#: Exit code of bad arguments or data (the package's and the library's usage errors).
USAGE_EXIT = 2

# typer's own help words ("Options", "default: …") go through gettext: through ours
typer.core._ = _  # type: ignore[attr-defined]

#: Help words of the library, marked here so that the catalogue carries them.
LIBRARY_MESSAGES = (
    N_("Arguments"), N_("Options"), N_("Commands"), N_("default: {default}"), N_("required"),
    N_("env var: {var}"), N_("(dynamic)"), N_("Missing command."), N_("No such command {name!r}."),
    N_("Aborted!"), N_("[OPTIONS]"), N_("COMMAND [ARGS]..."),
)


def error_console() -> Console:
    """stderr, built when printing so that a test's captured stream is the one written."""
    return Console(stderr=True, soft_wrap=True, highlight=False)


def print_error(message: str, hint: str | None = None) -> None:
    """The one error style: ``lỗi: message`` (``error:`` in English), and an optional hint."""
    label = _("error:")
    text = f"[bold red]{escape(label)}[/] {escape(message)}"
    if hint:
        text += ("" if message.endswith((".", "?", "!")) else ".") + f" {escape(hint)}"
    error_console().print(text)


def fail(exc: IzReportError) -> None:
    """Print a package error in the one style and exit: 1 for a failed render, else 2."""
    print_error(str(exc))
    raise typer.Exit(1 if isinstance(exc, RenderError) else USAGE_EXIT)


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a mistyped word (difflib), or None when none is close."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def take_language(args: list[str]) -> list[str]:
    """Apply ``--lang X`` / ``--lang=X`` wherever it is and return the other arguments."""
    rest: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--lang" and i + 1 < len(args):
            i18n.set_language(args[i + 1])
            i += 2
            continue
        if word.startswith("--lang="):
            i18n.set_language(word.partition("=")[2])
        else:
            rest.append(word)
        i += 1
    return rest


def _translate(command: _click.Command) -> None:
    """Replace the English help of a built command tree by the current language's."""
    msgids: dict[str, Any] = command.__dict__.setdefault("_izreport_msgids", {})
    for attr in ("help", "short_help", "epilog", "options_metavar", "subcommand_metavar"):
        original = msgids.setdefault(attr, getattr(command, attr, None))
        if original:
            setattr(command, attr, _(original))
    for param in command.params:
        original = param.__dict__.setdefault("_izreport_help", getattr(param, "help", None))
        if original:
            param.help = _(original)  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        _translate(sub)


class _Style:
    """Usage line and the help option in the current language (mixed into the commands)."""

    def format_usage(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))

    def get_help_option(self, ctx: _click.Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = _("Show this message and exit.")
        return option


class Command(_Style, typer.core.TyperCommand):
    """A command with translated usage line and help option."""


class Group(_Style, typer.core.TyperGroup):
    """The top command: reads ``--lang``, translates the help, formats every error alike."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        with i18n.scope():
            return self._main(args, prog_name, complete_var, standalone_mode, **extra)

    def _main(self, args: Sequence[str] | None, prog_name: str | None,
              complete_var: str | None, standalone_mode: bool, **extra: Any) -> Any:
        words = list(sys.argv[1:] if args is None else args)
        try:
            words = take_language(words)
        except ValueError as exc:
            return self._end(standalone_mode, str(exc), USAGE_EXIT)
        _translate(self)
        try:
            code = super().main(words, "izreport", complete_var,
                                standalone_mode=False, **extra)
        except _click.exceptions.NoArgsIsHelpError as exc:
            _click.echo(exc.ctx.get_help() if exc.ctx else "")
            return self._end(standalone_mode, None, 0)
        except _click.exceptions.UsageError as exc:
            return self._end(standalone_mode, usage_message(exc), USAGE_EXIT,
                             help_hint(exc.ctx))
        except _click.exceptions.Abort:
            return self._end(standalone_mode, _("Aborted!"), 1)
        except _click.exceptions.ClickException as exc:
            return self._end(standalone_mode, exc.format_message(), exc.exit_code)
        return self._end(standalone_mode, None, code if isinstance(code, int) else 0)

    def resolve_command(self, ctx: _click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = nearest(name, self.list_commands(ctx))
            message = _("unknown command {name!r}").format(name=name) + "; " + (
                _("did you mean {option}?").format(option=close) if close else
                _("commands: {names}").format(names=", ".join(self.list_commands(ctx))))
            raise _click.exceptions.UsageError(message, ctx)
        return super().resolve_command(ctx, args)

    @staticmethod
    def _end(standalone: bool, message: str | None, code: int, hint: str | None = None) -> Any:
        if message is not None:
            print_error(message, hint)
        if standalone:
            sys.exit(code)
        return code


def help_hint(ctx: _click.Context | None) -> str | None:
    if ctx is None:
        return None
    return _("See: {command} --help").format(command=ctx.command_path)


def _option_names(ctx: _click.Context | None) -> list[str]:
    if ctx is None:
        return []
    return [name for p in ctx.command.params if p.param_type_name == "option"
            for name in p.opts if name.startswith("--")]


def _hint(param: Any) -> str:
    """How an error names a parameter: '--to' or 'REPORT'."""
    if param is None:
        return "?"
    names = [n for n in getattr(param, "opts", ()) if n.startswith("--")]
    return names[0] if names else str(getattr(param, "metavar", None) or param.name).upper()


def usage_message(exc: _click.exceptions.UsageError) -> str:
    """A usage error of the library in the package's words and language."""
    if isinstance(exc, _click.exceptions.NoSuchOption):
        known = [*_option_names(exc.ctx), "--help"]
        close = nearest(exc.option_name, known)
        message = _("unknown option {option}").format(option=exc.option_name)
        if close:
            return message + "; " + _("did you mean {option}?").format(option=close)
        return message + "; " + _("options: {options}").format(options=", ".join(known))
    if isinstance(exc, _click.exceptions.MissingParameter):
        param = exc.param
        name = _hint(param)
        if getattr(param, "param_type_name", "") == "option":
            return _("option {name} is required").format(name=name)
        return _("argument {name} is missing").format(name=name)
    if isinstance(exc, _click.exceptions.BadParameter):
        name = _hint(exc.param)
        cause = exc.__cause__  # the library checks values with pydantic
        errors = cause.errors() if hasattr(cause, "errors") else [{}]
        kind, value = errors[0].get("type", ""), errors[0].get("input", "")
        if kind.startswith("int"):
            return _("{name} takes a whole number, got {value!r}").format(name=name, value=value)
        return _("invalid value for {name}: {value!r}").format(name=name, value=value)
    if isinstance(exc, _click.exceptions.BadOptionUsage):
        return _("option {option} needs a value").format(option=exc.option_name)
    text = exc.format_message()
    if text.startswith("Got unexpected extra argument"):
        extra = text.partition("(")[2].rstrip(")")
        return _("unexpected argument {words}").format(words=extra)
    return _(text)
