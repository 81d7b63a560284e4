"""Language of the commands: Vietnamese by default, English on request.

Messages are written in English in the code (``_("…")``) and translated through the
gettext catalogue ``izreport/locale/vi/LC_MESSAGES/izreport.po`` (Babel extracts and
compiles it; ``babel.cfg`` at the top of the repository). Vietnamese is the default because
the board's staff read Vietnamese; ``--lang en``, ``IZREPORT_LANG=en`` or a ``LANGUAGE``/
``LC_ALL``/``LC_MESSAGES``/``LANG`` that starts with ``en`` gives English.

The language is looked up when a message is built, not at import, so that ``--lang``
given on the command line applies to every message of that run.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

DOMAIN = "izreport"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("vi", "en")

_chosen: str | None = None


def set_language(lang: str | None) -> None:
    """Fix the language for this process (``--lang``); None goes back to the environment."""
    global _chosen
    if lang is not None and _normal(lang) is None:
        raise ValueError(_("unknown language {lang!r}; use one of {langs}").format(
            lang=lang, langs=", ".join(LANGUAGES)))
    _chosen = _normal(lang) if lang else None
    if _chosen:  # render workers and kernels are other processes: they read the environment
        os.environ["IZREPORT_LANG"] = _chosen


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """Undo a ``--lang`` on leaving: one command's choice does not outlive it (tests run many)."""
    global _chosen
    saved, env = _chosen, os.environ.get("IZREPORT_LANG")
    try:
        yield
    finally:
        _chosen = saved
        if env is None:
            os.environ.pop("IZREPORT_LANG", None)
        else:
            os.environ["IZREPORT_LANG"] = env


def language() -> str:
    """The language of messages now: 'vi' or 'en'."""
    if _chosen:
        return _chosen
    for var in ("IZREPORT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith(("C.", "POSIX.")):
            return _normal(value) or "vi"
    return "vi"


def _normal(value: str) -> str | None:
    code = value.split(":")[0].split(".")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else None


@cache
def _translation(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """The message in the current language."""
    return _translation(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural message in the current language (Vietnamese has one form)."""
    return _translation(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet (module-level constants)."""
    return message


class Message:
    """A message whose text is chosen when it is shown: ``str(Message("…{x}", x=1))``.

    Validation problems are found once and shown twice: to the operator in the language of
    the run, and to an enterprise in Vietnamese (the feedback on a rejected submission).
    Arguments that are Messages are shown in the same language.
    """

    __slots__ = ("args", "msgid")

    def __init__(self, msgid: str, **args: object) -> None:
        self.msgid = msgid
        self.args = args

    def __str__(self) -> str:
        return _(self.msgid).format(**{k: str(v) if isinstance(v, Message) else v
                                       for k, v in self.args.items()})

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, **{self.args!r})"


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Messages in ``lang`` inside the block (e.g. Vietnamese feedback for enterprises)."""
    global _chosen
    before = _chosen
    set_language(lang)
    try:
        yield
    finally:
        _chosen = before
