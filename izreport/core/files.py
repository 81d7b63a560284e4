"""Writing files so that a reader or a crash never sees half of one."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from izreport.core.i18n import _


def atomic_write(path: Path, payload: bytes) -> None:
    """Write next to the target, fsync, then rename over it (and fsync the folder).

    The file keeps its permissions; on any failure the temporary file is removed and the
    old content stays in place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def output_folder(path: Path, option: str = "--out") -> Path:
    """Make sure ``path`` is a folder this process can write in, before any work is done.

    A file of that name, a folder that cannot be made or one that cannot be written in is a
    :class:`~izreport.core.errors.ParameterError` naming the option and the reason.
    """
    from izreport.core.errors import ParameterError
    from izreport.core.i18n import _

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError(_("{option} {path}: not a folder (a file of that name exists)")
                             .format(option=option, path=path))
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".izreport-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ParameterError(_("{option} {path}: cannot write in this folder: {reason}")
                             .format(option=option, path=path,
                                     reason=exc.strerror or exc)) from None
    return path


#: What a spreadsheet program reads as the start of a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def put_value(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write a cell that stays a value: text from data is never a formula.

    openpyxl turns any string starting with '=' into a live formula; a name such as
    ``=HYPERLINK(…)`` would then run in every workbook sent out. The cell is typed as
    text, and text that a spreadsheet would read as a formula when edited gets Excel's
    quote prefix.
    """
    cell = ws.cell(row, column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    return cell


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def csv_text(value: str) -> str:
    """Text for a CSV cell that a spreadsheet opening the file reads as text, never a formula.

    OWASP's rule for CSV injection: a cell starting with = + - @, a tab or a carriage
    return gets a leading apostrophe. A plain signed number ('-1.5') stays as it is.
    """
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


#: The one rule for names derived from data that become parts of paths: ASCII lower-case
#: words joined by '-' ('hoa-xa'). Nothing in it can leave a folder ('/', '..', '~').
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slug(text: str) -> str:
    """'Hòa Xá' -> 'hoa-xa': always a name that passes :data:`SLUG_RE`."""
    text = text.replace("đ", "d").replace("Đ", "D")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-") or "x"


def checked_slug(value: str, what: str) -> str:
    """``value`` if it passes the slug rule, else a DataError naming it (never a path)."""
    from izreport.core.errors import DataError

    if not SLUG_RE.fullmatch(value):
        raise DataError(_("{what} {value!r} cannot be used in a file name: only lower-case "
                          "letters without accents, digits and '-' (e.g. hoa-xa)").format(
                              what=what, value=value))
    return value


def zone_slug(zone_id: str) -> str:
    """The one name of a zone in file names and site paths: its id from the data (hoa-xa).

    Output stems, texts files and site paths all use it, so a zone has one spelling; an id
    that does not pass the slug rule is refused (:func:`checked_slug`).
    """
    return checked_slug(zone_id, _("zone id (zone_id)"))
